package fake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

// Kind is the fake runner's kind, as sent in Hello.runner_kind.
const Kind = "fake"

// stateDir is the fake runner's own bookkeeping inside a job directory.
const stateDir = "fake"

// Options configure a fake Runner. The zero value is a working runner.
type Options struct {
	// StartError, when set, is asked before each Start and Resume; a non-nil
	// error fails that call (the job directory is left untouched).
	StartError func(job *agentv1.RunJob) error
	// LoseOnResume makes every Resume of an unfinished job end FAILURE
	// runner.MsgLost, as if the job's processes had died with the agent.
	LoseOnResume bool
}

// Runner is the fake runner. Safe for concurrent use.
type Runner struct {
	opts Options

	mu      sync.Mutex
	started []string
	resumed []string
	gates   map[string]chan struct{}
}

var _ runner.Runner = (*Runner)(nil)

// New returns a fake runner.
func New(opts Options) *Runner {
	return &Runner{opts: opts, gates: map[string]chan struct{}{}}
}

// Kind implements runner.Runner.
func (r *Runner) Kind() string { return Kind }

// Started returns the ids of the jobs Start accepted, in order.
func (r *Runner) Started() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.started...)
}

// Resumed returns the ids of the jobs Resume accepted, in order.
func (r *Runner) Resumed() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.resumed...)
}

// OpenGate lets every job waiting at (or later reaching) "gate name" go on.
func (r *Runner) OpenGate(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ch, ok := r.gates[name]
	if !ok {
		ch = make(chan struct{})
		r.gates[name] = ch
	}
	select {
	case <-ch:
	default:
		close(ch)
	}
}

func (r *Runner) gate(name string) <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	ch, ok := r.gates[name]
	if !ok {
		ch = make(chan struct{})
		r.gates[name] = ch
	}
	return ch
}

// meta is fake/meta.json: when the job started, for its deadline.
type meta struct {
	StartedAt time.Time `json:"started_at"`
}

// Start implements runner.Runner. ctx bounds only the start itself.
func (r *Runner) Start(_ context.Context, job *agentv1.RunJob, dir string) (runner.Handle, error) {
	if err := r.check(job, dir); err != nil {
		return nil, err
	}
	for _, d := range []string{runner.LogsDir, runner.WorkspaceDir, stateDir} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return nil, fmt.Errorf("fake runner: %w", err)
		}
	}
	m := meta{StartedAt: time.Now()}
	data, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	if err := runner.WriteFileAtomic(filepath.Join(dir, stateDir, "meta.json"), data); err != nil {
		return nil, fmt.Errorf("fake runner: %w", err)
	}
	r.mu.Lock()
	r.started = append(r.started, job.GetJobId())
	r.mu.Unlock()
	return r.launch(job, dir, m), nil
}

// Resume implements runner.Runner: a finished job's result comes back as
// it is; an unfinished one goes on from its first unfinished step, whose
// output is produced again but written only past what its log holds.
func (r *Runner) Resume(_ context.Context, job *agentv1.RunJob, dir string) (runner.Handle, error) {
	if err := r.check(job, dir); err != nil {
		return nil, err
	}
	res, found, err := runner.ReadResult(dir)
	if err != nil {
		return nil, fmt.Errorf("fake runner: %w", err)
	}
	r.mu.Lock()
	r.resumed = append(r.resumed, job.GetJobId())
	r.mu.Unlock()
	if found {
		return finished(res), nil
	}
	var m meta
	data, rerr := os.ReadFile(filepath.Join(dir, stateDir, "meta.json")) //nolint:gosec // G304: the job directory the agent owns
	started := rerr == nil && json.Unmarshal(data, &m) == nil
	if !started || r.opts.LoseOnResume {
		// Never started (no meta), or told to pretend the job died.
		h := newHandle(r, job, dir, m)
		step := h.firstUnfinished()
		_ = runner.AppendLogLine(dir, step, runner.MsgLost)
		h.finish(runner.Result{State: agentv1.JobState_JOB_STATE_FAILURE, Step: step, Message: runner.MsgLost})
		h.cancel()
		close(h.exited)
		return h, nil
	}
	return r.launch(job, dir, m), nil
}

func (r *Runner) check(job *agentv1.RunJob, dir string) error {
	if err := runner.ValidateJob(job); err != nil {
		return fmt.Errorf("fake runner: %w", err)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("fake runner: job directory %s does not exist", dir)
	}
	if r.opts.StartError != nil {
		return r.opts.StartError(job)
	}
	return nil
}

func (r *Runner) launch(job *agentv1.RunJob, dir string, m meta) *handle {
	h := newHandle(r, job, dir, m)
	go h.run()
	return h
}

// Errors that end a job's context, telling why.
var (
	errCancelled = errors.New("cancelled")
	errDetached  = errors.New("detached")
)

type handle struct {
	r    *Runner
	job  *agentv1.RunJob
	dir  string
	meta meta

	ctx    context.Context
	stop   context.CancelCauseFunc
	cancel func() // releases the deadline timer
	exited chan struct{}
	done   chan struct{}

	mu     sync.Mutex
	reason string
	result runner.Result
}

func newHandle(r *Runner, job *agentv1.RunJob, dir string, m meta) *handle {
	ctx, stop := context.WithCancelCause(context.Background())
	cancel := func() {}
	if t := runner.Timeout(job); t > 0 {
		ctx, cancel = context.WithDeadline(ctx, m.StartedAt.Add(t))
	}
	return &handle{r: r, job: job, dir: dir, meta: m, ctx: ctx, stop: stop, cancel: cancel, exited: make(chan struct{}), done: make(chan struct{})}
}

