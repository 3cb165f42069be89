package e2e

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
)

// countingJob prints "line 1" … "line n", pausing between lines.
func countingJob(n int, pause string) string {
	return fmt.Sprintf(`jobs:
  count:
    steps:
      - for i in $(seq 1 %d); do echo "line $i"; sleep %s; done
`, n, pause)
}

var countedLine = regexp.MustCompile(`(?m)^line (\d+)$`)

// checkCounted fails unless the log holds "line 1" … "line n" each exactly
// once and in order (every byte once: nothing lost, nothing doubled).
func checkCounted(t *testing.T, log []byte, n int) {
	t.Helper()
	matches := countedLine.FindAllSubmatch(log, -1)
	if len(matches) != n {
		t.Fatalf("log has %d counted lines, want %d:\n%s", len(matches), n, tail(log))
	}
	for i, m := range matches {
		if got, _ := strconv.Atoi(string(m[1])); got != i+1 {
			t.Fatalf("line %d of the log is %q, want %d (lost or repeated output):\n%s", i+1, m[0], i+1, tail(log))
		}
	}
}

func tail(b []byte) []byte {
	if len(b) > 2000 {
		return b[len(b)-2000:]
	}
	return b
}

func waitForLine(t *testing.T, w *world, sha, line string) *hearthv1.Pipeline {
	t.Helper()
	p := w.waitPipeline(t, time.Minute, func(p *hearthv1.Pipeline) bool {
		return p.GetCommitSha() == sha && jobNamed(t, p, "count").GetState() == hearthv1.PipelineState_PIPELINE_STATE_RUNNING
	})
	job := jobNamed(t, p, "count")
	waitFor(t, 30*time.Second, "log line "+line, func() bool { return bytes.Contains(w.rawLog(t, job.GetId()), []byte(line+"\n")) })
	return p
}

func waitSuccess(t *testing.T, w *world, id string, timeout time.Duration) *hearthv1.Job {
	t.Helper()
	p := w.waitPipeline(t, timeout, func(p *hearthv1.Pipeline) bool { return p.GetId() == id && finished(p) })
	job := jobNamed(t, p, "count")
	if p.GetState() != hearthv1.PipelineState_PIPELINE_STATE_SUCCESS {
		t.Fatalf("pipeline %s; job %s attempt %d: %s", state(p.GetState()), state(job.GetState()), job.GetAttempt(), job.GetMessage())
	}
	return job
}

// TestAgentKilledMidJobAndRestarted: kill -9 of the agent does not kill the
// job; the restarted agent resumes it, and the stored log holds every
// line exactly once.
func TestAgentKilledMidJobAndRestarted(t *testing.T) {
	w := newWorld(t)
	agent := w.startAgent(t, 2)
	sha := w.push(t, "main", map[string]string{".hearth.yml": countingJob(60, "0.05")})
	p := waitForLine(t, w, sha, "line 5")

	agent.kill9()
	time.Sleep(500 * time.Millisecond) // the fault itself: the agent stays dead while the job writes on
	agent.restart()

	job := waitSuccess(t, w, p.GetId(), 2*time.Minute)
	if job.GetAttempt() != 1 {
		t.Fatalf("the job ran again (attempt %d) instead of being resumed", job.GetAttempt())
	}
	checkCounted(t, w.rawLog(t, job.GetId()), 60)
}

// TestConnectionCutWhileLoggingFast: the agent's connection is cut again
// and again while a job writes output as fast as it can; the log is whole.
func TestConnectionCutWhileLoggingFast(t *testing.T) {
	w := newWorld(t)
	w.startAgent(t, 2)
	const n = 200000 // ~1.6 MB
	sha := w.push(t, "main", map[string]string{".hearth.yml": fmt.Sprintf(`jobs:
  count:
    steps:
      - for i in $(seq 1 5); do echo "warm-up $i"; sleep 0.1; done
      - seq 1 %d | sed 's/^/line /'
`, n)})
	p := waitForLine(t, w, sha, "warm-up 1")
	for range 5 {
		w.proxy.Cut()
		time.Sleep(150 * time.Millisecond) // the fault itself: cuts spaced while output flows
	}
	job := waitSuccess(t, w, p.GetId(), 2*time.Minute)
	checkCounted(t, w.rawLog(t, job.GetId()), n)
}

// TestControlPlaneRestartedMidJob: the control plane stops while a job runs
// and another replica takes over the same state; the agent reconnects,
// re-announces the job and resends what was not acknowledged.
func TestControlPlaneRestartedMidJob(t *testing.T) {
	w := newWorld(t)
	w.startAgent(t, 2)
	sha := w.push(t, "main", map[string]string{".hearth.yml": countingJob(60, "0.05")})
	p := waitForLine(t, w, sha, "line 5")

	w.restart(t)

	job := waitSuccess(t, w, p.GetId(), 2*time.Minute)
	if job.GetAttempt() != 1 {
		t.Fatalf("the job ran again (attempt %d) instead of being kept", job.GetAttempt())
	}
	checkCounted(t, w.rawLog(t, job.GetId()), 60)
}
