package localsvc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/shared/logfield"
)

const (
	// defaultStartTimeout bounds a start whose context has no deadline: a
	// server that has not answered by then is not going to.
	defaultStartTimeout = time.Minute
	// pollInterval is how often a starting server is probed.
	pollInterval = 25 * time.Millisecond
	// probeTimeout bounds one readiness probe.
	probeTimeout = time.Second
	// waitDelay bounds how long Wait keeps reading a child's output after it
	// exited, in case a grandchild still holds the pipe.
	waitDelay = 2 * time.Second
	// tailLines is how many output lines an error quotes.
	tailLines = 15
	// maxLineBytes truncates absurdly long output lines.
	maxLineBytes = 4096
	// portAttempts is how often a server is started on a fresh port when the
	// port it was given was taken in the meantime.
	portAttempts = 5
)

// environment is where binaries are looked up. Tests replace it to simulate
// a machine without the binaries; the zero value of each field means "ask
// the operating system".
type environment struct {
	path     *string  // PATH; nil: os.Getenv("PATH")
	pgGlobs  []string // where distribution packages put PostgreSQL; nil: defaultPostgresGlobs
	cwd      string   // "": os.Getwd
	exe      string   // "": os.Executable
	freePort func(context.Context) (int, error)
}

func (e *environment) pathList() string {
	if e != nil && e.path != nil {
		return *e.path
	}
	return os.Getenv("PATH")
}

func (e *environment) port(ctx context.Context) (int, error) {
	if e != nil && e.freePort != nil {
		return e.freePort(ctx)
	}
	return freePort(ctx)
}

// lookPath finds an executable in the directories of pathList. Unlike
// exec.LookPath it never searches the working directory (an empty entry).
func lookPath(name, pathList string) (string, bool) {
	for _, dir := range filepath.SplitList(pathList) {
		if dir == "" || !filepath.IsAbs(dir) {
			continue
		}
		if p := filepath.Join(dir, name); isExecutable(p) {
			return p, true
		}
	}
	return "", false
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// childEnv is the whole environment of a child: the servers read settings
// from variables (PG*, VGW_*, ROOT_ACCESS_KEY, …) and a developer's shell
// must not change what dev and tests run, so only PATH and TZ pass through.
func childEnv(extra ...string) []string {
	env := []string{"PATH=" + os.Getenv("PATH")}
	if tz, ok := os.LookupEnv("TZ"); ok {
		env = append(env, "TZ="+tz)
	}
	return append(env, extra...)
}

// freePort asks the kernel for an unused loopback port. Another process may
// take it before the server binds it; callers retry (see portAttempts).
func freePort(ctx context.Context) (int, error) {
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// withStartTimeout gives a start without deadline the default one.
func withStartTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, defaultStartTimeout)
}

// procSpec describes a child process.
type procSpec struct {
	name       string // "postgres", "redis-server", … for logs and errors
	path       string
	args       []string
	env        []string
	dir        string
	cred       *syscall.Credential // nil: run as ourselves
	stopSignal syscall.Signal      // graceful stop
	// deathSignal reaches the child when hearth dies without stopping it.
	deathSignal syscall.Signal
	log         zerolog.Logger
}

// process is a running child whose output goes to a logger.
type process struct {
	name       string
	pid        int
	cmd        *exec.Cmd
	out        *lineLogger
	stopSignal syscall.Signal
	exited     chan struct{} // closed once Wait returned
	waitErr    error         // set before exited is closed

	mu       sync.Mutex
	signaled bool // stopSignal was sent: dying of it is a clean exit
}

func startProcess(spec procSpec) (*process, error) {
	// No component field here: the caller's logger names the service.
	out := newLineLogger(spec.log)
	// Not CommandContext: the server outlives the start context; stop ends it.
	cmd := exec.Command(spec.path, spec.args...) //nolint:gosec,noctx // G204: our own server binaries, arguments built here; noctx: see above
	cmd.Env = spec.env
	cmd.Dir = spec.dir
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.WaitDelay = waitDelay
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid:    true,
		Pdeathsig:  spec.deathSignal,
		Credential: spec.cred,
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", spec.name, err)
	}
	p := &process{
		name:       spec.name,
		pid:        cmd.Process.Pid,
		cmd:        cmd,
		out:        out,
		stopSignal: spec.stopSignal,
		exited:     make(chan struct{}),
	}
	out.setPID(p.pid)
	go func() {
		err := cmd.Wait()
		out.flush()
		p.waitErr = err
		close(p.exited)
	}()
	return p, nil
}

// wait waits for the process to exit on its own (initdb), killing it when
// ctx ends first.
func (p *process) wait(ctx context.Context) error {
	select {
	case <-p.exited:
		return p.exitError()
	case <-ctx.Done():
		p.kill()
		return fmt.Errorf("%s did not finish: %w%s", p.name, ctx.Err(), p.out.tailText())
	}
}

// stop sends the graceful stop signal and waits; when ctx ends first it
// kills the process group. It reports how the process ended.
func (p *process) stop(ctx context.Context) error {
	select {
	case <-p.exited:
		return p.exitError()
	default:
	}
	p.mu.Lock()
	p.signaled = true
	p.mu.Unlock()
	if err := p.cmd.Process.Signal(p.stopSignal); err != nil && !errors.Is(err, os.ErrProcessDone) {
		p.kill()
		return fmt.Errorf("stopping %s: %w", p.name, err)
	}
	select {
	case <-p.exited:
		return p.exitError()
	case <-ctx.Done():
		p.kill()
		return fmt.Errorf("%s did not stop in time and was killed: %w", p.name, ctx.Err())
	}
}

