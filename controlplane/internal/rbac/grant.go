package rbac

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/rbac/internal/db"
)

// HeldThroughBindings returns what p holds through its user's own role
// bindings, never through delegations: installation-wide, and on project
// (with the group owning it) or on group (at most one of them is set;
// neither: installation-wide only). The set is bounded by p's token: its
// limit, and its project (a token limited to one project holds nothing
// elsewhere, and nothing on groups).
//
// It is what p may pass on: grant as a role (CheckGrant) or lend
// (CreateDelegation). Membership changes are rare, so it is computed from
// PostgreSQL rather than cached.
func (s *Service) HeldThroughBindings(ctx context.Context, p access.Principal, project, group uuid.UUID) (access.Set, error) {
	if project != uuid.Nil && group != uuid.Nil {
		return 0, errors.New("rbac: HeldThroughBindings needs at most one of project and group")
	}
	if p.Kind != access.User || p.UserID == uuid.Nil {
		return 0, nil
	}
	if p.TokenID != uuid.Nil && p.TokenProject != uuid.Nil && (group != uuid.Nil || project != p.TokenProject) {
		return 0, nil
	}
	var (
		set access.Set
		err error
	)
	if group != uuid.Nil {
		var names []string
		names, err = s.q.GroupBindingPermissions(ctx, db.GroupBindingPermissionsParams{UserID: p.UserID, GroupID: group})
		set = parseKnown(names)
	} else {
		var owner uuid.UUID
		if owner, err = s.projectGroup(ctx, project); err == nil {
			set, err = bindingSet(ctx, s.q, p.UserID, project, owner)
		}
	}
	if err != nil {
		return 0, err
	}
	if p.TokenID != uuid.Nil {
		set &= p.TokenLimit
	}
	return set, nil
}

// ManageMembers is the permission that changes who holds which role on a
// project or a group (adding, removing members, moving a project), and it
// must come from the caller's own role bindings there.
const ManageMembers = access.ProjectAdmin

// CheckGrant decides whether p may give role (its id or its name) to
// someone on project or on group (exactly one is set). p must hold
// ManageMembers and every permission of the role through its own bindings
// there (HeldThroughBindings): a delegation lends permissions for a while
// and cannot be turned into a role that outlives it (not even a role the
// delegate holds anyway: a developer lent project:admin makes no one a
// developer), and a role holding project:admin without, say, secret:*
// cannot hand out secret:*. Holders of admin:roles installation-wide
// (installation administrators, within their token's limit) may grant any
// role: they can bind any role anyway.
//
// It returns PermissionDenied naming the missing permissions, and
// InvalidArgument for an unknown role.
func (s *Service) CheckGrant(ctx context.Context, p access.Principal, role string, project, group uuid.UUID) error {
	if (project == uuid.Nil) == (group == uuid.Nil) {
		return errors.New("rbac: CheckGrant needs exactly one of project and group")
	}
	if p.IsAnonymous() {
		return apperr.Unauthenticated("sign in first")
	}
	r, err := lookupRole(ctx, s.q, role)
	if err != nil {
		if e, ok := apperr.As(err); ok && e.Kind == apperr.KindNotFound {
			return apperr.Invalid("role %q: no such role", truncateName(role))
		}
		return err
	}
	held, roleAdmin, err := s.heldToPassOn(ctx, p, project, group)
	if err != nil || roleAdmin {
		return err
	}
	want := s.parseStored(r.Permissions) | access.SetOf(ManageMembers)
	if missing := want &^ held; missing != 0 {
		return apperr.PermissionDenied("granting role %s needs %s and every permission of the role through your own roles here, not a delegation (missing %s)", r.Name, ManageMembers, missing.String())
	}
	return nil
}

// CheckManageMembers decides whether p may change memberships on project
// or on group (exactly one is set) without granting a role: remove a
// member. Like CheckGrant, it needs ManageMembers through p's own bindings
// there (or admin:roles installation-wide), never through a delegation.
func (s *Service) CheckManageMembers(ctx context.Context, p access.Principal, project, group uuid.UUID) error {
	if (project == uuid.Nil) == (group == uuid.Nil) {
		return errors.New("rbac: CheckManageMembers needs exactly one of project and group")
	}
	if p.IsAnonymous() {
		return apperr.Unauthenticated("sign in first")
	}
	held, roleAdmin, err := s.heldToPassOn(ctx, p, project, group)
	if err != nil || roleAdmin {
		return err
	}
	if !held.Has(ManageMembers) {
		return apperr.PermissionDenied("changing members needs %s through your own roles here, not a delegation", ManageMembers)
	}
	return nil
}

// heldToPassOn is what p holds through its own bindings on the scope, and
// whether it holds admin:roles installation-wide (then it may pass on
// anything).
func (s *Service) heldToPassOn(ctx context.Context, p access.Principal, project, group uuid.UUID) (access.Set, bool, error) {
	global, err := s.HeldThroughBindings(ctx, p, uuid.Nil, uuid.Nil)
	if err != nil {
		return 0, false, err
	}
	if global.Has(access.AdminRoles) {
		return global, true, nil
	}
	held, err := s.HeldThroughBindings(ctx, p, project, group)
	return held, false, err
}

// ListScopeBindings lists the bindings on one project or one group
// (exactly one is set) in (creation time, id) order, at most limit (1 to
// 1000) of them, starting after the binding created at afterTime with id
// afterID (a zero afterTime: from the first).
func (s *Service) ListScopeBindings(ctx context.Context, project, group uuid.UUID, afterTime time.Time, afterID uuid.UUID, limit int) (access.ScopeBindingsPage, error) {
	if (project == uuid.Nil) == (group == uuid.Nil) {
		return access.ScopeBindingsPage{}, errors.New("rbac: ListScopeBindings needs exactly one of project and group")
	}
	if limit < 1 || limit > 1000 {
		return access.ScopeBindingsPage{}, errors.New("rbac: ListScopeBindings limit out of range")
	}
	p := db.ListScopeBindingsPageParams{ProjectID: optUUID(project), GroupID: optUUID(group), AfterID: afterID, Max: int32(limit + 1)}
	if !afterTime.IsZero() {
		p.AfterTime = ts(afterTime)
	}
	rows, err := s.q.ListScopeBindingsPage(ctx, p)
	if err != nil {
		return access.ScopeBindingsPage{}, err
	}
	out := access.ScopeBindingsPage{More: len(rows) > limit}
	if out.More {
		rows = rows[:limit]
	}
	out.Bindings = make([]access.Binding, len(rows))
	for i, r := range rows {
		out.Bindings[i] = access.Binding{
			ID: r.ID, RoleID: r.RoleID, RoleName: r.RoleName, UserID: r.UserID,
			ProjectID: fromUUID(r.ProjectID), GroupID: fromUUID(r.GroupID), CreatedAt: r.CreatedAt.Time,
		}
	}
	return out, nil
}

// truncateName shortens a caller-supplied name for an error message.
func truncateName(s string) string {
	const maxLen = 64
	if len(s) > maxLen {
		return s[:maxLen] + "…"
	}
	return s
}
