package agentcli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/rs/zerolog"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/hearth-dev/hearth/nodeagent/internal/gatewaytest"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

func TestParseRunOTLP(t *testing.T) {
	dir := t.TempDir()
	base := []string{"--server", "http://x", "--data-dir", dir, "--join-token", "t"}
	kube := append(append([]string(nil), base...), "--runner", "kubernetes", "--kube-namespace", "ns", "--kube-helper-image", "h:1")

	c, err := parseRun(base, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.OTLP.Listen != "127.0.0.1:4318" || !c.OTLP.Defaulted || c.OTLP.Endpoint != "" || c.OTLP.QueueBytes != 256<<20 {
		t.Fatalf("process runner defaults %+v", c.OTLP)
	}
	for _, off := range [][]string{{"--otlp-listen="}, {"--otlp-listen", "off"}} {
		if c, err := parseRun(append(append([]string(nil), base...), off...), env(nil)); err != nil || c.OTLP.Listen != "" {
			t.Fatalf("%v: %+v %v", off, c.OTLP, err)
		}
	}
	if c, err := parseRun(base, env(map[string]string{"HEARTH_AGENT_OTLP_LISTEN": "off"})); err != nil || c.OTLP.Listen != "" {
		t.Fatalf("the variable off: %+v %v", c.OTLP, err)
	}
	c, err = parseRun(base, env(map[string]string{"HEARTH_AGENT_OTLP_LISTEN": "127.0.0.1:4318", "HEARTH_AGENT_OTLP_QUEUE_BYTES": "1GiB"}))
	if err != nil || c.OTLP.Defaulted || c.OTLP.QueueBytes != 1<<30 {
		t.Fatalf("given as a variable: %+v %v", c.OTLP, err)
	}

	// The kubernetes runner listens on every interface by default, and
	// needs the URL pods reach the agent at: without it, the default
	// receiver stays off (agents deployed before it keep running); an
	// asked-for address without it is refused.
	if c, err := parseRun(kube, env(nil)); err != nil || c.OTLP.Listen != "" || !strings.Contains(c.OTLP.OffReason, "--otlp-endpoint") {
		t.Fatalf("kubernetes without --otlp-endpoint: %+v %v", c.OTLP, err)
	}
	if _, err := parseRun(append(kube, "--otlp-listen", "0.0.0.0:4318"), env(nil)); err == nil || !strings.Contains(err.Error(), "--otlp-endpoint is required") {
		t.Fatalf("kubernetes with --otlp-listen, without --otlp-endpoint: %v", err)
	}
	c, err = parseRun(append(kube, "--otlp-endpoint", "http://hearth-agent.ns.svc:4318"), env(nil))
	if err != nil || c.OTLP.Listen != "0.0.0.0:4318" || c.OTLP.Endpoint != "http://hearth-agent.ns.svc:4318" {
		t.Fatalf("kubernetes: %+v %v", c.OTLP, err)
	}
	if c, err := parseRun(append(kube, "--otlp-listen", "127.0.0.1:4318"), env(nil)); err != nil || c.OTLP.Endpoint != "" {
		t.Fatalf("kubernetes on loopback: %+v %v", c.OTLP, err)
	}

	for _, bad := range [][]string{
		{"--otlp-listen", "4318"},
		{"--otlp-listen", "127.0.0.1:http"},
		{"--otlp-endpoint", "ftp://x"},
		{"--otlp-endpoint", "http://user:pass@x:4318"},
		{"--otlp-queue-bytes", "1MiB"},
		{"--otlp-queue-bytes", "lots"},
	} {
		_, err := parseRun(append(append([]string(nil), base...), bad...), env(nil))
		if err == nil || !strings.HasPrefix(err.Error(), bad[0]) {
			t.Errorf("%v: %v", bad, err)
		}
	}
}

// TestDefaultOTLPPortTaken: an agent whose default receiver port is taken
// (another agent on the machine) runs without a receiver; one told to
// listen there cannot start.
func TestDefaultOTLPPortTaken(t *testing.T) {
	var lc net.ListenConfig
	ln, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c := runConfig{DataDir: t.TempDir(), OTLP: otlpConfig{Listen: ln.Addr().String(), Defaulted: true, QueueBytes: 16 << 20}}
	var logs syncBuffer
	col, err := startOTLP(c, newTestLogger(&logs))
	if err != nil || col != nil {
		t.Fatalf("default address taken: %v %v", col, err)
	}
	if !strings.Contains(logs.String(), "default address is taken") {
		t.Fatalf("not logged:\n%s", logs.String())
	}
	c.OTLP.Defaulted = false
	if _, err := startOTLP(c, newTestLogger(&logs)); err == nil || !strings.Contains(err.Error(), "--otlp-listen") {
		t.Fatalf("an asked-for address taken: %v", err)
	}
}

// agentRun is Main running in process.
type agentRun struct {
	out    syncBuffer
	cancel context.CancelFunc
	code   chan int
}

func runMain(t *testing.T, args ...string) *agentRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a := &agentRun{cancel: cancel, code: make(chan int, 1)}
	go func() { a.code <- Main(ctx, args, &a.out, &a.out) }()
	t.Cleanup(func() { _ = a.stop(t) })
	return a
}

