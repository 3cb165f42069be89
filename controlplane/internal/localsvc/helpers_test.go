package localsvc

import (
	"context"
	"errors"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testDir is a fresh directory removed after the test. Not t.TempDir: its
// parent is mode 0700, which the postgres user (under root) cannot enter.
func testDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "localsvc-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o711); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("removing %s: %v", dir, err)
		}
	})
	return dir
}

func testLogger(t *testing.T) zerolog.Logger {
	return zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.DebugLevel)
}

// startCtx bounds a start in a test.
func startCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func stopCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}

// assertGone checks that no process of the group led by pid is left (a
// postmaster's backends are in its group).
func assertGone(t *testing.T, p *process) {
	t.Helper()
	select {
	case <-p.exited:
	default:
		t.Fatalf("%s (pid %d) still running after Stop", p.name, p.pid)
	}
	if err := syscall.Kill(-p.pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("process group %d of %s still has processes (kill -0: %v)", p.pid, p.name, err)
	}
}

// noBinaries is a lookup environment where nothing is installed.
func noBinaries(t *testing.T) *environment {
	empty := t.TempDir()
	return &environment{path: &empty, pgGlobs: []string{}, cwd: empty, exe: empty + "/hearth"}
}
