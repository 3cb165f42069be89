package process_test

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
	"github.com/hearth-dev/hearth/nodeagent/internal/runner/process"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

const token = "hct_s3cr3t-clone-token"

func TestCheckoutStepsAndEnv(t *testing.T) {
	t.Setenv("HEARTH_AGENT_SECRET", "agent-only") // must not reach the job
	srv, url, sha := newRepo(t, token, map[string]string{"hello.txt": "hello from git\n"})
	job := newJob(
		"cat hello.txt\ngit rev-parse HEAD\nprintf '\\033[31mred\\033[0m\\r\\n'\necho to-stderr >&2",
		// Everything a step could read: its environment, every process's
		// environment and argv, the wrapper.
		"env | sort\ncat /proc/[0-9]*/environ /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' '\\n' || true\ncat ../process/wrapper.sh\ngit config --list || true\necho \"token var: ${__hearth_token:-unset}\"",
	)
	job.CloneUrl, job.CommitSha, job.CloneToken = url, sha, token
	job.Env = map[string]string{"QUOTED": "it's \"quoted\" $HOME `x`\nsecond line", "PATH": "/custom/bin:/usr/bin:/bin"}
	h, dir := start(t, newRunner(t, process.Options{}), job)
	res := waitDone(t, h, 60*time.Second)
	if want := (runner.Result{State: agentv1.JobState_JOB_STATE_SUCCESS, Step: 2}); res != want {
		t.Fatalf("result %+v, want %+v\nstep 0: %s", res, want, readLog(t, dir, 0))
	}
	log0 := readLog(t, dir, 0)
	if !strings.Contains(log0, "Checking out "+sha+" from "+url) || !strings.Contains(log0, "HEAD is now at") {
		t.Errorf("step 0 log:\n%s", log0)
	}
	if got, want := readLog(t, dir, 1), "hello from git\n"+sha+"\n\x1b[31mred\x1b[0m\r\nto-stderr\n"; got != want {
		t.Errorf("step 1 log %q, want %q (bytes verbatim)", got, want)
	}
	// The token reached the server as a header...
	sawToken := false
	for _, a := range srv.AuthHeaders() {
		sawToken = sawToken || a == "Bearer "+token
	}
	if !sawToken {
		t.Errorf("the server never saw the token; Authorization headers: %q", srv.AuthHeaders())
	}
	// ...and nowhere a step can look.
	log2 := readLog(t, dir, 2)
	for _, s := range []string{token, "agent-only", "GIT_CONFIG_VALUE_0=Authorization"} {
		if strings.Contains(log2, s) || strings.Contains(log0, s) {
			t.Errorf("a step could see %q", s)
		}
	}
	if n := strings.Count(log2, "HEARTH_JOB_ID=job-1\n"); n < 2 {
		t.Errorf("HEARTH_JOB_ID seen %d times: the /proc scan read nothing, the leak check proves nothing", n)
	}
	for _, want := range []string{
		"HEARTH_JOB_ID=job-1\n", "HEARTH_PIPELINE_ID=pipe-1\n", "HEARTH_PROJECT=owner/proj\n",
		"HEARTH_COMMIT_SHA=" + sha + "\n", "HEARTH_REF=refs/heads/main\n", "CI=true\n",
		"QUOTED=it's \"quoted\" $HOME `x`\nsecond line\n", "PATH=/custom/bin:/usr/bin:/bin\n", "LANG=", "HOME=",
		"token var: unset\n",
	} {
		if !strings.Contains(log2, want) {
			t.Errorf("step 2 output lacks %q", want)
		}
	}
}

