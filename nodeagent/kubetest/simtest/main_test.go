package simtest

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hearth-dev/hearth/nodeagent/kubetest"
)

var (
	cluster   *kubetest.ControlPlane
	nsCounter atomic.Int64
)

// TestMain starts one API server for the package; each test gets its own
// namespace and a simulated node serving only that namespace.
func TestMain(m *testing.M) {
	os.Exit(kubetest.MainWithControlPlane(m, func(cp *kubetest.ControlPlane) { cluster = cp }))
}

// namespace is a fresh namespace named after the test.
func namespace(t testing.TB) string {
	t.Helper()
	ns := "sim-" + strings.ToLower(strings.NewReplacer("_", "-", "/", "-").Replace(t.Name()))
	if len(ns) > 50 {
		ns = ns[:50]
	}
	// Unique per run: a test run again (-count) must not meet the pods of
	// the run before.
	ns = strings.Trim(ns, "-") + "-" + strconv.FormatInt(nsCounter.Add(1), 10)
	cluster.Namespace(t, ns)
	return ns
}

// simNode starts a node for the test's namespace.
func simNode(t testing.TB, ns string, opts kubetest.SimOptions) *kubetest.SimNode {
	t.Helper()
	opts.Namespaces = []string{ns}
	return kubetest.StartSimNode(t, cluster, opts)
}

// createPod creates a pod with one container running script in sh.
func createPod(t testing.TB, ns, name, script string, mutate ...func(*corev1.Pod)) *corev1.Pod {
	t.Helper()
	grace := int64(1)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever, TerminationGracePeriodSeconds: &grace,
			Containers: []corev1.Container{{Name: "main", Image: "busybox:test", Command: []string{"/bin/sh", "-c", script}}},
		},
	}
	for _, m := range mutate {
		m(pod)
	}
	out, err := cluster.Client.CoreV1().Pods(ns).Create(context.Background(), pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// waitPod polls the pod until ok says so.
func waitPod(t testing.TB, ns, name string, ok func(*corev1.Pod) bool) *corev1.Pod {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var last *corev1.Pod
	for time.Now().Before(deadline) {
		p, err := cluster.Client.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
		if err == nil {
			last = p
			if ok(p) {
				return p
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("pod %s/%s never got there; last: %+v", ns, name, last)
	return nil
}

func phase(want corev1.PodPhase) func(*corev1.Pod) bool {
	return func(p *corev1.Pod) bool { return p.Status.Phase == want }
}

// running: the named container runs.
func running(container string) func(*corev1.Pod) bool {
	return func(p *corev1.Pod) bool {
		for _, cs := range append(p.Status.InitContainerStatuses, p.Status.ContainerStatuses...) {
			if cs.Name == container && cs.State.Running != nil {
				return true
			}
		}
		return false
	}
}

// waitGone waits until the pod object is deleted.
func waitGone(t *testing.T, ns, name string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		_, err := cluster.Client.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("pod %s/%s was not deleted", ns, name)
}

// logs reads a container's log through the API server.
func logs(t *testing.T, ns, name string, opts *corev1.PodLogOptions) string {
	t.Helper()
	data, err := cluster.Client.CoreV1().Pods(ns).GetLogs(name, opts).DoRaw(context.Background())
	if err != nil {
		t.Fatalf("logs of %s: %v", name, err)
	}
	return string(data)
}
