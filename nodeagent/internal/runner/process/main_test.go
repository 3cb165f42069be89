package process_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/hearth-dev/hearth/nodeagent/internal/gittest"
	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
	"github.com/hearth-dev/hearth/nodeagent/internal/runner/process"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

// agentDirEnv makes the test binary act as a crashing agent (see
// TestKillAgentThenResume): start the job in that directory, say so, hang.
const agentDirEnv = "HEARTH_PROCESS_TEST_AGENT_DIR"

func TestMain(m *testing.M) {
	for _, bin := range []string{"bash", "git"} {
		if _, err := exec.LookPath(bin); err != nil {
			fmt.Fprintf(os.Stderr, "the process runner's tests need %s: apt-get install -y %s\n", bin, bin)
			os.Exit(1)
		}
	}
	if dir := os.Getenv(agentDirEnv); dir != "" {
		os.Exit(crashingAgent(dir))
	}
	os.Exit(m.Run())
}

func crashingAgent(dir string) int {
	data, err := os.ReadFile(filepath.Join(dir, runner.JobFile))
	if err != nil {
		fmt.Println(err)
		return 1
	}
	job := &agentv1.RunJob{}
	if err := protojson.Unmarshal(data, job); err != nil {
		fmt.Println(err)
		return 1
	}
	r, err := process.New(process.Options{})
	if err != nil {
		fmt.Println(err)
		return 1
	}
	if _, err := r.Start(context.Background(), job, dir); err != nil {
		fmt.Println(err)
		return 1
	}
	fmt.Println("started")
	select {} // until the test kills us
}

func newRunner(t *testing.T, o process.Options) *process.Runner {
	t.Helper()
	r, err := process.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func newJob(scripts ...string) *agentv1.RunJob {
	job := &agentv1.RunJob{JobId: "job-1", PipelineId: "pipe-1", Project: "owner/proj", CommitSha: strings.Repeat("a", 40), Ref: "refs/heads/main"}
	for i, s := range scripts {
		job.Steps = append(job.Steps, &agentv1.Step{Name: fmt.Sprintf("step %d", i+1), Script: s})
	}
	return job
}

// jobDir makes a job directory holding job.json, as the session does.
func jobDir(t *testing.T, job *agentv1.RunJob) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), job.GetJobId())
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	data, err := protojson.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, runner.JobFile), data, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func start(t *testing.T, r *process.Runner, job *agentv1.RunJob) (runner.Handle, string) {
	t.Helper()
	dir := jobDir(t, job)
	h, err := r.Start(context.Background(), job, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Cancel("test over"); waitDone(t, h, 30*time.Second) })
	return h, dir
}

func waitDone(t *testing.T, h runner.Handle, d time.Duration) runner.Result {
	t.Helper()
	select {
	case <-h.Done():
		return h.Result()
	case <-time.After(d):
		t.Fatalf("job not done within %s", d)
		return runner.Result{}
	}
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(10 * time.Millisecond)
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

func logContains(dir string, step uint32, s string) func() bool {
	return func() bool {
		data, _ := os.ReadFile(runner.LogPath(dir, step))
		return strings.Contains(string(data), s)
	}
}

// newRepo creates a bare repository with one commit (files) served over
// smart HTTP and returns the server, the clone URL and the commit id.
func newRepo(t *testing.T, token string, files map[string]string) (*gittest.Server, string, string) {
	return gittest.NewRepo(t, token, files)
}

// alive reports whether pid runs (a zombie does not: PID 1 may not reap).
func alive(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] != 'Z'
}

// readPids reads whitespace-separated pids a step wrote.
func readPids(t *testing.T, path string) []int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var pids []int
	sc := bufio.NewScanner(f)
	sc.Split(bufio.ScanWords)
	for sc.Scan() {
		var pid int
		if _, err := fmt.Sscan(sc.Text(), &pid); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}
