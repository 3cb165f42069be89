package identity_test

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/nodeagent/internal/gatewaytest"
	"github.com/hearth-dev/hearth/nodeagent/internal/identity"
	"github.com/hearth-dev/hearth/shared/backoff"
	"github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1/agentv1connect"
)

var fast = backoff.Policy{Min: time.Millisecond, Max: 5 * time.Millisecond}

func TestSaveAndLoad(t *testing.T) {
	dir := t.TempDir()
	if _, err := identity.Load(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load of an empty directory: %v", err)
	}
	if ok, err := identity.Exists(dir); ok || err != nil {
		t.Fatalf("Exists: %v %v", ok, err)
	}
	id := identity.Identity{AgentID: "a", ClusterID: "c", Credential: "hac_x", IssuedAt: time.Unix(100, 0).UTC()}
	if err := identity.Save(dir, id); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(identity.Path(dir))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode().Perm())
	}
	got, err := identity.Load(dir)
	if err != nil || got != id {
		t.Fatalf("Load: %+v %v", got, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
	if err := identity.Save(dir, identity.Identity{AgentID: "a"}); err == nil {
		t.Fatal("saved an identity without a credential")
	}
}

func TestLoadRejectsBadFiles(t *testing.T) {
	for name, content := range map[string]string{
		"not json":      "{",
		"no credential": `{"agent_id":"a","cluster_id":"c"}`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(identity.Path(dir), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := identity.Load(dir)
			if err == nil || !strings.Contains(err.Error(), identity.Path(dir)) {
				t.Fatalf("Load: %v (want an error naming the file)", err)
			}
		})
	}
}

func registrationClient(gw *gatewaytest.Server, credential func() string) agentv1connect.RegistrationServiceClient {
	auth := connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			if credential != nil {
				req.Header().Set("Authorization", "Bearer "+credential())
			}
			return next(ctx, req)
		}
	})
	return agentv1connect.NewRegistrationServiceClient(http.DefaultClient, gw.URL, connect.WithInterceptors(auth))
}

func TestRegisterRetriesOnlyRetryableCodes(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	gw.FailRegister(connect.CodeUnavailable, connect.CodeDeadlineExceeded, connect.CodeResourceExhausted)
	dir := t.TempDir()
	reg := identity.Registration{JoinToken: gatewaytest.JoinToken, Name: "n", RunnerKind: "fake"}
	id, err := identity.Register(t.Context(), registrationClient(gw, nil), identity.Dir(dir), reg, fast, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	if gw.Stats().RegisterCalls != 4 {
		t.Fatalf("%d calls", gw.Stats().RegisterCalls)
	}
	if onDisk, err := identity.Load(dir); err != nil || onDisk != id {
		t.Fatalf("on disk %+v %v", onDisk, err)
	}

	for _, code := range []connect.Code{connect.CodeInvalidArgument, connect.CodeFailedPrecondition, connect.CodeInternal} {
		gw.FailRegister(code)
		before := gw.Stats().RegisterCalls
		_, err := identity.Register(t.Context(), registrationClient(gw, nil), identity.Dir(t.TempDir()), reg, fast, zerolog.Nop())
		if connect.CodeOf(err) != code || gw.Stats().RegisterCalls != before+1 {
			t.Fatalf("%v: err %v after %d calls; want final", code, err, gw.Stats().RegisterCalls-before)
		}
	}
	reg.JoinToken = "hjt_wrong"
	_, err = identity.Register(t.Context(), registrationClient(gw, nil), identity.Dir(t.TempDir()), reg, fast, zerolog.Nop())
	if !errors.Is(err, identity.ErrUnauthenticated) {
		t.Fatalf("wrong token: %v", err)
	}
}

func TestRegisterStopsWithItsContext(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	for range 1000 {
		gw.FailRegister(connect.CodeUnavailable)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := identity.Register(ctx, registrationClient(gw, nil), identity.Dir(t.TempDir()), identity.Registration{JoinToken: gatewaytest.JoinToken}, fast, zerolog.Nop())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Register: %v", err)
	}
}

func registered(t *testing.T, gw *gatewaytest.Server, dir string) *identity.Holder {
	t.Helper()
	id, err := identity.Register(t.Context(), registrationClient(gw, nil), identity.Dir(dir), identity.Registration{JoinToken: gatewaytest.JoinToken}, fast, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	return identity.NewHolder(identity.Dir(dir), id)
}

func TestRotateSavesBeforeSwitching(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	dir := t.TempDir()
	h := registered(t, gw, dir)
	old := h.Credential()
	client := registrationClient(gw, h.Credential)
	if err := h.Rotate(t.Context(), client); err != nil {
		t.Fatal(err)
	}
	onDisk, err := identity.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if h.Credential() == old || onDisk.Credential != h.Credential() || onDisk.PreviousCredential != old {
		t.Fatalf("after rotation: held %q, on disk %+v, old %q", h.Credential(), onDisk, old)
	}

	// A failing write keeps the held credential (still valid for the overlap).
	gone := identity.NewHolder(identity.Dir(filepath.Join(t.TempDir(), "missing")), h.Get())
	before := gone.Credential()
	if err := gone.Rotate(t.Context(), registrationClient(gw, gone.Credential)); err == nil {
		t.Fatal("Rotate succeeded without a place to save")
	}
	if gone.Credential() != before {
		t.Fatal("switched to a credential that is not on disk")
	}
}

func TestRotatorStopsWhenRevoked(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	h := registered(t, gw, t.TempDir())
	gw.RevokeAll()
	r := &identity.Rotator{Holder: h, Client: registrationClient(gw, h.Credential), Every: time.Millisecond, Retry: fast, Logger: zerolog.Nop()}
	done := make(chan error, 1)
	go func() { done <- r.Run(t.Context()) }()
	select {
	case err := <-done:
		if !errors.Is(err, identity.ErrUnauthenticated) {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the rotator kept going after UNAUTHENTICATED")
	}
	if n := gw.Stats().RotateCalls; n != 1 {
		t.Fatalf("%d rotations; UNAUTHENTICATED must not be retried", n)
	}
}

func TestRotatorStopsWithItsContext(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	h := registered(t, gw, t.TempDir())
	r := &identity.Rotator{Holder: h, Client: registrationClient(gw, h.Credential), Every: time.Hour, Retry: fast, Logger: zerolog.Nop()}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := r.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if err := (&identity.Rotator{Holder: h}).Run(t.Context()); err == nil {
		t.Fatal("a Rotator without a period ran")
	}
}
