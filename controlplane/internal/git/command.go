package git

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"
)

// DefaultTimeout bounds a git call that did not set its own.
const DefaultTimeout = 2 * time.Minute

// maxStderr bounds the stderr kept for error messages.
const maxStderr = 64 << 10

// Command is one git invocation, built up with typed methods so user input
// can only ever land where an argument is expected: after
// --end-of-options, or as a fully qualified ref.
type Command struct {
	binary  string
	dir     string
	config  []string // -c name=value, before the subcommand
	args    []string
	user    []string // user-chosen arguments, after --end-of-options
	paths   []string // after "--"
	env     []string
	timeout time.Duration
	stdin   io.Reader
	stdout  io.Writer
}

// Runner creates commands for one git binary.
type Runner struct {
	// Binary is the git executable ("git": from PATH).
	Binary string
}

// Git starts a command for subcommand (a constant: "rev-parse", "log", …).
func (r Runner) Git(subcommand string, args ...string) *Command {
	bin := r.Binary
	if bin == "" {
		bin = "git"
	}
	return &Command{binary: bin, args: append([]string{subcommand}, args...), timeout: DefaultTimeout}
}

// Dir sets the repository (bare) the command runs in.
func (c *Command) Dir(dir string) *Command { c.dir = dir; return c }

// Config adds "-c name=value" before the subcommand.
func (c *Command) Config(name, value string) *Command {
	c.config = append(c.config, "-c", name+"="+value)
	return c
}

// Arg adds fixed arguments chosen by the program (never user input).
func (c *Command) Arg(args ...string) *Command { c.args = append(c.args, args...); return c }

// UserArg adds arguments that came from a user (refs, revisions); they go
// after --end-of-options, so git can never read them as options.
func (c *Command) UserArg(args ...string) *Command { c.user = append(c.user, args...); return c }

// Path adds pathspecs after "--".
func (c *Command) Path(paths ...string) *Command { c.paths = append(c.paths, paths...); return c }

// Env adds environment variables (on top of the clean base).
func (c *Command) Env(kv ...string) *Command { c.env = append(c.env, kv...); return c }

// Timeout replaces the default timeout (0: none beyond the context).
func (c *Command) Timeout(d time.Duration) *Command { c.timeout = d; return c }

// Stdin sets the standard input.
func (c *Command) Stdin(r io.Reader) *Command { c.stdin = r; return c }

// Stdout streams standard output to w instead of collecting it.
func (c *Command) Stdout(w io.Writer) *Command { c.stdout = w; return c }

// argv is the full argument list.
func (c *Command) argv() []string {
	argv := append([]string{}, c.config...)
	argv = append(argv, c.args...)
	if len(c.user) > 0 {
		argv = append(argv, "--end-of-options")
		argv = append(argv, c.user...)
	}
	if len(c.paths) > 0 {
		argv = append(argv, "--")
		argv = append(argv, c.paths...)
	}
	return argv
}

// baseEnv is the whole environment git sees: nothing from the server's own
// environment leaks in (no GIT_DIR, no credentials, no config of the host
// user).
func baseEnv() []string {
	return []string{
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"HOME=/nonexistent",
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_TERMINAL_PROMPT=0",
		"LC_ALL=C",
	}
}

// Error is a failed git call: its exit code and stderr (bounded).
type Error struct {
	Args     []string
	ExitCode int
	Stderr   string
	Err      error
}

func (e *Error) Error() string {
	msg := strings.TrimSpace(e.Stderr)
	if msg == "" {
		msg = e.Err.Error()
	}
	return fmt.Sprintf("git %s: %s", e.Args[0], msg)
}

func (e *Error) Unwrap() error { return e.Err }

// Run runs the command and returns its stdout (nil when streamed).
func (c *Command) Run(ctx context.Context) ([]byte, error) {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	argv := c.argv()
	cmd := exec.CommandContext(ctx, c.binary, argv...) //nolint:gosec // G204: argv is built by this type; user input only after --end-of-options.
	cmd.Dir = c.dir
	cmd.Env = append(baseEnv(), c.env...)
	cmd.Stdin = c.stdin
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	if c.stdout != nil {
		cmd.Stdout = c.stdout
	} else {
		cmd.Stdout = &out
	}
	stderr := &boundedBuffer{limit: maxStderr}
	cmd.Stderr = stderr
	if err := cmd.Run(); err != nil {
		ge := &Error{Args: argv[len(c.config):], Stderr: stderr.String(), Err: err}
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			ge.ExitCode = exit.ExitCode()
		}
		if ctx.Err() != nil {
			ge.Err = fmt.Errorf("%w (%w)", err, ctx.Err())
		}
		return nil, ge
	}
	if c.stdout != nil {
		return nil, nil
	}
	return out.Bytes(), nil
}

// boundedBuffer keeps the first limit bytes written.
type boundedBuffer struct {
	buf   bytes.Buffer
	limit int
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	if room := b.limit - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *boundedBuffer) String() string { return b.buf.String() }
