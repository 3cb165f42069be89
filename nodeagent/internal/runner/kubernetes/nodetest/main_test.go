// Package nodetest runs the kubernetes runner against a real node: etcd,
// kube-apiserver, kube-scheduler, a kubelet with containerd and runc, in
// the test binary's own network namespace (kubetest.InNetns). Pods really
// run: the checkout is job-init in a helper image holding this checkout's
// hearth-agent, the steps run in busybox.
package nodetest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	corev1 "k8s.io/api/core/v1"

	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
	"github.com/hearth-dev/hearth/nodeagent/internal/runner/kubernetes"
	"github.com/hearth-dev/hearth/nodeagent/kubetest"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

func TestMain(m *testing.M) { os.Exit(kubetest.InNetns(m)) }

const helperImage = "hearth/helper:test"

var (
	buildOnce sync.Once
	agentBin  string
	buildErr  error
)

// staticAgent builds this checkout's hearth-agent without cgo, for the
// helper image (it runs in busybox, with no C library).
func staticAgent(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "hearth-helper-")
		if err != nil {
			buildErr = err
			return
		}
		agentBin = filepath.Join(dir, "hearth-agent")
		cmd := exec.CommandContext(context.Background(), "go", "build", "-o", agentBin, "github.com/hearth-dev/hearth/nodeagent/cmd/hearth-agent")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = err
			t.Logf("go build: %s", out)
		}
	})
	if buildErr != nil {
		t.Fatalf("building hearth-agent for the helper image: %v", buildErr)
	}
	return agentBin
}

// cluster is a control plane with one real node holding the test images.
type cluster struct {
	cp   *kubetest.ControlPlane
	node *kubetest.Node
}

func startCluster(t *testing.T) *cluster {
	t.Helper()
	cp := kubetest.StartControlPlane(t)
	node := kubetest.StartNode(t, cp)
	files := kubetest.BusyboxFiles(t)
	files["/hearth-agent"] = kubetest.File{Path: staticAgent(t)}
	node.ImportImage(t, helperImage, files)
	return &cluster{cp: cp, node: node}
}

// runner makes a kubernetes runner for a new namespace of c.
func (c *cluster) runner(t *testing.T, ns string) *kubernetes.Runner {
	t.Helper()
	c.cp.Namespace(t, ns)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return c.runnerIn(ctx, t, ns)
}

func (c *cluster) runnerIn(ctx context.Context, t *testing.T, ns string) *kubernetes.Runner {
	t.Helper()
	r, err := kubernetes.New(ctx, kubernetes.Options{
		Config: c.cp.Config, Namespace: ns, Cluster: "real", Agent: "agent-1",
		HelperImage: helperImage, DefaultImage: kubetest.BusyboxImage, PullPolicy: corev1.PullNever,
		KillGrace: 2 * time.Second, Log: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel),
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func job(id, cloneURL, sha string, scripts ...string) *agentv1.RunJob {
	j := &agentv1.RunJob{
		JobId: id, PipelineId: "p", Project: "alice/app", Name: "build", Attempt: 1,
		CloneUrl: cloneURL, CommitSha: sha, Ref: "refs/heads/main", CloneToken: "hct_node-token",
		Env: map[string]string{"GREETING": "hello from env"},
	}
	for i, s := range scripts {
		j.Steps = append(j.Steps, &agentv1.Step{Name: "step " + string(rune('1'+i)), Script: s})
	}
	return j
}

func jobDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "job")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

func wait(t *testing.T, h runner.Handle, d time.Duration) runner.Result {
	t.Helper()
	select {
	case <-h.Done():
		return h.Result()
	case <-time.After(d):
		t.Fatalf("the job did not end within %v", d)
	}
	return runner.Result{}
}

func readLog(t *testing.T, dir string, step uint32) string {
	t.Helper()
	data, err := os.ReadFile(runner.LogPath(dir, step))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(data)
}

// waitLog waits until a step's log holds s.
func waitLog(t *testing.T, dir string, step uint32, s string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if strings.Contains(readLog(t, dir, step), s) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("step %d's log never held %q: %q", step, s, readLog(t, dir, step))
}
