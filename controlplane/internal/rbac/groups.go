package rbac

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/rbac/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
)

// Groups answers what rbac asks about groups, whose one owner is the
// project feature (it implements this): who may see a group, and which
// group owns a project, whose bindings then apply to the project too.
type Groups interface {
	// GroupVisibility returns store.ErrNotFound (wrapped) for an unknown group.
	GroupVisibility(ctx context.Context, groupID uuid.UUID) (access.Visibility, error)
	// ProjectGroup returns the group owning the project: uuid.Nil for a
	// user's project and for an unknown or deleted one.
	ProjectGroup(ctx context.Context, projectID uuid.UUID) (uuid.UUID, error)
}

// AuthorizeGroup is Authorize on a group's scope: the caller's
// installation-wide bindings and its bindings on the group decide (a group
// binding is a membership). Reads of a public group are allowed for anyone,
// of an internal one for any signed-in principal; a private group the
// caller cannot read is NotFound. Tokens limited to one project hold
// nothing on groups; delegations (always project-scoped or
// installation-wide) do not reach group actions.
func (s *Service) AuthorizeGroup(ctx context.Context, p access.Principal, perm access.Permission, group uuid.UUID) error {
	if !perm.Known() {
		return errors.New("rbac: AuthorizeGroup with an unknown permission")
	}
	vis, known := access.Private, false
	v, err := s.groupVisibility(ctx, group)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return err
	default:
		vis, known = v, true
	}
	if known && access.ReadPermissions().Has(perm) && visibleTo(p, vis, perm, uuid.Nil) {
		return nil
	}
	if p.IsAnonymous() {
		return apperr.Unauthenticated("sign in first")
	}
	if !known {
		return apperr.NotFound("group not found")
	}
	eff, err := s.EffectiveOnGroup(ctx, p, group)
	if err != nil {
		return err
	}
	if eff.Has(perm) {
		return nil
	}
	if !eff.Has(access.ProjectRead) && !visibleTo(p, vis, access.ProjectRead, uuid.Nil) {
		return apperr.NotFound("group not found")
	}
	return apperr.PermissionDenied("permission %s on the group is required", perm)
}

// EffectiveOnGroup returns what p holds on the group: its user's
// installation-wide and group bindings, bounded by its token's limit.
// Group decisions are rare (membership and group settings), so they are
// computed from PostgreSQL rather than cached.
func (s *Service) EffectiveOnGroup(ctx context.Context, p access.Principal, group uuid.UUID) (access.Set, error) {
	if p.Kind != access.User || p.UserID == uuid.Nil || group == uuid.Nil {
		return 0, nil
	}
	if p.TokenID != uuid.Nil && p.TokenProject != uuid.Nil {
		return 0, nil
	}
	names, err := s.q.GroupBindingPermissions(ctx, db.GroupBindingPermissionsParams{UserID: p.UserID, GroupID: group})
	if err != nil {
		return 0, err
	}
	set := parseKnown(names)
	if p.TokenID != uuid.Nil {
		set &= p.TokenLimit
	}
	return set, nil
}

// CreateGroupBinding grants the role (its id or its name) to the user on
// the group: a membership.
func (s *Service) CreateGroupBinding(ctx context.Context, role string, userID, group uuid.UUID) (access.Binding, error) {
	if group == uuid.Nil {
		return access.Binding{}, apperr.Invalid("group is required")
	}
	return s.createBinding(ctx, role, userID, uuid.Nil, group)
}

// RemoveMember removes every binding of the user on one project or one
// group (exactly one of them is set) and returns how many it removed.
// With keepAdmin, it refuses (FailedPrecondition) to leave the scope
// without a member holding project:admin; the scope's bindings are locked
// meanwhile, so two concurrent removals cannot both pass the check.
func (s *Service) RemoveMember(ctx context.Context, user, project, group uuid.UUID, keepAdmin bool) (int, error) {
	if (project == uuid.Nil) == (group == uuid.Nil) {
		return 0, errors.New("rbac: RemoveMember needs exactly one of project and group")
	}
	removed := 0
	err := s.mutate(ctx, func(q *db.Queries, tx pgx.Tx) error {
		rows, err := q.LockScopeBindings(ctx, db.LockScopeBindingsParams{ProjectID: optUUID(project), GroupID: optUUID(group)})
		if err != nil {
			return err
		}
		var mine []uuid.UUID
		leavingAdmin, adminLeft := false, false
		for _, r := range rows {
			isAdmin := parseKnown(r.Permissions).Has(access.ProjectAdmin)
			if r.UserID == user {
				mine = append(mine, r.ID)
				leavingAdmin = leavingAdmin || isAdmin
			} else if isAdmin {
				adminLeft = true
			}
		}
		if len(mine) == 0 {
			return apperr.NotFound("not a member")
		}
		if keepAdmin && leavingAdmin && !adminLeft {
			return apperr.FailedPrecondition("the last member with project:admin (a maintainer) cannot be removed")
		}
		for _, id := range mine {
			if _, err := q.DeleteBinding(ctx, id); err != nil {
				return err
			}
		}
		removed = len(mine)
		detail := map[string]any{"user_id": user.String(), "bindings": removed}
		if group != uuid.Nil {
			detail["group_id"] = group.String()
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "role.unbind_member", Resource: "user/" + user.String(), ProjectID: project, Detail: detail,
		})
	})
	return removed, err
}

func (s *Service) groupVisibility(ctx context.Context, group uuid.UUID) (access.Visibility, error) {
	if s.groups == nil || group == uuid.Nil {
		return access.Private, store.ErrNotFound
	}
	return s.groups.GroupVisibility(ctx, group)
}

// projectGroup is the group owning project (uuid.Nil: none, or no project).
func (s *Service) projectGroup(ctx context.Context, project uuid.UUID) (uuid.UUID, error) {
	if s.groups == nil || project == uuid.Nil {
		return uuid.Nil, nil
	}
	return s.groups.ProjectGroup(ctx, project)
}
