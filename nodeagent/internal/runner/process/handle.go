package process

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// endKind is why a job's watch ended.
type endKind int

const (
	endExited  endKind = iota // the wrapper exited by itself
	endCancel                 // Cancel
	endTimeout                // the deadline
	endGone                   // Resume found the wrapper gone
	endLost                   // Resume found no trace that the wrapper ever ran
)

type handle struct {
	r   *Runner
	job *agentv1.RunJob
	p   paths
	m   meta
	log zerolog.Logger

	// exited closes when the wrapper has exited; nil when it was gone
	// before this handle existed.
	exited <-chan struct{}
	// verified: this handle saw the wrapper alive, so the job's process
	// group id cannot have been reused and the group may be signalled as a
	// whole. Otherwise only processes carrying the job's HEARTH_JOB_ID are.
	verified bool

	cancelCh   chan struct{}
	cancelOnce sync.Once
	detachCh   chan struct{}
	detachOnce sync.Once
	stopped    chan struct{} // the handle's goroutine ended
	done       chan struct{}

	mu      sync.Mutex
	reason  string
	waitErr error
	result  runner.Result
}

func (r *Runner) newHandle(job *agentv1.RunJob, p paths, m meta, exited <-chan struct{}, verified bool) *handle {
	return &handle{
		r: r, job: job, p: p, m: m, log: r.log.With().Str(logfield.JobID, job.GetJobId()).Logger(),
		exited: exited, verified: verified,
		cancelCh: make(chan struct{}), detachCh: make(chan struct{}), stopped: make(chan struct{}), done: make(chan struct{}),
	}
}

