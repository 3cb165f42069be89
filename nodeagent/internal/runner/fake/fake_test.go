package fake_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
	"github.com/hearth-dev/hearth/nodeagent/internal/runner/fake"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

func newJob(scripts ...string) *agentv1.RunJob {
	job := &agentv1.RunJob{JobId: "job-1", PipelineId: "p-1", Project: "o/p", CommitSha: "abc", Ref: "refs/heads/main", CloneToken: "secret-token"}
	for _, s := range scripts {
		job.Steps = append(job.Steps, &agentv1.Step{Name: "s", Script: s})
	}
	return job
}

func wait(t *testing.T, h runner.Handle) runner.Result {
	t.Helper()
	select {
	case <-h.Done():
		return h.Result()
	case <-time.After(10 * time.Second):
		t.Fatal("job did not finish within 10s")
		return runner.Result{}
	}
}

func readLog(t *testing.T, dir string, step uint32) string {
	t.Helper()
	data, err := os.ReadFile(runner.LogPath(dir, step))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func start(t *testing.T, r *fake.Runner, job *agentv1.RunJob) (runner.Handle, string) {
	t.Helper()
	dir := t.TempDir()
	h, err := r.Start(context.Background(), job, dir)
	if err != nil {
		t.Fatal(err)
	}
	return h, dir
}

func TestSuccess(t *testing.T) {
	job := newJob("echo hello world\nprint \"\\x1b[31mred\\x1b[0m\"\n# comment\n\nbytes 100", "env HEARTH_JOB_ID\nenv FOO\nenv CI\nenv NOPE")
	job.Env = map[string]string{"FOO": "bar baz"}
	job.CloneUrl = "http://example/o/p.git"
	h, dir := start(t, fake.New(fake.Options{}), job)
	res := wait(t, h)
	want := runner.Result{State: agentv1.JobState_JOB_STATE_SUCCESS, Step: 2}
	if res != want {
		t.Fatalf("result %+v, want %+v", res, want)
	}
	if got := readLog(t, dir, 0); got != "fake checkout of abc (refs/heads/main) from http://example/o/p.git\n" {
		t.Errorf("step 0 log %q", got)
	}
	if got, want := readLog(t, dir, 1), "hello world\n\x1b[31mred\x1b[0m"+string(fake.Bytes(100)); got != want {
		t.Errorf("step 1 log %q, want %q", got, want)
	}
	if got, want := readLog(t, dir, 2), "HEARTH_JOB_ID=job-1\nFOO=bar baz\nCI=true\nNOPE is not set\n"; got != want {
		t.Errorf("step 2 log %q, want %q", got, want)
	}
	onDisk, found, err := runner.ReadResult(dir)
	if err != nil || !found || onDisk != res {
		t.Errorf("result.json %+v %v %v, want %+v", onDisk, found, err, res)
	}
	for _, step := range []uint32{0, 1, 2} {
		if bytes.Contains([]byte(readLog(t, dir, step)), []byte("secret-token")) {
			t.Errorf("step %d log holds the clone token", step)
		}
	}
}

func TestNoCloneURL(t *testing.T) {
	h, dir := start(t, fake.New(fake.Options{}), newJob())
	if res := wait(t, h); res.State != agentv1.JobState_JOB_STATE_SUCCESS || res.Step != 0 {
		t.Fatalf("result %+v", res)
	}
	if got := readLog(t, dir, 0); got != "no clone URL: checkout skipped\n" {
		t.Errorf("step 0 log %q", got)
	}
}

func TestFailingStepStopsJob(t *testing.T) {
	h, dir := start(t, fake.New(fake.Options{}), newJob("echo one", "echo two\nfail 3\necho never", "echo three"))
	res := wait(t, h)
	want := runner.Result{State: agentv1.JobState_JOB_STATE_FAILURE, Step: 2, ExitCode: 3, Message: "exit status 3"}
	if res != want {
		t.Fatalf("result %+v, want %+v", res, want)
	}
	if got := readLog(t, dir, 2); got != "two\n" {
		t.Errorf("step 2 log %q", got)
	}
	if _, err := os.Stat(runner.LogPath(dir, 3)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("step 3 ran: %v", err)
	}
}

func TestBadCommands(t *testing.T) {
	for _, tc := range []struct {
		script string
		code   int32
		log    string
	}{
		{"frobnicate now", 127, "fake: unknown command \"frobnicate\"\n"},
		{"sleep forever", 2, "fake: sleep: want a duration (100ms, 2s) or seconds, got \"forever\"\n"},
		{"bytes -1", 2, "fake: bytes: want a byte count, got \"-1\"\n"},
		{"print unquoted", 2, "fake: print: want a Go-quoted string, got unquoted\n"},
		{"fail 300", 2, "fake: fail: want an exit code 0-255, got \"300\"\n"},
		{"write ../escape x", 1, ""},
		{"exit 0\necho never", 0, ""},
		{"fail", 1, ""},
	} {
		h, dir := start(t, fake.New(fake.Options{}), newJob(tc.script))
		res := wait(t, h)
		if res.ExitCode != tc.code {
			t.Errorf("%q: exit code %d, want %d (%+v)", tc.script, res.ExitCode, tc.code, res)
		}
		data, _ := os.ReadFile(runner.LogPath(dir, 1))
		if tc.log != "" && string(data) != tc.log {
			t.Errorf("%q: log %q, want %q", tc.script, data, tc.log)
		}
		if tc.script == "write ../escape x" {
			if _, err := os.Stat(filepath.Join(dir, "escape")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("write escaped the workspace: %v", err)
			}
		}
	}
}

func TestCancel(t *testing.T) {
	r := fake.New(fake.Options{})
	h, dir := start(t, r, newJob("echo started\nhang", "echo never"))
	waitFor(t, func() bool { b, _ := os.ReadFile(runner.LogPath(dir, 1)); return len(b) > 0 })
	h.Cancel("by test")
	h.Cancel("second reason")
	res := wait(t, h)
	want := runner.Result{State: agentv1.JobState_JOB_STATE_CANCELLED, Step: 1, Message: "by test"}
	if res != want {
		t.Fatalf("result %+v, want %+v", res, want)
	}
	if got := readLog(t, dir, 1); got != "started\nhearth: the job was cancelled: by test\n" {
		t.Errorf("log %q", got)
	}
	h.Cancel("after the end") // no effect, no panic
	if h.Result() != want {
		t.Errorf("result changed after Done: %+v", h.Result())
	}
}

func TestTimeout(t *testing.T) {
	job := newJob("print \"no newline\"\nsleep 1h")
	job.Timeout = durationpb.New(150 * time.Millisecond)
	h, dir := start(t, fake.New(fake.Options{}), job)
	res := wait(t, h)
	want := runner.Result{State: agentv1.JobState_JOB_STATE_TIMED_OUT, Step: 1, Message: "timed out after 150ms"}
	if res != want {
		t.Fatalf("result %+v, want %+v", res, want)
	}
	if got := readLog(t, dir, 1); got != "no newline\nhearth: the job timed out after 150ms\n" {
		t.Errorf("log %q", got)
	}
}

func TestArtifacts(t *testing.T) {
	job := newJob("write dist/a.txt alpha\nwrite dist/sub/b.txt beta\nwrite other.txt x")
	job.ArtifactPaths = []string{"dist", "missing/*.txt", "/etc/passwd"}
	h, dir := start(t, fake.New(fake.Options{}), job)
	res := wait(t, h)
	if res.State != agentv1.JobState_JOB_STATE_SUCCESS || res.Artifacts != runner.ArtifactsFile {
		t.Fatalf("result %+v", res)
	}
	got := tarNames(t, filepath.Join(dir, runner.ArtifactsFile))
	want := []string{"dist/", "dist/a.txt=alpha\n", "dist/sub/", "dist/sub/b.txt=beta\n"}
	if !equal(got, want) {
		t.Errorf("archive %q, want %q", got, want)
	}
	log := readLog(t, dir, 1)
	for _, w := range []string{`hearth: artifacts: no file matches "missing/*.txt"`, `hearth: artifacts: path "/etc/passwd" refused: absolute paths are not allowed`} {
		if !bytes.Contains([]byte(log), []byte(w)) {
			t.Errorf("log %q lacks %q", log, w)
		}
	}
}

// TestArchivingRespectsDeadline: archiving is part of the job, so a
// workspace that takes minutes to archive ends at the job's deadline.
func TestArchivingRespectsDeadline(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, runner.WorkspaceDir), 0o700); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, runner.WorkspaceDir, "big"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(100 << 30); err != nil { // sparse
		t.Fatal(err)
	}
	_ = f.Close()
	job := newJob("echo done")
	job.ArtifactPaths = []string{"big"}
	job.Timeout = durationpb.New(500 * time.Millisecond)
	h, err := fake.New(fake.Options{}).Start(context.Background(), job, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := runner.Result{State: agentv1.JobState_JOB_STATE_TIMED_OUT, Step: 1, Message: "timed out after 500ms"}
	if res := wait(t, h); res != want {
		t.Fatalf("result %+v, want %+v", res, want)
	}
	if _, err := os.Stat(filepath.Join(dir, runner.ArtifactsFile+".tmp")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("partial archive left: %v", err)
	}
}

