package kubetest

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// A SimNode plays a node for a ControlPlane's API server without a
// kubelet or a container runtime: it registers a Node, binds the pods
// nobody scheduled (there is no scheduler) to itself, and runs the pods
// bound to it as processes and Go functions on the host (simcontainer.go),
// driving their status as a kubelet would (simpod.go). Its HTTPS server
// answers the kubelet API paths the API server proxies to: containerLogs,
// exec and attach (simkubelet.go).
//
// It is for fast tests: unit and scenario runs of the kubernetes runner, a
// second cluster in multi-cluster tests, benchmarks with many pods. It
// shares nothing with a container: no isolation, no images, no resource
// limits; a real node (kubelet and containerd) remains the tier that
// proves the runner against Kubernetes itself.
type SimNode struct {
	// Name is the Node's name; Port its kubelet API's port on 127.0.0.1.
	Name string
	Port int

	cp     *ControlPlane
	client kubernetes.Interface
	opts   SimOptions
	dir    string // the pods' directories live here
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	logRequests atomic.Int64

	mu      sync.Mutex
	pods    map[string]*simPod    // "namespace/name" → the pod running under that name
	byUID   map[types.UID]*simPod // every pod the node ran, to run each once
	binding map[types.UID]bool    // unbound pods already bound (or refused)
	streams map[*logStream]struct{}
}

// SimOptions configure a SimNode; the zero value runs every pod's commands.
type SimOptions struct {
	// Name is the Node's name (default hearth-sim-<random>).
	Name string
	// Namespaces limits the node to pods of these namespaces (default all).
	Namespaces []string
	// CPU, Memory and Pods are the node's capacity and allocatable
	// (default 8 cores, 16Gi, 110 pods), which only the API server's
	// validation and a reader of the Node see: nothing is enforced.
	CPU, Memory string
	Pods        int
	// Program decides what a container does (default: its command, see
	// simcontainer.go); nil or a zero Behaviour keeps the default.
	Program func(pod *corev1.Pod, container string) Behaviour
	// Unschedulable, when it returns a message, leaves the pod unbound
	// with the condition a scheduler sets when no node fits.
	Unschedulable func(pod *corev1.Pod) string
	// LogCut, when set, is asked about each containerLogs request:
	// after how many bytes its response breaks (0: it does not), as
	// BreakLogStreams would break it.
	LogCut func(pod *corev1.Pod, container string, follow bool) int64
	// ReportLag delays the status saying a container terminated after
	// its log is complete, as a kubelet notices a container's end up to
	// a second later (PLEG relisting). Default 0: at once.
	ReportLag time.Duration
}

// StartSimNode registers a simulated node with cp and runs it until the
// test ends, when it kills what still runs and deletes its Node. It may be
// called from a TestMain (through MainWithControlPlane's testing.TB).
func StartSimNode(t testing.TB, cp *ControlPlane, opts SimOptions) *SimNode {
	t.Helper()
	if opts.Name == "" {
		opts.Name = "hearth-sim-" + randomHex(t)[:8]
	}
	cfg := rest.CopyConfig(cp.Config)
	cfg.UserAgent = "hearth-simnode"
	cfg.QPS, cfg.Burst = 500, 1000 // many pods change status at once in benchmarks
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "hearth-simnode-")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &SimNode{
		Name: opts.Name, cp: cp, client: client, opts: opts, dir: dir, ctx: ctx, cancel: cancel,
		pods: map[string]*simPod{}, byUID: map[types.UID]*simPod{}, binding: map[types.UID]bool{}, streams: map[*logStream]struct{}{},
	}
	srv, err := n.serveKubelet()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		n.stop()
		_ = srv.Close()
		_ = os.RemoveAll(dir)
	})
	if err := n.register(); err != nil {
		t.Fatalf("registering node %s: %v", n.Name, err)
	}
	if err := n.watchPods(); err != nil {
		t.Fatalf("node %s: watching pods: %v", n.Name, err)
	}
	return n
}

