package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hearth-dev/hearth/controlplane/servertest"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

// serverStartTimeout bounds a `hearth server` start (a race-built binary
// on a loaded machine), and serverStopTimeout its graceful stop.
const (
	serverStartTimeout = 3 * time.Minute
	serverStopTimeout  = 30 * time.Second
	// processAdminPassword is what child servers give the initial admin.
	processAdminPassword = "e2e-admin-password-1234"
)

// hearthBuild builds hearth from this checkout into binDir once per test
// binary, on first use (only the tests that run it as a process pay), with
// -race like the agent.
var hearthBuild = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(binDir, "hearth")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, "./cmd/hearth")...)
	build.Dir = filepath.Join("..", "controlplane")
	out, err := build.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("building hearth: %w\n%s", err, out)
	}
	return bin, nil
})

func hearthBinary(t testing.TB) string {
	t.Helper()
	bin, err := hearthBuild()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// serverState is everything a `hearth server` keeps between runs: another
// server started on the same state is the same control plane restarted.
type serverState struct {
	databaseURL string
	redisURL    string
	s3          testsvc.S3Config
	dataDir     string
	listen      string // host:port, kept so the restarted server answers at the same URL
	raftListen  string // and Raft finds itself at the address its log records
	rootKey     string // the secrets root key, the same across restarts
}

// newServerState is a fresh database, bucket and data directory on the
// shared services; a test faulting PostgreSQL or Redis puts its own there.
func newServerState(t testing.TB) serverState {
	t.Helper()
	return serverState{
		databaseURL: testsvc.NewDatabaseURL(t),
		redisURL:    testsvc.Redis(t),
		s3:          testsvc.S3(t),
		dataDir:     t.TempDir(),
		listen:      freeAddr(t),
		raftListen:  freeAddr(t),
		rootKey:     newRootKey(t),
	}
}

// newRootKey is a random secrets root key, as HEARTH_SECRETS_ROOT_KEY
// takes it.
func newRootKey(t testing.TB) string {
	t.Helper()
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(key)
}

// serverProc is a `hearth server` child process.
type serverProc struct {
	state serverState
	cmd   *exec.Cmd
	out   *testsvc.Buffer // stdout and stderr
	done  chan struct{}   // closed once the process was reaped
}

// startServer runs `hearth server` on state and returns once it is ready.
// At the test's end it is stopped, and its output checked for data races.
func startServer(t testing.TB, state serverState) *serverProc {
	t.Helper()
	p := &serverProc{state: state, out: &testsvc.Buffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(hearthBinary(t), "server", // stopped by stop/kill9, not by a context
		"--listen", state.listen, "--raft-listen", state.raftListen, "--node-id", "e2e",
		"--data-dir", state.dataDir, "--log-level", "debug", "--log-format", "json",
		"--database-url", state.databaseURL, "--redis-url", state.redisURL,
		"--s3-endpoint", "http://"+state.s3.Endpoint, "--s3-bucket", state.s3.Bucket,
		"--s3-access-key", state.s3.AccessKey, "--s3-region", state.s3.Region,
		// Cheap hashes: the test signs in; the cost is measured by benchmarks.
		"--password-memory-kib", "8192", "--password-iterations", "1",
		// Agents notice a dead stream within seconds; the reaper waits
		// long enough that a slow restart does not fail a live job.
		"--agent-heartbeat-interval", "500ms", "--job-reaper-grace", "20s",
	)
	p.cmd.Env = append(os.Environ(),
		"HEARTH_ADMIN_PASSWORD="+processAdminPassword, "HEARTH_S3_SECRET_KEY="+state.s3.SecretKey,
		"HEARTH_SECRETS_ROOT_KEY="+state.rootKey)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	// A test binary that dies takes its servers along.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start hearth server: %v", err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }() // how it ended is read from ProcessState
	t.Cleanup(func() {
		p.stop()
		out := p.out.String()
		checkNoRace(t, "hearth server", out)
		if t.Failed() {
			t.Logf("hearth server (pid %d) output:\n%s", p.cmd.Process.Pid, tail([]byte(out)))
		}
	})
	p.waitReady(t)
	return p
}

// URL is the server's base URL.
func (p *serverProc) URL() string { return "http://" + p.state.listen }

func (p *serverProc) waitReady(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), serverStartTimeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL()+"/readyz", nil)
		if err != nil {
			t.Fatal(err)
		}
		if res, err := http.DefaultClient.Do(req); err == nil {
			_ = res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-p.done:
			t.Fatalf("hearth server exited while starting (%v):\n%s", p.cmd.ProcessState, tail(p.out.Bytes()))
		case <-ctx.Done():
			t.Fatalf("hearth server not ready after %s:\n%s", serverStartTimeout, tail(p.out.Bytes()))
		case <-tick.C:
		}
	}
}

// kill9 kills the server at once: no graceful stop, nothing flushed.
func (p *serverProc) kill9() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop stops the server gracefully, killing it if it takes too long.
func (p *serverProc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(serverStopTimeout):
		p.kill9()
	}
}

// adminToken signs in as the initial admin and makes an admin token.
func (p *serverProc) adminToken(t testing.TB) string {
	t.Helper()
	s := &servertest.Server{URL: p.URL(), AdminPassword: processAdminPassword}
	return s.AdminToken(t)
}

// newProcessWorld is a world whose control plane is a `hearth server`
// child process on state.
func newProcessWorld(t testing.TB, state serverState) (*world, *serverProc) {
	t.Helper()
	srv := startServer(t, state)
	return setUpWorld(t, srv.URL(), srv.adminToken(t)), srv
}

// freeAddr is a loopback address nothing listens on now.
func freeAddr(t testing.TB) string {
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
