package kubernetes

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"google.golang.org/protobuf/types/known/durationpb"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
	"github.com/hearth-dev/hearth/nodeagent/kubetest"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

var cluster *kubetest.ControlPlane

// TestMain starts one API server for the package's tests; each test gets
// its own namespace.
func TestMain(m *testing.M) {
	os.Exit(kubetest.MainWithControlPlane(m, func(cp *kubetest.ControlPlane) { cluster = cp }))
}

// newRunner makes a runner for a fresh namespace.
func newRunner(t *testing.T) (*Runner, string) {
	t.Helper()
	ns := "jobs-" + strings.ToLower(strings.ReplaceAll(t.Name(), "_", "-"))
	if len(ns) > 50 {
		ns = ns[:50]
	}
	ns = strings.Trim(ns, "-")
	cluster.Namespace(t, ns)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	r, err := New(ctx, Options{
		Config: cluster.Config, Namespace: ns, Cluster: "test cluster", Agent: "agent-1",
		HelperImage: "hearth/helper:test", DefaultImage: "busybox:test", KillGrace: time.Second,
		Log: zerolog.New(zerolog.NewTestWriter(t)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return r, ns
}

func testJob(id string) *agentv1.RunJob {
	return &agentv1.RunJob{
		JobId: id, PipelineId: "p1", Project: "alice/app", Name: "build", Attempt: 2,
		CloneUrl: "http://git.invalid/alice/app.git", CommitSha: strings.Repeat("a", 40), Ref: "refs/heads/main",
		CloneToken: "hct_secret-token-value", Env: map[string]string{"GREETING": "hello"},
		Steps: []*agentv1.Step{{Name: "one", Script: "echo one"}, {Name: "two", Script: "echo 'two'"}},
	}
}

func jobDir(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "job")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

// waitPod waits until the job's pod exists.
func waitPod(t *testing.T, r *Runner, jobID string) *corev1.Pod {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		p, err := cluster.Client.CoreV1().Pods(r.o.Namespace).Get(context.Background(), PodName(jobID), metav1.GetOptions{})
		if err == nil {
			return p
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("pod of job %s never appeared", jobID)
	return nil
}

func waitDone(t *testing.T, h runner.Handle) runner.Result {
	t.Helper()
	select {
	case <-h.Done():
		return h.Result()
	case <-time.After(20 * time.Second):
		t.Fatal("the job did not end")
	}
	return runner.Result{}
}

func withTimeout(job *agentv1.RunJob, d time.Duration) *agentv1.RunJob {
	job.Timeout = durationpb.New(d)
	return job
}
