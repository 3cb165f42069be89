package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hearth-dev/hearth/controlplane/internal/secret/envelope"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

// buildOnce builds the hearth binary the tests run as a real process.
var buildOnce = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "hearth-bin-*")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "hearth")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	// hearth dev starts the hearth-agent it finds next to itself.
	agent := exec.Command("go", "build", "-o", filepath.Join(dir, "hearth-agent"), "./cmd/hearth-agent")
	agent.Dir = filepath.Join("..", "..", "..", "nodeagent")
	if out, err := agent.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build hearth-agent: %w\n%s", err, out)
	}
	return bin, nil
})

func hearthBinary(t *testing.T) string {
	t.Helper()
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// hearthProcess is one running hearth.
type hearthProcess struct {
	cmd    *exec.Cmd
	stdout testsvc.Buffer
	stderr testsvc.Buffer
	done   chan struct{}
	err    error
}

func startHearth(t *testing.T, env []string, args ...string) *hearthProcess {
	t.Helper()
	p := &hearthProcess{done: make(chan struct{})}
	p.cmd = exec.Command(hearthBinary(t), args...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Signal(syscall.SIGINT)
			select {
			case <-p.done:
			case <-time.After(20 * time.Second):
				_ = p.cmd.Process.Kill()
				<-p.done
			}
		}
		if t.Failed() {
			t.Logf("hearth %s stderr:\n%s", strings.Join(args, " "), p.stderr.String())
		}
	})
	return p
}

// exitCode waits up to d for the process to end and returns its exit code.
func (p *hearthProcess) exitCode(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(d):
		t.Fatalf("hearth still running after %v\nstderr:\n%s", d, p.stderr.String())
	}
	return p.cmd.ProcessState.ExitCode()
}

// waitOutput waits until stream contains want, or the process exits.
func (p *hearthProcess) waitOutput(t *testing.T, stream *testsvc.Buffer, want string, d time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if s := stream.String(); strings.Contains(s, want) {
			return s
		}
		select {
		case <-p.done:
			if s := stream.String(); strings.Contains(s, want) {
				return s
			}
			t.Fatalf("hearth exited (%v) before printing %q\nstdout:\n%s\nstderr:\n%s", p.err, want, p.stdout.String(), p.stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("no %q within %v\nstderr:\n%s", want, d, p.stderr.String())
	return ""
}

// descendants lists every process below pid, from /proc.
func descendants(t *testing.T, pid int) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	children := map[int][]int{}
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, ok := parentPID(child); ok {
			children[ppid] = append(children[ppid], child)
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		out = append(out, children[p]...)
		queue = append(queue, children[p]...)
	}
	return out
}

// parentPID reads a process's parent from /proc/PID/stat; ok is false for a
// process that is gone or a zombie (exited, only waiting to be reaped).
func parentPID(pid int) (int, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// "pid (comm) state ppid ...": comm may hold spaces, so cut at the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 2 || fields[0] == "Z" {
		return 0, false
	}
	ppid, err := strconv.Atoi(fields[1])
	return ppid, err == nil
}

// freeAddr returns a loopback address with a port nothing listens on now.
// rootKeyFile is a new secrets root key in a file of its own.
func rootKeyFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secrets-root-key")
	if _, err := envelope.EnsureKeyFile(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

func waitHTTP(ctx context.Context, t *testing.T, url string) {
	t.Helper()
	for ctx.Err() == nil {
		if code, _ := httpGet(ctx, url); code == 200 {
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("%s never answered 200", url)
}
