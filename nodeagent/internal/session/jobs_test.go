package session

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/hearth-dev/hearth/nodeagent/internal/gatewaytest"
	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
	"github.com/hearth-dev/hearth/nodeagent/internal/runner/fake"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

func TestJobRunsAndItsLogsArriveOnce(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	dir := t.TempDir()
	startAgent(t, gw, dir)
	waitConnects(t, gw, 1)
	gw.RunJob(newRunJob("job-1", "echo hello", "bytes 200000\necho done"))
	st := waitState(t, gw, "job-1", agentv1.JobState_JOB_STATE_SUCCESS)
	checkLog(t, gw, "job-1", 0, []byte(checkoutLog))
	checkLog(t, gw, "job-1", 1, []byte("hello\n"))
	checkLog(t, gw, "job-1", 2, append(fake.Bytes(200000), "done\n"...))
	if want := []uint64{uint64(len(checkoutLog)), 6, 200005}; !slices.Equal(st.GetLogLengths(), want) {
		t.Fatalf("log_lengths %v, want %v", st.GetLogLengths(), want)
	}
	if st.GetStep() != 2 {
		t.Fatalf("final step %d", st.GetStep())
	}
	sts := gw.Statuses("job-1")
	if sts[0].GetState() != agentv1.JobState_JOB_STATE_RUNNING {
		t.Fatalf("first status %v, want RUNNING", sts[0].GetState())
	}
	for _, c := range gw.Chunks() {
		if len(c.GetData()) > DefaultChunkSize {
			t.Fatalf("a chunk of %d bytes", len(c.GetData()))
		}
	}
	if s := gw.Stats(); s.Duplicates != 0 || s.Gaps != 0 {
		t.Fatalf("duplicates %d, gaps %d on a healthy stream", s.Duplicates, s.Gaps)
	}
	waitGone(t, gw, dir, "job-1")
	noViolations(t, gw)
}

