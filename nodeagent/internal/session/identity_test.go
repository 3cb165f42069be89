package session

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/hearth-dev/hearth/nodeagent/internal/gatewaytest"
	"github.com/hearth-dev/hearth/nodeagent/internal/identity"
)

func TestRegistersOnceAndReusesTheIdentity(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	gw.FailRegister(connect.CodeUnavailable) // retried
	dir := filepath.Join(t.TempDir(), "data")
	a := startAgent(t, gw, dir)
	waitConnects(t, gw, 1)
	if err := a.stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := gw.Stats().RegisterCalls; got != 2 {
		t.Fatalf("Register called %d times, want 2 (one refused as unavailable, one success)", got)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, JobsDir): 0o700, identity.Path(dir): 0o600} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", path, st.Mode().Perm(), want)
		}
	}
	id, err := identity.Load(dir)
	if err != nil {
		t.Fatal(err)
	}

	// A second start reuses the identity and ignores the (now bogus) token.
	startAgent(t, gw, dir, func(d *Deps) { d.JoinToken = "hjt_not-valid-any-more" })
	waitConnects(t, gw, 2)
	if got := gw.Stats().RegisterCalls; got != 2 {
		t.Fatalf("Register called again on restart (%d calls)", got)
	}
	if again, _ := identity.Load(dir); again != id {
		t.Fatalf("identity changed on restart: %+v vs %+v", again, id)
	}
	h := gw.Hellos()
	if len(h) != 2 || h[1].GetProtocolVersion() != 1 || h[1].GetCapacity() != 4 || h[1].GetRunnerKind() != "fake" || h[1].GetLabels()["os"] != "linux" {
		t.Fatalf("hellos: %v", h)
	}
}

func TestRefusedJoinTokenIsFinal(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	a := startAgent(t, gw, t.TempDir(), func(d *Deps) { d.JoinToken = "hjt_wrong" })
	err := a.wait()
	if !errors.Is(err, identity.ErrUnauthenticated) {
		t.Fatalf("Run: %v, want ErrUnauthenticated", err)
	}
	if got := gw.Stats().RegisterCalls; got != 1 {
		t.Fatalf("Register called %d times; a refused token must not be retried", got)
	}
}

func TestNoIdentityAndNoJoinToken(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	dir := t.TempDir()
	a := startAgent(t, gw, dir, func(d *Deps) { d.JoinToken = "" })
	if err := a.wait(); err == nil {
		t.Fatal("Run without identity or join token succeeded")
	}
	if gw.Stats().RegisterCalls != 0 {
		t.Fatal("registered without a join token")
	}
}

func TestRevokedCredentialStopsTheAgent(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	a := startAgent(t, gw, t.TempDir())
	waitConnects(t, gw, 1)
	gw.RevokeAll()
	err := a.wait()
	if !errors.Is(err, identity.ErrUnauthenticated) {
		t.Fatalf("Run: %v, want ErrUnauthenticated", err)
	}
	if got := gw.Stats().Connects; got != 1 {
		t.Fatalf("%d streams: the agent must stop, not reconnect", got)
	}
}

func TestRevokedBeforeConnectingStopsTheAgent(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	dir := t.TempDir()
	a := startAgent(t, gw, dir)
	waitConnects(t, gw, 1)
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	gw.RevokeAll()
	b := startAgent(t, gw, dir)
	if err := b.wait(); !errors.Is(err, identity.ErrUnauthenticated) {
		t.Fatalf("Run: %v, want ErrUnauthenticated", err)
	}
}

func TestCredentialRotation(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	dir := t.TempDir()
	a := startAgent(t, gw, dir, func(d *Deps) { d.RotateEvery = 50 * time.Millisecond })
	waitConnects(t, gw, 1)
	first, err := identity.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	gw.Wait(t, waitFor, "two rotations", func() bool { return gw.Stats().RotateCalls >= 2 })
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
	now, err := identity.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if now.Credential == first.Credential || now.PreviousCredential == "" || now.AgentID != first.AgentID {
		t.Fatalf("identity after rotation: %+v (first %+v)", now, first)
	}
	// The rotated credential works for a new stream; an older one does not.
	startAgent(t, gw, dir)
	waitConnects(t, gw, 2)
}
