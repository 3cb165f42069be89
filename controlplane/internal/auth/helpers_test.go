package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

// fakeRoles stands in for rbac: admins hold everything, others nothing.
type fakeRoles struct {
	mu          sync.Mutex
	admins      map[uuid.UUID]bool
	invalidated atomic.Int64
}

func newFakeRoles() *fakeRoles { return &fakeRoles{admins: map[uuid.UUID]bool{}} }

func (f *fakeRoles) IsAdmin(_ context.Context, id uuid.UUID) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.admins[id], nil
}

func (f *fakeRoles) SetAdmin(_ context.Context, tx pgx.Tx, id uuid.UUID, admin bool) error {
	if tx == nil {
		return errors.New("SetAdmin outside a transaction")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.admins[id] = admin
	return nil
}

func (f *fakeRoles) Invalidate(context.Context) error { f.invalidated.Add(1); return nil }

// KeepAnActiveAdmin refuses removing the only admin (the fake ignores
// activity: its tests deactivate non-admins).
func (f *fakeRoles) KeepAnActiveAdmin(_ context.Context, id uuid.UUID) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.admins[id] && len(f.admins) == 1 {
		return apperr.FailedPrecondition("the last active installation-wide administrator cannot be removed")
	}
	return nil
}

func (f *fakeRoles) Effective(_ context.Context, p access.Principal, _ uuid.UUID) (access.Set, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.admins[p.UserID] {
		return 0, nil
	}
	if p.TokenID != uuid.Nil {
		return access.All.Intersect(p.TokenLimit), nil
	}
	return access.All, nil
}

// countingHasher counts verifications, and those against the dummy hash.
type countingHasher struct {
	Argon2Hasher
	dummy    atomic.Pointer[string]
	verifies atomic.Int64
	dummies  atomic.Int64
}

func (h *countingHasher) Hash(password string) (string, error) {
	hash, err := h.Argon2Hasher.Hash(password)
	h.dummy.CompareAndSwap(nil, &hash) // New hashes the dummy first.
	return hash, err
}

func (h *countingHasher) Verify(password, hash string) (bool, error) {
	h.verifies.Add(1)
	if d := h.dummy.Load(); d != nil && *d == hash {
		h.dummies.Add(1)
	}
	return h.Argon2Hasher.Verify(password, hash)
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

type env struct {
	svc    *Service
	db     *store.DB
	roles  *fakeRoles
	hasher *countingHasher
	clock  *clock
	redis  *redis.Client
}

func newEnv(t testing.TB, tweak ...func(*Deps)) *env {
	t.Helper()
	database := testsvc.NewDatabase(t)
	opts, err := redis.ParseURL(testsvc.Redis(t))
	if err != nil {
		t.Fatal(err)
	}
	rc := redis.NewClient(opts)
	t.Cleanup(func() { _ = rc.Close() })
	e := &env{
		db: database, roles: newFakeRoles(), hasher: &countingHasher{Argon2Hasher: Argon2Hasher{Params: fastParams}},
		clock: &clock{t: time.Now().Truncate(time.Second)}, redis: rc,
	}
	d := Deps{
		DB: database, Logger: zerolog.Nop(), Roles: e.roles, Hasher: e.hasher,
		Counters: NewRedisCounters(rc, testsvc.KeyPrefix(t)), Now: e.clock.Now,
		// Tests sign in in quick succession; pacing has its own tests.
		Throttle: ThrottleConfig{Spacing: time.Millisecond},
	}
	for _, f := range tweak {
		f(&d)
	}
	e.svc, err = New(d)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func principalOf(u User) access.Principal {
	return access.Principal{Kind: access.User, UserID: u.ID, Username: u.Username}
}

// adminCtx returns a context acting as a fresh administrator.
func (e *env) adminCtx(t testing.TB) (context.Context, User) {
	t.Helper()
	// Creating an administrator takes an administrator (admin:roles): a
	// bootstrap one that only the fake knows, as EnsureInitialAdmin's
	// would be.
	boot := uuid.New()
	e.roles.mu.Lock()
	e.roles.admins[boot] = true
	e.roles.mu.Unlock()
	bootCtx := access.WithPrincipal(context.Background(), access.Principal{Kind: access.User, UserID: boot, Username: "bootstrap"})
	u := e.mustCreate(t, bootCtx, "root", "correct horse battery", true)
	return access.WithPrincipal(t.Context(), principalOf(u)), u
}

func (e *env) mustCreate(t testing.TB, ctx context.Context, name, password string, admin bool) User {
	t.Helper()
	u, err := e.svc.CreateUser(ctx, NewUser{Username: name, Email: name + "@example.com", Password: password, Admin: admin})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return u
}

var clientA = audit.Client{IP: netip.MustParseAddr("192.0.2.1"), UserAgent: "test"}

func kindOf(err error) apperr.Kind {
	if e, ok := apperr.As(err); ok {
		return e.Kind
	}
	return 0
}

func wantKind(t testing.TB, err error, k apperr.Kind) {
	t.Helper()
	if got := kindOf(err); got != k {
		t.Fatalf("got error %v (kind %d), want kind %d", err, got, k)
	}
}

// request builds a request with the given Authorization header and session
// cookie (either may be empty).
func request(authorization, cookie string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = "192.0.2.1:1234"
	if authorization != "" {
		r.Header.Set("Authorization", authorization)
	}
	if cookie != "" {
		r.AddCookie(&http.Cookie{Name: SessionCookieName, Value: cookie})
	}
	return r
}

const hour = time.Hour

func withPrincipal(ctx context.Context, p access.Principal) context.Context {
	return access.WithPrincipal(ctx, p)
}
