package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/hearth-dev/hearth/controlplane/testsvc"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
)

func TestMain(m *testing.M) { testsvc.Main(m) }

func httpGet(ctx context.Context, url string) (int, []byte) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func checkVersionJSON(t *testing.T, body []byte) {
	t.Helper()
	var v struct {
		Version   string `json:"version"`
		GoVersion string `json:"goVersion"`
	}
	if err := json.Unmarshal(body, &v); err != nil || v.Version == "" || !strings.HasPrefix(v.GoVersion, "go1.") {
		t.Fatalf("bad version answer %q: %v", body, err)
	}
}

// TestDevServesEveryProtocolAndStopsCleanly is the foundation's acceptance
// test: `hearth dev` from nothing answers REST, Connect and gRPC and is
// ready; SIGINT ends it with 0 within 10 s and no child left; a restart
// reuses the database and creates no second administrator.
func TestDevServesEveryProtocolAndStopsCleanly(t *testing.T) {
	dataDir := filepath.Join(reachableTempDir(t), "data")
	listen, raftListen := freeAddr(t), freeAddr(t)
	args := []string{"dev", "--data-dir", dataDir, "--listen", listen, "--raft-listen", raftListen}

	p := startHearth(t, nil, args...)
	p.waitOutput(t, &p.stdout, "Hearth is running at http://"+listen, 2*time.Minute)
	base := "http://" + listen
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	code, body := httpGet(ctx, base+"/api/v1/version")
	if code != http.StatusOK {
		t.Fatalf("GET /api/v1/version: %d %s", code, body)
	}
	checkVersionJSON(t, body)

	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/hearth.v1.SystemService/GetVersion", strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("Connect JSON: %d %s", res.StatusCode, body)
	}
	checkVersionJSON(t, body)

	conn, err := grpc.NewClient(listen, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	var grpcRes hearthv1.GetVersionResponse
	if err := conn.Invoke(ctx, "/hearth.v1.SystemService/GetVersion", &hearthv1.GetVersionRequest{}, &grpcRes); err != nil {
		t.Fatalf("gRPC: %v", err)
	}
	conn.Close()
	if grpcRes.GetVersion() == "" {
		t.Fatal("gRPC answer has no version")
	}

	if code, body := httpGet(ctx, base+"/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz: %d %s", code, body)
	}

	passwordFile := filepath.Join(dataDir, "initial-admin-password")
	st, err := os.Stat(passwordFile)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("password file mode %v, want 0600", st.Mode().Perm())
	}
	password, _ := os.ReadFile(passwordFile)
	if strings.Contains(p.stderr.String()+p.stdout.String(), strings.TrimSpace(string(password))) {
		t.Fatal("the initial admin password was printed")
	}

	// The local node agent registered and connected.
	p.waitOutput(t, &p.stderr, "agent connected", time.Minute)
	if st, err := os.Stat(filepath.Join(dataDir, "agent", "identity.json")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("local agent identity: %v %v", st, err)
	}

	children := descendants(t, p.cmd.Process.Pid)
	if len(children) < 4 {
		t.Fatalf("expected PostgreSQL, Redis, S3 and agent children, found %v", children)
	}
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := p.exitCode(t, 10*time.Second); code != 0 {
		t.Fatalf("exit code %d after SIGINT, want 0", code)
	}
	t.Logf("stopped in %v", time.Since(start))
	for _, pid := range children {
		if _, alive := parentPID(pid); alive {
			t.Errorf("child process %d outlived hearth", pid)
		}
	}

	// Restart on the same data: the same database, no second admin.
	p2 := startHearth(t, nil, args...)
	p2.waitOutput(t, &p2.stdout, "Hearth is running at", 2*time.Minute)
	stderr := p2.stderr.String()
	if !strings.Contains(stderr, "database schema is up to date") {
		t.Errorf("second start did not reuse the migrated database:\n%s", stderr)
	}
	if strings.Contains(stderr, "created the initial administrator") {
		t.Error("second start created another administrator")
	}
	// The agent keeps its identity: the same agent connects again.
	p2.waitOutput(t, &p2.stderr, "agent connected", time.Minute)
	if first, second := connectedAgent(p.stderr.String()), connectedAgent(p2.stderr.String()); first == "" || first != second {
		t.Errorf("local agent %q connected first, %q after the restart: want the same", first, second)
	}
	again, _ := os.ReadFile(passwordFile)
	if string(again) != string(password) {
		t.Error("the initial admin password changed on restart")
	}
	if err := p2.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := p2.exitCode(t, 10*time.Second); code != 0 {
		t.Fatalf("second run: exit code %d, want 0", code)
	}
}

// reachableTempDir is a temporary directory the postgres system user can
// traverse (t.TempDir's parent is 0700), as it must when tests run as root.
func reachableTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "hearth-dev-test-*")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o711); err != nil {
		t.Fatal(err)
	}
	return dir
}

var agentIDField = regexp.MustCompile(`agent_id=(\S+)`)

// connectedAgent is the agent id of the first "agent connected" line.
func connectedAgent(logs string) string {
	for line := range strings.SplitSeq(logs, "\n") {
		if strings.Contains(line, "agent connected") {
			if m := agentIDField.FindStringSubmatch(line); m != nil {
				return m[1]
			}
		}
	}
	return ""
}
