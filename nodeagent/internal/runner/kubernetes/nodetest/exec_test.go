package nodetest

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hearth-dev/hearth/nodeagent/internal/kubeclient"
	"github.com/hearth-dev/hearth/nodeagent/kubetest"
)

// testExecAndAttach: the exec and attach primitive (AI-agent sessions
// will need a terminal into a pod) carries stdin to a command that echoes
// it, through the API server to a real kubelet.
func testExecAndAttach(t *testing.T, c *cluster) {
	const ns = "exec"
	c.cp.Namespace(t, ns)
	ctx := context.Background()
	no := false
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "echo"},
		Spec: corev1.PodSpec{
			AutomountServiceAccountToken: &no, RestartPolicy: corev1.RestartPolicyNever,
			Containers: []corev1.Container{{
				Name: "cat", Image: kubetest.BusyboxImage, ImagePullPolicy: corev1.PullNever,
				Command: []string{"/bin/cat"}, Stdin: true,
			}},
		},
	}
	if _, err := c.cp.Client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		p, err := c.cp.Client.CoreV1().Pods(ns).Get(ctx, "echo", metav1.GetOptions{})
		if err == nil && p.Status.Phase == corev1.PodRunning {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the pod did not run: %v %v", p.Status, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	kc, err := kubeclient.New(c.cp.Config, ns)
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	ectx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := kc.Exec(ectx, "echo", "cat", []string{"/bin/sh", "-c", "cat; echo done >&2"}, kubeclient.Streams{
		Stdin: strings.NewReader("through exec\n"), Stdout: &out, Stderr: &errOut,
	}); err != nil {
		t.Fatalf("exec: %v (stderr %q)", err, errOut.String())
	}
	if out.String() != "through exec\n" || errOut.String() != "done\n" {
		t.Errorf("exec stdout %q stderr %q", out.String(), errOut.String())
	}
	// Attach: the container's cat echoes what the attach writes to its
	// stdin; the attach ends when the test has seen it.
	actx, stop := context.WithCancel(ectx)
	defer stop()
	stdin, feed := io.Pipe()
	echoed := &signalWriter{want: "through attach\n", seen: make(chan struct{})}
	done := make(chan error, 1)
	go func() { done <- kc.Attach(actx, "echo", "cat", kubeclient.Streams{Stdin: stdin, Stdout: echoed}) }()
	go func() { _, _ = feed.Write([]byte("through attach\n")) }()
	select {
	case <-echoed.seen:
	case err := <-done:
		t.Fatalf("attach ended before the echo: %v (%q)", err, echoed.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("attach echoed %q", echoed.String())
	}
	stop()
	_ = feed.Close()
	if err := <-done; err != nil && actx.Err() == nil {
		t.Errorf("attach: %v", err)
	}
}

// signalWriter closes seen once what was written contains want.
type signalWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
	once sync.Once
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return len(p), nil
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
