package kubetest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// publish writes the pod's status as it is now. Writes are serialized
// and each is built when its turn comes, so the last one written is the
// latest. A merge patch replaces the status' lists whole and needs no
// resourceVersion; the UID in it makes it fail on a new pod of the same
// name. Errors are dropped: the pod may be gone, and the next change
// writes everything again.
func (p *simPod) publish() {
	p.pubMu.Lock()
	defer p.pubMu.Unlock()
	patch, err := json.Marshal(map[string]any{
		"metadata": map[string]any{"uid": p.pod.UID},
		"status":   p.status(),
	})
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(p.n.ctx), 30*time.Second)
	defer cancel()
	_, _ = p.n.client.CoreV1().Pods(p.pod.Namespace).Patch(ctx, p.pod.Name, types.MergePatchType, patch, metav1.PatchOptions{}, "status")
}

// status is the pod's status from its containers' states, as the kubelet
// computes it (restartPolicy Never).
func (p *simPod) status() corev1.PodStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := corev1.PodStatus{
		HostIP: "127.0.0.1", HostIPs: []corev1.HostIP{{IP: "127.0.0.1"}},
		StartTime: &p.startTime, QOSClass: p.pod.Status.QOSClass,
	}
	initialized := true
	for _, c := range p.inits {
		cs := c.status()
		st.InitContainerStatuses = append(st.InitContainerStatuses, cs)
		initialized = initialized && cs.State.Terminated != nil && cs.State.Terminated.ExitCode == 0
	}
	var waiting, running, failed, ended int
	var unready []string
	for _, c := range p.regular {
		cs := c.status()
		if cs.State.Waiting != nil && cs.State.Waiting.Reason == "" {
			cs.State.Waiting.Reason = "ContainerCreating"
			if !initialized {
				cs.State.Waiting.Reason = "PodInitializing"
			}
		}
		st.ContainerStatuses = append(st.ContainerStatuses, cs)
		switch {
		case cs.State.Running != nil:
			running++
		case cs.State.Terminated != nil:
			ended++
			if cs.State.Terminated.ExitCode != 0 {
				failed++
			}
		default:
			waiting++
		}
		if !cs.Ready {
			unready = append(unready, cs.Name)
		}
	}
	phase := corev1.PodPending
	switch {
	case p.phase == corev1.PodSucceeded || p.phase == corev1.PodFailed:
		phase = p.phase // terminal phases are final
	case initFailed(st.InitContainerStatuses):
		phase = corev1.PodFailed
	case !initialized || waiting > 0:
	case running > 0:
		phase = corev1.PodRunning
	case failed > 0:
		phase = corev1.PodFailed
	case ended > 0:
		phase = corev1.PodSucceeded
	}
	p.phase, st.Phase = phase, phase

	ready := len(unready) == 0 && phase == corev1.PodRunning
	notReady := "ContainersNotReady"
	if phase == corev1.PodSucceeded || phase == corev1.PodFailed {
		notReady = "PodCompleted"
	}
	p.condition(&st, corev1.PodScheduled, true, "", "")
	p.condition(&st, corev1.PodReadyToStartContainers, true, "", "")
	p.condition(&st, corev1.PodInitialized, initialized, "ContainersNotInitialized", "containers with incomplete status: "+names(p.inits))
	p.condition(&st, corev1.ContainersReady, ready, notReady, "containers with unready status: ["+strings.Join(unready, " ")+"]")
	p.condition(&st, corev1.PodReady, ready, notReady, "containers with unready status: ["+strings.Join(unready, " ")+"]")
	return st
}

func initFailed(list []corev1.ContainerStatus) bool {
	for _, cs := range list {
		if t := cs.State.Terminated; t != nil && t.ExitCode != 0 {
			return true
		}
	}
	return false
}

func names(list []*simCtr) string {
	out := make([]string, len(list))
	for i, c := range list {
		out[i] = c.spec.Name
	}
	return "[" + strings.Join(out, " ") + "]"
}

