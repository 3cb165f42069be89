package project

import (
	"github.com/hearth-dev/hearth/controlplane/internal/module"
)

// Module is what the server mounts of projects, groups and issues; clone
// URLs start with publicURL.
func (s *Service) Module(publicURL string) module.Module {
	return module.Module{
		Name: "project",
		APIs: []module.API{NewAPI(s, publicURL), NewIssueAPI(s), NewGroupAPI(s)},
	}
}

// Module is what the server mounts of merge requests: their API (changes
// shows their commits and diffs). Their refresh after a push runs in git's
// push outbox worker (RefsMoved).
func (m *MergeRequests) Module(changes Changes) module.Module {
	return module.Module{Name: "merge-requests", APIs: []module.API{NewMergeRequestAPI(m, changes)}}
}
