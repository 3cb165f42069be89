package session

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hearth-dev/hearth/nodeagent/internal/gatewaytest"
	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
	"github.com/hearth-dev/hearth/nodeagent/internal/runner/fake"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
	"github.com/hearth-dev/hearth/shared/logmask"
)

const (
	secretValue = "hunter2-s3cr3t-value"
	secretLine  = "line-two-of-the-key-file"
	secretFile  = "-----BEGIN TEST KEY-----\n" + secretLine + "\n-----END TEST KEY-----\n"
)

// secretJob is a job carrying secretValue as a variable and secretFile as
// a file.
func secretJob(id string, scripts ...string) *agentv1.RunJob {
	j := newRunJob(id, scripts...)
	j.SecretEnv = map[string]string{"TOKEN": secretValue}
	j.Files = map[string][]byte{"key.pem": []byte(secretFile)}
	return j
}

// printBytes is a fake script writing text one byte per write, pausing
// after every pause bytes so the agent's polls see the text cut anywhere.
func printBytes(text string, pause int) string {
	var b strings.Builder
	for i, c := range []byte(text) {
		b.WriteString("print " + strconv.Quote(string(c)) + "\n")
		if pause > 0 && i%pause == pause-1 {
			b.WriteString("sleep 25ms\n")
		}
	}
	return b.String()
}

// masked is what the control plane must store for raw, a whole step log
// of a secretJob.
func masked(raw string) []byte {
	s := logmask.New([][]byte{[]byte(secretValue), []byte(secretFile)}).Stream()
	return append(s.Write([]byte(raw)), s.Flush()...)
}

// noSecretSent fails if any chunk the control plane received holds a
// secret or its base64.
func noSecretSent(t *testing.T, gw *gatewaytest.Server) {
	t.Helper()
	b64 := base64.StdEncoding.EncodeToString([]byte(secretValue))
	for _, c := range gw.Chunks() {
		for _, s := range []string{secretValue, secretLine, b64[:len(b64)-4]} {
			if bytes.Contains(c.GetData(), []byte(s)) {
				t.Fatalf("chunk %d:%d holds a secret: %q", c.GetStep(), c.GetOffset(), c.GetData())
			}
		}
	}
}

// contiguous fails unless every step's chunks, in the order received,
// follow each other without gap or overlap.
func contiguous(t *testing.T, gw *gatewaytest.Server, id string) {
	t.Helper()
	next := map[uint32]uint64{}
	for _, c := range gw.Chunks() {
		if c.GetJobId() != id {
			continue
		}
		if c.GetOffset() != next[c.GetStep()] {
			t.Fatalf("step %d: chunk at %d, want %d", c.GetStep(), c.GetOffset(), next[c.GetStep()])
		}
		next[c.GetStep()] += uint64(len(c.GetData()))
	}
}

// A job's secrets, written a byte at a time and cut across polls and
// chunks, reach the control plane as Mask, at offsets of the masked
// stream; a prefix of a secret that ends a step is the step's last bytes
// and is stored before the next step's.
func TestSecretsAreMaskedBeforeTheLogLeaves(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	var (
		mu    sync.Mutex
		steps []uint32
	)
	gw.SetChunkHook(func(c *agentv1.LogChunk) gatewaytest.ChunkAction {
		mu.Lock()
		defer mu.Unlock()
		steps = append(steps, c.GetStep())
		return gatewaytest.Store
	})
	dir := t.TempDir()
	startAgent(t, gw, dir, func(d *Deps) { d.Tuning.ChunkSize = 5; d.Tuning.Window = 64 })
	waitConnects(t, gw, 1)
	b64 := base64.StdEncoding.EncodeToString([]byte(secretValue + "\n"))
	raw := []string{
		"token=" + secretValue + " and again:" + secretValue + "\n",
		"  " + secretLine + "\nencoded " + b64 + "\n",
		"ends with a prefix hunter2-s3c",
		"next step\n",
	}
	gw.RunJob(secretJob("job-mask",
		printBytes(raw[0], 3),
		"print "+strconv.Quote(raw[1]),
		printBytes(raw[2], 7),
		"echo next step",
	))
	st := waitState(t, gw, "job-mask", agentv1.JobState_JOB_STATE_SUCCESS)
	want := [][]byte{[]byte(checkoutLog), []byte("token=*** and again:***\n"), masked(raw[1]), []byte(raw[2]), []byte(raw[3])}
	if !bytes.HasPrefix(want[2], []byte("  ***\nencoded ***")) {
		t.Fatalf("the test's own expectation is wrong: %q", want[2])
	}
	lengths := make([]uint64, len(want))
	for step, w := range want {
		checkLog(t, gw, "job-mask", uint32(step), w)
		lengths[step] = uint64(len(w))
	}
	if !slices.Equal(st.GetLogLengths(), lengths) {
		t.Fatalf("log_lengths %v, want the masked lengths %v", st.GetLogLengths(), lengths)
	}
	noSecretSent(t, gw)
	contiguous(t, gw, "job-mask")
	mu.Lock()
	if !slices.IsSorted(steps) {
		t.Errorf("steps stored out of order: %v", steps)
	}
	mu.Unlock()
	if s := gw.Stats(); s.Duplicates != 0 || s.Gaps != 0 {
		t.Fatalf("duplicates %d, gaps %d on a healthy stream", s.Duplicates, s.Gaps)
	}
	waitGone(t, gw, dir, "job-mask")
	noViolations(t, gw)
}

