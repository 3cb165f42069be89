package kubernetes

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/fields"

	"github.com/hearth-dev/hearth/nodeagent/internal/kubeclient"
	"github.com/hearth-dev/hearth/nodeagent/internal/podjob"
	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// fedFile records that the checkout container received its payload.
const fedFile = "fed"

type handle struct {
	r   *Runner
	job *agentv1.RunJob
	dir string
	m   meta
	// pay is what the checkout container reads from its stdin (attach):
	// the clone token and the job's secrets, which so never appear in the
	// pod's spec, its environment or a Kubernetes Secret. nil after a
	// Resume: they died with the old agent.
	pay *podjob.Payload
	// create is the pod to create first (Start), nil after a Resume.
	create *corev1.Pod
	log    zerolog.Logger

	cancelCh   chan struct{}
	cancelOnce sync.Once
	detachCh   chan struct{}
	detachOnce sync.Once
	stopped    chan struct{}
	done       chan struct{}

	mu     sync.Mutex
	reason string
	result runner.Result
}

func (r *Runner) newHandle(job *agentv1.RunJob, dir string, m meta, pay *podjob.Payload) *handle {
	return &handle{
		r: r, job: job, dir: dir, m: m, pay: pay, log: r.o.Log.With().Str(logfield.JobID, job.GetJobId()).Logger(),
		cancelCh: make(chan struct{}), detachCh: make(chan struct{}), stopped: make(chan struct{}), done: make(chan struct{}),
	}
}

func finishedHandle(res runner.Result) *handle {
	h := &handle{cancelCh: make(chan struct{}), detachCh: make(chan struct{}), stopped: make(chan struct{}), done: make(chan struct{}), result: res}
	close(h.stopped)
	close(h.done)
	return h
}

func (h *handle) Done() <-chan struct{} { return h.done }

func (h *handle) Result() runner.Result {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.result
}

func (h *handle) Cancel(reason string) {
	h.cancelOnce.Do(func() {
		h.mu.Lock()
		h.reason = reason
		h.mu.Unlock()
		close(h.cancelCh)
	})
}

// Detach stops following the pod without touching it (agent stop).
func (h *handle) Detach() {
	h.detachOnce.Do(func() { close(h.detachCh) })
	<-h.stopped
}

// failFastReasons are container waiting reasons that will not resolve by
// themselves: the job fails at once with the reason and message.
var failFastReasons = map[string]bool{
	"ErrImagePull": true, "ImagePullBackOff": true, "ErrImageNeverPull": true, "InvalidImageName": true,
	"CreateContainerConfigError": true, "CreateContainerError": true,
}

// run follows the pod until the job ends, is cancelled or times out, or
// the handle is detached.
func (h *handle) run() {
	defer close(h.stopped)
	wake, unwatch := h.r.watch(h.m.Pod)
	defer unwatch()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go func() {
		select {
		case <-h.detachCh:
			stop()
		case <-ctx.Done():
		}
	}()
	var deadline <-chan time.Time
	if limit := runner.Timeout(h.job); limit > 0 {
		t := time.NewTimer(time.Until(h.m.Started.Add(limit)))
		defer t.Stop()
		deadline = t.C
	}
	// A pod that never shows up in the cache (deleted right after its
	// creation) is looked up directly after a while.
	missing := time.NewTimer(30 * time.Second)
	defer missing.Stop()

	if h.create != nil {
		cctx, cancel := context.WithTimeout(ctx, time.Minute)
		_, err := h.r.c.CreatePod(cctx, h.create)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return // detached: a later Resume finds the pod, or not
			}
			msg := fmt.Sprintf("creating pod %s in namespace %s failed: %v", h.create.Name, h.r.o.Namespace, err)
			h.end(runner.Result{State: agentv1.JobState_JOB_STATE_FAILURE, Message: msg}, true)
			return
		}
	}
	fctx, stopFollowers := context.WithCancel(ctx)
	w := &watcher{h: h, followers: map[string]*follower{}, ctx: fctx, stop: stopFollowers}
	defer w.stopFollowers()
	for {
		if res, ended := w.look(fctx); ended {
			h.finish(ctx, w, res)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-w.changed:
		case <-missing.C:
			if _, err := h.r.c.GetPod(ctx, h.m.Pod); apierrors.IsNotFound(err) {
				w.seen = true // gone: the next look ends the job
			}
		case <-h.cancelCh:
			h.mu.Lock()
			reason := h.reason
			h.mu.Unlock()
			h.kill(ctx, w, agentv1.JobState_JOB_STATE_CANCELLED, reason)
			return
		case <-deadline:
			h.kill(ctx, w, agentv1.JobState_JOB_STATE_TIMED_OUT, runner.TimedOutMessage(runner.Timeout(h.job)))
			return
		}
	}
}

