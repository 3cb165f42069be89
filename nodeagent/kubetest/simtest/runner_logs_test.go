package simtest

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/hearth-dev/hearth/nodeagent/kubetest"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

// breakLogs calls BreakLogStreams every 50 to 120 ms until the test ends
// and returns how many streams it broke so far.
func breakLogs(t *testing.T, node *kubetest.SimNode) func() int64 {
	var broken atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(time.Duration(50+i%8*10) * time.Millisecond):
				broken.Add(int64(node.BreakLogStreams()))
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-done })
	return broken.Load
}

// TestRunnerLogCompleteDespiteCuts: a log read cut short ends as cleanly
// as a whole one through the API server (it ignores the error of its copy
// from the node), the last read of a terminated container's log too; the
// runner reads until a read confirms the end, so every line reaches the
// step log, once.
//
// The cuts hit reads without follow, which happen when the follower first
// looks after the container ended; on a loaded machine it may catch the
// container running and follow it instead. Every attempt must deliver the
// whole log; attempts go on (up to five) until one was cut three times.
func TestRunnerLogCompleteDespiteCuts(t *testing.T) {
	for attempt := 1; ; attempt++ {
		if cuts := runCutJob(t, fmt.Sprintf("job-cuts-%d", attempt)); cuts >= 3 || t.Failed() {
			return
		} else if attempt == 5 {
			t.Fatalf("only %d reads without follow in the last of %d attempts: the cuts proved nothing", cuts, attempt)
		}
	}
}

// runCutJob runs a job of about a megabyte of log whose first three reads
// without follow break after 64 KiB, checks every line reached its step
// log once, and returns how many reads without follow there were.
func runCutJob(t *testing.T, name string) int64 {
	t.Helper()
	var cuts atomic.Int64
	r := newRunner(t, kubetest.SimOptions{
		LogCut: func(_ *corev1.Pod, container string, follow bool) int64 {
			if container == "job" && !follow && cuts.Add(1) <= 3 {
				return 64 << 10
			}
			return 0
		},
	})
	job, _, _ := repoJob(t, name, "seq 1 20000", "seq 1 5000")
	h, dir := start(t, r, job)
	res := wait(t, h)
	if res.State != agentv1.JobState_JOB_STATE_SUCCESS {
		t.Fatalf("result %+v", res)
	}
	for step, n := range map[uint32]int{1: 20000, 2: 5000} {
		var want strings.Builder
		for i := 1; i <= n; i++ {
			fmt.Fprintf(&want, "%d\n", i)
		}
		if got := stepLog(t, dir, step); got != want.String() {
			t.Errorf("step %d log: %d bytes, want %d", step, len(got), want.Len())
		}
	}
	return cuts.Load()
}

// TestRunnerSurvivesBrokenLogStreams: log connections dropped again and
// again while the steps print are reopened from the cursor, and every
// line reaches its step log exactly once.
func TestRunnerSurvivesBrokenLogStreams(t *testing.T) {
	r := newRunner(t, kubetest.SimOptions{})
	const lines = 150
	script := func(step int) string {
		return fmt.Sprintf(`i=1; while [ $i -le %d ]; do echo "step %d line $i"; i=$((i+1)); sleep 0.01; done`, lines, step)
	}
	job, _, _ := repoJob(t, "job-breaks", script(1), script(2))
	h, dir := start(t, r, job)
	broken := breakLogs(t, r.node)
	res := wait(t, h)
	if res.State != agentv1.JobState_JOB_STATE_SUCCESS {
		t.Fatalf("result %+v", res)
	}
	for step := 1; step <= 2; step++ {
		var want strings.Builder
		for i := 1; i <= lines; i++ {
			fmt.Fprintf(&want, "step %d line %d\n", step, i)
		}
		if got := stepLog(t, dir, uint32(step)); got != want.String() {
			t.Errorf("step %d log differs from what it printed (%d bytes, want %d):\n%s", step, len(got), want.Len(), got)
		}
	}
	if broken() < 5 {
		t.Errorf("only %d streams were broken: the test proved little", broken())
	}
	t.Logf("%d log streams broken", broken())
}

// TestRunnerWaitsForTheContainersEnd: when the node reports a container's
// end some time after its log is complete, as a kubelet does, the runner
// waits for the report instead of reading the log again in a loop.
func TestRunnerWaitsForTheContainersEnd(t *testing.T) {
	r := newRunner(t, kubetest.SimOptions{ReportLag: 700 * time.Millisecond})
	job, _, _ := repoJob(t, "job-lag", "echo one", "echo two")
	h, dir := start(t, r, job)
	if res := wait(t, h); res.State != agentv1.JobState_JOB_STATE_SUCCESS {
		t.Fatalf("result %+v", res)
	}
	if got := stepLog(t, dir, 1) + stepLog(t, dir, 2); got != "one\ntwo\n" {
		t.Errorf("step logs %q", got)
	}
	// Two containers: a follow, and a read or two confirming the log, each.
	t.Logf("%d log requests", r.node.LogRequests())
	if n := r.node.LogRequests(); n > 12 {
		t.Errorf("%d log requests for two containers", n)
	}
}
