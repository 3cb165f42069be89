package system

import (
	"github.com/hearth-dev/hearth/controlplane/internal/module"
	"github.com/hearth-dev/hearth/shared/version"
)

// Module is what the server mounts of this feature: the version API.
func Module(v version.Info) module.Module {
	return module.Module{Name: "system", APIs: []module.API{NewAPI(v)}}
}