// watcher is one run's view of the pod.
type watcher struct {
	h         *handle
	seen      bool // the pod was in the cache once
	feeding   bool
	followers map[string]*follower
	ctx       context.Context    //nolint:containedctx // the followers' context, ended by stop
	stop      context.CancelFunc // ends the followers and the feeding
	changed   chan struct{}      // a follower or the feeding ended
}

// look decides from the cached pod; ended reports a final result.
func (w *watcher) look(ctx context.Context) (runner.Result, bool) {
	h := w.h
	if w.changed == nil {
		w.changed = make(chan struct{}, 1)
	}
	pod := h.r.pod(h.m.Pod)
	if pod == nil {
		if !w.seen {
			return runner.Result{}, false
		}
		return w.failed(0, 0, "the job's pod was deleted"), true
	}
	w.seen = true
	if msg, container := stuck(pod); msg != "" {
		if ev := h.lastWarning(ctx, pod, container); ev != "" && !strings.Contains(msg, ev) {
			msg += " (" + ev + ")"
		}
		return w.failed(0, 0, msg), true
	}
	init := containerStatus(pod, initContainer)
	if init != nil && (init.State.Running != nil || init.State.Terminated != nil) {
		if res, ended := w.feed(ctx, init); ended {
			return res, true
		}
		w.follow(ctx, initContainer, "", 0)
	}
	if init != nil && init.State.Terminated != nil && init.State.Terminated.ExitCode != 0 {
		if !w.settled(initContainer) {
			return runner.Result{}, false
		}
		code := init.State.Terminated.ExitCode
		return runner.Result{State: agentv1.JobState_JOB_STATE_FAILURE, Step: 0, ExitCode: code, Message: exitMessage(init.State.Terminated)}, true
	}
	job := containerStatus(pod, jobContainer)
	if job != nil && (job.State.Running != nil || job.State.Terminated != nil) {
		w.follow(ctx, jobContainer, h.m.Nonce, 1)
	}
	if job != nil && job.State.Terminated != nil {
		if !w.settled(initContainer) || !w.settled(jobContainer) {
			return runner.Result{}, false
		}
		return w.exited(ctx, job.State.Terminated), true
	}
	if pod.Status.Phase == corev1.PodFailed {
		return w.failed(0, 0, "the pod failed: "+strings.TrimSpace(pod.Status.Reason+" "+pod.Status.Message)), true
	}
	return runner.Result{}, false
}

// stuck is the reason a pod will not run by itself ("" if none), and the
// container it is about ("" for the pod).
func stuck(pod *corev1.Pod) (msg, container string) {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			return "the pod cannot be scheduled: " + c.Message, ""
		}
	}
	for _, list := range [][]corev1.ContainerStatus{pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses} {
		for _, st := range list {
			if wt := st.State.Waiting; wt != nil && failFastReasons[wt.Reason] {
				return fmt.Sprintf("container %s: %s: %s", st.Name, wt.Reason, wt.Message), st.Name
			}
		}
	}
	return "", ""
}