// condition appends a condition, keeping its transition time while its
// value stays (p.mu held).
func (p *simPod) condition(st *corev1.PodStatus, typ corev1.PodConditionType, ok bool, reason, msg string) {
	c := corev1.PodCondition{Type: typ, Status: corev1.ConditionTrue}
	if !ok {
		c.Status, c.Reason, c.Message = corev1.ConditionFalse, reason, msg
	}
	if old, found := p.conditions[typ]; found && old.Status == c.Status {
		c.LastTransitionTime = old.LastTransitionTime
	} else {
		c.LastTransitionTime = metav1.Now()
	}
	p.conditions[typ] = c
	st.Conditions = append(st.Conditions, c)
}

// status is a container's status (p.mu held).
func (c *simCtr) status() corev1.ContainerStatus {
	cs := corev1.ContainerStatus{Name: c.spec.Name, Image: c.spec.Image}
	if c.launched {
		cs.ImageID = "sim://" + c.spec.Image
		cs.ContainerID = fmt.Sprintf("sim://%s/%s", c.p.pod.UID, c.spec.Name)
	}
	started := c.running
	cs.Started = &started
	switch {
	case c.terminated:
		cs.State.Terminated = &corev1.ContainerStateTerminated{
			ExitCode: c.exit, Reason: c.reason, Message: c.message,
			StartedAt: c.startedAt, FinishedAt: c.finishedAt, ContainerID: cs.ContainerID,
		}
	case c.running:
		cs.State.Running = &corev1.ContainerStateRunning{StartedAt: c.startedAt}
		cs.Ready = !c.init
	default:
		cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: c.waiting, Message: c.waitingMsg}
		if c.waiting == "" && c.init {
			cs.State.Waiting.Reason = "PodInitializing"
		}
	}
	return cs
}

// event records an event about the pod (a container of it when
// container is set), from the kubelet.
func (p *simPod) event(typ, reason, msg, container string) {
	ref := corev1.ObjectReference{Kind: "Pod", APIVersion: "v1", Namespace: p.pod.Namespace, Name: p.pod.Name, UID: p.pod.UID}
	if container != "" {
		ref.FieldPath = "spec.containers{" + container + "}"
	}
	p.n.event(p.pod.Namespace, ref, typ, reason, msg, "kubelet")
}

func (n *SimNode) event(ns string, ref corev1.ObjectReference, typ, reason, msg, component string) {
	now := metav1.Now()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(n.ctx), 30*time.Second)
	defer cancel()
	_, _ = n.client.CoreV1().Events(ns).Create(ctx, &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{GenerateName: ref.Name + "."},
		InvolvedObject: ref, Type: typ, Reason: reason, Message: msg,
		Source:         corev1.EventSource{Component: component, Host: n.Name},
		FirstTimestamp: now, LastTimestamp: now, Count: 1,
		ReportingController: component, ReportingInstance: n.Name,
	}, metav1.CreateOptions{})
}

// unschedulable leaves the pod unbound with the scheduler's condition and
// event.
func (n *SimNode) unschedulable(ctx context.Context, pod *corev1.Pod, msg string) {
	patch, err := json.Marshal(map[string]any{
		"metadata": map[string]any{"uid": pod.UID},
		"status": map[string]any{"conditions": []corev1.PodCondition{{
			Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable,
			Message: msg, LastTransitionTime: metav1.Now(),
		}}},
	})
	if err != nil {
		return
	}
	_, _ = n.client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.MergePatchType, patch, metav1.PatchOptions{}, "status")
	ref := corev1.ObjectReference{Kind: "Pod", APIVersion: "v1", Namespace: pod.Namespace, Name: pod.Name, UID: pod.UID}
	n.event(pod.Namespace, ref, corev1.EventTypeWarning, "FailedScheduling", msg, "default-scheduler")
}
