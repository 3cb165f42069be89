package rbac_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/cache"
	"github.com/hearth-dev/hearth/controlplane/internal/rbac"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

func TestMain(m *testing.M) { testsvc.Main(m) }

// clock is a settable clock shared by the services of a test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// users is a fake UserStatus: every user is active unless deactivated.
type users struct {
	mu       sync.Mutex
	inactive map[uuid.UUID]bool
}

func (u *users) Active(_ context.Context, id uuid.UUID) (bool, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return !u.inactive[id], nil
}

func (u *users) Set(id uuid.UUID, active bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.inactive[id] = !active
}

// projects is a fake ProjectVisibility.
type projects struct {
	mu  sync.Mutex
	vis map[uuid.UUID]access.Visibility
}

func (p *projects) Visibility(_ context.Context, id uuid.UUID) (access.Visibility, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v, ok := p.vis[id]
	if !ok {
		return access.Private, store.ErrNotFound
	}
	return v, nil
}

func (p *projects) Add(v access.Visibility) uuid.UUID {
	p.mu.Lock()
	defer p.mu.Unlock()
	id := uuid.New()
	p.vis[id] = v
	return id
}

// env is one database and one Redis database that several Service
// instances (replicas) share.
type env struct {
	db       *store.DB
	cache    *cache.Cache
	clock    *clock
	users    *users
	projects *projects
}

func newEnv(t testing.TB) *env {
	t.Helper()
	c, err := cache.Open(context.Background(), testsvc.Redis(t), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &env{
		db:       testsvc.NewDatabase(t),
		cache:    c,
		clock:    &clock{now: time.Now().Truncate(time.Millisecond)},
		users:    &users{inactive: map[uuid.UUID]bool{}},
		projects: &projects{vis: map[uuid.UUID]access.Visibility{}},
	}
}

// replica returns a new Service on the env's database and Redis.
func (e *env) replica(t testing.TB) *rbac.Service {
	t.Helper()
	s, err := rbac.New(rbac.Deps{
		DB: e.db, Cache: e.cache, Logger: testsvc.Logger(t),
		Users: e.users, Projects: e.projects, Now: e.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func user(id uuid.UUID) access.Principal {
	return access.Principal{Kind: access.User, UserID: id, Username: "u-" + id.String()[:8]}
}

// adminCtx is a request context whose caller is an administrator, for the
// audit rows.
func adminCtx(t testing.TB, id uuid.UUID) context.Context {
	return access.WithPrincipal(t.Context(), user(id))
}

func mustBind(t testing.TB, ctx context.Context, s *rbac.Service, role string, u, project uuid.UUID) access.Binding {
	t.Helper()
	b, err := s.CreateBinding(ctx, role, u, project)
	if err != nil {
		t.Fatalf("bind %s to %s on %s: %v", role, u, project, err)
	}
	return b
}

func effective(t testing.TB, s *rbac.Service, p access.Principal, project uuid.UUID) access.Set {
	t.Helper()
	set, err := s.Effective(context.Background(), p, project)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func kindOf(err error) apperr.Kind {
	if e, ok := apperr.As(err); ok {
		return e.Kind
	}
	return 0
}

func wantKind(t testing.TB, err error, k apperr.Kind, what string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: got nil, want error of kind %d", what, k)
	}
	if got := kindOf(err); got != k {
		t.Fatalf("%s: got %v (kind %d), want kind %d", what, err, got, k)
	}
}
