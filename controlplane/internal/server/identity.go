package server

import (
	"context"
	"fmt"

	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/auth"
	"github.com/hearth-dev/hearth/controlplane/internal/cache"
	"github.com/hearth-dev/hearth/controlplane/internal/project"
	"github.com/hearth-dev/hearth/controlplane/internal/rbac"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/controlplane/internal/supervisor"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// identity is the wired identity and access features: users and
// credentials (auth), the one authorizer (rbac) and the audit log.
//
// They are built in dependency order, with no forwarder filled later:
// rbac asks whether users are active (auth's UserStatus) and who may see
// projects and groups (project's Directory), and auth asks whether a group
// holds a name (the Directory too); both readers need only the database,
// so they exist before rbac, auth and the project service.
type identity struct {
	auth    *auth.Service
	authAPI *auth.API
	rbac    *rbac.Service
	audit   *audit.Service
	// leaderWorkers purge expired sessions.
	leaderWorkers []supervisor.Worker
}

func newIdentity(ctx context.Context, o Options, db *store.DB, redis *cache.Cache) (*identity, error) {
	log := o.Logger
	auditSvc, err := audit.New(db)
	if err != nil {
		return nil, err
	}
	directory := project.NewDirectory(db)
	rbacSvc, err := rbac.New(rbac.Deps{
		DB:       db,
		Cache:    redis,
		Logger:   log.With().Str(logfield.Component, "rbac").Logger(),
		Users:    auth.NewUserStatus(db),
		Projects: directory,
		Groups:   directory,
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
		Namespaces: directory,
	})
	if err != nil {
		return nil, err
	}
	if _, err := authSvc.EnsureInitialAdmin(ctx, o.Config.DataDir, a.AdminPassword); err != nil {
		return nil, fmt.Errorf("initial administrator: %w", err)
	}
	return &identity{
		auth:    authSvc,
		authAPI: auth.NewAPI(authSvc, newClientPolicy(o.Config).alwaysHTTPS),
		rbac:    rbacSvc,
		audit:   auditSvc,
		leaderWorkers: []supervisor.Worker{{Name: "session-purge", Run: func(ctx context.Context) error {
			return authSvc.RunSessionPurge(ctx, auth.SessionPurgeInterval)
		}}},
	}, nil
}