// Only a possible start of a secret is kept back: the rest of a running
// job's output goes out at once, and the kept-back bytes once decided.
func TestOnlyAPossibleSecretIsKeptBack(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	dir := t.TempDir()
	a := startAgent(t, gw, dir)
	waitConnects(t, gw, 1)
	gw.RunJob(secretJob("job-hold", `print "plain text;"`+"\ngate g1\n"+`print " then hunter2-s3"`+"\ngate g2\n"+`print "cr3t-value!"`))
	gw.Wait(t, waitFor, "the plain text", func() bool { return string(gw.Log("job-hold", 1)) == "plain text;" })
	a.runner.OpenGate("g1")
	gw.Wait(t, waitFor, "all but the prefix", func() bool { return string(gw.Log("job-hold", 1)) == "plain text; then " })
	a.runner.OpenGate("g2")
	waitState(t, gw, "job-hold", agentv1.JobState_JOB_STATE_SUCCESS)
	checkLog(t, gw, "job-hold", 1, []byte("plain text; then ***!"))
	noViolations(t, gw)
}

// Dropped connections and lost chunks are resent from the masked copy:
// the stored log is the masked stream, once.
func TestMaskedLogSurvivesDroppedConnections(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	var (
		n       atomic.Int64
		mu      sync.Mutex
		dropped = map[[2]uint64]bool{}
	)
	gw.SetChunkHook(func(c *agentv1.LogChunk) gatewaytest.ChunkAction {
		k := n.Add(1)
		mu.Lock()
		defer mu.Unlock()
		at := [2]uint64{uint64(c.GetStep()), c.GetOffset()}
		if dropped[at] {
			return gatewaytest.Store
		}
		switch k % 9 {
		case 4:
			dropped[at] = true
			return gatewaytest.DropConnection
		case 7:
			dropped[at] = true
			return gatewaytest.Ignore
		}
		return gatewaytest.Store
	})
	dir := t.TempDir()
	startAgent(t, gw, dir, func(d *Deps) { d.Tuning.ChunkSize = 16; d.Tuning.Window = 64 })
	waitConnects(t, gw, 1)
	var raw strings.Builder
	for i := range 40 {
		raw.WriteString("line " + strconv.Itoa(i) + " " + secretValue + " " + secretLine + "\n")
	}
	gw.RunJob(secretJob("job-mdrop", printBytes(raw.String()[:300], 50)+"bytes 0\n"+"print "+strconv.Quote(raw.String()[300:])))
	st := waitState(t, gw, "job-mdrop", agentv1.JobState_JOB_STATE_SUCCESS)
	want := masked(raw.String())
	checkLog(t, gw, "job-mdrop", 1, want)
	if st.GetLogLengths()[1] != uint64(len(want)) {
		t.Fatalf("log_lengths %v, want %d for step 1", st.GetLogLengths(), len(want))
	}
	if gw.Stats().Connects < 3 {
		t.Fatalf("only %d streams: the hook did not drop connections", gw.Stats().Connects)
	}
	noSecretSent(t, gw)
	noViolations(t, gw)
}

// The log limit counts the bytes shipped: masked ones.
func TestLogLimitCountsMaskedBytes(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	dir := t.TempDir()
	const limit = 400
	startAgent(t, gw, dir, func(d *Deps) { d.MaxJobLogBytes = limit })
	waitConnects(t, gw, 1)
	// 20 lines of 21 raw bytes (420 with the checkout's, over the limit)
	// are 20 of 4 masked.
	gw.RunJob(secretJob("job-under", strings.Repeat("echo "+secretValue+"\n", 20)))
	st := waitState(t, gw, "job-under", agentv1.JobState_JOB_STATE_SUCCESS)
	if want := []uint64{uint64(len(checkoutLog)), 80}; !slices.Equal(st.GetLogLengths(), want) {
		t.Fatalf("log_lengths %v, want %v", st.GetLogLengths(), want)
	}
	checkLog(t, gw, "job-under", 1, bytes.Repeat([]byte("***\n"), 20))

	gw.RunJob(secretJob("job-over", strings.Repeat("echo "+secretValue+"\n", 20)+"bytes 1000\nhang"))
	st = waitState(t, gw, "job-over", agentv1.JobState_JOB_STATE_FAILURE)
	if st.GetMessage() != MsgLogLimitExceeded {
		t.Fatalf("status %v", st)
	}
	var total uint64
	for _, n := range st.GetLogLengths() {
		total += n
	}
	if total != limit {
		t.Fatalf("log_lengths %v: total %d, want exactly the limit", st.GetLogLengths(), total)
	}
	want := append(bytes.Repeat([]byte("***\n"), 20), fake.Bytes(limit-len(checkoutLog)-80)...)
	checkLog(t, gw, "job-over", 1, want)
	noSecretSent(t, gw)
	noViolations(t, gw)
}

