package kubetest

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/tools/cache"
)

// watchPods follows every pod of the cluster (the node's namespaces): it
// binds the unscheduled ones and runs those bound to the node.
func (n *SimNode) watchPods() error {
	lw := cache.NewListWatchFromClient(n.client.CoreV1().RESTClient(), "pods", metav1.NamespaceAll, fields.Everything())
	inf := cache.NewSharedIndexInformer(lw, &corev1.Pod{}, 0, cache.Indexers{})
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { n.onPod(obj, false) },
		UpdateFunc: func(_, obj any) { n.onPod(obj, false) },
		DeleteFunc: func(obj any) { n.onPod(obj, true) },
	}); err != nil {
		return err
	}
	n.goTracked(func() { inf.RunWithContext(n.ctx) })
	if !cache.WaitForCacheSync(n.ctx.Done(), inf.HasSynced) {
		return context.Canceled
	}
	return nil
}

// onPod reacts to a pod's event; it runs on the informer's goroutine, so
// anything slow goes to a goroutine of its own.
func (n *SimNode) onPod(obj any, gone bool) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok || len(n.opts.Namespaces) > 0 && !slices.Contains(n.opts.Namespaces, pod.Namespace) {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ctx.Err() != nil {
		return
	}
	p := n.byUID[pod.UID]
	switch {
	case gone:
		if p != nil {
			p.terminate(gracePeriod(pod.Spec.TerminationGracePeriodSeconds), true)
		}
	case pod.Spec.NodeName == "" && pod.DeletionTimestamp == nil && !n.binding[pod.UID]:
		n.binding[pod.UID] = true
		pod := pod.DeepCopy()
		n.goTracked(func() { n.schedule(pod) })
	case pod.Spec.NodeName != n.Name:
	case p == nil:
		p = n.newPod(pod.DeepCopy())
		n.byUID[pod.UID] = p
		n.pods[p.key] = p
		n.goTracked(p.run)
		if pod.DeletionTimestamp != nil {
			p.terminate(gracePeriod(pod.DeletionGracePeriodSeconds), false)
		}
	case pod.DeletionTimestamp != nil:
		p.terminate(gracePeriod(pod.DeletionGracePeriodSeconds), false)
	}
}

func gracePeriod(seconds *int64) time.Duration {
	if seconds == nil {
		return 30 * time.Second
	}
	return time.Duration(*seconds) * time.Second
}

// schedule binds an unscheduled pod to the node, or marks it
// unschedulable when SimOptions.Unschedulable says so. Losing the race
// to another node (or to the pod's deletion) is fine.
func (n *SimNode) schedule(pod *corev1.Pod) {
	ctx, cancel := context.WithTimeout(n.ctx, 30*time.Second)
	defer cancel()
	if n.opts.Unschedulable != nil {
		if msg := n.opts.Unschedulable(pod); msg != "" {
			n.unschedulable(ctx, pod, msg)
			return
		}
	}
	_ = n.client.CoreV1().Pods(pod.Namespace).Bind(ctx, &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID},
		Target:     corev1.ObjectReference{Kind: "Node", Name: n.Name},
	}, metav1.CreateOptions{})
}

// simPod is a pod bound to the node: its containers, their volumes (one
// directory each under the pod's directory) and its status.
type simPod struct {
	n          *SimNode
	pod        *corev1.Pod // as first seen bound to the node
	key        string      // namespace/name
	dir        string
	inits      []*simCtr
	regular    []*simCtr
	containers map[string]*simCtr
	stopping   chan struct{} // closed when the pod is to be killed
	pubMu      sync.Mutex    // one status write at a time, each the latest

	// Guarded by n.mu.
	terminating bool
	grace       time.Duration
	objectGone  bool
	// Guarded by mu.
	mu         sync.Mutex
	phase      corev1.PodPhase
	startTime  metav1.Time
	conditions map[corev1.PodConditionType]corev1.PodCondition
}