// lastWarning is the newest Warning event about the pod's container (or,
// with container "", about the pod), for the log.
func (h *handle) lastWarning(ctx context.Context, pod *corev1.Pod, container string) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	list, err := h.r.c.ListEvents(ctx, fields.Set{"involvedObject.uid": string(pod.UID), "type": corev1.EventTypeWarning}.String())
	if err != nil || len(list.Items) == 0 {
		return ""
	}
	sort.Slice(list.Items, func(i, j int) bool { return eventTime(list.Items[i]).Before(eventTime(list.Items[j])) })
	for i := len(list.Items) - 1; i >= 0; i-- {
		ev := list.Items[i]
		if container == "" || strings.Contains(ev.InvolvedObject.FieldPath, "{"+container+"}") {
			return ev.Reason + ": " + ev.Message
		}
	}
	return ""
}

func eventTime(e corev1.Event) time.Time {
	if !e.LastTimestamp.IsZero() {
		return e.LastTimestamp.Time
	}
	return e.EventTime.Time
}

// started reports whether a container has run (its log exists).
func started(st *corev1.ContainerStatus) bool {
	return st != nil && (st.State.Running != nil || st.State.Terminated != nil)
}

// feed delivers the payload to the checkout container once.
func (w *watcher) feed(ctx context.Context, init *corev1.ContainerStatus) (runner.Result, bool) {
	h := w.h
	fed := filepath.Join(h.dir, stateDir, fedFile)
	if _, err := os.Stat(fed); err == nil || init.State.Terminated != nil || w.feeding {
		return runner.Result{}, false
	}
	if h.pay == nil && !h.m.Adopted {
		// Resumed from this directory, which records no delivery: the
		// token died with the old agent, so the checkout never gets it.
		return w.failed(0, 0, runner.MsgLost+": the agent stopped before delivering the checkout's credentials"), true
	}
	if h.pay == nil {
		// Adopted: the old agent may have fed it, in a data directory
		// that is gone. A checkout that never got its payload gives up by
		// itself (job-init --payload-timeout) and fails step 0.
		return runner.Result{}, false
	}
	w.feeding = true
	data, _ := json.Marshal(h.pay)
	go func() {
		err := h.r.c.Attach(ctx, h.m.Pod, initContainer, kubeclient.Streams{Stdin: bytes.NewReader(append(data, '\n'))})
		if err == nil {
			err = os.WriteFile(fed, nil, 0o600)
		}
		if err != nil && ctx.Err() == nil {
			h.log.Warn().Err(err).Msg("delivering the checkout's credentials failed")
			_ = runner.AppendLogLine(h.dir, 0, "delivering the checkout's credentials failed: "+err.Error())
			h.Cancel("delivering the checkout's credentials failed")
		}
		w.signal()
	}()
	return runner.Result{}, false
}

func (w *watcher) signal() {
	select {
	case w.changed <- struct{}{}:
	default:
	}
}

// follow starts a container's follower once.
func (w *watcher) follow(ctx context.Context, container, nonce string, firstStep uint32) {
	if w.followers[container] != nil {
		return
	}
	f, err := w.h.newFollower(container, nonce, firstStep)
	if err != nil {
		f = &follower{container: container, done: make(chan struct{}), err: err}
		close(f.done)
		w.followers[container] = f
		return
	}
	w.followers[container] = f
	go func() {
		f.run(ctx)
		w.signal()
	}()
}

// settled: the container's follower read its whole log (or has none).
func (w *watcher) settled(container string) bool {
	f := w.followers[container]
	if f == nil {
		return true
	}
	select {
	case <-f.done:
		return true
	default:
		return false
	}
}

// stopFollowers ends the followers and waits until they stopped writing.
func (w *watcher) stopFollowers() {
	w.stop()
	for _, f := range w.followers {
		<-f.done
	}
}

