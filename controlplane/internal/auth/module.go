package auth

import (
	"context"

	"github.com/hearth-dev/hearth/controlplane/internal/module"
	"github.com/hearth-dev/hearth/controlplane/internal/supervisor"
)

// Module is what the server mounts of auth: the session, user and token
// APIs (cookies always Secure when alwaysHTTPS), and the leader's purge of
// expired sessions.
func (s *Service) Module(alwaysHTTPS bool) module.Module {
	sessions, users, tokens := NewAPI(s, alwaysHTTPS).Services()
	return module.Module{
		Name: "auth",
		APIs: []module.API{sessions, users, tokens},
		LeaderWorkers: []supervisor.Worker{{Name: "session-purge", Run: func(ctx context.Context) error {
			return s.RunSessionPurge(ctx, SessionPurgeInterval)
		}}},
	}
}
