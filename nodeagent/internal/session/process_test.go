package session

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hearth-dev/hearth/nodeagent/internal/gatewaytest"
	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
	"github.com/hearth-dev/hearth/nodeagent/internal/runner/process"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

func processRunner(t *testing.T) option {
	r, err := process.New(process.Options{Logger: testLogger(t), KillGrace: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return func(d *Deps) { d.Runner = r }
}

// With the process runner, a job outlives the agent that started it: the
// next agent resumes it and delivers its whole log.
func TestProcessJobSurvivesAgentRestart(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	dir := t.TempDir()
	gate := filepath.Join(t.TempDir(), "gate")
	a := startAgent(t, gw, dir, processRunner(t))
	waitConnects(t, gw, 1)
	script := "echo before\nwhile [ ! -e " + gate + " ]; do sleep 0.02; done\necho after"
	gw.RunJob(newRunJob("job-p", script))
	waitState(t, gw, "job-p", agentv1.JobState_JOB_STATE_RUNNING)
	gw.Wait(t, waitFor, "the first line", func() bool { return string(gw.Log("job-p", 1)) == "before\n" })
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(gate, nil, 0o600); err != nil { // the job goes on while no agent runs
		t.Fatal(err)
	}
	startAgent(t, gw, dir, processRunner(t))
	st := waitState(t, gw, "job-p", agentv1.JobState_JOB_STATE_SUCCESS)
	checkLog(t, gw, "job-p", 1, []byte("before\nafter\n"))
	if st.GetLogLengths()[1] != uint64(len("before\nafter\n")) {
		t.Fatalf("log_lengths %v", st.GetLogLengths())
	}
	waitGone(t, gw, dir, "job-p")
	noViolations(t, gw)
}

// timedRunner writes one line to step 0's log every interval and records
// when, so a test can measure how long a line takes to reach the control
// plane.
type timedRunner struct {
	lines    int
	interval time.Duration
	mu       sync.Mutex
	written  []time.Time
}

func (r *timedRunner) Kind() string { return "fake" }

func (r *timedRunner) Resume(ctx context.Context, job *agentv1.RunJob, dir string) (runner.Handle, error) {
	return r.Start(ctx, job, dir)
}

func (r *timedRunner) Start(_ context.Context, _ *agentv1.RunJob, dir string) (runner.Handle, error) {
	if err := os.MkdirAll(filepath.Join(dir, runner.LogsDir), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(runner.LogPath(dir, 0), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	h := &doneHandle{done: make(chan struct{})}
	go func() {
		defer close(h.done)
		defer f.Close()
		tick := time.NewTicker(r.interval)
		defer tick.Stop()
		for i := range r.lines {
			<-tick.C
			r.mu.Lock()
			r.written = append(r.written, time.Now())
			r.mu.Unlock()
			_, _ = f.WriteString("line " + strconv.Itoa(i) + "\n")
		}
		h.res = runner.Result{State: agentv1.JobState_JOB_STATE_SUCCESS}
		_ = runner.WriteResult(dir, h.res)
	}()
	return h, nil
}

type doneHandle struct {
	done chan struct{}
	res  runner.Result
}

func (h *doneHandle) Done() <-chan struct{} { return h.done }
func (h *doneHandle) Result() runner.Result { <-h.done; return h.res }
func (h *doneHandle) Cancel(string)         {}

// The live tail goal: a line written by a job reaches the control plane
// within 250ms (p99).
func TestLiveTailLatency(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	var (
		mu      sync.Mutex
		arrived = map[int]time.Time{}
	)
	gw.SetChunkHook(func(c *agentv1.LogChunk) gatewaytest.ChunkAction {
		now := time.Now()
		mu.Lock()
		defer mu.Unlock()
		for _, line := range strings.Split(strings.TrimSuffix(string(c.GetData()), "\n"), "\n") {
			if n, err := strconv.Atoi(strings.TrimPrefix(line, "line ")); err == nil {
				arrived[n] = now
			}
		}
		return gatewaytest.Store
	})
	tr := &timedRunner{lines: 100, interval: 10 * time.Millisecond}
	startAgent(t, gw, t.TempDir(), func(d *Deps) { d.Runner = tr })
	waitConnects(t, gw, 1)
	gw.RunJob(newRunJob("job-tail"))
	waitState(t, gw, "job-tail", agentv1.JobState_JOB_STATE_SUCCESS)
	mu.Lock()
	defer mu.Unlock()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	lat := make([]time.Duration, 0, len(tr.written))
	for i, w := range tr.written {
		a, ok := arrived[i]
		if !ok {
			t.Fatalf("line %d never arrived", i)
		}
		lat = append(lat, a.Sub(w))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p99 := lat[len(lat)*99/100-1]
	t.Logf("live tail latency: p50 %v, p99 %v, max %v", lat[len(lat)/2], p99, lat[len(lat)-1])
	if p99 > 250*time.Millisecond {
		t.Fatalf("p99 %v > 250ms", p99)
	}
	if !slices.IsSortedFunc(tr.written, func(a, b time.Time) int { return a.Compare(b) }) {
		t.Fatal("clock went backwards")
	}
}