func TestGateAndResumeAfterDetach(t *testing.T) {
	job := newJob("echo before\nbytes 70000\ngate g1\necho after", "echo second")
	job.Timeout = durationpb.New(time.Hour)
	first := fake.New(fake.Options{})
	h, dir := start(t, first, job)
	waitFor(t, func() bool { b, _ := os.ReadFile(runner.LogPath(dir, 1)); return len(b) == 7+70000 })
	h.(runner.Detacher).Detach()
	select {
	case <-h.Done():
		t.Fatal("Done closed after Detach")
	default:
	}
	if _, found, _ := runner.ReadResult(dir); found {
		t.Fatal("result written after Detach")
	}

	second := fake.New(fake.Options{})
	second.OpenGate("g1")
	h2, err := second.Resume(context.Background(), job, dir)
	if err != nil {
		t.Fatal(err)
	}
	if res := wait(t, h2); res.State != agentv1.JobState_JOB_STATE_SUCCESS || res.Step != 2 {
		t.Fatalf("result %+v", res)
	}
	if got, want := readLog(t, dir, 1), "before\n"+string(fake.Bytes(70000))+"after\n"; got != want {
		t.Errorf("step 1 log has %d bytes, want %d (each byte exactly once)", len(got), len(want))
	}
	if got := readLog(t, dir, 2); got != "second\n" {
		t.Errorf("step 2 log %q", got)
	}
	if got := second.Resumed(); !equal(got, []string{"job-1"}) {
		t.Errorf("Resumed %v", got)
	}
	if got := first.Started(); !equal(got, []string{"job-1"}) {
		t.Errorf("Started %v", got)
	}

	// A finished job resumes to its recorded result at once.
	h3, err := fake.New(fake.Options{}).Resume(context.Background(), job, dir)
	if err != nil {
		t.Fatal(err)
	}
	if res := wait(t, h3); res != h2.Result() {
		t.Errorf("resumed result %+v, want %+v", res, h2.Result())
	}
}

