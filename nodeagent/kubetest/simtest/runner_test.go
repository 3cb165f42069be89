package simtest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/nodeagent/internal/gittest"
	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
	"github.com/hearth-dev/hearth/nodeagent/internal/runner/kubernetes"
	"github.com/hearth-dev/hearth/nodeagent/kubetest"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

const cloneToken = "hct_sim-clone-token"

// simEnv is a namespace, the simulated node serving it and the real
// kubernetes runner running jobs in it.
type simEnv struct {
	*kubernetes.Runner
	node *kubetest.SimNode
	ns   string
}

// newRunner makes a simEnv for the test.
func newRunner(t testing.TB, opts kubetest.SimOptions) simEnv {
	t.Helper()
	ns := namespace(t)
	node := simNode(t, ns, opts)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	r, err := kubernetes.New(ctx, kubernetes.Options{
		Config: cluster.Config, Namespace: ns, Cluster: "sim", Agent: "agent-1",
		HelperImage: "hearth/helper:test", DefaultImage: "busybox:test", KillGrace: time.Second,
		Log: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel),
	})
	if err != nil {
		t.Fatal(err)
	}
	return simEnv{Runner: r, node: node, ns: ns}
}

// repoJob is a job checking out a fresh repository (served with
// cloneToken required) and running steps.
func repoJob(t testing.TB, id string, steps ...string) (*agentv1.RunJob, *gittest.Server, string) {
	srv, url, sha := gittest.NewRepo(t, cloneToken, map[string]string{"hello.txt": "hello from git\n"})
	job := &agentv1.RunJob{
		JobId: id, PipelineId: "p1", Project: "alice/app", Name: "build", Attempt: 1,
		CloneUrl: url, CommitSha: sha, Ref: "refs/heads/main", CloneToken: cloneToken,
		Env: map[string]string{"GREETING": "hi"},
	}
	for i, s := range steps {
		job.Steps = append(job.Steps, &agentv1.Step{Name: "step" + string(rune('1'+i)), Script: s})
	}
	return job, srv, sha
}

func start(t testing.TB, r simEnv, job *agentv1.RunJob) (runner.Handle, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "job")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	h, err := r.Start(context.Background(), job, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		h.Cancel("the test is over")
		select {
		case <-h.Done():
		case <-time.After(30 * time.Second):
		}
	})
	return h, dir
}

func wait(t testing.TB, h runner.Handle) runner.Result {
	t.Helper()
	select {
	case <-h.Done():
		return h.Result()
	case <-time.After(60 * time.Second):
		t.Fatal("the job did not end")
	}
	return runner.Result{}
}

func stepLog(t testing.TB, dir string, step uint32) string {
	t.Helper()
	data, err := os.ReadFile(runner.LogPath(dir, step))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(data)
}

// TestRunnerJobSucceeds: the real runner's pod runs on the simulated node:
// job-init gets the clone token through the attach and checks the commit
// out, the steps run in the workspace with the job's environment, and the
// step logs hold exactly what each step printed.
func TestRunnerJobSucceeds(t *testing.T) {
	r := newRunner(t, kubetest.SimOptions{})
	job, srv, sha := repoJob(t, "job-ok", `cat hello.txt; echo "$GREETING from $(basename "$PWD")"`, "echo two; echo to stderr >&2")
	h, dir := start(t, r, job)
	res := wait(t, h)
	if res.State != agentv1.JobState_JOB_STATE_SUCCESS || res.Step != 2 {
		t.Fatalf("result %+v; checkout log %q", res, stepLog(t, dir, 0))
	}
	if got := stepLog(t, dir, 1); got != "hello from git\nhi from workspace\n" {
		t.Errorf("step 1 log %q", got)
	}
	if got := stepLog(t, dir, 2); got != "two\nto stderr\n" {
		t.Errorf("step 2 log %q", got)
	}
	if got := stepLog(t, dir, 0); !strings.Contains(got, "hearth: checked out "+sha) || strings.Contains(got, cloneToken) {
		t.Errorf("checkout log %q", got)
	}
	t.Logf("%d log requests", r.node.LogRequests())
	var sawToken bool
	for _, h := range srv.AuthHeaders() {
		sawToken = sawToken || h == "Bearer "+cloneToken
	}
	if !sawToken {
		t.Errorf("the git server never saw the clone token: %q", srv.AuthHeaders())
	}
}
