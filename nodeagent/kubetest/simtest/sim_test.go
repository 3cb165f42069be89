package simtest

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hearth-dev/hearth/nodeagent/kubetest"
)

// TestNodeRegistersReady: the node is Ready with the kubelet endpoint the
// API server dials, and binds and runs a pod; one that prints and exits 3
// ends Failed with exit code 3, and its log comes back through the API
// server with a kubelet's timestamps.
func TestNodeRegistersReady(t *testing.T) {
	ns := namespace(t)
	node := simNode(t, ns, kubetest.SimOptions{})
	n, err := cluster.Client.CoreV1().Nodes().Get(context.Background(), node.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(n.Status.Conditions) != 1 || n.Status.Conditions[0].Type != corev1.NodeReady || n.Status.Conditions[0].Status != corev1.ConditionTrue ||
		int(n.Status.DaemonEndpoints.KubeletEndpoint.Port) != node.Port || n.Status.Addresses[0].Address != "127.0.0.1" || n.Status.Allocatable.Pods().Value() != 110 {
		t.Fatalf("node status %+v", n.Status)
	}

	createPod(t, ns, "fails", "echo one; echo two >&2; printf three; exit 3")
	pod := waitPod(t, ns, "fails", phase(corev1.PodFailed))
	st := pod.Status.ContainerStatuses[0].State.Terminated
	if pod.Spec.NodeName != node.Name || st == nil || st.ExitCode != 3 || st.Reason != "Error" {
		t.Fatalf("pod on %q, container %+v", pod.Spec.NodeName, pod.Status.ContainerStatuses)
	}
	log := logs(t, ns, "fails", &corev1.PodLogOptions{Timestamps: true})
	lines := strings.SplitAfter(log, "\n")
	want := []string{"one\n", "two\n", "three"}
	if len(lines) != len(want) {
		t.Fatalf("log %q", log)
	}
	var last time.Time
	for i, l := range lines {
		ts, content, _ := strings.Cut(l, " ")
		at, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil || content != want[i] || at.Before(last) || len(ts) != len("2006-01-02T15:04:05.000000000Z") {
			t.Fatalf("line %q of %q (%v)", l, log, err)
		}
		last = at
	}
}

// TestLogOptions: sinceTime (whole seconds, lines at or after it),
// tailLines and limitBytes as the kubelet applies them.
func TestLogOptions(t *testing.T) {
	ns := namespace(t)
	simNode(t, ns, kubetest.SimOptions{})
	createPod(t, ns, "p", "echo early; sleep 1.1; echo late1; echo late2")
	waitPod(t, ns, "p", phase(corev1.PodSucceeded))
	if got := logs(t, ns, "p", &corev1.PodLogOptions{}); got != "early\nlate1\nlate2\n" {
		t.Fatalf("log %q", got)
	}
	stamped := strings.Split(logs(t, ns, "p", &corev1.PodLogOptions{Timestamps: true}), "\n")
	late, err := time.Parse(time.RFC3339Nano, strings.Fields(stamped[1])[0])
	if err != nil {
		t.Fatal(err)
	}
	since := metav1.NewTime(late.Truncate(time.Second))
	if got := logs(t, ns, "p", &corev1.PodLogOptions{SinceTime: &since}); got != "late1\nlate2\n" {
		t.Errorf("since %v: %q", since, got)
	}
	tail, limit := int64(1), int64(8)
	if got := logs(t, ns, "p", &corev1.PodLogOptions{TailLines: &tail}); got != "late2\n" {
		t.Errorf("tailLines 1: %q", got)
	}
	if got := logs(t, ns, "p", &corev1.PodLogOptions{LimitBytes: &limit}); got != "early\nla" {
		t.Errorf("limitBytes 8: %q", got)
	}
}

// TestFollowLasts: a followed log stays open while the container runs and
// ends once it terminated and everything was sent.
func TestFollowLasts(t *testing.T) {
	ns := namespace(t)
	simNode(t, ns, kubetest.SimOptions{})
	createPod(t, ns, "p", "echo a; sleep 0.5; echo b; sleep 0.5; echo c")
	waitPod(t, ns, "p", running("main"))
	began := time.Now()
	s, err := cluster.Client.CoreV1().Pods(ns).GetLogs("p", &corev1.PodLogOptions{Follow: true}).Stream(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	data, err := io.ReadAll(s)
	if err != nil || string(data) != "a\nb\nc\n" {
		t.Fatalf("followed %q (%v)", data, err)
	}
	if took := time.Since(began); took < 500*time.Millisecond {
		t.Errorf("the follow ended after %v, before the container did", took)
	}
}

// TestDeletionKillsContainers: deleting a pod sends SIGTERM to its
// containers' processes, SIGKILL after the grace period to those that
// ignore it, then the node finishes the deletion.
func TestDeletionKillsContainers(t *testing.T) {
	ns := namespace(t)
	simNode(t, ns, kubetest.SimOptions{})
	dir := t.TempDir()
	createPod(t, ns, "p", "echo $$ > "+dir+"/polite; exec sleep 1000", func(p *corev1.Pod) {
		grace := int64(2)
		p.Spec.TerminationGracePeriodSeconds = &grace
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "stubborn", Image: "busybox:test",
			Command: []string{"/bin/sh", "-c", `trap "" TERM; echo $$ > ` + dir + `/stubborn; while :; do sleep 0.1; done`}})
	})
	polite, stubborn := waitPIDFile(t, dir+"/polite"), waitPIDFile(t, dir+"/stubborn")
	began := time.Now()
	if err := cluster.Client.CoreV1().Pods(ns).Delete(context.Background(), "p", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitDead(t, polite)
	if took := time.Since(began); took > 1500*time.Millisecond {
		t.Errorf("SIGTERM took %v", took)
	}
	waitGone(t, ns, "p")
	waitDead(t, stubborn)
	if took := time.Since(began); took < 2*time.Second {
		t.Errorf("the pod was gone after %v, within its grace period of 2s", took)
	}
}

// TestDeletionDuringInit: a pod deleted while an init container runs is
// killed there; its containers never start.
func TestDeletionDuringInit(t *testing.T) {
	ns := namespace(t)
	simNode(t, ns, kubetest.SimOptions{})
	dir := t.TempDir()
	createPod(t, ns, "p", "echo never > "+dir+"/main", func(p *corev1.Pod) {
		p.Spec.InitContainers = []corev1.Container{{Name: "init", Image: "busybox:test", Command: []string{"/bin/sh", "-c", "echo $$ > " + dir + "/init; exec sleep 1000"}}}
	})
	pid := waitPIDFile(t, dir+"/init")
	if err := cluster.Client.CoreV1().Pods(ns).Delete(context.Background(), "p", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitGone(t, ns, "p")
	waitDead(t, pid)
	if _, err := os.Stat(dir + "/main"); !os.IsNotExist(err) {
		t.Errorf("the container ran after its init container was killed (%v)", err)
	}
}

// TestInitContainerFailureFailsThePod: an init container exiting non-zero
// fails the pod; its containers never start.
func TestInitContainerFailureFailsThePod(t *testing.T) {
	ns := namespace(t)
	simNode(t, ns, kubetest.SimOptions{})
	createPod(t, ns, "p", "echo never", func(p *corev1.Pod) {
		p.Spec.InitContainers = []corev1.Container{{Name: "init", Image: "busybox:test", Command: []string{"/bin/sh", "-c", "echo init; exit 2"}}}
	})
	pod := waitPod(t, ns, "p", phase(corev1.PodFailed))
	if st := pod.Status.InitContainerStatuses[0].State.Terminated; st == nil || st.ExitCode != 2 {
		t.Fatalf("init status %+v", pod.Status.InitContainerStatuses)
	}
	if w := pod.Status.ContainerStatuses[0].State.Waiting; w == nil || w.Reason != "PodInitializing" {
		t.Fatalf("container status %+v", pod.Status.ContainerStatuses)
	}
	if got := logs(t, ns, "p", &corev1.PodLogOptions{Container: "init"}); got != "init\n" {
		t.Errorf("init log %q", got)
	}
}

// TestProgramScriptsContainers: SimOptions scripts an image that cannot
// be pulled (waiting, with a Warning event), a pod no node fits, and a
// container that runs until it is killed.
func TestProgramScriptsContainers(t *testing.T) {
	ns := namespace(t)
	simNode(t, ns, kubetest.SimOptions{
		Program: func(pod *corev1.Pod, _ string) kubetest.Behaviour {
			switch pod.Name {
			case "pull":
				return kubetest.PullFailure("ErrImageNeverPull", `Container image "nope:1" is not present with pull policy of Never`)
			case "forever":
				return kubetest.Forever(false)
			}
			return kubetest.Behaviour{}
		},
		Unschedulable: func(pod *corev1.Pod) string {
			if pod.Name == "unsched" {
				return "0/1 nodes are available: 1 Insufficient cpu."
			}
			return ""
		},
	})
	createPod(t, ns, "pull", "echo never")
	pod := waitPod(t, ns, "pull", func(p *corev1.Pod) bool {
		return len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].State.Waiting != nil &&
			p.Status.ContainerStatuses[0].State.Waiting.Reason == "ErrImageNeverPull"
	})
	if pod.Status.Phase != corev1.PodPending || !strings.Contains(pod.Status.ContainerStatuses[0].State.Waiting.Message, "nope:1") {
		t.Errorf("status %+v", pod.Status)
	}
	events, err := cluster.Client.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{FieldSelector: "involvedObject.uid=" + string(pod.UID) + ",type=Warning"})
	if err != nil || len(events.Items) != 1 || !strings.Contains(events.Items[0].Message, "nope:1") {
		t.Errorf("events %+v (%v)", events, err)
	}

	createPod(t, ns, "unsched", "echo never")
	pod = waitPod(t, ns, "unsched", func(p *corev1.Pod) bool { return len(p.Status.Conditions) > 0 })
	if c := pod.Status.Conditions[0]; pod.Spec.NodeName != "" || c.Type != corev1.PodScheduled || c.Reason != corev1.PodReasonUnschedulable || !strings.Contains(c.Message, "Insufficient cpu") {
		t.Errorf("pod on %q, conditions %+v", pod.Spec.NodeName, pod.Status.Conditions)
	}

	createPod(t, ns, "forever", "echo never")
	waitPod(t, ns, "forever", running("main"))
	if err := cluster.Client.CoreV1().Pods(ns).Delete(context.Background(), "forever", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitGone(t, ns, "forever")
}
