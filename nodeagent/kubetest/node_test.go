package kubetest_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/streaming/pkg/httpstream"

	"github.com/hearth-dev/hearth/nodeagent/kubetest"
)

// TestMain runs the package's tests in a network namespace of their own,
// where nodes may run.
func TestMain(m *testing.M) {
	os.Exit(kubetest.InNetns(m))
}

func TestNodeRunsPods(t *testing.T) {
	cp := kubetest.StartControlPlane(t)
	began := time.Now()
	node := kubetest.StartNode(t, cp)
	t.Logf("StartNode took %s", time.Since(began).Round(time.Millisecond))
	files := kubetest.BusyboxFiles(t)
	files["/hello.txt"] = kubetest.File{Data: []byte("hello from an imported image\n"), Mode: 0o644}
	node.ImportImage(t, "hearth/helper:test", files)

	const ns = "pods"
	cp.Namespace(t, ns)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pods := cp.Client.CoreV1().Pods(ns)

	// A server of the test's own on the node address: pods reach it over
	// the CNI bridge.
	l, err := (&net.ListenConfig{}).Listen(ctx, "tcp", net.JoinHostPort(kubetest.NodeIP, "0"))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "reached the test") }), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()

	created := time.Now()
	for _, p := range []*corev1.Pod{
		pod("exits", kubetest.BusyboxImage, "echo first line; printf 'second line\\n'; echo to stderr >&2; exit 3"),
		pod("net", kubetest.BusyboxImage, "wget -q -O - http://"+l.Addr().String()+"/"),
		pod("cat", "hearth/helper:test", "exec sleep 3600"),
		pod("missing", "hearth/missing:test", "true"),
	} {
		if _, err := pods.Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	exits := waitPod(ctx, t, cp, ns, "exits", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodFailed })
	t.Logf("pod created to Failed in %s", time.Since(created).Round(time.Millisecond))
	if exits.Spec.NodeName != node.Name {
		t.Errorf("pod ran on %q, want the node %q (scheduled)", exits.Spec.NodeName, node.Name)
	}
	if cs := exits.Status.ContainerStatuses; len(cs) != 1 || cs[0].State.Terminated == nil || cs[0].State.Terminated.ExitCode != 3 {
		t.Fatalf("container status %+v, want terminated with exit code 3", cs)
	}
	raw, err := pods.GetLogs("exits", &corev1.PodLogOptions{Timestamps: true}).DoRaw(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var stdout []string
	stderr := 0
	for line := range strings.Lines(string(raw)) {
		stamp, text, ok := strings.Cut(strings.TrimSuffix(line, "\n"), " ")
		if _, err := time.Parse(time.RFC3339Nano, stamp); !ok || err != nil {
			t.Fatalf("log line %q has no timestamp", line)
		}
		if text == "to stderr" { // interleaved with stdout in no fixed order
			stderr++
		} else {
			stdout = append(stdout, text)
		}
	}
	if strings.Join(stdout, "|") != "first line|second line" || stderr != 1 {
		t.Fatalf("logs:\n%s", raw)
	}

	missing := waitPod(ctx, t, cp, ns, "missing", func(p *corev1.Pod) bool {
		cs := p.Status.ContainerStatuses
		return len(cs) == 1 && cs[0].State.Waiting != nil && cs[0].State.Waiting.Reason == "ErrImageNeverPull"
	})
	t.Logf("ErrImageNeverPull %s after creation: %s", time.Since(created).Round(time.Millisecond), missing.Status.ContainerStatuses[0].State.Waiting.Message)

	waitPod(ctx, t, cp, ns, "net", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodSucceeded })
	raw, err = pods.GetLogs("net", &corev1.PodLogOptions{}).DoRaw(ctx)
	if err != nil || string(raw) != "reached the test" {
		t.Fatalf("the pod reaching the test's server: %q, %v", raw, err)
	}

	waitPod(ctx, t, cp, ns, "cat", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
	for _, tc := range []struct{ cmd, stdin, want string }{
		{"cat", "one\ntwo\n", "one\ntwo\n"},
		{"cat /hello.txt", "", "hello from an imported image\n"},
	} {
		var stdout, stderr bytes.Buffer
		if err := execIn(ctx, cp, ns, "cat", strings.Fields(tc.cmd), strings.NewReader(tc.stdin), &stdout, &stderr); err != nil {
			t.Fatalf("exec %s: %v (stderr %q)", tc.cmd, err, stderr.String())
		}
		if stdout.String() != tc.want {
			t.Errorf("exec %s: stdout %q, want %q", tc.cmd, stdout.String(), tc.want)
		}
	}
}

// pod is a pod running script with sh, never restarted, never pulling.
func pod(name, image, script string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{
			RestartPolicy:                 corev1.RestartPolicyNever,
			TerminationGracePeriodSeconds: new(int64(1)),
			Containers: []corev1.Container{{
				Name: "main", Image: image, ImagePullPolicy: corev1.PullNever,
				Command: []string{"sh", "-c", script},
			}},
		},
	}
}

// waitPod polls a pod until cond holds.
func waitPod(ctx context.Context, t *testing.T, cp *kubetest.ControlPlane, ns, name string, cond func(*corev1.Pod) bool) *corev1.Pod {
	t.Helper()
	var p *corev1.Pod
	for {
		var err error
		p, err = cp.Client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err == nil && cond(p) {
			return p
		}
		if ctx.Err() != nil {
			t.Fatalf("pod %s: %v; last status %+v", name, err, p.Status)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// execIn runs a command in a pod's container through the API server and
// the kubelet, over WebSocket with SPDY as the fallback.
func execIn(ctx context.Context, cp *kubetest.ControlPlane, ns, pod string, cmd []string, stdin *strings.Reader, stdout, stderr *bytes.Buffer) error {
	req := cp.Client.CoreV1().RESTClient().Post().Namespace(ns).Resource("pods").Name(pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{Container: "main", Command: cmd, Stdin: true, Stdout: true, Stderr: true}, scheme.ParameterCodec)
	ws, err := remotecommand.NewWebSocketExecutor(cp.Config, "GET", req.URL().String())
	if err != nil {
		return err
	}
	spdy, err := remotecommand.NewSPDYExecutor(cp.Config, "POST", req.URL())
	if err != nil {
		return err
	}
	exec, err := remotecommand.NewFallbackExecutor(ws, spdy, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
	if err != nil {
		return err
	}
	return exec.StreamWithContext(ctx, remotecommand.StreamOptions{Stdin: stdin, Stdout: stdout, Stderr: stderr})
}
