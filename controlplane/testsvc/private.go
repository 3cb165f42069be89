package testsvc

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/internal/localsvc"
)

// PrivatePostgres is a PostgreSQL server of one test alone, which the test
// may stop, kill and start again (fault tests) without disturbing the
// shared server every other test uses. Its URLs stay valid across
// restarts. It is stopped and removed when the test ends.
type PrivatePostgres struct {
	dir string

	mu     sync.Mutex
	server *localsvc.Postgres // nil while stopped
}

// privateSettings keep Fast's speed but not its lost commits: a killed
// server must come back with everything it acknowledged, as a real one
// does, or a fault test would blame Hearth for PostgreSQL's shortcut.
var privateSettings = map[string]string{"synchronous_commit": "on"}

// NewPostgres starts a PostgreSQL server for the test alone.
func NewPostgres(t testing.TB) *PrivatePostgres {
	t.Helper()
	check(t)
	root, err := rootDir()
	if err != nil {
		t.Fatal(err)
	}
	p := &PrivatePostgres{dir: filepath.Join(root, uniqueName("pg-"))}
	p.Start(t)
	t.Cleanup(func() {
		p.Stop(t)
		if err := os.RemoveAll(p.dir); err != nil {
			t.Errorf("testsvc: removing %s: %v", p.dir, err)
		}
	})
	return p
}

// Start starts the server (again) on its cluster, recovering it after Kill.
func (p *PrivatePostgres) Start(t testing.TB) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.server != nil {
		return
	}
	ctx, cancel := startCtx()
	defer cancel()
	server, err := localsvc.StartPostgres(ctx, localsvc.PostgresOptions{
		Dir: p.dir, Logger: serviceLogger(), Fast: true, Settings: privateSettings,
	})
	if err != nil {
		t.Fatalf("testsvc: private PostgreSQL: %v", err)
	}
	p.server = server
}

// Stop shuts the server down the way an operator's restart does (sessions
// ended, a checkpoint written). Stopping a stopped server does nothing.
func (p *PrivatePostgres) Stop(t testing.TB) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.server == nil {
		return
	}
	ctx, cancel := cleanupCtx()
	defer cancel()
	err := p.server.Stop(ctx)
	p.server = nil
	if err != nil {
		t.Errorf("testsvc: stopping the private PostgreSQL: %v", err)
	}
}

// Kill ends the server at once, as a crash would; Start recovers it.
func (p *PrivatePostgres) Kill(t testing.TB) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.server != nil {
		p.server.Kill()
		p.server = nil
	}
}

// Restart stops the server and starts it again.
func (p *PrivatePostgres) Restart(t testing.TB) {
	t.Helper()
	p.Stop(t)
	p.Start(t)
}

// DatabaseURL creates an empty database (a server under test migrates it)
// and returns its URL, valid across restarts. The server must be running.
func (p *PrivatePostgres) DatabaseURL(t testing.TB) string {
	t.Helper()
	p.mu.Lock()
	server := p.server
	p.mu.Unlock()
	if server == nil {
		t.Fatal("testsvc: DatabaseURL of a stopped private PostgreSQL")
	}
	name := uniqueName("t_")
	ctx, cancel := startCtx()
	defer cancel()
	if err := server.CreateDatabase(ctx, name); err != nil {
		t.Fatalf("testsvc: %v", err)
	}
	return server.URL(name)
}

// PrivateRedis is a redis-server of one test alone, which the test may
// stop and start again at the same address. It is stopped when the test
// ends.
type PrivateRedis struct {
	dir  string
	port int

	mu     sync.Mutex
	server *localsvc.Redis // nil while stopped
}

// NewRedis starts a redis-server for the test alone.
func NewRedis(t testing.TB) *PrivateRedis {
	t.Helper()
	check(t)
	root, err := rootDir()
	if err != nil {
		t.Fatal(err)
	}
	r := &PrivateRedis{dir: filepath.Join(root, uniqueName("redis-"))}
	r.Start(t)
	t.Cleanup(func() {
		r.Stop(t)
		if err := os.RemoveAll(r.dir); err != nil {
			t.Errorf("testsvc: removing %s: %v", r.dir, err)
		}
	})
	return r
}

// URL is the server's database 0, valid across restarts.
func (r *PrivateRedis) URL() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return "redis://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(r.port)) + "/0"
}

// Addr is the server's host:port, valid across restarts.
func (r *PrivateRedis) Addr() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(r.port))
}

// Start starts the server (again), empty, on the port it had.
func (r *PrivateRedis) Start(t testing.TB) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.server != nil {
		return
	}
	ctx, cancel := startCtx()
	defer cancel()
	server, err := localsvc.StartRedis(ctx, localsvc.RedisOptions{Dir: r.dir, Logger: serviceLogger(), Port: r.port})
	if err != nil {
		t.Fatalf("testsvc: private Redis: %v", err)
	}
	if r.port == 0 {
		r.port = portOf(server.Addr())
	}
	r.server = server
}

// Stop stops the server; clients see connections refused until Start.
// Stopping a stopped server does nothing.
func (r *PrivateRedis) Stop(t testing.TB) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.server == nil {
		return
	}
	ctx, cancel := cleanupCtx()
	defer cancel()
	err := r.server.Stop(ctx)
	r.server = nil
	if err != nil {
		t.Errorf("testsvc: stopping the private Redis: %v", err)
	}
}

// portOf is the port of a host:port that localsvc made.
func portOf(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(p)
	return port
}
