package process_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
	"github.com/hearth-dev/hearth/nodeagent/internal/runner/process"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

// testUIDBase is a range no account of a test machine uses.
const testUIDBase = 3_000_000_000

// TestJobHomeTmpAndCheckoutConfig: each job has its own HOME and TMPDIR,
// and its checkout reads neither a system nor a global (XDG) git
// configuration and runs no hooks, though the agent's environment points
// git at both. The steps after the checkout, which do read them, prove
// the configurations work.
func TestJobHomeTmpAndCheckoutConfig(t *testing.T) {
	_, url, sha := newRepo(t, "", map[string]string{"f": "x"})
	shared := t.TempDir()
	mark := filepath.Join(shared, "hook-ran")
	for _, kind := range []string{"system", "global"} {
		hooks := filepath.Join(shared, kind+"-hooks")
		if err := os.MkdirAll(hooks, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(hooks, "post-checkout"), []byte("#!/bin/sh\necho \""+kind+" hook in the $HEARTH_HOOK_WHO\" >> "+mark+"\n"), 0o700); err != nil {
			t.Fatal(err)
		}
		config := filepath.Join(shared, kind+"-config")
		if kind == "global" {
			config = filepath.Join(shared, "git", "config")
		}
		if err := os.MkdirAll(filepath.Dir(config), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(config, []byte("[core]\n\thooksPath = "+hooks+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	base := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + shared, "TMPDIR=" + shared, "HEARTH_HOOK_WHO=checkout",
		"XDG_CONFIG_HOME=" + shared, "GIT_CONFIG_SYSTEM=" + filepath.Join(shared, "system-config"),
	}
	job := newJob(
		"echo \"home=$HOME tmp=$TMPDIR\"\nenv -u XDG_CONFIG_HOME git config --global user.name from-the-job\nmktemp",
		"HEARTH_HOOK_WHO=step git checkout -q --detach HEAD",
		"HEARTH_HOOK_WHO=step GIT_CONFIG_GLOBAL=/dev/null git checkout -q --detach HEAD",
	)
	job.CloneUrl, job.CommitSha = url, sha
	h, dir := start(t, newRunner(t, process.Options{BaseEnv: base}), job)
	if res := waitDone(t, h, 60*time.Second); res.State != agentv1.JobState_JOB_STATE_SUCCESS {
		t.Fatalf("result %+v\n%s\n%s", res, readLog(t, dir, 0), readLog(t, dir, res.Step))
	}
	home, tmp := filepath.Join(dir, "home"), filepath.Join(dir, "tmp")
	log1 := readLog(t, dir, 1)
	if !strings.HasPrefix(log1, "home="+home+" tmp="+tmp+"\n"+tmp+"/") {
		t.Errorf("step 1 log %q", log1)
	}
	if data, err := os.ReadFile(filepath.Join(home, ".gitconfig")); err != nil || !strings.Contains(string(data), "from-the-job") {
		t.Errorf("the job's global git config: %q %v", data, err)
	}
	if data, _ := os.ReadFile(mark); string(data) != "global hook in the step\nsystem hook in the step\n" {
		t.Errorf("hook runs %q, want only the steps'", data)
	}
	for _, p := range []string{home, tmp} {
		if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v %v", p, st.Mode(), err)
		}
	}
}

// isolatedDataDir makes a data directory as the session does (0700, jobs/
// 0700, identity.json 0600) whose ancestors others may search.
func isolatedDataDir(t *testing.T) string {
	t.Helper()
	data := t.TempDir()
	if err := os.Chmod(filepath.Dir(data), 0o711); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(data, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(data, "jobs"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "identity.json"), []byte(`{"credential":"hac_secret"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	return data
}

func isolatedJobDir(t *testing.T, data string, job *agentv1.RunJob) string {
	t.Helper()
	dir := filepath.Join(data, "jobs", job.GetJobId())
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	b, err := protojson.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.WriteFileAtomic(filepath.Join(dir, runner.JobFile), b); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestIsolatedJobs runs jobs as their own users: a job cannot read the
// agent's identity, list the data directory, enter another job's directory
// or tamper with the files the agent (root) reads; two jobs never share a
// user, not even across an agent restart; checkout, artifacts and Resume
// still work.
func TestIsolatedJobs(t *testing.T) {
	if os.Geteuid() != 0 {
		if _, err := process.New(process.Options{JobUIDBase: testUIDBase}); err == nil || !strings.Contains(err.Error(), "root") {
			t.Fatalf("a job uid base without root: %v", err)
		}
		return
	}
	data := isolatedDataDir(t)
	opts := process.Options{JobUIDBase: testUIDBase}

	// Job B runs first and waits; it holds slot 0 through a Detach (the
	// agent went away) and is resumed by another Runner at the end.
	jobB := newJob("echo secret-of-b > secret\nid -u\nwhile [ ! -e go ]; do sleep 0.02; done")
	jobB.JobId = "job-b"
	dirB := isolatedJobDir(t, data, jobB)
	hB, err := newRunner(t, opts).Start(context.Background(), jobB, dirB)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "job B ready", logContains(dirB, 1, "\n"))
	hB.(runner.Detacher).Detach()

	_, url, sha := newRepo(t, token, map[string]string{"hello.txt": "hello\n"})
	probe := func(what, cmd string) string {
		return fmt.Sprintf("if %s >/dev/null 2>&1; then echo 'BREACH: %s'; else echo 'denied: %s'; fi\n", cmd, what, what)
	}
	script := "id -u\nid -G\ncat hello.txt\ntouch \"$HOME/h\" \"$TMPDIR/t\"\necho artifact > out.txt\n" +
		probe("identity", "cat "+filepath.Join(data, "identity.json")) +
		probe("list data", "ls "+data) +
		probe("list jobs", "ls "+filepath.Join(data, "jobs")) +
		probe("list other job", "ls "+dirB) +
		probe("other workspace", "cat "+filepath.Join(dirB, "workspace", "secret")) +
		probe("job.json", "cat ../job.json") +
		probe("replace log", "rm ../logs/2.log") +
		probe("add log", "ln -s "+filepath.Join(data, "identity.json")+" ../logs/9.log") +
		probe("meta", "touch ../process/meta.json") +
		probe("wrapper", "touch ../process/wrapper.sh") +
		probe("result", "touch ../result.json")
	jobA := newJob(script, "echo second")
	jobA.JobId = "job-a"
	jobA.CloneUrl, jobA.CommitSha, jobA.CloneToken = url, sha, token
	jobA.ArtifactPaths = []string{"out.txt"}
	dirA := isolatedJobDir(t, data, jobA)
	hA, err := newRunner(t, opts).Start(context.Background(), jobA, dirA)
	if err != nil {
		t.Fatal(err)
	}
	res := waitDone(t, hA, 60*time.Second)
	if want := (runner.Result{State: agentv1.JobState_JOB_STATE_SUCCESS, Step: 2, Artifacts: runner.ArtifactsFile}); res != want {
		t.Fatalf("result %+v, want %+v\n%s\n%s", res, want, readLog(t, dirA, 0), readLog(t, dirA, 1))
	}
	uidA, uidB := strconv.Itoa(testUIDBase+1), strconv.Itoa(testUIDBase)
	log1 := readLog(t, dirA, 1)
	if !strings.HasPrefix(log1, uidA+"\n"+uidA+"\nhello\n") {
		t.Errorf("job A's user and groups: %q, want uid and only group %s", log1, uidA)
	}
	if strings.Contains(log1, "BREACH") || strings.Count(log1, "denied: ") != 11 {
		t.Errorf("job A's probes:\n%s", log1)
	}
	if strings.Contains(log1, "hac_secret") || strings.Contains(log1, "secret-of-b") {
		t.Errorf("job A read a secret:\n%s", log1)
	}
	if got := tarList(t, filepath.Join(dirA, runner.ArtifactsFile)); strings.Join(got, ",") != "out.txt=artifact\n" {
		t.Errorf("artifacts %q", got)
	}
	if got := readLog(t, dirB, 1); got != uidB+"\n" {
		t.Errorf("job B's uid: %q, want %s", got, uidB)
	}
	// Only o+x was added to the data directory: no reading, no listing.
	for _, d := range []string{data, filepath.Join(data, "jobs")} {
		if st, err := os.Stat(d); err != nil || st.Mode().Perm() != 0o701 {
			t.Errorf("%s: mode %v %v, want 0701", d, st.Mode().Perm(), err)
		}
	}

	// The session made the data directory owner-only again (an agent
	// restart); Resume lets the job's user back in.
	for _, d := range []string{data, filepath.Join(data, "jobs")} {
		if err := os.Chmod(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	hB2, err := newRunner(t, opts).Resume(context.Background(), jobB, dirB)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dirB, runner.WorkspaceDir, "go"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if res := waitDone(t, hB2, 10*time.Second); res.State != agentv1.JobState_JOB_STATE_SUCCESS {
		t.Fatalf("resumed job B: %+v\n%s", res, readLog(t, dirB, 1))
	}
}

// TestIsolatedTimeoutAndCancel: a job's processes under their own user
// still end with the job.
func TestIsolatedTimeoutAndCancel(t *testing.T) {
	if os.Geteuid() != 0 {
		return // TestIsolatedJobs checks New refuses
	}
	data := isolatedDataDir(t)
	job := newJob("sleep 60 & echo $! > pid\necho ready\nwait")
	job.Timeout = durationpb.New(1500 * time.Millisecond)
	dir := isolatedJobDir(t, data, job)
	h, err := newRunner(t, process.Options{JobUIDBase: testUIDBase}).Start(context.Background(), job, dir)
	if err != nil {
		t.Fatal(err)
	}
	if res := waitDone(t, h, 10*time.Second); res.State != agentv1.JobState_JOB_STATE_TIMED_OUT {
		t.Fatalf("result %+v", res)
	}
	for _, pid := range readPids(t, filepath.Join(dir, runner.WorkspaceDir, "pid")) {
		if alive(pid) {
			t.Errorf("pid %d outlived the job", pid)
		}
	}
}

func TestJobUIDBaseChecks(t *testing.T) {
	if os.Geteuid() != 0 {
		return // TestIsolatedJobs checks New refuses
	}
	for base, want := range map[uint32]string{
		500:            "below 1000",
		60000:          `"nobody"`, // 65534 in every /etc/passwd
		4294967295 - 9: "too large",
	} {
		if _, err := process.New(process.Options{JobUIDBase: base}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("base %d: %v, want %q", base, err, want)
		}
	}
}

// TestArchivingRespectsDeadlineAndCancel: archiving is part of the job, so
// a workspace that takes forever to archive cannot hold the job's slot.
func TestArchivingRespectsDeadlineAndCancel(t *testing.T) {
	job := newJob("truncate -s 100G big")
	job.ArtifactPaths = []string{"big"}
	job.Timeout = durationpb.New(1500 * time.Millisecond)
	h, dir := start(t, newRunner(t, process.Options{}), job)
	want := runner.Result{State: agentv1.JobState_JOB_STATE_TIMED_OUT, Step: 1, Message: "timed out after 1.5s"}
	if res := waitDone(t, h, 10*time.Second); res != want {
		t.Fatalf("result %+v, want %+v", res, want)
	}
	if got := readLog(t, dir, 1); got != "hearth: the job timed out after 1.5s while archiving its artifacts\n" {
		t.Errorf("log %q", got)
	}
	for _, p := range []string{runner.ArtifactsFile, runner.ArtifactsFile + ".tmp"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err == nil {
			t.Errorf("%s left", p)
		}
	}

	job = newJob("truncate -s 100G big")
	job.ArtifactPaths = []string{"big"}
	h, dir = start(t, newRunner(t, process.Options{}), job)
	waitFor(t, 10*time.Second, "archiving", func() bool {
		_, err := os.Stat(filepath.Join(dir, runner.ArtifactsFile+".tmp"))
		return err == nil
	})
	h.Cancel("stop archiving")
	want = runner.Result{State: agentv1.JobState_JOB_STATE_CANCELLED, Step: 1, Message: "stop archiving"}
	if res := waitDone(t, h, 5*time.Second); res != want {
		t.Fatalf("result %+v, want %+v", res, want)
	}
}
