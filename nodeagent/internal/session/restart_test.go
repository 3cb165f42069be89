package session

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearth-dev/hearth/nodeagent/internal/gatewaytest"
	"github.com/hearth-dev/hearth/nodeagent/internal/runner/fake"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

// An agent stopped while a job runs leaves it to the next agent on the same
// data directory, which announces it in Hello, resumes it and delivers the
// rest of its log, every byte once.
func TestRestartResumesRunningJobs(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	dir := t.TempDir()
	a := startAgent(t, gw, dir)
	waitConnects(t, gw, 1)
	gw.RunJob(newRunJob("job-r", "echo first\ngate resume\necho second"))
	waitState(t, gw, "job-r", agentv1.JobState_JOB_STATE_RUNNING)
	gw.Wait(t, waitFor, "the first line stored", func() bool { return string(gw.Log("job-r", 1)) == "first\n" })
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}

	b := startAgent(t, gw, dir)
	waitConnects(t, gw, 2)
	h := gw.Hellos()
	if got := h[len(h)-1].GetRunningJobIds(); !slices.Equal(got, []string{"job-r"}) {
		t.Fatalf("Hello after restart announces %v", got)
	}
	if got := b.runner.Resumed(); !slices.Equal(got, []string{"job-r"}) {
		t.Fatalf("resumed %v", got)
	}
	b.runner.OpenGate("resume")
	waitState(t, gw, "job-r", agentv1.JobState_JOB_STATE_SUCCESS)
	checkLog(t, gw, "job-r", 1, []byte("first\nsecond\n"))
	waitGone(t, gw, dir, "job-r")
	noViolations(t, gw)
}

// A job whose final status was decided but not acknowledged before the
// agent stopped is not run again: its status is resent.
func TestRestartResendsUnacknowledgedFinalStatus(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	gw.SetAckStatuses(false)
	dir := t.TempDir()
	a := startAgent(t, gw, dir)
	waitConnects(t, gw, 1)
	gw.RunJob(newRunJob("job-f", "echo done"))
	first := waitState(t, gw, "job-f", agentv1.JobState_JOB_STATE_SUCCESS)
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, JobsDir, "job-f", statusFile)); err != nil {
		t.Fatalf("no status on disk: %v", err)
	}
	n := len(gw.Statuses("job-f"))
	gw.SetAckStatuses(true)

	b := startAgent(t, gw, dir)
	waitConnects(t, gw, 2)
	waitGone(t, gw, dir, "job-f")
	sts := gw.Statuses("job-f")
	if len(sts) <= n {
		t.Fatal("the final status was not resent after the restart")
	}
	if last := sts[len(sts)-1]; !slices.Equal(last.GetLogLengths(), first.GetLogLengths()) || last.GetState() != first.GetState() {
		t.Fatalf("resent %v, first %v", last, first)
	}
	if got := b.runner.Resumed(); len(got) != 0 {
		t.Fatalf("a decided job was resumed: %v", got)
	}
	noViolations(t, gw)
}

// A directory without a recorded job (the agent died between mkdir and
// job.json) is removed, so the control plane's resend of the RunJob runs.
func TestRestartRemovesUnrecordedJobDirectories(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, JobsDir, "job-half"), 0o700); err != nil {
		t.Fatal(err)
	}
	startAgent(t, gw, dir)
	waitConnects(t, gw, 1)
	if h := gw.Hellos(); len(h[0].GetRunningJobIds()) != 0 {
		t.Fatalf("Hello announces %v", h[0].GetRunningJobIds())
	}
	gw.RunJob(newRunJob("job-half", "echo x"))
	waitState(t, gw, "job-half", agentv1.JobState_JOB_STATE_SUCCESS)
}

func TestRestartWhereResumeFailsFailsTheJob(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	dir := t.TempDir()
	a := startAgent(t, gw, dir)
	waitConnects(t, gw, 1)
	gw.RunJob(newRunJob("job-rf", "echo x\nhang"))
	waitState(t, gw, "job-rf", agentv1.JobState_JOB_STATE_RUNNING)
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	startAgent(t, gw, dir, func(d *Deps) {
		d.Runner = fake.New(fake.Options{StartError: func(*agentv1.RunJob) error { return errors.New("no such pod") }})
	})
	st := waitState(t, gw, "job-rf", agentv1.JobState_JOB_STATE_FAILURE)
	if !strings.Contains(st.GetMessage(), "resuming the job after an agent restart failed") {
		t.Fatalf("status %v", st)
	}
	if !strings.Contains(string(gw.Log("job-rf", 0)), "hearth: resuming the job") {
		t.Fatalf("step 0 log %q", gw.Log("job-rf", 0))
	}
	waitGone(t, gw, dir, "job-rf")
	noViolations(t, gw)
}

func TestNewRejectsBadDeps(t *testing.T) {
	ok := Deps{Server: "http://127.0.0.1:1", DataDir: t.TempDir(), Runner: fake.New(fake.Options{})}
	for name, mod := range map[string]func(*Deps){
		"url":      func(d *Deps) { d.Server = "127.0.0.1:1" },
		"scheme":   func(d *Deps) { d.Server = "ftp://x" },
		"data dir": func(d *Deps) { d.DataDir = "" },
		"runner":   func(d *Deps) { d.Runner = nil },
		"capacity": func(d *Deps) { d.Capacity = 1001 },
		"log size": func(d *Deps) { d.MaxJobLogBytes = -1 },
		"rotation": func(d *Deps) { d.RotateEvery = -time.Second },
	} {
		d := ok
		mod(&d)
		if _, err := New(d); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := New(ok); err != nil {
		t.Fatal(err)
	}
}
