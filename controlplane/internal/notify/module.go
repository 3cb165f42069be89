package notify

import (
	"encoding/base64"

	"github.com/hearth-dev/hearth/controlplane/internal/module"
)

// Module is what the server mounts of notifications: the notification and
// webhook APIs and the workers, which run on every replica.
func (s *Service) Module() module.Module {
	return module.Module{
		Name: "notify",
		APIs: []module.API{
			&NotificationAPI{svc: s, projects: s.d.Projects},
			&WebhookAPI{svc: s, projects: s.d.Projects},
		},
		Workers: s.Workers(),
	}
}

func base64URL(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
