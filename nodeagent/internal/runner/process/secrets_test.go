package process_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
	"github.com/hearth-dev/hearth/nodeagent/internal/runner/process"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

// trickySecret has what a shell could mangle: quotes, '$', backquotes,
// backslashes, blanks at both ends, newlines (trailing ones too), a tab,
// and text that looks like the wrapper's own syntax.
const trickySecret = " it's \"quoted\" $HOME $(id) `id` \\ back\\\\slash\\n\n\tline two '\\'' \x7f\u00e9\n\n"

// needShm skips a test when the machine has no tmpfs at /dev/shm, the
// default secrets directory.
func needShm(t *testing.T) {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs("/dev/shm", &st); err != nil || st.Type != 0x01021994 {
		t.Fatalf("no tmpfs at /dev/shm (%v): the default secrets directory is missing; mount one with: mount -t tmpfs -o mode=1777 tmpfs /dev/shm", err)
	}
}

// secretJobDir is jobDir for a job with secrets: like the session's
// job.json, the test's holds neither the token nor a secret.
func secretJobDir(t *testing.T, job *agentv1.RunJob) string {
	t.Helper()
	rec := proto.CloneOf(job)
	rec.CloneToken, rec.Files, rec.SecretEnv = "", nil, nil
	return jobDir(t, rec)
}

func startSecret(t *testing.T, r *process.Runner, job *agentv1.RunJob) (runner.Handle, string) {
	t.Helper()
	dir := secretJobDir(t, job)
	h, err := r.Start(context.Background(), job, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Cancel("test over"); waitDone(t, h, 30*time.Second) })
	return h, dir
}

