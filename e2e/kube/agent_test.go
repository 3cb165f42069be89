package kube

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hearth-dev/hearth/nodeagent/kubetest"
)

const (
	jobsNamespace  = "jobs"
	identitySecret = "agent-identity"
	helperImage    = "hearth/helper:test"
)

// kcluster is a Kubernetes cluster with one real node.
type kcluster struct {
	name string
	cp   *kubetest.ControlPlane
	node *kubetest.Node
}

func startKube(t testing.TB, name string) *kcluster {
	t.Helper()
	cp := kubetest.StartControlPlane(t)
	node := kubetest.StartNode(t, cp)
	files := kubetest.BusyboxFiles(t)
	files["/hearth-agent"] = kubetest.File{Path: agentBinary}
	node.ImportImage(t, helperImage, files)
	cp.Namespace(t, jobsNamespace)
	// The agent keeps its identity here (--identity-secret): a restarted
	// agent with an empty data directory is the same agent.
	if _, err := cp.Client.CoreV1().Secrets(jobsNamespace).Create(t.Context(),
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: identitySecret}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return &kcluster{name: name, cp: cp, node: node}
}

// agentID is the id of the agent registered from this cluster.
func (k *kcluster) agentID(t testing.TB) string {
	t.Helper()
	s, err := k.cp.Client.CoreV1().Secrets(jobsNamespace).Get(t.Context(), identitySecret, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var id struct {
		AgentID string `json:"agent_id"`
	}
	if err := json.Unmarshal(s.Data["identity.json"], &id); err != nil || id.AgentID == "" {
		t.Fatalf("identity Secret: %q %v", s.Data["identity.json"], err)
	}
	return id.AgentID
}

// pods lists the job pods in the cluster.
func (k *kcluster) pods(t testing.TB) []corev1.Pod {
	t.Helper()
	l, err := k.cp.Client.CoreV1().Pods(jobsNamespace).List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return l.Items
}

// agent is a hearth-agent process with the kubernetes runner.
type agent struct {
	t    testing.TB
	args []string
	env  []string

	mu  sync.Mutex
	cmd *exec.Cmd
	out bytes.Buffer
}

func (k *kcluster) startAgent(t testing.TB, w *world, joinToken, capacity string) *agent {
	t.Helper()
	return startAgent(t, joinToken, "run", "--server", w.base, "--runner", "kubernetes", "--kubeconfig", k.cp.Kubeconfig(t),
		"--kube-namespace", jobsNamespace, "--kube-cluster", k.name, "--kube-helper-image", helperImage,
		"--kube-default-image", kubetest.BusyboxImage, "--kube-image-pull-policy", "Never",
		"--identity-secret", identitySecret, "--lease", "hearth-agent", "--name", "agent-"+k.name, "--capacity", capacity, "--log-level", "debug")
}

// startProcessAgent runs an agent with the process runner (the benchmark's
// yardstick).
func startProcessAgent(t testing.TB, w *world, joinToken, capacity string) *agent {
	t.Helper()
	return startAgent(t, joinToken, "run", "--server", w.base, "--runner", "process", "--name", "agent-process",
		"--capacity", capacity, "--log-level", "info")
}

func startAgent(t testing.TB, joinToken string, args ...string) *agent {
	t.Helper()
	a := &agent{t: t, args: args, env: append(os.Environ(), "HEARTH_AGENT_JOIN_TOKEN="+joinToken)}
	a.start(t.TempDir())
	t.Cleanup(func() {
		a.stop()
		if t.Failed() {
			a.mu.Lock()
			t.Logf("agent %v output:\n%s", args[len(args)-7:], a.out.String())
			a.mu.Unlock()
		}
	})
	return a
}

// start runs the agent on dataDir (a new directory: what a replaced agent
// pod has).
func (a *agent) start(dataDir string) {
	a.t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	cmd := exec.CommandContext(context.Background(), agentBinary, append(a.args, "--data-dir", dataDir)...)
	cmd.Env = a.env
	cmd.Stdout, cmd.Stderr = &lockedWriter{a}, &lockedWriter{a}
	if err := cmd.Start(); err != nil {
		a.t.Fatalf("start agent: %v", err)
	}
	a.cmd = cmd
}

type lockedWriter struct{ a *agent }

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.a.mu.Lock()
	defer l.a.mu.Unlock()
	return l.a.out.Write(p)
}

// startFresh starts the agent again on a new, empty data directory (one
// that lives as long as the agent's test).
func (a *agent) startFresh() { a.start(a.t.TempDir()) }

// output is what the agent printed so far.
func (a *agent) output() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.out.String()
}

// kill9 kills the agent process: its pods live on.
func (a *agent) kill9() {
	a.mu.Lock()
	cmd := a.cmd
	a.mu.Unlock()
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
}

func (a *agent) stop() {
	a.mu.Lock()
	cmd := a.cmd
	a.mu.Unlock()
	if cmd == nil || cmd.ProcessState != nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}
