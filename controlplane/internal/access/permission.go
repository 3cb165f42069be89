package access

import (
	"fmt"
	"math/bits"
	"slices"
	"strings"
)

// Permission is one right. Its string name is stable: it is stored in roles,
// delegations and tokens. Later features add theirs at the end of the list;
// a name is never renamed or reused.
type Permission uint8

// Permissions. Keep permissionNames in step.
const (
	ProjectRead Permission = iota + 1
	ProjectWrite
	ProjectAdmin
	RepoRead
	RepoWrite
	PipelineRead
	PipelineRun
	DeployRead
	DeployPromote
	AgentRun
	ObserveRead
	ObserveWrite
	SecretRead
	SecretWrite
	AdminUsers
	AdminRoles
	AdminAudit
	// ProjectParticipate is taking part in a project: opening issues,
	// commenting, editing one's own issues, comments and merge requests. It
	// is a write, so no read scope holds it; every role holding
	// project:read holds it too, and on a public or internal project any
	// signed-in user does (Authorize's visibility rule).
	ProjectParticipate
	maxPermission // must stay last; at most 64 permissions fit a Set
)

var permissionNames = [...]string{
	ProjectRead:   "project:read",
	ProjectWrite:  "project:write",
	ProjectAdmin:  "project:admin",
	RepoRead:      "repo:read",
	RepoWrite:     "repo:write",
	PipelineRead:  "pipeline:read",
	PipelineRun:   "pipeline:run",
	DeployRead:    "deploy:read",
	DeployPromote: "deploy:promote",
	AgentRun:      "agent:run",
	ObserveRead:   "observe:read",
	ObserveWrite:  "observe:write",
	SecretRead:    "secret:read",
	SecretWrite:   "secret:write",
	AdminUsers:    "admin:users",
	AdminRoles:    "admin:roles",
	AdminAudit:    "admin:audit",

	ProjectParticipate: "project:participate",
}

// String returns the permission's stable name.
func (p Permission) String() string {
	if p == 0 || p >= maxPermission {
		return fmt.Sprintf("permission(%d)", uint8(p))
	}
	return permissionNames[p]
}

// Known reports whether p is one of the permissions this binary knows.
func (p Permission) Known() bool { return p != 0 && p < maxPermission }

// ParsePermission returns the permission with the given stable name.
func ParsePermission(name string) (Permission, error) {
	for p := Permission(1); p < maxPermission; p++ {
		if permissionNames[p] == name {
			return p, nil
		}
	}
	return 0, fmt.Errorf("unknown permission %q", name)
}

// AllPermissions lists every permission in order.
func AllPermissions() []Permission {
	out := make([]Permission, 0, maxPermission-1)
	for p := Permission(1); p < maxPermission; p++ {
		out = append(out, p)
	}
	return out
}

// Set is a set of permissions as a bitmask: cheap to intersect, to cache
// and to compare.
type Set uint64

// All holds every permission.
var All = SetOf(AllPermissions()...)

// SetOf builds a set.
func SetOf(ps ...Permission) Set {
	var s Set
	for _, p := range ps {
		s |= 1 << p
	}
	return s
}

// Has reports whether p is in s.
func (s Set) Has(p Permission) bool { return s&(1<<p) != 0 }

// Union returns s ∪ o.
func (s Set) Union(o Set) Set { return s | o }

// Intersect returns s ∩ o.
func (s Set) Intersect(o Set) Set { return s & o }

// Contains reports whether every permission of o is in s.
func (s Set) Contains(o Set) bool { return s&o == o }

// Len is the number of permissions in s.
func (s Set) Len() int { return bits.OnesCount64(uint64(s)) }

// Permissions lists s in order.
func (s Set) Permissions() []Permission {
	var out []Permission
	for p := Permission(1); p < maxPermission; p++ {
		if s.Has(p) {
			out = append(out, p)
		}
	}
	return out
}

// Names lists the stable names of s, sorted.
func (s Set) Names() []string {
	ps := s.Permissions()
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	slices.Sort(out)
	return out
}

// String renders s as "{project:read repo:read}".
func (s Set) String() string { return "{" + strings.Join(s.Names(), " ") + "}" }

// ParseSet parses stable names; an unknown name is an error.
func ParseSet(names []string) (Set, error) {
	var s Set
	for _, n := range names {
		p, err := ParsePermission(n)
		if err != nil {
			return 0, err
		}
		s |= 1 << p
	}
	return s, nil
}

// readPermissions are the permissions that change nothing: the only ones
// the visibility of a public or internal project grants, and
// the read-only and repo:read scopes hold, so no RPC without the
// NO_SIDE_EFFECTS mark may be declared with one of them (the server
// refuses to start, and server/readonly_test.go walks every RPC).
// secret:read is not one of them on purpose: which secrets a project has
// is not for everyone who may read a public project, nor for read-only
// tokens.
var readPermissions = SetOf(ProjectRead, RepoRead, PipelineRead, DeployRead, ObserveRead)

// adminPermissions are the installation-wide administration rights.
var adminPermissions = SetOf(AdminUsers, AdminRoles, AdminAudit)

// Scope is what an API token may be used for. Its rights on a request are
// always scope ∩ what the token's owner holds at that moment.
type Scope string

// Scopes. Later features may add theirs to scopePermissions.
const (
	ScopeReadOnly  Scope = "read-only"
	ScopeRepoRead  Scope = "repo:read"
	ScopeRepoWrite Scope = "repo:write"
	ScopeAPI       Scope = "api"
	ScopeAdmin     Scope = "admin"
	// ScopeObserveWrite is for telemetry senders (OTLP exporters,
	// Prometheus remote-write): they may send, nothing else.
	ScopeObserveWrite Scope = "observe:write"
	// ScopeObserveRead may query telemetry (and see the project).
	ScopeObserveRead Scope = "observe:read"
)

var scopePermissions = map[Scope]Set{
	ScopeReadOnly:  readPermissions,
	ScopeRepoRead:  SetOf(ProjectRead, RepoRead),
	ScopeRepoWrite: SetOf(ProjectRead, RepoRead, RepoWrite),
	ScopeAPI:       All &^ adminPermissions,
	ScopeAdmin:     All,

	ScopeObserveWrite: SetOf(ObserveWrite),
	ScopeObserveRead:  SetOf(ProjectRead, ObserveRead),
}

// ReadPermissions returns the permissions that change nothing.
func ReadPermissions() Set { return readPermissions }

// AdminPermissions returns the installation-wide administration rights,
// which are never delegated.
func AdminPermissions() Set { return adminPermissions }

// ScopePermissions returns what a set of scopes allows, or an error for an
// unknown scope.
func ScopePermissions(scopes []string) (Set, error) {
	var s Set
	for _, name := range scopes {
		ps, ok := scopePermissions[Scope(name)]
		if !ok {
			return 0, fmt.Errorf("unknown scope %q (want read-only, repo:read, repo:write, observe:read, observe:write, api or admin)", name)
		}
		s |= ps
	}
	return s, nil
}
