package session

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/nodeagent/internal/gatewaytest"
	"github.com/hearth-dev/hearth/nodeagent/internal/runner/fake"
	"github.com/hearth-dev/hearth/shared/backoff"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

const waitFor = 20 * time.Second

// testLogger writes to the test's log, so a failing test shows what the
// agent did.
func testLogger(t *testing.T) zerolog.Logger {
	return zerolog.New(zerolog.ConsoleWriter{Out: testWriter{t}, NoColor: true}).Level(zerolog.DebugLevel).With().Timestamp().Logger()
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// fastTuning keeps tests quick: short backoff, short resend.
func fastTuning() Tuning {
	return Tuning{
		Backoff:     backoff.Policy{Min: time.Millisecond, Max: 20 * time.Millisecond},
		ResendAfter: 300 * time.Millisecond,
		AckedFlush:  10 * time.Millisecond,
	}
}

// agent is a Session under test.
type agent struct {
	t      *testing.T
	s      *Session
	runner *fake.Runner
	dir    string
	cancel context.CancelFunc
	errc   chan error
}

type option func(*Deps)

// startAgent runs a Session against gw on dataDir with a fake runner.
func startAgent(t *testing.T, gw *gatewaytest.Server, dataDir string, opts ...option) *agent {
	t.Helper()
	r := fake.New(fake.Options{})
	d := Deps{
		Server: gw.URL, DataDir: dataDir, JoinToken: gatewaytest.JoinToken, Name: "test-agent",
		Labels: map[string]string{"os": "linux"}, Capacity: 4, Runner: r,
		Logger: testLogger(t), Tuning: fastTuning(),
	}
	for _, o := range opts {
		o(&d)
	}
	s, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a := &agent{t: t, s: s, runner: r, dir: dataDir, cancel: cancel, errc: make(chan error, 1)}
	go func() { a.errc <- s.Run(ctx) }()
	t.Cleanup(func() { _ = a.stop() })
	return a
}

// stop ends Run and returns its error.
func (a *agent) stop() error {
	a.t.Helper()
	a.cancel()
	return a.wait()
}

// wait returns Run's error once it returned.
func (a *agent) wait() error {
	a.t.Helper()
	select {
	case err, ok := <-a.errc:
		if !ok {
			return nil
		}
		close(a.errc)
		return err
	case <-time.After(waitFor):
		a.t.Fatal("Run did not return")
		return nil
	}
}

func newRunJob(id string, scripts ...string) *agentv1.RunJob {
	j := &agentv1.RunJob{JobId: id, PipelineId: "p-1", Project: "o/p", Name: "build", CommitSha: "abc", Ref: "refs/heads/main", CloneToken: "secret-token"}
	for _, s := range scripts {
		j.Steps = append(j.Steps, &agentv1.Step{Name: "s", Script: s})
	}
	return j
}

// checkoutLog is what the fake runner writes for step 0 of job().
const checkoutLog = "no clone URL: checkout skipped\n"

func waitConnects(t *testing.T, gw *gatewaytest.Server, n int) {
	t.Helper()
	gw.Wait(t, waitFor, "agent streams", func() bool { return gw.Stats().Connects >= n && gw.Stats().OpenStreams > 0 })
}

func waitState(t *testing.T, gw *gatewaytest.Server, id string, state agentv1.JobState) *agentv1.JobStatus {
	t.Helper()
	var st *agentv1.JobStatus
	gw.Wait(t, waitFor, "job "+id+" "+state.String(), func() bool {
		st = gw.LastStatus(id)
		return st != nil && st.GetState() == state
	})
	return st
}

func waitGone(t *testing.T, gw *gatewaytest.Server, dataDir, id string) {
	t.Helper()
	gw.Wait(t, waitFor, "job directory removed", func() bool {
		_, err := os.Stat(filepath.Join(dataDir, JobsDir, id))
		return os.IsNotExist(err)
	})
}

func noViolations(t *testing.T, gw *gatewaytest.Server) {
	t.Helper()
	if v := gw.Violations(); len(v) > 0 {
		t.Fatalf("protocol violations:\n%s", v)
	}
}

func checkLog(t *testing.T, gw *gatewaytest.Server, id string, step uint32, want []byte) {
	t.Helper()
	if got := gw.Log(id, step); !slices.Equal(got, want) {
		t.Fatalf("job %s step %d: stored %d bytes, want %d\n got: %.200q\nwant: %.200q", id, step, len(got), len(want), got, want)
	}
}
