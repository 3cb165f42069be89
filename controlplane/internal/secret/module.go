package secret

import (
	"github.com/hearth-dev/hearth/controlplane/internal/module"
	"github.com/hearth-dev/hearth/controlplane/internal/supervisor"
)

// Module is what the server mounts of secrets: the API and the
// leader-only rotation worker.
func (s *Service) Module() module.Module {
	return module.Module{
		Name:          "secret",
		APIs:          []module.API{NewAPI(s)},
		LeaderWorkers: []supervisor.Worker{{Name: "secret-rotation", Run: s.RunRotation}},
	}
}