func TestJobRecordedBeforeItIsAcknowledged(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	dir := t.TempDir()
	a := startAgent(t, gw, dir)
	waitConnects(t, gw, 1)
	j := newRunJob("job-rec", "hang")
	j.CloneToken = "hth_secret-clone-token"
	j.Files = map[string][]byte{"db_password": []byte("secret-file-value")}
	gw.RunJob(j)
	waitState(t, gw, "job-rec", agentv1.JobState_JOB_STATE_RUNNING)
	jobDir := filepath.Join(dir, JobsDir, "job-rec")
	st, err := os.Stat(filepath.Join(jobDir, runner.JobFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("job.json mode %v", st.Mode().Perm())
	}
	// The job's steps could read job.json: neither the clone token nor the
	// job's files are there.
	if b, _ := os.ReadFile(filepath.Join(jobDir, runner.JobFile)); bytes.Contains(b, []byte("secret-clone-token")) ||
		bytes.Contains(b, []byte("db_password")) || !bytes.Contains(b, []byte("job-rec")) {
		t.Fatalf("job.json: %s", b)
	}
	if dst, _ := os.Stat(jobDir); dst.Mode().Perm() != 0o700 {
		t.Fatalf("job directory mode %v", dst.Mode().Perm())
	}
	// RunJob is idempotent.
	gw.RunJob(j)
	gw.CancelJob("job-rec", "stop")
	waitState(t, gw, "job-rec", agentv1.JobState_JOB_STATE_CANCELLED)
	if got := a.runner.Started(); !slices.Equal(got, []string{"job-rec"}) {
		t.Fatalf("started %v", got)
	}
}

// Every few chunks the connection drops and acks lag: every byte still
// arrives, in order, and the final status waits for all of them.
func TestLogsSurviveDroppedConnectionsAndLaggingAcks(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	gw.SetAckDelay(2 * time.Millisecond)
	// Every 7th chunk drops the connection, but never twice at the same
	// place: a stream that dies before the delayed acks of its first six
	// chunks arrive would otherwise resend the same seven chunks forever
	// on a fast machine.
	var (
		n       atomic.Int64
		mu      sync.Mutex
		dropped = map[[2]uint64]bool{}
	)
	gw.SetChunkHook(func(c *agentv1.LogChunk) gatewaytest.ChunkAction {
		if n.Add(1)%7 != 0 {
			return gatewaytest.Store
		}
		mu.Lock()
		defer mu.Unlock()
		at := [2]uint64{uint64(c.GetStep()), c.GetOffset()}
		if dropped[at] {
			return gatewaytest.Store
		}
		dropped[at] = true
		return gatewaytest.DropConnection
	})
	dir := t.TempDir()
	startAgent(t, gw, dir, func(d *Deps) { d.Tuning.ChunkSize = 4096; d.Tuning.Window = 32 << 10 })
	waitConnects(t, gw, 1)
	gw.RunJob(newRunJob("job-drop", "bytes 60000", "echo two\nbytes 30000"))
	st := waitState(t, gw, "job-drop", agentv1.JobState_JOB_STATE_SUCCESS)
	checkLog(t, gw, "job-drop", 1, fake.Bytes(60000))
	checkLog(t, gw, "job-drop", 2, append([]byte("two\n"), fake.Bytes(30000)...))
	if st.GetLogLengths()[1] != 60000 {
		t.Fatalf("log_lengths %v", st.GetLogLengths())
	}
	if gw.Stats().Connects < 5 {
		t.Fatalf("only %d streams: the hook did not drop connections", gw.Stats().Connects)
	}
	waitGone(t, gw, dir, "job-drop")
	noViolations(t, gw)
}

// A chunk the control plane refuses (a gap) or silently fails to store is
// sent again from the acknowledged offset.
func TestGapsAndLostChunksAreResent(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	var n atomic.Int64
	gw.SetChunkHook(func(*agentv1.LogChunk) gatewaytest.ChunkAction {
		switch n.Add(1) {
		case 3, 20:
			return gatewaytest.Ignore // stored nothing, said nothing
		case 6, 7, 12:
			return gatewaytest.Refuse // stored nothing, acked the end
		}
		return gatewaytest.Store
	})
	dir := t.TempDir()
	startAgent(t, gw, dir, func(d *Deps) { d.Tuning.ChunkSize = 1024; d.Tuning.Window = 8 << 10 })
	waitConnects(t, gw, 1)
	gw.RunJob(newRunJob("job-gap", "bytes 40000"))
	waitState(t, gw, "job-gap", agentv1.JobState_JOB_STATE_SUCCESS)
	checkLog(t, gw, "job-gap", 1, fake.Bytes(40000))
	if s := gw.Stats(); s.Gaps == 0 || s.Connects != 1 {
		t.Fatalf("stats %+v: want gaps resent on the same stream", s)
	}
	noViolations(t, gw)
}

// The last chunk of a job silently lost: only the resend timer can save it,
// and the final status must wait.
func TestLastChunkLostIsResent(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	var once atomic.Bool
	gw.SetChunkHook(func(c *agentv1.LogChunk) gatewaytest.ChunkAction {
		if c.GetStep() == 1 && once.CompareAndSwap(false, true) {
			return gatewaytest.Ignore
		}
		return gatewaytest.Store
	})
	dir := t.TempDir()
	startAgent(t, gw, dir)
	waitConnects(t, gw, 1)
	gw.RunJob(newRunJob("job-last", "echo only line"))
	waitState(t, gw, "job-last", agentv1.JobState_JOB_STATE_SUCCESS)
	checkLog(t, gw, "job-last", 1, []byte("only line\n"))
	noViolations(t, gw)
}

func TestStatusResentUntilAcknowledged(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	gw.SetAckStatuses(false)
	dir := t.TempDir()
	startAgent(t, gw, dir)
	waitConnects(t, gw, 1)
	gw.RunJob(newRunJob("job-ack", "echo hi"))
	finals := func() int {
		n := 0
		for _, s := range gw.Statuses("job-ack") {
			if s.GetState() == agentv1.JobState_JOB_STATE_SUCCESS {
				n++
			}
		}
		return n
	}
	// Resent on the same stream while unacknowledged ...
	gw.Wait(t, waitFor, "the final status twice", func() bool { return finals() >= 2 })
	// ... and after a reconnect.
	before := finals()
	gw.Drop()
	waitConnects(t, gw, 2)
	gw.Wait(t, waitFor, "the final status after reconnecting", func() bool { return finals() > before })
	if _, err := os.Stat(filepath.Join(dir, JobsDir, "job-ack")); err != nil {
		t.Fatalf("the job directory went before the ack: %v", err)
	}
	gw.SetAckStatuses(true)
	waitGone(t, gw, dir, "job-ack")
	noViolations(t, gw)
}

func TestCancelJob(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	dir := t.TempDir()
	startAgent(t, gw, dir)
	waitConnects(t, gw, 1)
	gw.RunJob(newRunJob("job-c", "echo before\nhang"))
	waitState(t, gw, "job-c", agentv1.JobState_JOB_STATE_RUNNING)
	gw.CancelJob("job-c", "cancelled by alice")
	st := waitState(t, gw, "job-c", agentv1.JobState_JOB_STATE_CANCELLED)
	if st.GetMessage() != "cancelled by alice" || st.GetStep() != 1 {
		t.Fatalf("status %v", st)
	}
	if !strings.HasPrefix(string(gw.Log("job-c", 1)), "before\n") {
		t.Fatalf("log %q", gw.Log("job-c", 1))
	}
	// CancelJob of a job the agent does not have is not answered.
	gw.CancelJob("job-unknown", "x")
	waitGone(t, gw, dir, "job-c")
	gw.CancelJob("job-c", "again") // already finished and gone: ignored
	noViolations(t, gw)
}

func TestJobsBeyondCapacityAreRefused(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	dir := t.TempDir()
	startAgent(t, gw, dir, func(d *Deps) { d.Capacity = 1 })
	waitConnects(t, gw, 1)
	gw.RunJob(newRunJob("job-a", "hang"))
	waitState(t, gw, "job-a", agentv1.JobState_JOB_STATE_RUNNING)
	gw.RunJob(newRunJob("job-b", "hang"))
	st := waitState(t, gw, "job-b", agentv1.JobState_JOB_STATE_FAILURE)
	if st.GetMessage() != MsgAtCapacity {
		t.Fatalf("status %v", st)
	}
	if _, err := os.Stat(filepath.Join(dir, JobsDir, "job-b")); !os.IsNotExist(err) {
		t.Fatalf("a refused job left a directory: %v", err)
	}
}

func TestInvalidJobIsRefused(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	dir := t.TempDir()
	startAgent(t, gw, dir)
	waitConnects(t, gw, 1)
	gw.RunJob(newRunJob("../escape", "echo x"))
	st := waitState(t, gw, "../escape", agentv1.JobState_JOB_STATE_FAILURE)
	if !strings.Contains(st.GetMessage(), "not a valid id") {
		t.Fatalf("status %v", st)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, JobsDir))
	if len(entries) != 0 {
		t.Fatalf("jobs directory holds %v", entries)
	}
	if _, err := os.Stat(filepath.Join(dir, "escape")); !os.IsNotExist(err) {
		t.Fatal("a job directory escaped the jobs directory")
	}
}

