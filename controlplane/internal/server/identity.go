package server

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/auth"
	"github.com/hearth-dev/hearth/controlplane/internal/cache"
	"github.com/hearth-dev/hearth/controlplane/internal/rbac"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/controlplane/internal/supervisor"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// identity is the wired identity and access features: users and
// credentials (auth), the one authorizer (rbac) and the audit log.
type identity struct {
	auth    *auth.Service
	authAPI *auth.API
	rbac    *rbac.Service
	audit   *audit.Service
	// leaderWorkers purge expired sessions.
	leaderWorkers []supervisor.Worker
	// projects answers rbac's visibility questions once the project
	// feature is built (it needs rbac itself).
	projects *projectVisibility
	// groups answers rbac's group visibility questions, likewise.
	groups *groupVisibility
	// groupNames tells auth which names groups hold, likewise.
	groupNames *groupNames
}

// groupNames is set after the project feature is built.
type groupNames struct{ of auth.Namespaces }

func (g *groupNames) NameTaken(ctx context.Context, name string) (bool, error) {
	if g.of == nil {
		return false, nil
	}
	return g.of.NameTaken(ctx, name)
}

// projectVisibility is set after the project feature is built.
type projectVisibility struct{ of rbac.ProjectVisibility }

func (p *projectVisibility) Visibility(ctx context.Context, id uuid.UUID) (rbac.Visibility, error) {
	if p.of == nil {
		return 0, store.ErrNotFound
	}
	return p.of.Visibility(ctx, id)
}

// groupVisibility is set after the project feature is built.
type groupVisibility struct{ of rbac.GroupVisibility }

func (g *groupVisibility) GroupVisibility(ctx context.Context, id uuid.UUID) (rbac.Visibility, error) {
	if g.of == nil {
		return 0, store.ErrNotFound
	}
	return g.of.GroupVisibility(ctx, id)
}

// userStatus breaks the construction cycle between rbac (which asks
// whether a delegator is active) and auth (which needs rbac for roles).
type userStatus struct{ auth *auth.Service }

func (u *userStatus) Active(ctx context.Context, id uuid.UUID) (bool, error) {
	return u.auth.Active(ctx, id)
}

func newIdentity(ctx context.Context, o Options, db *store.DB, redis *cache.Cache) (*identity, error) {
	log := o.Logger
	auditSvc, err := audit.New(db)
	if err != nil {
		return nil, err
	}
	users := &userStatus{}
	projects := &projectVisibility{}
	groups := &groupVisibility{}
	names := &groupNames{}
	rbacSvc, err := rbac.New(rbac.Deps{
		DB: db,
		Audit: func(ctx context.Context, tx pgx.Tx, e rbac.AuditEvent) error {
			return audit.Record(ctx, tx, audit.Event(e))
		},
		Cache:    redis,
		Logger:   log.With().Str(logfield.Component, "rbac").Logger(),
		Users:    users,
		Projects: projects,
		Groups:   groups,
	})
	if err != nil {
		return nil, err
	}
	a := o.Config.Auth
	authSvc, err := auth.New(auth.Deps{
		DB:       db,
		Logger:   log.With().Str(logfield.Component, "auth").Logger(),
		Roles:    rbacSvc,
		Counters: auth.NewRedisCounters(redis.Commands(), "auth:throttle:"),
		Password: auth.PasswordParams{
			MemoryKiB:   uint32(a.PasswordMemoryKiB), //nolint:gosec // G115: validated ≤ 4 GiB.
			Iterations:  uint32(a.PasswordTime),      //nolint:gosec // G115: validated ≤ 100.
			Parallelism: uint8(a.PasswordThreads),    //nolint:gosec // G115: validated ≤ 255.
		},
		Sessions:   auth.SessionConfig{IdleTimeout: a.SessionIdle, MaxAge: a.SessionMaxAge},
		Namespaces: names,
	})
	if err != nil {
		return nil, err
	}
	users.auth = authSvc
	if _, err := authSvc.EnsureInitialAdmin(ctx, o.Config.DataDir, a.AdminPassword); err != nil {
		return nil, fmt.Errorf("initial administrator: %w", err)
	}
	return &identity{
		auth:       authSvc,
		authAPI:    auth.NewAPI(authSvc, newClientPolicy(o.Config).alwaysHTTPS),
		rbac:       rbacSvc,
		audit:      auditSvc,
		projects:   projects,
		groups:     groups,
		groupNames: names,
		leaderWorkers: []supervisor.Worker{{Name: "session-purge", Run: func(ctx context.Context) error {
			return authSvc.RunSessionPurge(ctx, auth.SessionPurgeInterval)
		}}},
	}, nil
}
