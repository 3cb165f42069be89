package project

import (
	"github.com/hearth-dev/hearth/controlplane/internal/module"
	"github.com/hearth-dev/hearth/controlplane/internal/supervisor"
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
// shows their commits and diffs) and, on every replica, the refresh of
// merge requests whose branches moved.
func (m *MergeRequests) Module(changes Changes) module.Module {
	return module.Module{
		Name:    "merge-requests",
		APIs:    []module.API{NewMergeRequestAPI(m, changes)},
		Workers: []supervisor.Worker{{Name: "merge-request-refresh", Run: m.Run}},
	}
}