func TestCheckoutRefusedToken(t *testing.T) {
	_, url, sha := newRepo(t, token, nil)
	job := newJob("echo never")
	job.CloneUrl, job.CommitSha, job.CloneToken = url, sha, "wrong-token"
	h, dir := start(t, newRunner(t, process.Options{}), job)
	res := waitDone(t, h, 60*time.Second)
	if res.State != agentv1.JobState_JOB_STATE_FAILURE || res.Step != 0 || res.ExitCode == 0 || res.Message != runner.ExitMessage(res.ExitCode) {
		t.Fatalf("result %+v", res)
	}
	if strings.Contains(readLog(t, dir, 0), "wrong-token") {
		t.Error("the token is in the checkout log")
	}
	if _, err := os.Stat(runner.LogPath(dir, 1)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("step 1 ran after a failed checkout: %v", err)
	}
}

func TestNoCloneURLSkipsCheckout(t *testing.T) {
	h, dir := start(t, newRunner(t, process.Options{}), newJob("pwd"))
	if res := waitDone(t, h, 30*time.Second); res.State != agentv1.JobState_JOB_STATE_SUCCESS {
		t.Fatalf("result %+v", res)
	}
	if got := readLog(t, dir, 0); got != "no clone URL: checkout skipped\n" {
		t.Errorf("step 0 log %q", got)
	}
	if got, want := readLog(t, dir, 1), filepath.Join(dir, runner.WorkspaceDir)+"\n"; got != want {
		t.Errorf("working directory %q, want %q", got, want)
	}
}

func TestFailingStepStopsJob(t *testing.T) {
	h, dir := start(t, newRunner(t, process.Options{}), newJob("echo one", "echo two\n(exit 7)\necho never", "echo three"))
	res := waitDone(t, h, 30*time.Second)
	want := runner.Result{State: agentv1.JobState_JOB_STATE_FAILURE, Step: 2, ExitCode: 7, Message: "exit status 7"}
	if res != want {
		t.Fatalf("result %+v, want %+v", res, want)
	}
	if got := readLog(t, dir, 2); got != "two\n" {
		t.Errorf("step 2 log %q", got)
	}
	if _, err := os.Stat(runner.LogPath(dir, 3)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("step 3 ran: %v", err)
	}
	onDisk, found, err := runner.ReadResult(dir)
	if err != nil || !found || onDisk != res {
		t.Errorf("result.json %+v %v %v", onDisk, found, err)
	}
}

func TestPipefail(t *testing.T) {
	h, dir := start(t, newRunner(t, process.Options{}), newJob("echo one\nfalse | true\necho never"))
	res := waitDone(t, h, 30*time.Second)
	if res.State != agentv1.JobState_JOB_STATE_FAILURE || res.ExitCode != 1 {
		t.Fatalf("result %+v", res)
	}
	if got := readLog(t, dir, 1); got != "one\n" {
		t.Errorf("log %q", got)
	}
}

func TestTimeout(t *testing.T) {
	job := newJob("echo quick", "printf 'started'\nsleep 60\necho never")
	job.Timeout = durationpb.New(time.Second)
	h, dir := start(t, newRunner(t, process.Options{}), job)
	res := waitDone(t, h, 10*time.Second)
	want := runner.Result{State: agentv1.JobState_JOB_STATE_TIMED_OUT, Step: 2, Message: "timed out after 1s"}
	if res != want {
		t.Fatalf("result %+v, want %+v", res, want)
	}
	if got := readLog(t, dir, 2); got != "started\nhearth: the job timed out after 1s\n" {
		t.Errorf("step 2 log %q", got)
	}
}