// envDumpingGit is a git that appends its environment to the returned
// file before running the real git: what the checkout's commands see.
func envDumpingGit(t *testing.T) (bin, dump string) {
	t.Helper()
	real, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	d := t.TempDir()
	bin, dump = filepath.Join(d, "git"), filepath.Join(d, "env")
	script := "#!/bin/bash\nenv >> '" + dump + "'\nexec '" + real + "' \"$@\"\n"
	if err := os.WriteFile(bin, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return bin, dump
}

// filesHolding lists the files under root (but those skip accepts) whose
// content holds any of values.
func filesHolding(t *testing.T, root string, values []string, skip func(path string) bool) []string {
	t.Helper()
	var found []string
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || skip(path) {
			return err
		}
		n++
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, v := range values {
			if bytes.Contains(data, []byte(v)) {
				found = append(found, path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 5 {
		t.Fatalf("only %d files under %s: the scan proves nothing", n, root)
	}
	return found
}

// TestSecretEnvReachesEveryStepAndNothingElse: secret variables reach each
// step's environment with their exact values, after (over) the job's env;
// neither the checkout's commands nor the wrapper's own environment or any
// process's argv carries them, and no file the runner wrote holds them.
func TestSecretEnvReachesEveryStepAndNothingElse(t *testing.T) {
	git, dump := envDumpingGit(t)
	_, url, sha := newRepo(t, token, map[string]string{"hello.txt": "hello\n"})
	job := newJob(
		// The wrapper is this step's parent.
		`printf '<%s>\n' "$MY_SECRET"
printf 'override=%s\n' "$OVERRIDE"
printf 'holder=%s a=%s\n' "$__hearth_secret_0" "$a"
printf 'wrapper environ: %s\n' "$(tr '\0' '\n' < /proc/$PPID/environ | grep -c -e MY_SECRET -e 'v4lue[-]')"
printf 'secrets dir: %s\n' "${HEARTH_SECRETS_DIR-unset}"
cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\0' '\n' | grep -c 'v4lue[-]' || true`,
		`printf '<%s>\n' "$MY_SECRET"`,
	)
	job.CloneUrl, job.CommitSha, job.CloneToken = url, sha, token
	// A variable named like the wrapper's holder of MY_SECRET's value
	// changes nothing: every value is read before any variable is set.
	job.Env = map[string]string{"OVERRIDE": "from env", "PLAIN": "plain", "__hearth_secret_0": "from env"}
	job.SecretEnv = map[string]string{"MY_SECRET": trickySecret, "OVERRIDE": "v4lue-override", "a": "v4lue-a"}
	h, dir := startSecret(t, newRunner(t, process.Options{GitBinary: git}), job)
	res := waitDone(t, h, 60*time.Second)
	if want := (runner.Result{State: agentv1.JobState_JOB_STATE_SUCCESS, Step: 2}); res != want {
		t.Fatalf("result %+v, want %+v\nstep 0: %s\nstep 1: %s", res, want, readLog(t, dir, 0), readLog(t, dir, 1))
	}
	want1 := "<" + trickySecret + ">\noverride=v4lue-override\nholder=from env a=v4lue-a\nwrapper environ: 0\nsecrets dir: unset\n0\n"
	if got := readLog(t, dir, 1); got != want1 {
		t.Errorf("step 1 log\n%q\nwant\n%q", got, want1)
	}
	if got, want := readLog(t, dir, 2), "<"+trickySecret+">\n"; got != want {
		t.Errorf("step 2 log %q, want %q", got, want)
	}
	values := []string{trickySecret, "v4lue-"}
	env, err := os.ReadFile(dump)
	if err != nil || !strings.Contains(string(env), "GIT_CONFIG_COUNT=1") {
		t.Fatalf("the checkout's git never ran through the test's git (%v): %q", err, env)
	}
	for _, v := range append(values, "MY_SECRET", "PLAIN") {
		if strings.Contains(string(env), v) {
			t.Errorf("the checkout's git saw %q", v)
		}
	}
	// Every file of the job directory (process/ included) but the logs of
	// the steps that printed the values.
	skip := func(path string) bool { return path == runner.LogPath(dir, 1) || path == runner.LogPath(dir, 2) }
	if found := filesHolding(t, dir, values, skip); len(found) > 0 {
		t.Errorf("files of the job directory hold a secret value: %q", found)
	}
}

// TestSecretFilesInMemory: a job's files are in a directory of their own
// on /dev/shm ($HEARTH_SECRETS_DIR; 0700, files 0400, exact bytes) that
// only the steps are told about, nothing in the job directory holds them,
// and the directory is removed when the job ends.
func TestSecretFilesInMemory(t *testing.T) {
	needShm(t)
	git, dump := envDumpingGit(t)
	_, url, sha := newRepo(t, token, map[string]string{"hello.txt": "hello\n"})
	binary := []byte("f1le-secret\x00\xff\n\nend")
	job := newJob(`printf '%s\n' "$HEARTH_SECRETS_DIR"
stat -f -c %T "$HEARTH_SECRETS_DIR"
stat -c '%a %s' "$HEARTH_SECRETS_DIR" "$HEARTH_SECRETS_DIR/db_password" "$HEARTH_SECRETS_DIR/tls.key"
cat "$HEARTH_SECRETS_DIR/db_password"`)
	job.CloneUrl, job.CommitSha, job.CloneToken = url, sha, token
	job.Env = map[string]string{"HEARTH_SECRETS_DIR": "/from/env"}
	job.Files = map[string][]byte{"db_password": binary, "tls.key": []byte("f1le-key\n")}
	h, dir := startSecret(t, newRunner(t, process.Options{GitBinary: git}), job)
	res := waitDone(t, h, 60*time.Second)
	if res.State != agentv1.JobState_JOB_STATE_SUCCESS {
		t.Fatalf("result %+v\n%s\n%s", res, readLog(t, dir, 0), readLog(t, dir, 1))
	}
	lines := strings.SplitN(readLog(t, dir, 1), "\n", 6)
	if len(lines) != 6 {
		t.Fatalf("step log %q", readLog(t, dir, 1))
	}
	secrets := lines[0]
	if filepath.Dir(secrets) != "/dev/shm" || !strings.HasPrefix(filepath.Base(secrets), "hearth-job-1-") {
		t.Errorf("HEARTH_SECRETS_DIR %q, want /dev/shm/hearth-job-1-<random>", secrets)
	}
	if got := lines[1:5]; got[0] != "tmpfs" || !strings.HasPrefix(got[1], "700 ") || got[2] != "400 "+strconv.Itoa(len(binary)) || got[3] != "400 9" {
		t.Errorf("filesystem, modes and sizes %q, want tmpfs, 700, 400 and 400", got)
	}
	if got := lines[5]; got != string(binary) {
		t.Errorf("db_password read %q, want %q", got, binary)
	}
	if _, err := os.Stat(secrets); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the secrets directory outlived the job: %v", err)
	}
	if env, _ := os.ReadFile(dump); strings.Contains(string(env), "HEARTH_SECRETS_DIR") || len(env) == 0 {
		t.Errorf("the checkout was told about the secrets directory (or never ran): %q", env)
	}
	values := []string{"f1le-"}
	if found := filesHolding(t, dir, values, func(path string) bool { return path == runner.LogPath(dir, 1) }); len(found) > 0 {
		t.Errorf("files of the job directory hold a secret file's content: %q", found)
	}
	data, err := os.ReadFile(filepath.Join(dir, "process", "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		SecretsDir string `json:"secrets_dir"`
	}
	if err := json.Unmarshal(data, &m); err != nil || m.SecretsDir != secrets {
		t.Errorf("meta.json records the secrets directory %q (%v), want %q", m.SecretsDir, err, secrets)
	}
}

// TestSecretsDirRemovedHowever: failure, cancel and timeout
// remove the directory too, and a job without files gets none.
func TestSecretsDirRemovedHowever(t *testing.T) {
	needShm(t)
	r := newRunner(t, process.Options{KillGrace: 300 * time.Millisecond})
	for _, c := range []struct {
		name, script string
		timeout      time.Duration
		cancel       bool
		want         agentv1.JobState
	}{
		{"failure", "while [ ! -e go ]; do sleep 0.02; done; exit 3", 0, false, agentv1.JobState_JOB_STATE_FAILURE},
		{"cancel", "sleep 60", 0, true, agentv1.JobState_JOB_STATE_CANCELLED},
		{"timeout", "trap '' TERM; sleep 60", time.Second, false, agentv1.JobState_JOB_STATE_TIMED_OUT},
	} {
		t.Run(c.name, func(t *testing.T) {
			job := newJob(`echo "$HEARTH_SECRETS_DIR"; cat "$HEARTH_SECRETS_DIR/f" >/dev/null && echo ready`+"\n"+c.script, "echo never")
			job.Files = map[string][]byte{"f": []byte("s3cr3t")}
			if c.timeout > 0 {
				job.Timeout = durationpb.New(c.timeout)
			}
			h, dir := startSecret(t, r, job)
			waitFor(t, 10*time.Second, "step ready", logContains(dir, 1, "ready\n"))
			secrets := strings.SplitN(readLog(t, dir, 1), "\n", 2)[0]
			if st, err := os.Stat(secrets); err != nil || !st.IsDir() {
				t.Fatalf("secrets directory %q while the job runs: %v", secrets, err)
			}
			switch {
			case c.cancel:
				h.Cancel("stop")
			case c.timeout == 0:
				if err := os.WriteFile(filepath.Join(dir, runner.WorkspaceDir, "go"), nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if res := waitDone(t, h, 10*time.Second); res.State != c.want {
				t.Fatalf("result %+v, want %s", res, c.want)
			}
			if _, err := os.Stat(secrets); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the secrets directory outlived the job: %v", err)
			}
		})
	}

	before := shmEntries(t)
	h, dir := start(t, r, newJob(`echo "${HEARTH_SECRETS_DIR-unset}"`))
	if res := waitDone(t, h, 10*time.Second); res.State != agentv1.JobState_JOB_STATE_SUCCESS || readLog(t, dir, 1) != "unset\n" {
		t.Fatalf("job without files: %+v %q", res, readLog(t, dir, 1))
	}
	for e := range shmEntries(t) {
		if !before[e] && strings.HasPrefix(e, "hearth-job-1-") {
			t.Errorf("a job without files got a secrets directory: %s", e)
		}
	}
}

func shmEntries(t *testing.T) map[string]bool {
	t.Helper()
	entries, err := os.ReadDir("/dev/shm")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, e := range entries {
		out[e.Name()] = true
	}
	return out
}

// TestResumeRemovesSecrets: a job that ended while no agent watched (its
// steps done, or its processes killed, or even its result written) has
// its secrets directory removed by the agent that resumes it, from
// meta.json.
func TestResumeRemovesSecrets(t *testing.T) {
	needShm(t)
	for _, c := range []string{"finished", "lost", "result written"} {
		t.Run(c, func(t *testing.T) {
			lost := c != "finished"
			job := newJob(`echo "$HEARTH_SECRETS_DIR"; while [ ! -e go ]; do sleep 0.02; done`)
			job.Files = map[string][]byte{"f": []byte("s3cr3t")}
			dir := secretJobDir(t, job)
			h, err := newRunner(t, process.Options{}).Start(context.Background(), job, dir)
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, 10*time.Second, "step 1", logContains(dir, 1, "\n"))
			secrets := strings.TrimSpace(readLog(t, dir, 1))
			h.(runner.Detacher).Detach()
			if lost {
				data, err := os.ReadFile(filepath.Join(dir, "process", "meta.json"))
				if err != nil {
					t.Fatal(err)
				}
				var m struct{ PID int }
				if err := json.Unmarshal(data, &m); err != nil || m.PID <= 0 {
					t.Fatalf("meta.json %s: %v", data, err)
				}
				if err := syscall.Kill(-m.PID, syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				waitFor(t, 10*time.Second, "wrapper gone", func() bool { return !alive(m.PID) })
			} else {
				if err := os.WriteFile(filepath.Join(dir, runner.WorkspaceDir, "go"), nil, 0o600); err != nil {
					t.Fatal(err)
				}
				waitFor(t, 10*time.Second, "the exit file", func() bool {
					_, err := os.Stat(filepath.Join(dir, "process", "exit-1"))
					return err == nil
				})
			}
			if _, err := os.Stat(secrets); err != nil {
				t.Fatalf("the secrets directory is gone before the resume: %v", err)
			}
			if c == "result written" {
				// An agent that died between writing the result and
				// removing the secrets (which comes first: this is belt
				// and braces).
				if err := runner.WriteResult(dir, runner.Result{State: agentv1.JobState_JOB_STATE_FAILURE, Step: 1, Message: "x"}); err != nil {
					t.Fatal(err)
				}
			}
			h2, err := newRunner(t, process.Options{}).Resume(context.Background(), job, dir)
			if err != nil {
				t.Fatal(err)
			}
			res := waitDone(t, h2, 10*time.Second)
			if want := map[bool]agentv1.JobState{false: agentv1.JobState_JOB_STATE_SUCCESS, true: agentv1.JobState_JOB_STATE_FAILURE}[lost]; res.State != want {
				t.Fatalf("result %+v, want %s", res, want)
			}
			if _, err := os.Stat(secrets); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the secrets directory outlived the resumed job: %v", err)
			}
		})
	}
}

// TestNoMemoryForSecretsRefusesJobsWithFiles: without an in-memory
// directory the runner refuses a job with files (clearly, and leaving
// nothing behind) rather than writing its secrets to a disk, and still
// runs jobs without files; a configured directory that is not in memory
// is refused at once.
func TestNoMemoryForSecretsRefusesJobsWithFiles(t *testing.T) {
	r, err := process.NewWithDefaultSecretsDir(process.Options{}, "/nonexistent/shm")
	if err != nil {
		t.Fatal(err)
	}
	job := newJob("echo never")
	job.Files = map[string][]byte{"f": []byte("s3cr3t")}
	dir := secretJobDir(t, job)
	_, err = r.Start(context.Background(), job, dir)
	if err == nil || !strings.Contains(err.Error(), "job job-1 has secret files but the agent has no in-memory directory for them (the secrets directory /nonexistent/shm does not exist); it does not write secrets to a disk: mount a tmpfs and name it with --secrets-dir") {
		t.Fatalf("Start: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "process")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused job left files: %v", err)
	}
	h, dir := start(t, r, newJob("echo fine"))
	if res := waitDone(t, h, 10*time.Second); res.State != agentv1.JobState_JOB_STATE_SUCCESS || readLog(t, dir, 1) != "fine\n" {
		t.Errorf("a job without files: %+v", res)
	}

	// The package's own directory is on the checkout's disk even where
	// the temporary directory is a tmpfs.
	disk, err := os.MkdirTemp(".", "disk-secrets-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(disk) })
	if disk, err = filepath.Abs(disk); err != nil {
		t.Fatal(err)
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(disk, &st); err != nil || st.Type == 0x01021994 || st.Type == 0x858458f6 {
		t.Fatalf("%s is in memory too (%v): this test needs the checkout on a disk", disk, err)
	}
	_, err = process.New(process.Options{SecretsDir: disk})
	if err == nil || !strings.Contains(err.Error(), "the secrets directory "+disk+" is not on a tmpfs or ramfs") || !strings.Contains(err.Error(), "could reach a disk") {
		t.Errorf("New with a disk directory: %v", err)
	}
	r, err = process.NewWithDefaultSecretsDir(process.Options{}, disk)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Start(context.Background(), job, secretJobDir(t, job)); err == nil || !strings.Contains(err.Error(), "is not on a tmpfs or ramfs") {
		t.Errorf("Start with a disk directory as the default: %v", err)
	}
	if entries, _ := os.ReadDir(disk); len(entries) > 0 {
		t.Errorf("secrets were written to the disk directory: %v", entries)
	}
}

// TestIsolatedSecrets: with job users, a job's secrets directory and
// files belong to the job's user alone; another job (another user) can
// neither list nor read them.
func TestIsolatedSecrets(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("job users need root: run the tests as root, as make test on CI does (TestIsolatedJobs checks New refuses without it)")
	}
	needShm(t)
	data := isolatedDataDir(t)
	opts := process.Options{JobUIDBase: testUIDBase}
	strip := func(job *agentv1.RunJob) *agentv1.RunJob {
		rec := proto.CloneOf(job)
		rec.Files, rec.SecretEnv = nil, nil
		return rec
	}
	jobA := newJob(`id -u
echo "$HEARTH_SECRETS_DIR"
stat -c '%u %g %a' "$HEARTH_SECRETS_DIR" "$HEARTH_SECRETS_DIR/f"
cat "$HEARTH_SECRETS_DIR/f"; echo
printf '%s\n' "$MY_SECRET"
while [ ! -e go ]; do sleep 0.02; done`)
	jobA.JobId = "job-a"
	jobA.Files = map[string][]byte{"f": []byte("s3cr3t-file")}
	jobA.SecretEnv = map[string]string{"MY_SECRET": "s3cr3t-env"}
	dirA := isolatedJobDir(t, data, strip(jobA))
	hA, err := newRunner(t, opts).Start(context.Background(), jobA, dirA)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hA.Cancel("test over"); waitDone(t, hA, 30*time.Second) })
	waitFor(t, 10*time.Second, "job A's secrets", logContains(dirA, 1, "s3cr3t-env\n"))
	lines := strings.Split(readLog(t, dirA, 1), "\n")
	uid, secrets := lines[0], lines[1]
	if want := []string{uid + " " + uid + " 700", uid + " " + uid + " 400", "s3cr3t-file", "s3cr3t-env"}; strings.Join(lines[2:6], "|") != strings.Join(want, "|") {
		t.Errorf("job A (uid %s) sees %q, want %q", uid, lines[2:6], want)
	}

	jobB := newJob(probeScript("list", "ls "+secrets) + probeScript("read", "cat "+secrets+"/f"))
	jobB.JobId = "job-b"
	dirB := isolatedJobDir(t, data, jobB)
	hB, err := newRunner(t, opts).Start(context.Background(), jobB, dirB)
	if err != nil {
		t.Fatal(err)
	}
	if res := waitDone(t, hB, 30*time.Second); res.State != agentv1.JobState_JOB_STATE_SUCCESS {
		t.Fatalf("job B: %+v", res)
	}
	if got := readLog(t, dirB, 1); got != "denied: list\ndenied: read\n" {
		t.Errorf("job B's probes of job A's secrets: %q", got)
	}

	if err := os.WriteFile(filepath.Join(dirA, runner.WorkspaceDir, "go"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if res := waitDone(t, hA, 10*time.Second); res.State != agentv1.JobState_JOB_STATE_SUCCESS {
		t.Fatalf("job A: %+v", res)
	}
	if _, err := os.Stat(secrets); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("job A's secrets directory outlived it: %v", err)
	}
}

func probeScript(what, cmd string) string {
	return "if " + cmd + " >/dev/null 2>&1; then echo 'BREACH: " + what + "'; else echo 'denied: " + what + "'; fi\n"
}
