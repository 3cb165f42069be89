package audit

import "github.com/hearth-dev/hearth/controlplane/internal/module"

// Module is what the server mounts of the audit log: its read API. Every
// other feature writes its rows with Record, in its own transaction.
func (s *Service) Module() module.Module {
	return module.Module{Name: "audit", APIs: []module.API{NewAPI(s)}}
}
