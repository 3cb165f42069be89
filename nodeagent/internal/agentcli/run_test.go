package agentcli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hearth-dev/hearth/nodeagent/internal/gatewaytest"
	"github.com/hearth-dev/hearth/nodeagent/internal/identity"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestParseRunFlagsWinOverVariables(t *testing.T) {
	dir := t.TempDir()
	c, err := parseRun([]string{"--server", "https://cp.example", "--capacity", "8", "--labels", "os=linux, arch=amd64"}, env(map[string]string{
		"HEARTH_AGENT_SERVER":            "http://ignored",
		"HEARTH_AGENT_DATA_DIR":          dir,
		"HEARTH_AGENT_JOIN_TOKEN":        "hjt_x",
		"HEARTH_AGENT_CAPACITY":          "2",
		"HEARTH_AGENT_MAX_JOB_LOG_BYTES": "10MiB",
		"HEARTH_AGENT_RUNNER":            "fake",
		"HEARTH_AGENT_LOG_FORMAT":        "console",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Server != "https://cp.example" || c.DataDir != dir || c.JoinToken != "hjt_x" || c.Capacity != 8 ||
		c.MaxJobLogBytes != 10<<20 || c.Runner != "fake" || c.LogFormat != "console" || c.LogLevel != "info" ||
		c.RotateEvery != 12*time.Hour || c.Labels["os"] != "linux" || c.Labels["arch"] != "amd64" || c.Name == "" {
		t.Fatalf("config %+v", c)
	}
	if _, err := parseRun([]string{"--help"}, env(nil)); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: %v", err)
	}
}

func TestParseRunReportsEveryBadValue(t *testing.T) {
	_, err := parseRun([]string{"--server", "ftp://x", "--capacity", "0", "--labels", "novalue", "--runner", "docker",
		"--max-job-log-bytes", "-5", "--rotate-every", "1s", "--log-level", "loud", "--log-format", "xml"},
		env(map[string]string{"HEARTH_AGENT_DATA_DIR": t.TempDir()}))
	var ue *usageError
	if !errors.As(err, &ue) {
		t.Fatalf("err %v", err)
	}
	want := []string{"--server", "--join-token", "--labels", "--capacity", "--runner", "--max-job-log-bytes", "--rotate-every", "--log-level", "--log-format"}
	if len(ue.problems) != len(want) {
		t.Fatalf("problems:\n%s", err)
	}
	for i, w := range want {
		if !strings.HasPrefix(ue.problems[i], w) {
			t.Errorf("problem %d %q, want one about %s", i, ue.problems[i], w)
		}
	}
	// A bad variable is named as the variable.
	_, err = parseRun(nil, env(map[string]string{"HEARTH_AGENT_SERVER": "http://x", "HEARTH_AGENT_DATA_DIR": t.TempDir(), "HEARTH_AGENT_JOIN_TOKEN": "t", "HEARTH_AGENT_CAPACITY": "lots"}))
	if err == nil || !strings.HasPrefix(err.Error(), "HEARTH_AGENT_CAPACITY \"lots\"") {
		t.Fatalf("err %v", err)
	}
	if _, err := parseRun([]string{"extra"}, env(nil)); err == nil || !strings.Contains(err.Error(), "unexpected argument") {
		t.Fatalf("err %v", err)
	}
	if _, err := parseRun([]string{"--nope"}, env(nil)); err == nil {
		t.Fatal("an unknown flag was accepted")
	}
}

func TestJoinTokenNotNeededWithAnIdentity(t *testing.T) {
	dir := t.TempDir()
	if err := identity.Save(dir, identity.Identity{AgentID: "a", ClusterID: "c", Credential: "hac_x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := parseRun([]string{"--server", "http://x", "--data-dir", dir}, env(nil)); err != nil {
		t.Fatal(err)
	}
}

func TestParseBytesAndLabels(t *testing.T) {
	for in, want := range map[string]int64{"1": 1, "1GiB": 1 << 30, "3 MiB": 3 << 20, "2KiB": 2048} {
		if got, err := parseBytes(in); err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "0", "x", "1TB", "-1KiB", "99999999999999GiB"} {
		if _, err := parseBytes(in); err == nil {
			t.Errorf("parseBytes(%q) accepted", in)
		}
	}
	if l, err := parseLabels(""); err != nil || len(l) != 0 {
		t.Fatalf("empty labels: %v %v", l, err)
	}
	for _, in := range []string{"a=1,a=2", "=x", "a"} {
		if _, err := parseLabels(in); err == nil {
			t.Errorf("parseLabels(%q) accepted", in)
		}
	}
}

func TestUsageNamesEveryVariable(t *testing.T) {
	var out bytes.Buffer
	if code := Main(t.Context(), []string{"help"}, &out, &out); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, s := range settings {
		if !strings.Contains(out.String(), "--"+s.name) || !strings.Contains(out.String(), envName(s.name)) {
			t.Errorf("usage lacks --%s / %s", s.name, envName(s.name))
		}
	}
	docs, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "agent.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range settings {
		if !bytes.Contains(docs, []byte("--"+s.name)) || !bytes.Contains(docs, []byte(envName(s.name))) {
			t.Errorf("docs/agent.md lacks --%s / %s", s.name, envName(s.name))
		}
	}
}

func TestRunBadFlagsExitTwo(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := Main(t.Context(), []string{"run", "--server", "nope", "--data-dir", t.TempDir(), "--join-token", "t"}, &stdout, &stderr)
	if code != exitUsage || strings.Count(stderr.String(), "\n") != 1 || !strings.HasPrefix(stderr.String(), "hearth-agent: --server") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}

// syncBuffer is a bytes.Buffer safe for the agent's logger and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRunRegistersRunsJobsAndStopsOnSignal(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	dir := filepath.Join(t.TempDir(), "agent")
	t.Setenv("HEARTH_AGENT_JOIN_TOKEN", gatewaytest.JoinToken)
	ctx, cancel := context.WithCancel(t.Context())
	var out syncBuffer
	code := make(chan int, 1)
	go func() {
		code <- Main(ctx, []string{"--server", gw.URL, "--data-dir", dir, "--runner", "fake", "--log-format", "console", "--labels", "os=linux"}, &out, &out)
	}()
	gw.Wait(t, 20*time.Second, "a stream", func() bool { return gw.Stats().OpenStreams > 0 })
	gw.RunJob(&agentv1.RunJob{JobId: "job-cli", Steps: []*agentv1.Step{{Name: "s", Script: "echo hi"}}})
	gw.Wait(t, 20*time.Second, "the job's success", func() bool {
		st := gw.LastStatus("job-cli")
		return st != nil && st.GetState() == agentv1.JobState_JOB_STATE_SUCCESS
	})
	cancel() // as SIGTERM does through main's signal.NotifyContext
	select {
	case c := <-code:
		if c != exitOK {
			t.Fatalf("exit %d\n%s", c, out.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the agent did not stop")
	}
	if strings.Contains(out.String(), gatewaytest.JoinToken) {
		t.Fatal("the join token was logged")
	}
	if h := gw.Hellos(); h[0].GetLabels()["os"] != "linux" || h[0].GetRunnerKind() != "fake" {
		t.Fatalf("hello %v", h[0])
	}
}

func TestRunExitsOneWhenRevoked(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	dir := t.TempDir()
	var out syncBuffer
	code := make(chan int, 1)
	go func() {
		code <- Main(t.Context(), []string{"run", "--server", gw.URL, "--data-dir", dir, "--runner", "fake", "--join-token", gatewaytest.JoinToken}, &out, &out)
	}()
	gw.Wait(t, 20*time.Second, "a stream", func() bool { return gw.Stats().OpenStreams > 0 })
	gw.RevokeAll()
	select {
	case c := <-code:
		if c != exitFailure || !strings.Contains(out.String(), "hearth-agent: the control plane refused the agent's credential") {
			t.Fatalf("exit %d\n%s", c, out.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("a revoked agent kept running")
	}
}

// TestParseRunSecretsDir: --secrets-dir is the process runner's and an
// absolute path (whether it is a tmpfs, the runner checks at start).
func TestParseRunSecretsDir(t *testing.T) {
	base := []string{"--server", "http://x", "--data-dir", t.TempDir(), "--join-token", "t"}
	c, err := parseRun(base, env(map[string]string{"HEARTH_AGENT_SECRETS_DIR": "/dev/shm"}))
	if err != nil || c.SecretsDir != "/dev/shm" {
		t.Fatalf("config %+v, %v", c, err)
	}
	if _, err := parseRun(append(base, "--secrets-dir", "shm"), env(nil)); err == nil || !strings.Contains(err.Error(), `--secrets-dir "shm": want an absolute path`) {
		t.Errorf("a relative directory: %v", err)
	}
	if _, err := parseRun(append(base, "--secrets-dir", "/dev/shm", "--runner", "kubernetes", "--kube-helper-image", "h:1"), env(nil)); err == nil || !strings.Contains(err.Error(), "--secrets-dir: only the process runner") {
		t.Errorf("with the kubernetes runner: %v", err)
	}
}
