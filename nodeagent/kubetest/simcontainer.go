package kubetest

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A container on a SimNode runs on the host, as what it would do:
//
//   - a Behaviour from SimOptions.Program, if it gives one;
//   - hearth-agent's pod commands (job-init, job-sidecar, job-artifacts
//     after an argument named hearth-agent) as calls of package podjob;
//   - anything else as a host process (its command and args, which must
//     exist on the host: /bin/sh does), in its own process group, with the
//     container's environment (literal values only), stdout and stderr
//     into the log, stdin from attaches when the spec asks for stdin.
//
// Paths under the container's volume mounts, in the command, the
// environment and the working directory, are rewritten to the volumes'
// directories on the host (simpaths.go): /hearth/workspace becomes
// <pod dir>/volumes/workspace. When the container's main process exits,
// what it left running in its process group is killed, as the end of a
// container's PID namespace would.
type simCtr struct {
	p       *simPod
	spec    corev1.Container
	init    bool
	paths   *mountPaths
	log     *containerLog
	term    context.Context // ends at SIGTERM
	sigterm context.CancelFunc
	killed  chan struct{} // closed at SIGKILL
	done    chan struct{} // closed once the container ended or will never start
	once    struct{ kill, done, stdin sync.Once }

	// stdinR is what the process reads; stdinW what attaches write to.
	stdinR io.ReadCloser
	stdinW io.WriteCloser

	// Guarded by p.mu.
	launched, cancelled, running, terminated bool
	waiting, waitingMsg                      string
	startedAt, finishedAt                    metav1.Time
	exit                                     int32
	reason, message                          string
}

func newSimCtr(p *simPod, spec corev1.Container, init bool) *simCtr {
	term, sigterm := context.WithCancel(context.WithoutCancel(p.n.ctx))
	return &simCtr{
		p: p, spec: spec, init: init, paths: newMountPaths(p.dir, spec.VolumeMounts), log: newContainerLog(),
		term: term, sigterm: sigterm, killed: make(chan struct{}), done: make(chan struct{}),
	}
}

// launch starts the container unless its Behaviour keeps it waiting or
// the pod is being killed; it reports whether it started.
func (c *simCtr) launch() bool {
	var b Behaviour
	if prog := c.p.n.opts.Program; prog != nil {
		b = prog(c.p.pod, c.spec.Name)
	}
	c.p.mu.Lock()
	switch {
	case c.cancelled || isClosed(c.p.stopping):
		c.p.mu.Unlock()
		return false
	case b.Waiting != "":
		c.waiting, c.waitingMsg = b.Waiting, b.Message
		c.p.mu.Unlock()
		c.p.event(corev1.EventTypeWarning, "Failed", b.Message, c.spec.Name)
		c.p.publish()
		return false
	}
	if c.spec.Stdin {
		if err := c.openStdin(b.Run != nil || helperCommand(c.command()) != ""); err != nil {
			c.p.mu.Unlock()
			c.finish(128, "StartError", err.Error())
			return true
		}
	}
	c.launched, c.running, c.startedAt = true, true, metav1.Now()
	c.p.mu.Unlock()
	c.p.publish()
	c.p.n.goTracked(func() {
		code, reason, msg := c.execute(b)
		c.finish(code, reason, msg)
	})
	return true
}

// openStdin makes the container's stdin: an in-memory pipe for a Go
// function, an OS pipe for a process (whose Wait must not wait on us).
func (c *simCtr) openStdin(inProcess bool) error {
	if inProcess {
		c.stdinR, c.stdinW = io.Pipe()
		return nil
	}
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	c.stdinR, c.stdinW = r, w
	return nil
}

// closeStdin ends the container's stdin (StdinOnce after an attach, or
// the container's end).
func (c *simCtr) closeStdin() {
	c.once.stdin.Do(func() {
		if c.stdinW != nil {
			_ = c.stdinW.Close()
		}
	})
}

// finish records the container's end once its output was drained.
func (c *simCtr) finish(code int32, reason, msg string) {
	c.log.close()
	if lag := c.p.n.opts.ReportLag; lag > 0 {
		select {
		case <-time.After(lag):
		case <-c.p.n.ctx.Done():
		}
	}
	c.closeStdin()
	if c.stdinR != nil {
		_ = c.stdinR.Close() // an attach still writing gets an error
	}
	if reason == "" {
		reason = "Completed"
		if code != 0 {
			reason = "Error"
		}
	}
	c.p.mu.Lock()
	c.running, c.terminated, c.finishedAt = false, true, metav1.Now()
	c.exit, c.reason, c.message = code, reason, msg
	c.p.mu.Unlock()
	c.p.publish()
	c.once.done.Do(func() { close(c.done) })
}

// signal sends SIGTERM, or SIGKILL when kill; a container yet to start
// will not start.
func (c *simCtr) signal(kill bool) {
	c.p.mu.Lock()
	notStarted := !c.launched
	c.cancelled = true
	c.p.mu.Unlock()
	c.sigterm()
	if kill {
		c.once.kill.Do(func() { close(c.killed) })
	}
	if notStarted {
		c.once.done.Do(func() { close(c.done) })
	}
}

// command is the container's command line, paths rewritten.
func (c *simCtr) command() []string {
	return c.paths.rewriteAll(append(append([]string(nil), c.spec.Command...), c.spec.Args...))
}