func TestResumeKeepsDeadline(t *testing.T) {
	job := newJob("hang")
	job.Timeout = durationpb.New(time.Second)
	t0 := time.Now()
	h, dir := start(t, fake.New(fake.Options{}), job)
	waitFor(t, func() bool { return time.Since(t0) > 600*time.Millisecond })
	h.(runner.Detacher).Detach()
	h2, err := fake.New(fake.Options{}).Resume(context.Background(), job, dir)
	if err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	if res := wait(t, h2); res.State != agentv1.JobState_JOB_STATE_TIMED_OUT {
		t.Fatalf("result %+v", res)
	}
	if d := time.Since(begin); d > 900*time.Millisecond {
		t.Errorf("resumed job timed out after %s: the deadline restarted", d)
	}
}

func TestLoseOnResume(t *testing.T) {
	job := newJob("echo one", "hang")
	r := fake.New(fake.Options{})
	h, dir := start(t, r, job)
	waitFor(t, func() bool { _, err := os.Stat(runner.LogPath(dir, 2)); return err == nil })
	h.(runner.Detacher).Detach()
	h2, err := fake.New(fake.Options{LoseOnResume: true}).Resume(context.Background(), job, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := runner.Result{State: agentv1.JobState_JOB_STATE_FAILURE, Step: 2, Message: runner.MsgLost}
	if res := wait(t, h2); res != want {
		t.Fatalf("result %+v, want %+v", res, want)
	}
	if got := readLog(t, dir, 2); got != "hearth: "+runner.MsgLost+"\n" {
		t.Errorf("log %q", got)
	}
}

func TestResumeNeverStarted(t *testing.T) {
	dir := t.TempDir()
	h, err := fake.New(fake.Options{}).Resume(context.Background(), newJob("echo x"), dir)
	if err != nil {
		t.Fatal(err)
	}
	if res := wait(t, h); res.State != agentv1.JobState_JOB_STATE_FAILURE || res.Message != runner.MsgLost || res.Step != 0 {
		t.Fatalf("result %+v", res)
	}
}

func TestStartErrors(t *testing.T) {
	boom := errors.New("boom")
	r := fake.New(fake.Options{StartError: func(*agentv1.RunJob) error { return boom }})
	if _, err := r.Start(context.Background(), newJob(), t.TempDir()); !errors.Is(err, boom) {
		t.Errorf("StartError: got %v", err)
	}
	r = fake.New(fake.Options{})
	bad := newJob()
	bad.Env = map[string]string{"1BAD": "x"}
	if _, err := r.Start(context.Background(), bad, t.TempDir()); err == nil {
		t.Error("bad env name accepted")
	}
	if _, err := r.Start(context.Background(), newJob(), filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing directory accepted")
	}
	if _, err := r.Start(context.Background(), nil, t.TempDir()); err == nil {
		t.Error("nil job accepted")
	}
	if got := r.Started(); len(got) != 0 {
		t.Errorf("failed starts recorded: %v", got)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// tarNames lists an archive as "name" or "name=content" for files.
func tarNames(t *testing.T, path string) []string {
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

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