func (a *agentRun) stop(t *testing.T) int {
	t.Helper()
	a.cancel()
	select {
	case c, ok := <-a.code:
		if !ok {
			return exitOK
		}
		close(a.code)
		return c
	case <-time.After(20 * time.Second):
		t.Fatal("the agent did not stop")
		return -1
	}
}

// receiverAddress waits for the log line saying where the receiver
// listens.
func (a *agentRun) receiverAddress(t *testing.T, gw *gatewaytest.Server) (string, string) {
	t.Helper()
	var addr, url string
	gw.Wait(t, 20*time.Second, "the OTLP receiver's log line", func() bool {
		sc := bufio.NewScanner(strings.NewReader(a.out.String()))
		for sc.Scan() {
			var line map[string]any
			if json.Unmarshal(sc.Bytes(), &line) == nil && line["message"] == "OTLP receiver listening" {
				addr, _ = line["address"].(string)
				url, _ = line["url"].(string)
				return true
			}
		}
		return false
	})
	return addr, url
}

func exportTraces(t *testing.T, addr, token string) []byte {
	t.Helper()
	body, err := proto.Marshal(&coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{ScopeSpans: []*tracepb.ScopeSpans{{
		Spans: []*tracepb.Span{{TraceId: bytes.Repeat([]byte{1}, 16), SpanId: bytes.Repeat([]byte{2}, 8), Name: "build"}},
	}}}}})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://"+addr+"/v1/traces", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("export: %d", res.StatusCode)
	}
	return body
}

// TestRunForwardsOTLP: the agent's receiver takes an export, the queue
// keeps it while the control plane refuses it (UNAVAILABLE) and across a
// restart, and the control plane stores it once, with the workload's token;
// jobs are told where the receiver is.
func TestRunForwardsOTLP(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	dir := filepath.Join(t.TempDir(), "agent")
	args := []string{"--server", gw.URL, "--data-dir", dir, "--runner", "fake", "--join-token", gatewaytest.JoinToken,
		"--otlp-listen", "127.0.0.1:0", "--log-level", "debug"}
	gw.SetExportHook(func(*agentv1.ExportTelemetryRequest) connect.Code { return connect.CodeUnavailable })
	a := runMain(t, args...)
	gw.Wait(t, 20*time.Second, "a stream", func() bool { return gw.Stats().OpenStreams > 0 })
	addr, url := a.receiverAddress(t, gw)
	if url != "http://"+addr {
		t.Fatalf("endpoint %q for %q", url, addr)
	}
	const token = "hjt_workload-token-1"
	sent := exportTraces(t, addr, token)
	gw.Wait(t, 20*time.Second, "an export attempt", func() bool { return gw.ExportCalls() > 0 })

	// Jobs are pointed at the receiver.
	gw.RunJob(&agentv1.RunJob{JobId: "job-otel", CloneToken: "clone-token-1", Steps: []*agentv1.Step{{Name: "s", Script: "env OTEL_EXPORTER_OTLP_ENDPOINT"}}})
	gw.Wait(t, 20*time.Second, "the job's success", func() bool {
		st := gw.LastStatus("job-otel")
		return st != nil && st.GetState() == agentv1.JobState_JOB_STATE_SUCCESS
	})
	if log := string(gw.Log("job-otel", 1)); log != "OTEL_EXPORTER_OTLP_ENDPOINT="+url+"\n" {
		t.Fatalf("job log %q", log)
	}
	if code := a.stop(t); code != exitOK {
		t.Fatalf("exit %d\n%s", code, a.out.String())
	}
	if len(gw.Exports()) != 0 {
		t.Fatal("stored while the control plane refused")
	}
	if st, err := os.Stat(filepath.Join(dir, otlpQueueDir)); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("queue directory: %v %v", st, err)
	}

	// The next start delivers it.
	gw.SetExportHook(nil)
	b := runMain(t, args...)
	gw.Wait(t, 20*time.Second, "the export stored", func() bool { return len(gw.Exports()) == 1 })
	ex := gw.Exports()[0]
	if ex.Token != token || ex.Signal != agentv1.TelemetrySignal_TELEMETRY_SIGNAL_TRACES || !bytes.Equal(ex.Payload, sent) || ex.BatchID == "" {
		t.Fatalf("stored %+v", ex)
	}
	if code := b.stop(t); code != exitOK {
		t.Fatalf("exit %d\n%s", code, b.out.String())
	}
	for _, out := range []string{a.out.String(), b.out.String()} {
		if strings.Contains(out, token) || strings.Contains(out, "clone-token-1") {
			t.Fatal("a token was logged")
		}
	}
}

func newTestLogger(w io.Writer) zerolog.Logger { return zerolog.New(w).Level(zerolog.DebugLevel) }