// execute runs the container and returns its exit code (and a reason and
// message for the status when it could not start).
func (c *simCtr) execute(b Behaviour) (int32, string, string) {
	if b.Run != nil {
		sc := &SimContainer{Pod: c.p.pod, Name: c.spec.Name, Stdin: c.stdinR, Log: c.log, Killed: c.killed, paths: c.paths}
		return c.runFunc(func(ctx context.Context) int32 { return b.Run(ctx, sc) }), "", ""
	}
	argv := c.command()
	if sub := helperCommand(argv); sub != "" {
		stdin := c.stdinR
		if stdin == nil {
			stdin = io.NopCloser(eofReader{})
		}
		return c.runFunc(func(ctx context.Context) int32 { return runHelper(ctx, argv, stdin, c.log, c.log) }), "", ""
	}
	if len(argv) == 0 {
		return 0, "", "" // an image's own entrypoint: nothing to run here
	}
	return c.runProcess(argv)
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// runFunc runs a Go function as the container: ctx ends at SIGTERM (and
// stdin closes, as a process's would die); at SIGKILL the function is
// abandoned with 137.
func (c *simCtr) runFunc(f func(ctx context.Context) int32) int32 {
	res := make(chan int32, 1)
	go func() { res <- f(c.term) }()
	select {
	case code := <-res:
		return code
	case <-c.term.Done():
		c.closeStdin()
	}
	select {
	case code := <-res:
		return code
	case <-c.killed:
		return 137
	}
}

// runProcess runs argv on the host as the container's main process.
func (c *simCtr) runProcess(argv []string) (int32, string, string) {
	r, w, err := os.Pipe()
	if err != nil {
		return 128, "StartError", err.Error()
	}
	defer func() { _ = r.Close() }()
	cmd := exec.CommandContext(context.Background(), argv[0], argv[1:]...) //nolint:gosec // G204: the pod's own command, on a test node; signals are ours (below)
	cmd.Dir, cmd.Env = c.workDir(), c.env()
	cmd.Stdout, cmd.Stderr = w, w
	if f, ok := c.stdinR.(*os.File); ok {
		cmd.Stdin = f
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	err = cmd.Start()
	_ = w.Close()
	if f, ok := c.stdinR.(*os.File); ok {
		_ = f.Close() // the process has its copy
	}
	if err != nil {
		return 128, "StartError", err.Error()
	}
	pgid := cmd.Process.Pid
	drained := make(chan struct{})
	go func() {
		_, _ = io.Copy(c.log, r)
		close(drained)
	}()
	exited := make(chan struct{})
	go func() {
		select {
		case <-c.term.Done():
			_ = syscall.Kill(-pgid, syscall.SIGTERM)
		case <-exited:
			return
		}
		select {
		case <-c.killed:
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		case <-exited:
		}
	}()
	err = cmd.Wait()
	close(exited)
	_ = syscall.Kill(-pgid, syscall.SIGKILL) // the rest of the "container"
	select {
	case <-drained:
	case <-time.After(2 * time.Second): // a process outside the group holds the pipe
		_ = r.Close()
		<-drained
	}
	return exitCode(cmd.ProcessState, err), "", ""
}

// exitCode is a process's exit code as a container runtime reports it:
// 128+signal for a process killed by a signal.
func exitCode(ps *os.ProcessState, err error) int32 {
	if ps == nil {
		if err != nil {
			return 128
		}
		return 0
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int32(ws.Signal()) //nolint:gosec // G115: a signal number
	}
	return int32(ps.ExitCode()) //nolint:gosec // G115: an exit status
}

// workDir is the container's working directory on the host: under a
// volume when a mount holds it, else under the pod's root directory.
func (c *simCtr) workDir() string {
	root := filepath.Join(c.p.dir, "root")
	dir := c.spec.WorkingDir
	if dir == "" {
		return root
	}
	if hostDir := c.paths.rewrite(dir); hostDir != dir {
		dir = hostDir
	} else {
		dir = filepath.Join(root, dir)
	}
	_ = os.MkdirAll(dir, 0o700)
	return dir
}

// env is the container's environment: a PATH, HOME and HOSTNAME as an
// image would give, then the spec's literal values (valueFrom is not
// resolved), paths rewritten.
func (c *simCtr) env() []string {
	path := os.Getenv("PATH")
	if path == "" {
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	}
	env := []string{"PATH=" + path, "HOME=" + filepath.Join(c.p.dir, "root"), "HOSTNAME=" + c.p.pod.Name}
	for _, e := range c.spec.Env {
		if e.ValueFrom == nil {
			env = append(env, e.Name+"="+c.paths.rewrite(e.Value))
		}
	}
	return env
}

// Status and stream helpers, for the kubelet API.

func (c *simCtr) isRunning() bool {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	return c.running
}

// waitingReason is why the container has not started, "" once it has.
func (c *simCtr) waitingReason() string {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	switch {
	case c.launched:
		return ""
	case c.waiting != "":
		return c.waiting
	default:
		return "PodInitializing"
	}
}

// exitCode is the container's exit code, ok once it ended.
func (c *simCtr) exitCode() (int32, bool) {
	c.p.mu.Lock()
	defer c.p.mu.Unlock()
	return c.exit, c.terminated
}

var errNotRunning = errors.New("the container is not running")