func TestLogLimitFailsTheJob(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	dir := t.TempDir()
	startAgent(t, gw, dir, func(d *Deps) { d.MaxJobLogBytes = 10000 })
	waitConnects(t, gw, 1)
	gw.RunJob(newRunJob("job-big", "bytes 6000", "bytes 20000\nhang"))
	st := waitState(t, gw, "job-big", agentv1.JobState_JOB_STATE_FAILURE)
	if st.GetMessage() != MsgLogLimitExceeded {
		t.Fatalf("status %v", st)
	}
	var total uint64
	for _, n := range st.GetLogLengths() {
		total += n
	}
	if total != 10000 {
		t.Fatalf("log_lengths %v: total %d, want exactly the limit", st.GetLogLengths(), total)
	}
	checkLog(t, gw, "job-big", 1, fake.Bytes(6000))
	checkLog(t, gw, "job-big", 2, fake.Bytes(10000-6000-len(checkoutLog)))
	noViolations(t, gw)
}

func TestArtifactsUploadedBeforeTheFinalStatus(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	gw.FailUploads(connect.CodeUnavailable) // retried
	dir := t.TempDir()
	startAgent(t, gw, dir, func(d *Deps) { d.Tuning.UploadChunk = 100 })
	waitConnects(t, gw, 1)
	j := newRunJob("job-art", "write out/a.txt "+strings.Repeat("x", 1000))
	j.ArtifactPaths = []string{"out"}
	gw.RunJob(j)
	waitState(t, gw, "job-art", agentv1.JobState_JOB_STATE_SUCCESS)
	data, ok := gw.Artifact("job-art", runner.ArtifactsFile)
	if !ok || len(data) == 0 {
		t.Fatalf("artifacts stored: %v", gw.ArtifactNames())
	}
	if gw.Stats().Uploads != 2 {
		t.Fatalf("%d uploads, want 2 (one refused as unavailable)", gw.Stats().Uploads)
	}
	onDisk := filepath.Join(dir, JobsDir, "job-art", runner.ArtifactsFile)
	if b, err := os.ReadFile(onDisk); err == nil && !bytes.Equal(b, data) {
		t.Fatal("uploaded bytes differ from the archive")
	}
	noViolations(t, gw)
}

func TestArtifactUploadRefusedFailsTheJob(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	gw.FailUploads(connect.CodePermissionDenied)
	dir := t.TempDir()
	startAgent(t, gw, dir)
	waitConnects(t, gw, 1)
	j := newRunJob("job-art2", "write a.txt hi")
	j.ArtifactPaths = []string{"a.txt"}
	gw.RunJob(j)
	st := waitState(t, gw, "job-art2", agentv1.JobState_JOB_STATE_FAILURE)
	if !strings.HasPrefix(st.GetMessage(), "uploading the artifacts failed") {
		t.Fatalf("status %v", st)
	}
	if !strings.Contains(string(gw.Log("job-art2", 1)), "hearth: uploading the artifacts failed") {
		t.Fatalf("log %q", gw.Log("job-art2", 1))
	}
	noViolations(t, gw)
}

func TestStartFailureFailsTheJob(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	dir := t.TempDir()
	startAgent(t, gw, dir, func(d *Deps) {
		d.Runner = fake.New(fake.Options{StartError: func(*agentv1.RunJob) error { return os.ErrPermission }})
	})
	waitConnects(t, gw, 1)
	gw.RunJob(newRunJob("job-sf", "echo x"))
	st := waitState(t, gw, "job-sf", agentv1.JobState_JOB_STATE_FAILURE)
	if !strings.HasPrefix(st.GetMessage(), "starting the job failed") {
		t.Fatalf("status %v", st)
	}
	waitGone(t, gw, dir, "job-sf")
	noViolations(t, gw)
}