// exited is the result of a job container that ended.
func (w *watcher) exited(ctx context.Context, t *corev1.ContainerStateTerminated) runner.Result {
	step := uint32(1)
	if f := w.followers[jobContainer]; f != nil {
		if f.err != nil {
			return w.failed(f.d.cur.Step, 0, f.err.Error())
		}
		step = max(f.d.cur.Step, 1)
	}
	if t.ExitCode != 0 {
		return runner.Result{State: agentv1.JobState_JOB_STATE_FAILURE, Step: step, ExitCode: t.ExitCode, Message: exitMessage(t)}
	}
	res := runner.Result{State: agentv1.JobState_JOB_STATE_SUCCESS, Step: runner.LastStep(w.h.job)}
	if len(w.h.job.GetArtifactPaths()) > 0 {
		name, err := w.h.collectArtifacts(ctx)
		if err != nil {
			return w.failed(res.Step, 0, "collecting the artifacts failed: "+err.Error())
		}
		res.Artifacts = name
	}
	return res
}

func exitMessage(t *corev1.ContainerStateTerminated) string {
	msg := runner.ExitMessage(t.ExitCode)
	if t.Reason != "" && t.Reason != "Error" && t.Reason != "Completed" {
		msg = t.Reason + ": " + msg
	}
	return msg
}

func (w *watcher) failed(step uint32, code int32, msg string) runner.Result {
	return runner.Result{State: agentv1.JobState_JOB_STATE_FAILURE, Step: step, ExitCode: code, Message: msg}
}

// kill deletes the pod with the grace period, lets the followers read
// what the pod wrote until it is gone, and ends the job.
func (h *handle) kill(ctx context.Context, w *watcher, state agentv1.JobState, msg string) {
	// Containers may have started since the last event the cache
	// delivered: follow them too (asking the API server, not the cache),
	// so what they wrote until the pod is gone reaches the job's log.
	if pod, err := h.r.c.GetPod(ctx, h.m.Pod); err == nil {
		if st := containerStatus(pod, initContainer); started(st) {
			w.follow(w.ctx, initContainer, "", 0)
		}
		if st := containerStatus(pod, jobContainer); started(st) {
			w.follow(w.ctx, jobContainer, h.m.Nonce, 1)
		}
	}
	h.deletePod(ctx, int64(h.r.o.KillGrace/time.Second))
	wait := time.NewTimer(h.r.o.KillGrace + 5*time.Second)
	defer wait.Stop()
	for _, f := range w.followers {
		select {
		case <-f.done:
		case <-wait.C:
		case <-ctx.Done():
			return
		}
	}
	w.stopFollowers()
	step := uint32(0)
	if f := w.followers[jobContainer]; f != nil {
		step = max(f.d.cur.Step, 1)
	}
	h.end(runner.Result{State: state, Step: step, Message: msg}, true)
}

// finish ends a job the pod decided: the pod is deleted, the result kept.
func (h *handle) finish(ctx context.Context, w *watcher, res runner.Result) {
	w.stopFollowers()
	h.deletePod(ctx, 0)
	h.end(res, res.State == agentv1.JobState_JOB_STATE_FAILURE && res.ExitCode == 0)
}

// end writes the result (and the agent's line about it) and closes Done.
func (h *handle) end(res runner.Result, explain bool) {
	if explain && res.Message != "" {
		_ = runner.AppendLogLine(h.dir, res.Step, res.Message)
	}
	if err := runner.WriteResult(h.dir, res); err != nil {
		h.log.Error().Err(err).Msg("writing the job's result failed")
	}
	h.mu.Lock()
	h.result = res
	h.mu.Unlock()
	close(h.done)
}

// deletePod deletes the job's pod (not found is fine).
func (h *handle) deletePod(ctx context.Context, grace int64) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	err := h.r.c.DeletePod(ctx, h.m.Pod, grace)
	if err != nil && !apierrors.IsNotFound(err) {
		h.log.Warn().Err(err).Str(logfield.Pod, h.m.Pod).Msg("deleting the job's pod failed")
	}
}