func TestCancelKillsGrandchildren(t *testing.T) {
	// The step's children and grandchildren (a subshell's sleeps) record
	// their pids; all must be gone within 2 s of Cancel.
	job := newJob("(sleep 60 & echo $! >> pids; sleep 60 & echo $! >> pids; wait) &\necho $! >> pids\nsleep 60 & echo $! >> pids\necho ready\nwait")
	h, dir := start(t, newRunner(t, process.Options{}), job)
	pidFile := filepath.Join(dir, runner.WorkspaceDir, "pids")
	waitFor(t, 10*time.Second, "step ready", func() bool {
		return logContains(dir, 1, "ready")() && len(readPidsQuiet(pidFile)) == 4
	})
	pids := readPids(t, pidFile)
	for _, pid := range pids {
		if !alive(pid) {
			t.Fatalf("pid %d not running before Cancel", pid)
		}
	}
	begin := time.Now()
	h.Cancel("cancelled by alice")
	res := waitDone(t, h, 2*time.Second)
	if d := time.Since(begin); d > 2*time.Second {
		t.Errorf("Cancel took %s", d)
	}
	want := runner.Result{State: agentv1.JobState_JOB_STATE_CANCELLED, Step: 1, Message: "cancelled by alice"}
	if res != want {
		t.Fatalf("result %+v, want %+v", res, want)
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("pid %d survived Cancel", pid)
		}
	}
	if got := readLog(t, dir, 1); got != "ready\nhearth: the job was cancelled: cancelled by alice\n" {
		t.Errorf("log %q", got)
	}
	h.Cancel("again") // idempotent
}

func readPidsQuiet(path string) []string {
	data, _ := os.ReadFile(path)
	return strings.Fields(string(data))
}

func TestCancelEscalatesToKill(t *testing.T) {
	job := newJob("trap '' TERM\nsleep 60 & echo $! > pid\necho ready\nwait")
	h, dir := start(t, newRunner(t, process.Options{KillGrace: 300 * time.Millisecond}), job)
	waitFor(t, 10*time.Second, "step ready", logContains(dir, 1, "ready"))
	pids := readPids(t, filepath.Join(dir, runner.WorkspaceDir, "pid"))
	begin := time.Now()
	h.Cancel("")
	res := waitDone(t, h, 5*time.Second)
	if d := time.Since(begin); d < 300*time.Millisecond {
		t.Errorf("done after %s, before the grace ended: TERM should have been ignored", d)
	}
	if res.State != agentv1.JobState_JOB_STATE_CANCELLED || res.Message != runner.MsgCancelled {
		t.Fatalf("result %+v", res)
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("pid %d survived SIGKILL", pid)
		}
	}
}

func TestBackgroundLeftoversEndWithJob(t *testing.T) {
	h, dir := start(t, newRunner(t, process.Options{}), newJob("sleep 60 >/dev/null 2>&1 & echo $! > pid"))
	if res := waitDone(t, h, 10*time.Second); res.State != agentv1.JobState_JOB_STATE_SUCCESS {
		t.Fatalf("result %+v", res)
	}
	for _, pid := range readPids(t, filepath.Join(dir, runner.WorkspaceDir, "pid")) {
		if alive(pid) {
			t.Errorf("background pid %d outlived the job", pid)
		}
	}
}

// TestKillAgentThenResume starts a job from a separate agent process,
// kills that process with SIGKILL mid-step, and resumes the job with a new
// Runner: the job went on meanwhile, finishes, and its log holds every
// line exactly once.
func TestKillAgentThenResume(t *testing.T) {
	job := newJob("for i in $(seq 1 40); do echo \"line $i\"; sleep 0.03; done", "echo second")
	job.ArtifactPaths = []string{"out.txt"}
	job.Steps[1].Script = "echo second\necho artifact > out.txt"
	job.Timeout = durationpb.New(time.Minute)
	dir := jobDir(t, job)

	agent := exec.Command(os.Args[0], "-test.run=^$")
	agent.Env = append(os.Environ(), agentDirEnv+"="+dir)
	out, err := agent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "started\n" {
		_ = agent.Process.Kill()
		_ = agent.Wait()
		t.Fatalf("agent said %q", line)
	}
	waitFor(t, 10*time.Second, "some output", logContains(dir, 1, "line 3\n"))
	if err := agent.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = agent.Wait()
	if logContains(dir, 1, "line 40\n")() {
		t.Fatal("the step finished before the agent was killed; the test proves nothing")
	}

	h, err := newRunner(t, process.Options{}).Resume(context.Background(), job, dir)
	if err != nil {
		t.Fatal(err)
	}
	res := waitDone(t, h, 30*time.Second)
	want := runner.Result{State: agentv1.JobState_JOB_STATE_SUCCESS, Step: 2, Artifacts: runner.ArtifactsFile}
	if res != want {
		t.Fatalf("result %+v, want %+v", res, want)
	}
	var b strings.Builder
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	if got := readLog(t, dir, 1); got != b.String() {
		t.Errorf("step 1 log %q, want every line exactly once", got)
	}
	if got := readLog(t, dir, 2); got != "second\n" {
		t.Errorf("step 2 log %q", got)
	}
	if got := tarList(t, filepath.Join(dir, runner.ArtifactsFile)); strings.Join(got, ",") != "out.txt=artifact\n" {
		t.Errorf("artifacts %q", got)
	}
}