// kill SIGKILLs the whole process group (a postmaster's backends too) and
// waits for the leader to be reaped.
func (p *process) kill() {
	select {
	case <-p.exited:
		return
	default:
	}
	// The leader is not reaped yet (exited is open), so its pid, which is
	// also the group id, cannot have been reused.
	if err := syscall.Kill(-p.pid, syscall.SIGKILL); err != nil {
		_ = p.cmd.Process.Kill()
	}
	<-p.exited // SIGKILL cannot be caught; WaitDelay bounds the output copy
}

// exitError interprets the finished process: nil for a clean exit, or for
// death by the stop signal we sent; an error quoting its output otherwise.
func (p *process) exitError() error {
	if p.waitErr == nil {
		return nil
	}
	var exitErr *exec.ExitError
	if errors.As(p.waitErr, &exitErr) {
		p.mu.Lock()
		signaled := p.signaled
		p.mu.Unlock()
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && signaled && ws.Signaled() && ws.Signal() == p.stopSignal {
			return nil
		}
	}
	return fmt.Errorf("%s exited: %w%s", p.name, p.waitErr, p.out.tailText())
}

// earlyExitError is the error of a server that exited while starting.
func (p *process) earlyExitError() error {
	err := p.waitErr
	if err == nil {
		err = errors.New("exit status 0")
	}
	return &earlyExit{name: p.name, err: err, tail: p.out.tail()}
}

// earlyExit: the server exited before it answered.
type earlyExit struct {
	name string
	err  error
	tail []string
}

func (e *earlyExit) Error() string {
	return fmt.Sprintf("%s exited while starting: %v%s", e.name, e.err, formatTail(e.tail))
}

func (e *earlyExit) Unwrap() error { return e.err }

// portTaken reports whether a server failed because its port was taken
// between freePort and its bind (another process won the race).
func portTaken(err error) bool {
	var ee *earlyExit
	if !errors.As(err, &ee) {
		return false
	}
	for _, l := range ee.tail {
		if strings.Contains(strings.ToLower(l), "address already in use") {
			return true
		}
	}
	return false
}

// waitReady probes the starting server until it answers, it exits, or ctx
// ends. The caller kills the process when this fails.
func waitReady(ctx context.Context, p *process, probe func(context.Context) error) error {
	// A probe in flight is cut short when the server exits, so that an
	// early exit is reported at once rather than after probeTimeout.
	probeBase, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-p.exited:
			cancel()
		case <-probeBase.Done():
		}
	}()

	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for {
		probeCtx, cancelProbe := context.WithTimeout(probeBase, probeTimeout)
		err := probe(probeCtx)
		cancelProbe()
		if err == nil {
			return nil
		}
		select {
		case <-p.exited:
			return p.earlyExitError()
		default:
		}
		select {
		case <-p.exited:
			return p.earlyExitError()
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer before the start deadline (last probe: %w): %w%s",
				p.name, err, ctx.Err(), p.out.tailText())
		case <-ticker.C:
		}
	}
}

// lineLogger is the stdout and stderr of a child: it logs each line at
// debug level and keeps the last ones for error messages.
type lineLogger struct {
	mu      sync.Mutex
	log     zerolog.Logger
	partial []byte
	last    []string // ring of the last tailLines lines
	next    int
	full    bool
}

func newLineLogger(log zerolog.Logger) *lineLogger {
	return &lineLogger{log: log, last: make([]string, tailLines)}
}

func (w *lineLogger) setPID(pid int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.log = w.log.With().Int(logfield.PID, pid).Logger()
}

func (w *lineLogger) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(b)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			w.partial = append(w.partial, b...)
			if len(w.partial) > maxLineBytes {
				w.emit(w.partial)
				w.partial = w.partial[:0]
			}
			break
		}
		line := b[:i]
		if len(w.partial) > 0 {
			line = append(w.partial, line...)
			w.partial = w.partial[:0]
		}
		w.emit(line)
		b = b[i+1:]
	}
	return n, nil
}

func (w *lineLogger) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.partial) > 0 {
		w.emit(w.partial)
		w.partial = nil
	}
}

// emit logs one line; w.mu is held.
func (w *lineLogger) emit(b []byte) {
	if len(b) > maxLineBytes {
		b = b[:maxLineBytes]
	}
	line := strings.TrimRight(string(b), "\r ")
	if line == "" {
		return
	}
	w.log.Debug().Msg(line)
	w.last[w.next] = line
	w.next = (w.next + 1) % len(w.last)
	if w.next == 0 {
		w.full = true
	}
}

// tail returns the last lines, oldest first.
func (w *lineLogger) tail() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.full {
		return append([]string(nil), w.last[:w.next]...)
	}
	return append(append([]string(nil), w.last[w.next:]...), w.last[:w.next]...)
}

func (w *lineLogger) tailText() string { return formatTail(w.tail()) }

func formatTail(lines []string) string {
	if len(lines) == 0 {
		return " (no output)"
	}
	return "; last output:\n\t" + strings.Join(lines, "\n\t")
}
