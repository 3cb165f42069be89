package cluster

import "github.com/hearth-dev/hearth/controlplane/internal/module"

// Module is what the server mounts of clusters: the admin and registration
// APIs and the agent gateway, whose streams are told to reconnect
// elsewhere when the server begins to stop.
func (g *Gateway) Module(svc *Service) module.Module {
	return module.Module{
		Name:     "cluster",
		APIs:     []module.API{NewAPI(svc), NewRegistrationAPI(svc), g},
		Draining: []func(){g.DrainAll},
	}
}
