package e2e

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
)

const dagPipeline = `jobs:
  build:
    steps:
      - echo building
      - printf '\033[32mgreen\033[0m\n'
  test:
    needs: [build]
    steps:
      - for i in 1 2 3 4 5; do echo "test line $i"; sleep 0.2; done
  deploy:
    needs: [test]
    steps:
      - echo deploying
`

func state(s hearthv1.PipelineState) string { return s.String() }

// TestPushRunsAThreeJobDAGInOrder: a push runs build → test → deploy on a
// real agent, in dependency order; the log streams live before the job
// ends, keeps ANSI colours, and the commit gets a success status.
func TestPushRunsAThreeJobDAGInOrder(t *testing.T) {
	w := newWorld(t)
	w.startAgent(t, 4)
	sha := w.push(t, "main", map[string]string{".hearth.yml": dagPipeline})

	// Follow the test job's log live while it runs.
	running := w.waitPipeline(t, time.Minute, func(p *hearthv1.Pipeline) bool {
		return p.GetCommitSha() == sha && jobNamed(t, p, "test").GetState() == hearthv1.PipelineState_PIPELINE_STATE_RUNNING
	})
	testJob := jobNamed(t, running, "test")
	stream, err := w.pipelines().FollowJobLog(t.Context(), &hearthv1.FollowJobLogRequest{JobId: testJob.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	var followed bytes.Buffer
	var firstLineAt time.Time
	var final hearthv1.PipelineState
	for stream.Receive() {
		if bytes.Contains(stream.Msg().GetData(), []byte("test line 1")) && firstLineAt.IsZero() {
			firstLineAt = time.Now()
		}
		followed.Write(stream.Msg().GetData())
		if s := stream.Msg().GetFinalState(); s != hearthv1.PipelineState_PIPELINE_STATE_UNSPECIFIED {
			final = s
			break
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("follow: %v", err)
	}
	_ = stream.Close()
	if final != hearthv1.PipelineState_PIPELINE_STATE_SUCCESS {
		t.Fatalf("followed job ended %s", state(final))
	}

	p := w.waitPipeline(t, time.Minute, func(p *hearthv1.Pipeline) bool { return p.GetCommitSha() == sha && finished(p) })
	if p.GetState() != hearthv1.PipelineState_PIPELINE_STATE_SUCCESS || p.GetEvent() != "push" || p.GetRef() != "refs/heads/main" {
		t.Fatalf("pipeline %s, event %q, ref %q (error %q)", state(p.GetState()), p.GetEvent(), p.GetRef(), p.GetError())
	}
	build, test, deploy := jobNamed(t, p, "build"), jobNamed(t, p, "test"), jobNamed(t, p, "deploy")
	for _, j := range []*hearthv1.Job{build, test, deploy} {
		if j.GetState() != hearthv1.PipelineState_PIPELINE_STATE_SUCCESS {
			t.Fatalf("job %s: %s (%s)", j.GetName(), state(j.GetState()), j.GetMessage())
		}
	}
	if test.GetStartTime().AsTime().Before(build.GetFinishTime().AsTime()) || deploy.GetStartTime().AsTime().Before(test.GetFinishTime().AsTime()) {
		t.Fatalf("jobs ran out of order: build %v-%v, test %v-%v, deploy %v",
			build.GetStartTime().AsTime(), build.GetFinishTime().AsTime(), test.GetStartTime().AsTime(), test.GetFinishTime().AsTime(), deploy.GetStartTime().AsTime())
	}
	// Live: the first line arrived while the job was still running.
	if firstLineAt.IsZero() || !firstLineAt.Before(test.GetFinishTime().AsTime()) {
		t.Fatalf("the first log line arrived at %v, the job finished at %v: not live", firstLineAt, test.GetFinishTime().AsTime())
	}
	if got := w.rawLog(t, test.GetId()); !bytes.Equal(got, followed.Bytes()) {
		t.Fatalf("followed log differs from the stored one:\nfollowed %q\nstored   %q", followed.Bytes(), got)
	}
	buildLog := w.rawLog(t, build.GetId())
	if !bytes.Contains(buildLog, []byte("building\n")) || !bytes.Contains(buildLog, []byte("\x1b[32mgreen\x1b[0m\n")) {
		t.Fatalf("build log lost text or colours: %q", buildLog)
	}

	statuses, err := w.pipelines().ListCommitStatuses(t.Context(), &hearthv1.ListCommitStatusesRequest{Owner: w.owner, Name: w.project, Sha: sha})
	if err != nil {
		t.Fatal(err)
	}
	if len(statuses.GetStatuses()) != 1 || statuses.GetStatuses()[0].GetState() != hearthv1.CommitStatusState_COMMIT_STATUS_STATE_SUCCESS ||
		statuses.GetStatuses()[0].GetPipelineId() != p.GetId() {
		t.Fatalf("commit statuses: %v", statuses.GetStatuses())
	}
}

// TestFailingStepFailsItsJobAndSkipsDependants: the failing step ends the
// job (later steps do not run), its dependants are skipped, the pipeline
// fails.
func TestFailingStepFailsItsJobAndSkipsDependants(t *testing.T) {
	w := newWorld(t)
	w.startAgent(t, 2)
	sha := w.push(t, "main", map[string]string{".hearth.yml": `jobs:
  build:
    steps:
      - echo before
      - exit 3
      - echo after
  test:
    needs: [build]
    steps:
      - echo never
  deploy:
    needs: [test]
    steps:
      - echo never
  lint:
    steps:
      - echo independent
`})
	p := w.waitPipeline(t, time.Minute, func(p *hearthv1.Pipeline) bool { return p.GetCommitSha() == sha && finished(p) })
	if p.GetState() != hearthv1.PipelineState_PIPELINE_STATE_FAILURE {
		t.Fatalf("pipeline %s", state(p.GetState()))
	}
	build := jobNamed(t, p, "build")
	if build.GetState() != hearthv1.PipelineState_PIPELINE_STATE_FAILURE || build.GetExitCode() != 3 {
		t.Fatalf("build %s exit %d (%s)", state(build.GetState()), build.GetExitCode(), build.GetMessage())
	}
	for _, name := range []string{"test", "deploy"} {
		if j := jobNamed(t, p, name); j.GetState() != hearthv1.PipelineState_PIPELINE_STATE_SKIPPED {
			t.Fatalf("%s: %s, want skipped", name, state(j.GetState()))
		}
	}
	if j := jobNamed(t, p, "lint"); j.GetState() != hearthv1.PipelineState_PIPELINE_STATE_SUCCESS {
		t.Fatalf("lint: %s", state(j.GetState()))
	}
	log := w.rawLog(t, build.GetId())
	if !bytes.Contains(log, []byte("before\n")) || bytes.Contains(log, []byte("after\n")) {
		t.Fatalf("build log: %q", log)
	}
}

// TestCancelStopsARunningStepWithinTwoSeconds: cancelling a pipeline kills
// the running step's processes on the agent within 2 s.
func TestCancelStopsARunningStepWithinTwoSeconds(t *testing.T) {
	w := newWorld(t)
	w.startAgent(t, 2)
	pidFile := filepath.Join(t.TempDir(), "pid")
	sha := w.push(t, "main", map[string]string{".hearth.yml": `jobs:
  slow:
    steps:
      - sleep 60 & echo $! > ` + pidFile + `; echo started; wait
`})
	p := w.waitPipeline(t, time.Minute, func(p *hearthv1.Pipeline) bool {
		return p.GetCommitSha() == sha && jobNamed(t, p, "slow").GetState() == hearthv1.PipelineState_PIPELINE_STATE_RUNNING
	})
	slow := jobNamed(t, p, "slow")
	waitFor(t, 30*time.Second, "the step to start", func() bool { return bytes.Contains(w.rawLog(t, slow.GetId()), []byte("started")) })
	raw, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatal(err)
	}

	cancelledAt := time.Now()
	if _, err := w.pipelines().CancelPipeline(t.Context(), &hearthv1.CancelPipelineRequest{Id: p.GetId()}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Second, "the step's sleep to be killed", func() bool {
		return !alive(pid)
	})
	t.Logf("step killed %s after the cancel", time.Since(cancelledAt))
	p = w.waitPipeline(t, 30*time.Second, func(q *hearthv1.Pipeline) bool { return q.GetId() == p.GetId() && finished(q) })
	if p.GetState() != hearthv1.PipelineState_PIPELINE_STATE_CANCELLED || jobNamed(t, p, "slow").GetState() != hearthv1.PipelineState_PIPELINE_STATE_CANCELLED {
		t.Fatalf("pipeline %s, job %s", state(p.GetState()), state(jobNamed(t, p, "slow").GetState()))
	}
}

// alive reports a process that exists and is not a zombie (a killed
// process whose parent died is reaped by whoever PID 1 is, maybe late).
func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) && !errors.Is(err, os.ErrNotExist)
	}
	// "pid (comm) S ...": the state follows the last ')'.
	rest := stat[bytes.LastIndexByte(stat, ')')+1:]
	fields := strings.Fields(string(rest))
	return len(fields) > 0 && fields[0] != "Z" && fields[0] != "X"
}
