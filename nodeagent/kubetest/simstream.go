package kubetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	utilexec "k8s.io/utils/exec"

	"github.com/hearth-dev/hearth/nodeagent/internal/podjob"
)

// helperCommands are hearth-agent's commands for job pods (package podjob).
var helperCommands = []string{"job-init", "job-sidecar", "job-artifacts"}

// helperCommand is the podjob command argv runs ("" for none): one of
// helperCommands after an argument naming hearth-agent, whatever the
// runner's HelperCommand put before it.
func helperCommand(argv []string) string {
	for i := 1; i < len(argv); i++ {
		if filepath.Base(argv[i-1]) == "hearth-agent" && slices.Contains(helperCommands, argv[i]) {
			return argv[i]
		}
	}
	return ""
}

// runHelper runs a podjob command in this process, with hearth-agent's
// exit codes and error line.
func runHelper(ctx context.Context, argv []string, stdin io.Reader, stdout, stderr io.Writer) int32 {
	sub := helperCommand(argv)
	args := argv[slices.Index(argv, sub)+1:]
	var err error
	switch sub {
	case "job-init":
		err = podjob.Init(ctx, args, stdin, stdout)
	case "job-sidecar":
		err = podjob.Sidecar(ctx)
	case "job-artifacts":
		err = podjob.Artifacts(ctx, args, stdout, stderr)
	}
	if err != nil {
		_, _ = fmt.Fprintf(stderr, "hearth-agent %s: %v\n", sub, err)
		return 1
	}
	return 0
}

// attach connects to the running container: in feeds its stdin (closed
// after in ends when the spec says stdinOnce), out gets what it prints
// from now on (stdout and stderr alike). It returns when the container
// ends, or once in ended when no output was asked for.
func (c *simCtr) attach(ctx context.Context, in io.Reader, out, errw io.Writer) error {
	if in != nil && c.stdinW == nil {
		return fmt.Errorf("container %s does not read stdin (stdin: false)", c.spec.Name)
	}
	if out == nil {
		out = errw
	}
	fed := make(chan struct{})
	if in != nil {
		go func() {
			_, _ = io.Copy(c.stdinW, in)
			if c.spec.StdinOnce {
				c.closeStdin()
			}
			close(fed)
		}()
	}
	printed := make(chan struct{})
	if out != nil {
		go func() {
			_ = c.log.copyTo(ctx, out, logOptions{follow: true, tail: 0, limit: -1}, &logStream{})
			close(printed)
		}()
	}
	var until <-chan struct{}
	switch {
	case out != nil:
		until = printed // ends with the container's log
	case in != nil:
		until = fed
	}
	select {
	case <-until:
	case <-c.done:
	case <-ctx.Done():
	case <-c.p.n.ctx.Done():
	}
	return nil
}

// exec runs a command beside the container's main process: a podjob
// command in this process, anything else on the host with the
// container's environment and working directory. It ends with the
// container. A non-zero exit is a utilexec.ExitError, which the
// remotecommand server reports with the code.
func (c *simCtr) exec(ctx context.Context, cmd []string, in io.Reader, out, errw io.Writer) error {
	if !c.isRunning() {
		return errNotRunning
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-c.done:
		case <-c.p.n.ctx.Done():
		case <-ctx.Done():
		}
		cancel()
	}()
	argv := c.paths.rewriteAll(cmd)
	if helperCommand(argv) != "" {
		if in == nil {
			in = eofReader{}
		}
		if code := runHelper(ctx, argv, in, orDiscard(out), orDiscard(errw)); code != 0 {
			return utilexec.CodeExitError{Err: fmt.Errorf("command terminated with exit code %d", code), Code: int(code)}
		}
		return nil
	}
	if len(cmd) == 0 {
		return fmt.Errorf("no command to run")
	}
	p := exec.CommandContext(ctx, argv[0], argv[1:]...) //nolint:gosec // G204: an exec the test asked for, on a test node
	p.Dir, p.Env = c.workDir(), c.env()
	p.Stdin, p.Stdout, p.Stderr = in, out, errw
	p.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p.Cancel = func() error { return syscall.Kill(-p.Process.Pid, syscall.SIGKILL) }
	p.WaitDelay = 2 * time.Second // stdin from a client that never closes it
	err := p.Run()
	switch {
	case p.ProcessState != nil && p.ProcessState.ExitCode() != 0:
		return utilexec.CodeExitError{Err: err, Code: int(exitCode(p.ProcessState, err))}
	case errors.Is(err, exec.ErrWaitDelay):
		return nil // it exited 0 without reading all of its stdin
	}
	return err
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}