func TestDetachThenResume(t *testing.T) {
	job := newJob("echo before\nwhile [ ! -e go ]; do sleep 0.02; done\necho after\nexit 3")
	r := newRunner(t, process.Options{})
	dir := jobDir(t, job)
	h, err := r.Start(context.Background(), job, dir)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "before", logContains(dir, 1, "before"))
	h.(runner.Detacher).Detach()
	select {
	case <-h.Done():
		t.Fatal("Done closed after Detach")
	default:
	}
	h2, err := newRunner(t, process.Options{}).Resume(context.Background(), job, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, runner.WorkspaceDir, "go"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	res := waitDone(t, h2, 10*time.Second)
	want := runner.Result{State: agentv1.JobState_JOB_STATE_FAILURE, Step: 1, ExitCode: 3, Message: "exit status 3"}
	if res != want {
		t.Fatalf("result %+v, want %+v", res, want)
	}
	if got := readLog(t, dir, 1); got != "before\nafter\n" {
		t.Errorf("log %q", got)
	}
	// Resuming a finished job returns its result at once.
	h3, err := r.Resume(context.Background(), job, dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := waitDone(t, h3, time.Second); got != res {
		t.Errorf("resumed finished job: %+v, want %+v", got, res)
	}
}

func TestResumeEnforcesDeadlineAndCancel(t *testing.T) {
	job := newJob("echo ready\nsleep 60")
	job.Timeout = durationpb.New(1500 * time.Millisecond)
	dir := jobDir(t, job)
	h, err := newRunner(t, process.Options{}).Start(context.Background(), job, dir)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "ready", logContains(dir, 1, "ready"))
	h.(runner.Detacher).Detach()
	h2, err := newRunner(t, process.Options{}).Resume(context.Background(), job, dir)
	if err != nil {
		t.Fatal(err)
	}
	res := waitDone(t, h2, 5*time.Second)
	if res.State != agentv1.JobState_JOB_STATE_TIMED_OUT || res.Message != "timed out after 1.5s" {
		t.Fatalf("result %+v", res)
	}

	job2 := newJob("sleep 60 & echo $! > pid\necho ready\nwait")
	job2.JobId = "job-2"
	dir2 := jobDir(t, job2)
	h, err = newRunner(t, process.Options{}).Start(context.Background(), job2, dir2)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "ready", logContains(dir2, 1, "ready"))
	h.(runner.Detacher).Detach()
	h2, err = newRunner(t, process.Options{}).Resume(context.Background(), job2, dir2)
	if err != nil {
		t.Fatal(err)
	}
	h2.Cancel("stop")
	if res := waitDone(t, h2, 2*time.Second); res.State != agentv1.JobState_JOB_STATE_CANCELLED {
		t.Fatalf("result %+v", res)
	}
	for _, pid := range readPids(t, filepath.Join(dir2, runner.WorkspaceDir, "pid")) {
		if alive(pid) {
			t.Errorf("pid %d survived Cancel after Resume", pid)
		}
	}
}