// finished is a handle for a job whose result.json already exists.
func finished(res runner.Result) *handle {
	h := &handle{exited: make(chan struct{}), done: make(chan struct{}), result: res, stop: func(error) {}, cancel: func() {}}
	close(h.exited)
	close(h.done)
	return h
}

func (h *handle) Done() <-chan struct{} { return h.done }

func (h *handle) Result() runner.Result {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.result
}

// Cancel implements runner.Handle; the first reason wins.
func (h *handle) Cancel(reason string) {
	h.mu.Lock()
	if h.reason == "" {
		h.reason = reason
		if h.reason == "" {
			h.reason = runner.MsgCancelled
		}
	}
	h.mu.Unlock()
	h.stop(errCancelled)
}

// Detach implements runner.Detacher: the job stops where it is, with no
// result, as an in-process job does when its agent dies.
func (h *handle) Detach() {
	h.stop(errDetached)
	<-h.exited
}

func (h *handle) exitFile(step uint32) string {
	return filepath.Join(h.dir, stateDir, "exit-"+strconv.FormatUint(uint64(step), 10))
}

// exitCode reads a finished step's exit code.
func (h *handle) exitCode(step uint32) (int, bool) {
	data, err := os.ReadFile(h.exitFile(step))
	if err != nil || !strings.HasSuffix(string(data), "\n") {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(data)))
	return n, err == nil
}

func (h *handle) firstUnfinished() uint32 {
	last := runner.LastStep(h.job)
	for s := uint32(0); s <= last; s++ {
		if _, ok := h.exitCode(s); !ok {
			return s
		}
	}
	return last
}

func (h *handle) script(step uint32) string {
	if step > 0 {
		return h.job.GetSteps()[step-1].GetScript()
	}
	if h.job.GetCloneUrl() == "" {
		return "echo no clone URL: checkout skipped"
	}
	// The clone token is deliberately not part of anything written.
	return fmt.Sprintf("echo fake checkout of %s (%s) from %s", h.job.GetCommitSha(), h.job.GetRef(), h.job.GetCloneUrl())
}

func (h *handle) run() {
	defer close(h.exited)
	defer h.cancel()
	env := runner.JobEnv(h.job)
	for k, v := range h.job.GetEnv() {
		env[k] = v
	}
	last := runner.LastStep(h.job)
	for step := uint32(0); step <= last; step++ {
		code, done := h.exitCode(step)
		if !done {
			var ok bool
			if code, ok = h.runStep(step, env); !ok {
				h.interrupted(step)
				return
			}
		}
		if code != 0 {
			h.finish(runner.Result{State: agentv1.JobState_JOB_STATE_FAILURE, Step: step, ExitCode: int32(code), Message: runner.ExitMessage(int32(code))}) //nolint:gosec // G115: exit codes are 0-255
			return
		}
	}
	res := runner.Result{State: agentv1.JobState_JOB_STATE_SUCCESS, Step: last}
	if paths := h.job.GetArtifactPaths(); len(paths) > 0 {
		n, warnings, err := runner.WriteArtifacts(h.ctx, filepath.Join(h.dir, runner.WorkspaceDir), paths, filepath.Join(h.dir, runner.ArtifactsFile))
		if err != nil && h.ctx.Err() != nil {
			// Cancelled, timed out or detached while archiving: archiving
			// is part of the job, so it ends the way a step would.
			h.interrupted(last)
			return
		}
		for _, w := range warnings {
			_ = runner.AppendLogLine(h.dir, last, w)
		}
		switch {
		case err != nil:
			_ = runner.AppendLogLine(h.dir, last, err.Error())
			res = runner.Result{State: agentv1.JobState_JOB_STATE_FAILURE, Step: last, Message: err.Error()}
		case n > 0:
			res.Artifacts = runner.ArtifactsFile
		}
	}
	h.finish(res)
}

// runStep runs one step to its end (ok) or until the job's context ended.
func (h *handle) runStep(step uint32, env map[string]string) (code int, ok bool) {
	f, err := os.OpenFile(runner.LogPath(h.dir, step), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return 1, true
	}
	defer func() { _ = f.Close() }()
	var skip int64
	if st, err := f.Stat(); err == nil {
		skip = st.Size()
	}
	m := &machine{ctx: h.ctx, out: &skipWriter{w: f, skip: skip}, env: env, workspace: filepath.Join(h.dir, runner.WorkspaceDir), gate: h.r.gate}
	code, ok = m.run(h.script(step))
	if !ok {
		return 0, false
	}
	if err := os.WriteFile(h.exitFile(step), []byte(strconv.Itoa(code)+"\n"), 0o600); err != nil {
		return 1, true
	}
	return code, true
}

// interrupted ends a job whose context ended during step.
func (h *handle) interrupted(step uint32) {
	cause := context.Cause(h.ctx)
	switch {
	case errors.Is(cause, errDetached):
		return // no result: a later Resume goes on
	case errors.Is(cause, errCancelled):
		h.mu.Lock()
		reason := h.reason
		h.mu.Unlock()
		_ = runner.AppendLogLine(h.dir, step, "the job was cancelled: "+reason)
		h.finish(runner.Result{State: agentv1.JobState_JOB_STATE_CANCELLED, Step: step, Message: reason})
	default: // the deadline
		msg := runner.TimedOutMessage(runner.Timeout(h.job))
		_ = runner.AppendLogLine(h.dir, step, "the job "+msg)
		h.finish(runner.Result{State: agentv1.JobState_JOB_STATE_TIMED_OUT, Step: step, Message: msg})
	}
}

// finish writes result.json and closes Done. A result that cannot be
// written is still reported (the agent keeps running); only a restart
// would then not know it.
func (h *handle) finish(res runner.Result) {
	_ = runner.WriteResult(h.dir, res)
	h.mu.Lock()
	h.result = res
	h.mu.Unlock()
	close(h.done)
}
