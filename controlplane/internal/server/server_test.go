package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"go.uber.org/goleak"

	"github.com/hearth-dev/hearth/controlplane/internal/supervisor"
	"github.com/hearth-dev/hearth/controlplane/servertest"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// TestMain also checks that stopped servers leave no goroutine behind.
func TestMain(m *testing.M) {
	code := testsvc.Run(m)
	http.DefaultClient.CloseIdleConnections()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goroutines leaked:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestPanickingWorkerIsRestartedWhileServing: a worker that panics is
// recovered, counted and restarted, and the API answers throughout.
func TestPanickingWorkerIsRestartedWhileServing(t *testing.T) {
	const panics = 3
	started := make(chan int, panics+1)
	release := make(chan struct{})
	runs := 0
	flaky := supervisor.Worker{Name: "flaky", Run: func(ctx context.Context) error {
		runs++
		started <- runs
		if runs <= panics {
			<-release // panic only once the test has checked the server answers
			panic("worker exploded")
		}
		<-ctx.Done()
		return nil
	}}
	srv := servertest.Start(t, servertest.WithWorkers(flaky))
	client := hearthv1connect.NewSystemServiceClient(http.DefaultClient, srv.URL)

	for want := 1; want <= panics+1; want++ {
		select {
		case got := <-started:
			if got != want {
				t.Fatalf("run %d started, want %d", got, want)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("worker run %d never started: not restarted after a panic", want)
		}
		// The server answers between every panic.
		if _, err := client.GetVersion(t.Context(), &hearthv1.GetVersionRequest{}); err != nil {
			t.Fatalf("GetVersion during run %d: %v", want, err)
		}
		if code, _ := get(t, srv.URL+"/healthz"); code != http.StatusOK {
			t.Fatalf("/healthz during run %d: %d", want, code)
		}
		if want <= panics {
			release <- struct{}{}
		}
	}
	// /metrics on the main port is for administrators (metrics.go).
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+srv.AdminToken(t))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	metrics := string(b)
	if !strings.Contains(metrics, `hearth_worker_panics_total{worker="flaky"} 3`) {
		t.Fatalf("panic counter missing or wrong:\n%s", grep(metrics, "hearth_worker_"))
	}
}

func TestReadyzReportsEveryDependency(t *testing.T) {
	srv := servertest.Start(t)
	code, body := get(t, srv.URL+"/readyz")
	if code != http.StatusOK {
		t.Fatalf("/readyz %d: %s", code, body)
	}
	for _, dep := range []string{`"postgres":"ok"`, `"redis":"ok"`, `"s3":"ok"`, `"raft":"ok"`} {
		if !strings.Contains(body, dep) {
			t.Errorf("/readyz lacks %s: %s", dep, body)
		}
	}
}

func TestRESTAndOpenAPI(t *testing.T) {
	srv := servertest.Start(t)
	code, body := get(t, srv.URL+"/api/v1/version")
	if code != http.StatusOK || !strings.Contains(body, `"version":"test"`) {
		t.Fatalf("GET /api/v1/version: %d %s", code, body)
	}
	code, body = get(t, srv.URL+"/api/openapi.json")
	if code != http.StatusOK || !strings.Contains(body, `"/api/v1/version"`) {
		t.Fatalf("GET /api/openapi.json: %d %.200s", code, body)
	}
	code, body = get(t, srv.URL+"/api/v1/no-such-thing")
	if code != http.StatusNotFound {
		t.Fatalf("unknown REST route: %d %s", code, body)
	}
	code, _ = get(t, srv.URL+"/api/nothing")
	if code != http.StatusNotFound {
		t.Fatalf("unknown /api path: %d", code)
	}
}

func TestRequestIDIsEchoedAndSanitised(t *testing.T) {
	srv := servertest.Start(t)
	for _, tc := range []struct{ sent, want string }{
		{"abc-123", "abc-123"},
		{"bad id\r\nX-Injected: 1", ""},
	} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/healthz", nil)
		req.Header["X-Request-Id"] = []string{tc.sent}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			// Go's client refuses to send a header with CR/LF at all;
			// that is as good as the server refusing it.
			continue
		}
		res.Body.Close()
		got := res.Header.Get("X-Request-Id")
		if tc.want != "" && got != tc.want {
			t.Errorf("sent %q, got back %q", tc.sent, got)
		}
		if tc.want == "" && (got == tc.sent || got == "") {
			t.Errorf("unsafe id %q was echoed or none was generated: %q", tc.sent, got)
		}
	}
}

func TestOversizedRequestIsRejected(t *testing.T) {
	srv := servertest.Start(t)
	body := `{"pad":"` + strings.Repeat("x", 5<<20) + `"}`
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/hearth.v1.SystemService/GetVersion", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode == http.StatusOK || !strings.Contains(string(b), "resource_exhausted") {
		t.Fatalf("5 MiB request: %d %s", res.StatusCode, b)
	}
}

func TestMalformedRequestGetsInvalidArgument(t *testing.T) {
	srv := servertest.Start(t)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/hearth.v1.SystemService/GetVersion", strings.NewReader("{not json"))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "invalid_argument") {
		t.Fatalf("malformed JSON: %d %s", res.StatusCode, b)
	}
}

func grep(s, substr string) string {
	var out []string
	for line := range strings.SplitSeq(s, "\n") {
		if strings.Contains(line, substr) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// codeOf is the Connect code of err as its wire name ("" for nil).
func codeOf(err error) string {
	if err == nil {
		return ""
	}
	return connect.CodeOf(err).String()
}
