package testsvc

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

const (
	// startTimeout bounds the start of one service (a first initdb included)
	// on a loaded CI machine.
	startTimeout = 2 * time.Minute
	// cleanupTimeout bounds one test's cleanup (a DROP DATABASE, a flush).
	cleanupTimeout = 30 * time.Second
	// stopTimeout bounds stopping all services at the end.
	stopTimeout = 30 * time.Second
)

// env is the one set of services of this test binary (see the package
// documentation for why it is package-level).
var env = &services{}

// services are started lazily, each once, and stopped by Run.
type services struct {
	mu      sync.Mutex
	running bool // inside Run
	stopped bool // Run has stopped everything

	rootOnce sync.Once
	root     string // temporary directory of every service's files
	rootErr  error

	pg    postgresState
	redis redisState
	s3    s3State
}

// Main runs the tests, stops the services they started and exits with the
// tests' code. Call it from TestMain.
func Main(m *testing.M) {
	os.Exit(Run(m))
}

// Run runs the tests and stops the services they started, returning the
// exit code; for a TestMain that checks more (goleak) before exiting.
func Run(m *testing.M) int {
	env.mu.Lock()
	env.running = true
	env.mu.Unlock()

	code := m.Run()

	env.mu.Lock()
	env.running, env.stopped = false, true
	env.mu.Unlock()
	if err := env.stop(); err != nil {
		fmt.Fprintf(os.Stderr, "testsvc: stopping services: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// stop stops whatever was started, in reverse order of dependence, and
// removes their files. Run calls it once the tests are over, so no helper
// runs concurrently.
func (s *services) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	errs := []error{s.s3.stop(ctx), s.redis.stop(ctx), s.pg.stop(ctx)}
	if s.root != "" {
		if err := os.RemoveAll(s.root); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// check fails the test unless Run is in charge of stopping what the helper
// would start.
func check(t testing.TB) {
	t.Helper()
	env.mu.Lock()
	running, stopped := env.running, env.stopped
	env.mu.Unlock()
	switch {
	case stopped:
		t.Fatal("testsvc: the services were already stopped (used after the tests ended?)")
	case !running:
		t.Fatal("testsvc: call testsvc.Main(m) from TestMain, so that the services are stopped at the end")
	}
}

// rootDir is the directory of every service's files, made on first use.
// Not t.TempDir: it outlives the test that first asks, and the postgres
// user (when tests run as root) must be able to enter it, so it is made
// world-searchable (0711, not listable).
func rootDir() (string, error) {
	env.rootOnce.Do(func() {
		dir, err := os.MkdirTemp("", "hearth-testsvc-")
		if err == nil {
			err = os.Chmod(dir, 0o711) //nolint:gosec // G302: searchable, not listable, so the postgres user reaches its directory
		}
		env.root, env.rootErr = dir, err
		if err != nil {
			env.rootErr = fmt.Errorf("testsvc: temporary directory: %w", err)
		}
	})
	return env.root, env.rootErr
}

// startCtx bounds a service start.
func startCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), startTimeout)
}

// cleanupCtx bounds work done at a test's cleanup.
func cleanupCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), cleanupTimeout)
}

// serviceLogger is what the shared servers log to: nothing. They outlive
// the test that started them, so they cannot log to its t; their last
// output lines are quoted in the error when one fails to start.
func serviceLogger() zerolog.Logger { return zerolog.Nop() }

// Logger is a logger writing to t.Log, for the code under test. Do not use
// it from goroutines that outlive the test.
func Logger(t testing.TB) zerolog.Logger {
	return zerolog.New(zerolog.NewTestWriter(t)).With().Timestamp().Logger()
}

// uniqueName is prefix followed by 16 random lowercase letters and digits:
// valid as a PostgreSQL identifier, an S3 bucket name and a Redis key part.
func uniqueName(prefix string) string {
	return prefix + strings.ToLower(rand.Text()[:16])
}

// KeyPrefix is a prefix no other test gets, for names that are server-wide
// in Redis whatever the database (pub/sub channels), or for keys when a
// test shares a database on purpose.
func KeyPrefix(t testing.TB) string {
	t.Helper()
	return uniqueName("t:") + ":"
}

// WaitFor checks cond every 10 ms until it holds, failing the test after
// 30 seconds: for state another goroutine or process changes.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}