func TestResumeAfterJobEndedUnwatched(t *testing.T) {
	job := newJob("echo ok\nwhile [ ! -e go ]; do sleep 0.02; done", "echo done > result.txt")
	job.ArtifactPaths = []string{"result.txt"}
	dir := jobDir(t, job)
	h, err := newRunner(t, process.Options{}).Start(context.Background(), job, dir)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "ok", logContains(dir, 1, "ok"))
	h.(runner.Detacher).Detach()
	if err := os.WriteFile(filepath.Join(dir, runner.WorkspaceDir, "go"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the last exit file", func() bool {
		_, err := os.Stat(filepath.Join(dir, "process", "exit-2"))
		return err == nil
	})
	h2, err := newRunner(t, process.Options{}).Resume(context.Background(), job, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := runner.Result{State: agentv1.JobState_JOB_STATE_SUCCESS, Step: 2, Artifacts: runner.ArtifactsFile}
	if res := waitDone(t, h2, 10*time.Second); res != want {
		t.Fatalf("result %+v, want %+v", res, want)
	}
}

func TestResumeLostJob(t *testing.T) {
	job := newJob("echo ready\nsleep 60", "echo never")
	dir := jobDir(t, job)
	h, err := newRunner(t, process.Options{}).Start(context.Background(), job, dir)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "ready", logContains(dir, 1, "ready"))
	h.(runner.Detacher).Detach()
	// The job's processes die while no agent watches (a reboot, the OOM killer).
	data, err := os.ReadFile(filepath.Join(dir, "process", "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	if _, err := fmt.Sscanf(string(data), `{"pid":%d`, &pid); err != nil {
		t.Fatalf("meta.json %s: %v", data, err)
	}
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "wrapper gone", func() bool { return !alive(pid) })

	h2, err := newRunner(t, process.Options{}).Resume(context.Background(), job, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := runner.Result{State: agentv1.JobState_JOB_STATE_FAILURE, Step: 1, Message: runner.MsgLost}
	if res := waitDone(t, h2, 10*time.Second); res != want {
		t.Fatalf("result %+v, want %+v", res, want)
	}
	if got := readLog(t, dir, 1); got != "ready\nhearth: "+runner.MsgLost+"\n" {
		t.Errorf("log %q", got)
	}
}