// An agent restarted in the middle of a masked job goes on from where its
// copy was recorded: bytes the stopped agent wrote past its record are
// written again, none lost or sent twice. The new agent has no values
// (job.json never holds them), so the rest of the log, kept-back prefix
// included, is shipped unmasked for the control plane to mask.
func TestRestartContinuesTheMaskedCopy(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	dir := t.TempDir()
	a := startAgent(t, gw, dir, func(d *Deps) { d.Tuning.ChunkSize = 4 })
	waitConnects(t, gw, 1)
	gw.RunJob(secretJob("job-mr",
		"echo a "+secretValue+"\n"+`print "b hunter2-s3"`+"\ngate resume\n"+`print "cr3t-value\n"`+"\necho c "+secretValue,
		"echo d "+secretValue,
	))
	gw.Wait(t, waitFor, "the first line and what is no secret", func() bool { return string(gw.Log("job-mr", 1)) == "a ***\nb " })
	jobDir := filepath.Join(dir, JobsDir, "job-mr")
	b, err := os.ReadFile(filepath.Join(jobDir, runner.JobFile))
	if err != nil {
		t.Fatal(err)
	}
	// (The scripts hold secretValue: this test's job prints it.)
	for _, s := range []string{"TOKEN", "key.pem", secretLine, "secretEnv", "files"} {
		if bytes.Contains(b, []byte(s)) {
			t.Fatalf("job.json holds the job's secrets (%s): %s", s, b)
		}
	}
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	// As if the agent had died between writing to the copy and recording
	// it: the next one must drop these bytes.
	f, err := os.OpenFile(maskedPath(jobDir, 1), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(strings.Repeat("GARBAGE", 20)); err != nil {
		t.Fatal(err)
	}
	f.Close()

	b2 := startAgent(t, gw, dir, func(d *Deps) { d.Tuning.ChunkSize = 4 })
	waitConnects(t, gw, 2)
	// The copy is cut back to its record, then continued from the raw
	// bytes the stopped agent kept back (now unmasked).
	gw.Wait(t, waitFor, "the copy cut back and continued", func() bool {
		st, err := os.Stat(maskedPath(jobDir, 1))
		return err == nil && st.Size() == int64(len("a ***\nb hunter2-s3"))
	})
	b2.runner.OpenGate("resume")
	st := waitState(t, gw, "job-mr", agentv1.JobState_JOB_STATE_SUCCESS)
	want := []byte("a ***\nb hunter2-s3cr3t-value\nc " + secretValue + "\n")
	checkLog(t, gw, "job-mr", 1, want)
	checkLog(t, gw, "job-mr", 2, []byte("d "+secretValue+"\n"))
	if got := st.GetLogLengths(); len(got) != 3 || got[1] != uint64(len(want)) {
		t.Fatalf("log_lengths %v", got)
	}
	waitGone(t, gw, dir, "job-mr")
	noViolations(t, gw)
}

// A job without secrets ships its raw logs, with no copy.
func TestJobWithoutSecretsIsNotCopied(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	dir := t.TempDir()
	startAgent(t, gw, dir)
	waitConnects(t, gw, 1)
	j := newRunJob("job-plain", "echo "+secretValue+"\nhang")
	j.SecretEnv = map[string]string{"SHORT": "tiny"} // too short to mask
	gw.RunJob(j)
	gw.Wait(t, waitFor, "the line", func() bool { return string(gw.Log("job-plain", 1)) == secretValue+"\n" })
	for _, name := range []string{maskedDir, maskedFile} {
		if _, err := os.Stat(filepath.Join(dir, JobsDir, "job-plain", name)); !os.IsNotExist(err) {
			t.Fatalf("%s exists for a job without secrets: %v", name, err)
		}
	}
	gw.CancelJob("job-plain", "done")
	waitState(t, gw, "job-plain", agentv1.JobState_JOB_STATE_CANCELLED)
	noViolations(t, gw)
}
