package server_test

import (
	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
)

// The tables' model of who holds what: the world's bindings, delegations
// and token limits, and the visibility rules of docs/identity.md. It is
// the specification the server is held to, written without its code.

// outcome is what a call must answer.
type outcome int

const (
	allowed         outcome = iota
	unauthenticated         // 401 unauthenticated with a WWW-Authenticate challenge
	notFound                // 404 not_found: the caller may not know the target exists
	denied                  // 403 permission_denied
	mustChangeFirst         // 400 failed_precondition: change your password first
	unpredictable           // the rule declares no permission: only callers holding nothing can be judged
)

func (o outcome) String() string {
	return [...]string{"allowed", "401 unauthenticated", "404 not_found", "403 permission_denied", "failed_precondition (change password)", "unpredictable"}[o]
}

// scopeKind is what a request targets.
type scopeKind int

const (
	onInstall scopeKind = iota // installation-wide
	onProject
	onGroup
	onSelf // the caller's own account (Authenticated rules)
)

// target is what one case addresses.
type target struct {
	kind    scopeKind
	project *worldProject
	// ghost: the project, group, pipeline or job does not exist.
	ghost bool
}

// installationRoles are the world's installation-wide bindings.
var installationRoles = map[string]string{"admin": access.RoleAdmin, "helpdesk": "user-manager"}

// ownBindings is what user holds on p (uuid.Nil project: installation-wide
// only) through their own role bindings: installation-wide, on the
// project, and through the group owning it.
func (w *world) ownBindings(user string, p *worldProject) access.Set {
	set := w.roles[installationRoles[user]]
	if p == nil {
		return set
	}
	set |= w.roles[p.members[user]]
	if p.group != uuid.Nil {
		set |= w.roles[w.groupMembers[user]]
	}
	return set
}

// limited bounds set by the principal's token: its scopes, and nothing
// beyond the project it names (project uuid.Nil: installation-wide).
func (pr *principal) limited(set access.Set, project uuid.UUID) access.Set {
	if !pr.isToken() {
		return set
	}
	if pr.tokenProject != uuid.Nil && pr.tokenProject != project {
		return 0
	}
	return set & pr.limit
}

// heldOn is what pr may use on p: bindings and delegations within the
// token's limits, plus what the project's visibility gives everyone.
func (w *world) heldOn(pr *principal, p *worldProject) access.Set {
	var set access.Set
	if pr.user != "" {
		set = w.ownBindings(pr.user, p) | w.delegated[pr.user][p.id]
		set = pr.limited(set, p.id)
	}
	if p.vis == access.Public {
		set |= access.ReadPermissions()
	}
	if p.vis != access.Private && pr.user != "" {
		// Signed-in users take part in public and internal projects
		// (within their token's scopes and project).
		set |= pr.limited(access.SetOf(access.ProjectParticipate), p.id)
		if p.vis == access.Internal {
			set |= pr.limited(access.ReadPermissions(), p.id)
		}
	}
	return set
}

// heldOnGroup is what pr may use on the world's group: installation-wide
// and group bindings; tokens limited to a project hold nothing there, and
// delegations never reach groups.
func (w *world) heldOnGroup(pr *principal) access.Set {
	if pr.user == "" || pr.isToken() && pr.tokenProject != uuid.Nil {
		return 0
	}
	set := w.roles[installationRoles[pr.user]] | w.roles[w.groupMembers[pr.user]]
	if pr.isToken() {
		set &= pr.limit
	}
	return set
}

// heldInstallation is what pr holds installation-wide.
func (w *world) heldInstallation(pr *principal) access.Set {
	if pr.user == "" {
		return 0
	}
	return pr.limited(w.roles[installationRoles[pr.user]], uuid.Nil)
}

// held is what pr holds on the target.
func (w *world) held(pr *principal, tg target) access.Set {
	switch tg.kind {
	case onProject:
		return w.heldOn(pr, tg.project)
	case onGroup:
		return w.heldOnGroup(pr)
	default:
		return w.heldInstallation(pr)
	}
}

// decide is the authorizer's answer for perm on tg: allowed when held; an
// anonymous caller is asked to sign in; a caller who may not read the
// project or group learns nothing (404); anyone else is refused (403).
func (w *world) decide(pr *principal, perm access.Permission, tg target) outcome {
	if tg.ghost {
		if pr.user == "" {
			return unauthenticated
		}
		return notFound
	}
	h := w.held(pr, tg)
	if perm == 0 {
		// A rule without a permission (changed by hand or by a mutant) on
		// a target that needs one: only a caller holding nothing there
		// can be judged.
		if h != 0 {
			return unpredictable
		}
		perm = access.AdminAudit
	}
	switch {
	case h.Has(perm):
		return allowed
	case pr.user == "":
		return unauthenticated
	case tg.kind != onInstall && !h.Has(access.ProjectRead):
		return notFound
	default:
		return denied
	}
}