func (n *SimNode) newPod(pod *corev1.Pod) *simPod {
	p := &simPod{
		n: n, pod: pod, key: pod.Namespace + "/" + pod.Name, dir: filepath.Join(n.dir, string(pod.UID)),
		containers: map[string]*simCtr{}, stopping: make(chan struct{}), phase: corev1.PodPending,
		startTime: metav1.Now(), conditions: map[corev1.PodConditionType]corev1.PodCondition{},
	}
	for i := range pod.Spec.InitContainers {
		c := newSimCtr(p, pod.Spec.InitContainers[i], true)
		p.inits = append(p.inits, c)
		p.containers[c.spec.Name] = c
	}
	for i := range pod.Spec.Containers {
		c := newSimCtr(p, pod.Spec.Containers[i], false)
		p.regular = append(p.regular, c)
		p.containers[c.spec.Name] = c
	}
	return p
}

// terminate starts killing the pod (n.mu held): its containers get
// SIGTERM, then SIGKILL after grace; objectGone says the API object is
// already deleted (no final status, no deletion to finish).
func (p *simPod) terminate(grace time.Duration, objectGone bool) {
	p.objectGone = p.objectGone || objectGone
	if p.terminating {
		p.grace = min(p.grace, grace) // a second deletion may shorten it
		return
	}
	p.terminating, p.grace = true, grace
	close(p.stopping)
}

// kill is terminate from outside the informer's handler.
func (p *simPod) kill(grace time.Duration) {
	p.n.mu.Lock()
	defer p.n.mu.Unlock()
	p.terminate(grace, false)
}

// run is the pod's life: init containers one after the other, then the
// containers together, then, once the pod is being deleted, the kill.
func (p *simPod) run() {
	defer p.forget()
	if err := p.makeVolumes(); err != nil {
		p.event(corev1.EventTypeWarning, "FailedMount", err.Error(), "")
	}
	p.publish()
	initialized := true
	for _, c := range p.inits {
		if !c.launch() {
			initialized = false
			break
		}
		select {
		case <-c.done:
		case <-p.stopping: // shutdown kills it
		}
		if code, ok := c.exitCode(); !ok || code != 0 {
			initialized = false
			break
		}
	}
	if initialized {
		for _, c := range p.regular {
			c.launch()
		}
	}
	<-p.stopping
	p.shutdown()
}

// makeVolumes creates a directory for each of the pod's volumes: whatever
// its kind, a volume is an empty directory.
func (p *simPod) makeVolumes() error {
	for _, v := range p.pod.Spec.Volumes {
		if err := os.MkdirAll(filepath.Join(p.dir, "volumes", v.Name), 0o700); err != nil {
			return err
		}
	}
	return os.MkdirAll(filepath.Join(p.dir, "root"), 0o700)
}

// shutdown kills what runs, reports the final status and finishes the
// pod's deletion, as the kubelet does once its containers are gone.
func (p *simPod) shutdown() {
	p.n.mu.Lock()
	grace, gone := p.grace, p.objectGone
	p.n.mu.Unlock()
	for _, c := range p.containers {
		c.signal(false) // SIGTERM; a container yet to start never will
	}
	timer := time.NewTimer(grace)
	defer timer.Stop()
	for _, c := range p.containers {
		select {
		case <-c.done:
		case <-timer.C:
		}
	}
	for _, c := range p.containers {
		c.signal(true)
		<-c.done
	}
	if gone {
		return
	}
	p.publish()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(p.n.ctx), 30*time.Second)
	defer cancel()
	zero := int64(0)
	err := p.n.client.CoreV1().Pods(p.pod.Namespace).Delete(ctx, p.pod.Name, metav1.DeleteOptions{
		GracePeriodSeconds: &zero, Preconditions: &metav1.Preconditions{UID: &p.pod.UID},
	})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		p.event(corev1.EventTypeWarning, "FailedDelete", err.Error(), "")
	}
}

// forget removes the pod's directory and its name from the node.
func (p *simPod) forget() {
	_ = os.RemoveAll(p.dir)
	p.n.mu.Lock()
	defer p.n.mu.Unlock()
	if p.n.pods[p.key] == p {
		delete(p.n.pods, p.key)
	}
}