// register creates the Node, Ready, with its kubelet endpoint.
//
// Its status is written once and never refreshed: without a
// kube-controller-manager nothing marks a silent node NotReady or taints
// it, so heartbeats would only add API traffic (a benchmark's pods share
// the API server with them).
func (n *SimNode) register() error {
	cpu, memory, pods := n.opts.CPU, n.opts.Memory, n.opts.Pods
	if cpu == "" {
		cpu = "8"
	}
	if memory == "" {
		memory = "16Gi"
	}
	if pods == 0 {
		pods = 110
	}
	res := corev1.ResourceList{}
	for name, v := range map[corev1.ResourceName]string{corev1.ResourceCPU: cpu, corev1.ResourceMemory: memory, corev1.ResourcePods: strconv.Itoa(pods)} {
		q, err := resource.ParseQuantity(v)
		if err != nil {
			return fmt.Errorf("%s %q: %w", name, v, err)
		}
		res[name] = q
	}
	now := metav1.Now()
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: n.Name, Labels: map[string]string{
			corev1.LabelHostname: n.Name, corev1.LabelOSStable: "linux", "hearth.dev/simulated": "true",
		}},
	}
	status := corev1.NodeStatus{
		Capacity: res, Allocatable: res, Phase: corev1.NodeRunning,
		Conditions: []corev1.NodeCondition{{
			Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
			Message: "hearth simulated node is posting ready status", LastHeartbeatTime: now, LastTransitionTime: now,
		}},
		Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}, {Type: corev1.NodeHostName, Address: n.Name}},
		// The API server dials the kubelet API here (with
		// --kubelet-preferred-address-types InternalIP first), and
		// without --kubelet-certificate-authority it does not verify the
		// self-signed certificate. The node declares no features:
		// without ExtendWebSocketsToKubelet the API server turns a
		// client's WebSocket exec or attach into SPDY towards the node,
		// the one protocol remotecommand.ServeExec speaks in full (its
		// WebSocket side stops at v4, without the stdin close of v5).
		DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: int32(n.Port)}}, //nolint:gosec // G115: a TCP port
		NodeInfo: corev1.NodeSystemInfo{
			Architecture: "amd64", OperatingSystem: "linux", KubeletVersion: "v1.37.2-hearth-sim",
			ContainerRuntimeVersion: "hearth-sim://1", OSImage: "hearth simulated node",
		},
	}
	ctx, cancel := context.WithTimeout(n.ctx, 30*time.Second)
	defer cancel()
	created, err := n.client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		created, err = n.client.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
	}
	if err != nil {
		return err
	}
	created.Status = status
	_, err = n.client.CoreV1().Nodes().UpdateStatus(ctx, created, metav1.UpdateOptions{})
	return err
}

// stop kills every pod's processes (no grace: the test is over), waits
// for the node's goroutines and deletes the Node.
func (n *SimNode) stop() {
	n.mu.Lock()
	pods := make([]*simPod, 0, len(n.byUID))
	for _, p := range n.byUID {
		pods = append(pods, p)
	}
	n.mu.Unlock()
	for _, p := range pods {
		p.kill(0)
	}
	n.cancel()
	n.BreakLogStreams()
	n.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = n.client.CoreV1().Nodes().Delete(ctx, n.Name, metav1.DeleteOptions{})
}

// goTracked runs f as one of the node's goroutines (stop waits for them).
func (n *SimNode) goTracked(f func()) {
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		f()
	}()
}

// LogRequests is how many containerLogs requests the node answered.
func (n *SimNode) LogRequests() int64 { return n.logRequests.Load() }

// String names the node in messages.
func (n *SimNode) String() string {
	return fmt.Sprintf("simulated node %s (kubelet API 127.0.0.1:%d)", n.Name, n.Port)
}
