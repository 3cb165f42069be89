package rbac

import "github.com/hearth-dev/hearth/controlplane/internal/module"

// Module is what the server mounts of rbac: the role and delegation APIs.
// The authorizer itself is handed to every feature and to the server's
// interceptor.
func (s *Service) Module() module.Module {
	return module.Module{Name: "rbac", APIs: []module.API{NewRoleAPI(s), NewDelegationAPI(s)}}
}
