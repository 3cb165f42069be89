package fake

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
	"time"
)

// pattern is what "bytes N" repeats: 63 printable bytes and a newline.
const pattern = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.\n"

// Bytes returns what the command "bytes n" writes, for tests to compare.
func Bytes(n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = pattern[i%len(pattern)]
	}
	return out
}

// machine runs one step's script.
type machine struct {
	ctx       context.Context // ended by Cancel, Detach or the deadline
	out       io.Writer
	env       map[string]string
	workspace string
	gate      func(name string) <-chan struct{}
}

// run interprets script and returns the step's exit code; ok is false when
// the step was interrupted (ctx ended) before it finished.
func (m *machine) run(script string) (code int, ok bool) {
	for _, raw := range strings.Split(script, "\n") {
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if m.ctx.Err() != nil {
			return 0, false
		}
		cmd, arg, _ := strings.Cut(line, " ")
		arg = strings.TrimLeft(arg, " \t")
		code, ended, ok := m.command(cmd, arg)
		if !ok {
			return 0, false
		}
		if ended {
			return code, true
		}
	}
	return 0, m.ctx.Err() == nil
}

// command runs one line; ended reports that it ends the step with code.
func (m *machine) command(cmd, arg string) (code int, ended, ok bool) {
	switch cmd {
	case "echo":
		return m.write([]byte(arg + "\n"))
	case "print":
		s, err := strconv.Unquote(arg)
		if err != nil {
			return m.fail(2, "print: want a Go-quoted string, got %s", arg)
		}
		return m.write([]byte(s))
	case "bytes":
		n, err := strconv.Atoi(arg)
		if err != nil || n < 0 {
			return m.fail(2, "bytes: want a byte count, got %q", arg)
		}
		data := Bytes(n)
		for len(data) > 0 {
			chunk := data[:min(len(data), 32<<10)]
			if code, ended, ok := m.write(chunk); ended || !ok {
				return code, ended, ok
			}
			data = data[len(chunk):]
			if m.ctx.Err() != nil {
				return 0, false, false
			}
		}
		return 0, false, true
	case "sleep":
		d, err := parseSleep(arg)
		if err != nil {
			return m.fail(2, "sleep: %v", err)
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return 0, false, true
		case <-m.ctx.Done():
			return 0, false, false
		}
	case "hang":
		<-m.ctx.Done()
		return 0, false, false
	case "gate":
		select {
		case <-m.gate(arg):
			return 0, false, true
		case <-m.ctx.Done():
			return 0, false, false
		}
	case "fail", "exit":
		n := 0
		if cmd == "fail" {
			n = 1
		}
		if arg != "" {
			var err error
			if n, err = strconv.Atoi(arg); err != nil || n < 0 || n > 255 {
				return m.fail(2, "%s: want an exit code 0-255, got %q", cmd, arg)
			}
		}
		return n, true, true
	case "env":
		v, set := m.env[arg]
		if !set {
			return m.write([]byte(arg + " is not set\n"))
		}
		return m.write([]byte(arg + "=" + v + "\n"))
	case "write":
		name, text, _ := strings.Cut(arg, " ")
		if err := m.writeFile(name, text+"\n"); err != nil {
			return m.fail(1, "write: %v", err)
		}
		return 0, false, true
	default:
		return m.fail(127, "unknown command %q", cmd)
	}
}

func (m *machine) write(p []byte) (code int, ended, ok bool) {
	if _, err := m.out.Write(p); err != nil {
		return m.fail(1, "writing the log: %v", err)
	}
	return 0, false, true
}

// fail ends the step with code after a "fake: …" line, like a shell
// printing its error before exiting.
func (m *machine) fail(code int, format string, args ...any) (int, bool, bool) {
	_, _ = fmt.Fprintf(m.out, "fake: "+format+"\n", args...)
	return code, true, true
}

// writeFile writes a workspace file through os.Root, so a script cannot
// write outside the workspace.
func (m *machine) writeFile(name, text string) error {
	root, err := os.OpenRoot(m.workspace)
	if err != nil {
		return err
	}
	defer func() { _ = root.Close() }()
	if dir := path.Dir(name); dir != "." {
		if err := root.MkdirAll(dir, 0o700); err != nil {
			return err
		}
	}
	return root.WriteFile(name, []byte(text), 0o600)
}

func parseSleep(s string) (time.Duration, error) {
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return d, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("want a duration (100ms, 2s) or seconds, got %q", s)
	}
	return time.Duration(f * float64(time.Second)), nil
}

// skipWriter drops the first skip bytes: on Resume a step is run again
// from its start and only the output the log does not hold yet is written,
// so every byte is in the log exactly once.
type skipWriter struct {
	w    io.Writer
	skip int64
}

func (s *skipWriter) Write(p []byte) (int, error) {
	n := len(p)
	if s.skip >= int64(n) {
		s.skip -= int64(n)
		return n, nil
	}
	p = p[s.skip:]
	s.skip = 0
	if _, err := s.w.Write(p); err != nil {
		return 0, err
	}
	return n, nil
}