// finished is the handle of a job whose result.json already exists.
func finished(res runner.Result) *handle {
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

// Cancel implements runner.Handle; the first reason wins. A job that has
// already finished its steps keeps its outcome.
func (h *handle) Cancel(reason string) {
	h.mu.Lock()
	if h.reason == "" {
		h.reason = reason
		if h.reason == "" {
			h.reason = runner.MsgCancelled
		}
	}
	h.mu.Unlock()
	h.cancelOnce.Do(func() { close(h.cancelCh) })
}

// Detach implements runner.Detacher: the job's processes keep running and
// a later Resume finds them. If the handle is already ending the job
// (cancelling it, writing its result) Detach waits for that to finish.
func (h *handle) Detach() {
	h.detachOnce.Do(func() { close(h.detachCh) })
	<-h.stopped
}

func (h *handle) setWaitErr(err error) {
	h.mu.Lock()
	h.waitErr = err
	h.mu.Unlock()
}

// pollLeader closes exited once a resumed job's wrapper (not our child, so
// not waitable) is gone.
func (h *handle) pollLeader(exited chan<- struct{}) {
	t := time.NewTicker(h.r.poll)
	defer t.Stop()
	for {
		select {
		case <-h.detachCh:
			return
		case <-t.C:
			if !leaderAlive(h.m) {
				close(exited)
				return
			}
		}
	}
}

// watch waits for the wrapper's exit, Cancel, the deadline or Detach.
func (h *handle) watch() {
	var deadline <-chan time.Time
	if at, ok := h.m.deadline(); ok {
		t := time.NewTimer(time.Until(at))
		defer t.Stop()
		deadline = t.C
	}
	select {
	case <-h.exited:
		h.end(endExited)
	case <-h.cancelCh:
		h.terminate()
		h.end(endCancel)
	case <-deadline:
		h.terminate()
		h.end(endTimeout)
	case <-h.detachCh:
		close(h.stopped)
	}
}

// members lists the job's live processes.
func (h *handle) members() []int {
	if h.m.PID <= 0 {
		return nil
	}
	pids := groupMembers(h.m.PID)
	if h.verified {
		return pids
	}
	var mine []int
	for _, pid := range pids {
		if hasJobEnv(pid, h.job.GetJobId()) {
			mine = append(mine, pid)
		}
	}
	return mine
}

func (h *handle) signal(sig syscall.Signal) {
	pids := h.members()
	if len(pids) == 0 {
		return
	}
	if h.verified {
		if err := syscall.Kill(-h.m.PID, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
			h.log.Warn().Err(err).Int(logfield.PGID, h.m.PID).Msg("signalling the job's process group")
		}
		return
	}
	for _, pid := range pids {
		_ = syscall.Kill(pid, sig)
	}
}

// terminate ends the job's whole process tree: SIGTERM, then SIGKILL to
// whatever is left after the grace, then waits (bounded) until it is gone.
func (h *handle) terminate() {
	h.signal(syscall.SIGTERM)
	if h.waitGone(time.Now().Add(h.r.grace)) {
		return
	}
	h.signal(syscall.SIGKILL)
	if !h.waitGone(time.Now().Add(10 * time.Second)) {
		h.log.Warn().Int(logfield.PGID, h.m.PID).Msg("the job's processes survived SIGKILL for 10s")
	}
}

// waitGone polls until the job has no live process or until.
func (h *handle) waitGone(until time.Time) bool {
	tick := time.NewTicker(h.r.poll)
	defer tick.Stop()
	for len(h.members()) > 0 {
		if time.Now().After(until) {
			return false
		}
		<-tick.C
	}
	return true
}

// end settles a job whose wrapper has exited, or will once terminated:
// leftovers (a step's background processes) are terminated too, the
// secrets directory removed, then the result is derived from the exit
// files, explained in the log, artifacts archived, result.json written and
// Done closed.
func (h *handle) end(kind endKind) {
	defer close(h.stopped)
	if h.exited != nil {
		<-h.exited
	}
	if len(h.members()) > 0 {
		h.terminate()
	}
	// The steps are over (and every process that could read them gone,
	// bar one that left the job's process group): the secrets go first,
	// before archiving, which may take long or be abandoned.
	removeSecrets(h.log, h.job.GetJobId(), h.m.SecretsDir)
	res, line, lineStep := h.outcome(kind)
	if line != "" {
		h.appendLine(lineStep, line)
	}
	if res.State == agentv1.JobState_JOB_STATE_SUCCESS && len(h.job.GetArtifactPaths()) > 0 {
		var ok bool
		if res, ok = h.archive(res); !ok {
			return // detached: a later Resume archives again
		}
	}
	if err := runner.WriteResult(h.p.dir, res); err != nil {
		h.log.Error().Err(err).Msg("writing the job's result")
	}
	h.mu.Lock()
	h.result = res
	h.mu.Unlock()
	close(h.done)
}

// Why archiving stopped early (context causes).
var (
	errArchiveCancelled = errors.New("cancelled")
	errArchiveTimeout   = errors.New("timed out")
	errArchiveDetached  = errors.New("detached")
)

// archive writes the artifacts of a job whose steps all succeeded.
// Archiving belongs to the job: Cancel and the deadline stop it (the job
// then ends CANCELLED or TIMED_OUT, like a step would) and Detach
// abandons it (ok false: no result, a later Resume archives again).
func (h *handle) archive(res runner.Result) (_ runner.Result, ok bool) {
	ctx, stop := context.WithCancelCause(context.Background())
	defer stop(nil)
	if at, ok := h.m.deadline(); ok {
		t := time.AfterFunc(time.Until(at), func() { stop(errArchiveTimeout) })
		defer t.Stop()
	}
	go func() {
		select {
		case <-h.cancelCh:
			stop(errArchiveCancelled)
		case <-h.detachCh:
			stop(errArchiveDetached)
		case <-ctx.Done():
		}
	}()
	n, warnings, err := runner.WriteArtifacts(ctx, h.p.workspace, h.job.GetArtifactPaths(), filepath.Join(h.p.dir, runner.ArtifactsFile))
	if err != nil && ctx.Err() != nil {
		switch cause := context.Cause(ctx); {
		case errors.Is(cause, errArchiveDetached):
			return res, false
		case errors.Is(cause, errArchiveCancelled):
			h.mu.Lock()
			reason := h.reason
			h.mu.Unlock()
			h.appendLine(res.Step, "the job was cancelled while archiving its artifacts: "+reason)
			return runner.Result{State: agentv1.JobState_JOB_STATE_CANCELLED, Step: res.Step, Message: reason}, true
		default:
			msg := runner.TimedOutMessage(h.m.Timeout)
			h.appendLine(res.Step, "the job "+msg+" while archiving its artifacts")
			return runner.Result{State: agentv1.JobState_JOB_STATE_TIMED_OUT, Step: res.Step, Message: msg}, true
		}
	}
	for _, w := range warnings {
		h.appendLine(res.Step, w)
	}
	switch {
	case err != nil:
		h.appendLine(res.Step, err.Error())
		return runner.Result{State: agentv1.JobState_JOB_STATE_FAILURE, Step: res.Step, Message: err.Error()}, true
	case n > 0:
		res.Artifacts = runner.ArtifactsFile
	}
	return res, true
}

// outcome derives the result from the exit files; line (if any) explains
// it at the end of step lineStep's log.
func (h *handle) outcome(kind endKind) (res runner.Result, line string, lineStep uint32) {
	last := runner.LastStep(h.job)
	step := uint32(0)
	for ; step <= last; step++ {
		code, ok := h.exitCode(step)
		if !ok {
			break
		}
		if code != 0 && kind != endCancel && kind != endTimeout {
			return runner.Result{State: agentv1.JobState_JOB_STATE_FAILURE, Step: step, ExitCode: code, Message: runner.ExitMessage(code)}, "", 0
		}
		if code != 0 {
			break
		}
	}
	if step > last {
		// Every step succeeded, even if a cancel or the deadline came
		// while the job was finishing: the job reached that state first.
		return runner.Result{State: agentv1.JobState_JOB_STATE_SUCCESS, Step: last}, "", 0
	}
	switch kind {
	case endCancel:
		h.mu.Lock()
		reason := h.reason
		h.mu.Unlock()
		return runner.Result{State: agentv1.JobState_JOB_STATE_CANCELLED, Step: step, Message: reason}, "the job was cancelled: " + reason, step
	case endTimeout:
		msg := runner.TimedOutMessage(h.m.Timeout)
		return runner.Result{State: agentv1.JobState_JOB_STATE_TIMED_OUT, Step: step, Message: msg}, "the job " + msg, step
	case endExited:
		msg := msgDied
		h.mu.Lock()
		if h.waitErr != nil {
			msg += " (" + h.waitErr.Error() + ")"
		}
		h.mu.Unlock()
		return runner.Result{State: agentv1.JobState_JOB_STATE_FAILURE, Step: step, Message: msg}, msg, step
	default:
		return runner.Result{State: agentv1.JobState_JOB_STATE_FAILURE, Step: step, Message: runner.MsgLost}, runner.MsgLost, step
	}
}

const msgDied = "the job's processes ended unexpectedly"

// exitCode reads a finished step's exit code; a file without its final
// newline is still being written (or was cut short) and does not count.
func (h *handle) exitCode(step uint32) (int32, bool) {
	data, err := os.ReadFile(h.p.exit(step))
	if err != nil || !strings.HasSuffix(string(data), "\n") {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 32)
	if err != nil {
		return 0, false
	}
	return int32(n), true
}

func (h *handle) appendLine(step uint32, text string) {
	if err := runner.AppendLogLine(h.p.dir, step, text); err != nil {
		h.log.Warn().Err(err).Uint32(logfield.Step, step).Msg("appending to the job's log")
	}
}
