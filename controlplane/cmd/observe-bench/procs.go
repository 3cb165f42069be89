package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Processes: the servers under test run as children, pinned to a CPU with
// taskset; their CPU time is read from /proc/<pid>/stat.

// clockTicks is the unit of utime and stime in /proc/<pid>/stat
// (USER_HZ, 100 on Linux on every architecture Hearth runs on).
const clockTicks = 100

// server is a child process under test.
type server struct {
	name     string
	cmd      *exec.Cmd
	done     chan struct{}
	grpcAddr string // host:port of OTLP/gRPC
	httpURL  string // base URL of OTLP/HTTP
}

// target is what the load generator sends to.
type target = server

// start runs bin with args, pinned to cpus when not empty (taskset -c),
// its output appended to logPath.
func start(name, cpus, logPath, bin string, args, env []string) (*server, error) {
	if cpus != "" {
		args = append([]string{"-c", cpus, bin}, args...)
		bin = "taskset"
	}
	out, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600) //nolint:gosec // G304: a file in the benchmark's own directory
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...) //nolint:gosec,noctx // G204: the binaries under test, arguments built here; stopped by stop, not a context
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = out, out
	// A benchmark that dies takes its servers along.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = out.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	s := &server{name: name, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); _ = out.Close(); close(s.done) }()
	return s, nil
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// stop ends the server gracefully (SIGTERM), killing it after a minute,
// and returns the CPU seconds it used in its whole life.
func (s *server) stop() float64 {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(time.Minute):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	st := s.cmd.ProcessState
	return (st.UserTime() + st.SystemTime()).Seconds()
}

// waitHTTP waits until url answers 200 (or, with anyStatus, anything).
func (s *server) waitHTTP(ctx context.Context, url string, anyStatus bool) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if res, err := http.DefaultClient.Do(req); err == nil {
			_ = res.Body.Close()
			if anyStatus || res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.done:
			return fmt.Errorf("%s exited while starting (%v)", s.name, s.cmd.ProcessState)
		case <-ctx.Done():
			return fmt.Errorf("%s not ready at %s after 3 minutes", s.name, url)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// cpuSeconds is utime+stime of pid (with children: + cutime+cstime).
func cpuSeconds(pid int, children bool) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses and may
	// hold spaces: state is field 3, utime 14, stime 15, cutime 16, cstime 17.
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 15 {
		return 0, errors.New("short /proc stat")
	}
	n := 2
	if children {
		n = 4
	}
	var ticks int64
	for _, s := range f[11 : 11+n] {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, err
		}
		ticks += v
	}
	return float64(ticks) / clockTicks, nil
}

// descendants are the processes below pid (PostgreSQL, Redis, the S3
// server and their children), minus the ones in skip and below them.
func descendants(pid int, skip map[int]bool) []int {
	parent := map[int][]int{}
	dirs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, d := range dirs {
		b, err := os.ReadFile(d) //nolint:gosec // G304: /proc/<pid>/stat
		if err != nil {
			continue
		}
		i := strings.LastIndexByte(string(b), ')')
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		me, _ := strconv.Atoi(strings.Split(strings.TrimPrefix(d, "/proc/"), "/")[0])
		parent[ppid] = append(parent[ppid], me)
	}
	var out []int
	var walk func(int)
	walk = func(p int) {
		for _, c := range parent[p] {
			if skip[c] {
				continue
			}
			out = append(out, c)
			walk(c)
		}
	}
	walk(pid)
	return out
}

// helperCPU is the CPU seconds so far of the helper processes (and of
// their reaped children).
func helperCPU(pids []int) float64 {
	var sum float64
	for _, p := range pids {
		if c, err := cpuSeconds(p, true); err == nil {
			sum += c
		}
	}
	return sum
}

// pin sets the CPUs every thread of pid may run on (taskset -a -p).
func pin(pid int, cpus string) error {
	out, err := exec.Command("taskset", "-a", "-p", "-c", cpus, strconv.Itoa(pid)).CombinedOutput() //nolint:gosec,noctx // G204: taskset with a CPU list and a pid; it returns at once
	if err != nil {
		return fmt.Errorf("taskset -a -p -c %s %d: %w: %s", cpus, pid, err, out)
	}
	return nil
}

// freeAddr is a loopback address nothing listens on right now.
func freeAddr() string {
	l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().String()
}

// waitTCP waits until addr accepts connections.
func (s *server) waitTCP(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		if c, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr); err == nil {
			_ = c.Close()
			return nil
		}
		select {
		case <-s.done:
			return fmt.Errorf("%s exited while starting (%v)", s.name, s.cmd.ProcessState)
		case <-ctx.Done():
			return fmt.Errorf("%s not listening on %s after a minute", s.name, addr)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// machineBusy is the CPU seconds all CPUs spent busy so far (/proc/stat:
// all but idle and iowait).
func machineBusy() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal …
	var busy int64
	for i, v := range f[1:min(len(f), 9)] {
		n, _ := strconv.ParseInt(v, 10, 64)
		if i != 3 && i != 4 {
			busy += n
		}
	}
	return float64(busy) / clockTicks
}

// waitIdle waits until pid has used under a tenth of a CPU for two
// seconds (a restarted hearth compacts and flushes first), at most three
// minutes.
func waitIdle(pid int) {
	prev, _ := cpuSeconds(pid, false)
	for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); {
		time.Sleep(2 * time.Second)
		c, err := cpuSeconds(pid, false)
		if err != nil || c-prev < 0.2 {
			return
		}
		prev = c
	}
}
