package simtest

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/remotecommand"
	utilexec "k8s.io/client-go/util/exec"

	"github.com/hearth-dev/hearth/nodeagent/kubetest"
)

// streamURL is a pod's exec or attach URL on the API server.
func streamURL(ns, pod, sub string, params url.Values) *url.URL {
	u, _ := url.Parse(cluster.URL + "/api/v1/namespaces/" + ns + "/pods/" + pod + "/" + sub)
	u.RawQuery = params.Encode()
	return u
}

// newExecutor reaches an exec or attach through the API server over SPDY
// or WebSocket (which the API server turns into SPDY towards the node, as
// the node declares no WebSocket support).
func newExecutor(t *testing.T, websocket bool, u *url.URL) remotecommand.Executor {
	t.Helper()
	var e remotecommand.Executor
	var err error
	if websocket {
		e, err = remotecommand.NewWebSocketExecutor(cluster.Config, "GET", u.String())
	} else {
		e, err = remotecommand.NewSPDYExecutor(cluster.Config, "POST", u)
	}
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestExecThroughTheAPIServer: an exec reaches the node through the API
// server over SPDY and over WebSocket, with stdin, stdout, stderr and the
// exit code.
func TestExecThroughTheAPIServer(t *testing.T) {
	ns := namespace(t)
	simNode(t, ns, kubetest.SimOptions{})
	createPod(t, ns, "p", "exec sleep 1000")
	waitPod(t, ns, "p", running("main"))
	for _, ws := range []bool{false, true} {
		params := url.Values{"container": {"main"}, "command": {"sh", "-c", "tr a-z A-Z; echo to stderr >&2; exit 4"},
			"stdin": {"true"}, "stdout": {"true"}, "stderr": {"true"}}
		var out, errOut bytes.Buffer
		err := newExecutor(t, ws, streamURL(ns, "p", "exec", params)).StreamWithContext(context.Background(),
			remotecommand.StreamOptions{Stdin: strings.NewReader("hello\n"), Stdout: &out, Stderr: &errOut})
		var exit utilexec.ExitError
		if !errors.As(err, &exit) || exit.ExitStatus() != 4 || out.String() != "HELLO\n" || errOut.String() != "to stderr\n" {
			t.Errorf("websocket %v: err %v, stdout %q, stderr %q", ws, err, out.String(), errOut.String())
		}
	}
}

// TestAttachFeedsStdin: an attach writes to the container's stdin (closed
// after it, stdinOnce) and gets what the container prints.
func TestAttachFeedsStdin(t *testing.T) {
	ns := namespace(t)
	simNode(t, ns, kubetest.SimOptions{})
	createPod(t, ns, "p", `read x; echo "got $x"; cat; echo "stdin closed"`, func(p *corev1.Pod) {
		p.Spec.Containers[0].Stdin, p.Spec.Containers[0].StdinOnce = true, true
	})
	waitPod(t, ns, "p", running("main"))
	params := url.Values{"container": {"main"}, "stdin": {"true"}, "stdout": {"true"}}
	var out bytes.Buffer
	err := newExecutor(t, false, streamURL(ns, "p", "attach", params)).StreamWithContext(context.Background(),
		remotecommand.StreamOptions{Stdin: strings.NewReader("hi\n"), Stdout: &out})
	if err != nil || out.String() != "got hi\nstdin closed\n" {
		t.Fatalf("attach: %v, stdout %q", err, out.String())
	}
	waitPod(t, ns, "p", phase(corev1.PodSucceeded))
}