func TestResumeNeverStarted(t *testing.T) {
	job := newJob("echo x")
	dir := jobDir(t, job)
	h, err := newRunner(t, process.Options{}).Resume(context.Background(), job, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := runner.Result{State: agentv1.JobState_JOB_STATE_FAILURE, Step: 0, Message: runner.MsgLost}
	if res := waitDone(t, h, 5*time.Second); res != want {
		t.Fatalf("result %+v, want %+v", res, want)
	}
}

func TestArtifacts(t *testing.T) {
	job := newJob(strings.Join([]string{
		"mkdir -p dist/sub logs",
		"echo a > dist/a.bin; echo b > dist/sub/b.bin; echo l > logs/x.log; echo l2 > logs/y.txt",
		"ln -s a.bin dist/inside-link",
		"ln -s /etc/passwd dist/escape-link",
		"ln -s /etc etcdir",
		"ln -s ../.. up",
		"echo -n 'partial'",
	}, "\n"))
	job.ArtifactPaths = []string{"dist", "logs/**/*.log", "/etc/passwd", "../job.json", "etcdir/passwd", "up/job.json", "nothing/*", "dist/a.bin"}
	h, dir := start(t, newRunner(t, process.Options{}), job)
	res := waitDone(t, h, 30*time.Second)
	if want := (runner.Result{State: agentv1.JobState_JOB_STATE_SUCCESS, Step: 1, Artifacts: runner.ArtifactsFile}); res != want {
		t.Fatalf("result %+v, want %+v", res, want)
	}
	got := tarList(t, filepath.Join(dir, runner.ArtifactsFile))
	want := []string{"dist/", "dist/a.bin=a\n", "dist/inside-link->a.bin", "dist/sub/", "dist/sub/b.bin=b\n", "logs/x.log=l\n"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("archive\n%q\nwant\n%q", got, want)
	}
	log := readLog(t, dir, 1)
	if !strings.HasPrefix(log, "partial\nhearth: artifacts: ") {
		t.Errorf("warnings should start on a line of their own: %q", log)
	}
	for _, w := range []string{
		`dist/escape-link skipped: symlink to "/etc/passwd" does not resolve inside the workspace`,
		`path "/etc/passwd" refused: absolute paths are not allowed`,
		`path "../job.json" refused: ".." is not allowed`,
		`path "etcdir/passwd" skipped`,
		`path "up/job.json" skipped`,
		`no file matches "nothing/*"`,
	} {
		if !strings.Contains(log, "hearth: artifacts: "+w) {
			t.Errorf("log lacks %q:\n%s", w, log)
		}
	}
}

func TestArtifactsNothingMatched(t *testing.T) {
	job := newJob("true")
	job.ArtifactPaths = []string{"missing"}
	h, dir := start(t, newRunner(t, process.Options{}), job)
	if res := waitDone(t, h, 30*time.Second); res.State != agentv1.JobState_JOB_STATE_SUCCESS || res.Artifacts != "" {
		t.Fatalf("result %+v", res)
	}
	if _, err := os.Stat(filepath.Join(dir, runner.ArtifactsFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("archive exists: %v", err)
	}
}

func TestStartRefusesBadInput(t *testing.T) {
	r := newRunner(t, process.Options{})
	for name, mutate := range map[string]func(*agentv1.RunJob){
		"bad env name":    func(j *agentv1.RunJob) { j.Env = map[string]string{"A-B": "x"} },
		"readonly env":    func(j *agentv1.RunJob) { j.Env = map[string]string{"UID": "0"} },
		"NUL in script":   func(j *agentv1.RunJob) { j.Steps[0].Script = "echo \x00" },
		"bad commit":      func(j *agentv1.RunJob) { j.CloneUrl, j.CommitSha = "http://x/y.git", "main" },
		"ssh url":         func(j *agentv1.RunJob) { j.CloneUrl = "ssh://x/y.git" },
		"option url":      func(j *agentv1.RunJob) { j.CloneUrl = "--upload-pack=touch /tmp/x" },
		"token linebreak": func(j *agentv1.RunJob) { j.CloneUrl, j.CloneToken = "http://x/y.git", "a\nb" },
		"bad job id":      func(j *agentv1.RunJob) { j.JobId = "../x" },
	} {
		job := newJob("echo x")
		dir := jobDir(t, job)
		mutate(job)
		if _, err := r.Start(context.Background(), job, dir); err == nil {
			t.Errorf("%s: accepted", name)
		}
		if _, err := os.Stat(filepath.Join(dir, "process")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: left files behind", name)
		}
	}
	if _, err := r.Start(context.Background(), newJob(), filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing directory accepted")
	}
	h, dir := start(t, r, newJob("true"))
	waitDone(t, h, 10*time.Second)
	if _, err := r.Start(context.Background(), newJob("true"), dir); err == nil {
		t.Error("second Start in the same directory accepted")
	}
}

func TestNewNeedsBinaries(t *testing.T) {
	if _, err := process.New(process.Options{GitBinary: "/nonexistent/git"}); err == nil || !strings.Contains(err.Error(), "apt-get install -y git") {
		t.Errorf("missing git: %v", err)
	}
	if _, err := process.New(process.Options{BashBinary: "no-such-bash-binary"}); err == nil || !strings.Contains(err.Error(), "apt-get install -y bash") {
		t.Errorf("missing bash: %v", err)
	}
	if got := newRunner(t, process.Options{}).Kind(); got != "process" {
		t.Errorf("Kind %q", got)
	}
}

// tarList lists an archive: "name", "name=content" or "name->target".
func tarList(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var out []string
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch hdr.Typeflag {
		case tar.TypeReg:
			data, _ := io.ReadAll(tr)
			out = append(out, hdr.Name+"="+string(data))
		case tar.TypeSymlink:
			out = append(out, hdr.Name+"->"+hdr.Linkname)
		default:
			out = append(out, hdr.Name)
		}
	}
	sort.Strings(out)
	return out
}
