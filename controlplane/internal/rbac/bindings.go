package rbac

// Bindings: who holds which role, installation-wide, on a project or on a
// group.

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

// ListBindings lists bindings, oldest first.
func (s *Service) ListBindings(ctx context.Context, f access.BindingFilter) ([]access.Binding, error) {
	rows, err := s.q.ListBindings(ctx, db.ListBindingsParams{UserID: optUUID(f.UserID), ProjectID: optUUID(f.ProjectID), GroupID: optUUID(f.GroupID)})
	if err != nil {
		return nil, err
	}
	out := make([]access.Binding, len(rows))
	for i, r := range rows {
		out[i] = access.Binding{
			ID: r.ID, RoleID: r.RoleID, RoleName: r.RoleName, UserID: r.UserID,
			ProjectID: fromUUID(r.ProjectID), GroupID: fromUUID(r.GroupID), CreatedAt: r.CreatedAt.Time,
		}
	}
	return out, nil
}

// CreateBinding grants the role (its id or its name) to the user,
// installation-wide when project is uuid.Nil, in a transaction of its own.
func (s *Service) CreateBinding(ctx context.Context, role string, userID, project uuid.UUID) (access.Binding, error) {
	return s.createBinding(ctx, role, userID, project, uuid.Nil)
}

// CreateBindingTx grants the role (its id or its name) to the user on
// project inside the caller's transaction tx, writing its audit row there
// too, so a change and the binding it implies (a new project and its
// owner's) commit together or not at all. The project may be tx's own
// uncommitted row, so it is not looked up: the caller vouches for it. A
// binding the user already holds is an apperr Conflict that leaves tx
// usable (the insert runs under a savepoint). The caller must call
// Invalidate once tx has committed.
func (s *Service) CreateBindingTx(ctx context.Context, tx pgx.Tx, role string, userID, project uuid.UUID) (access.Binding, error) {
	if err := s.checkBindable(ctx, userID); err != nil {
		return access.Binding{}, err
	}
	return s.bind(ctx, tx, role, userID, project, uuid.Nil)
}

// CreateGroupBindingTx is CreateBindingTx on a group: a membership granted
// in the transaction that creates the group.
func (s *Service) CreateGroupBindingTx(ctx context.Context, tx pgx.Tx, role string, userID, group uuid.UUID) (access.Binding, error) {
	if group == uuid.Nil {
		return access.Binding{}, apperr.Invalid("group is required")
	}
	if err := s.checkBindable(ctx, userID); err != nil {
		return access.Binding{}, err
	}
	return s.bind(ctx, tx, role, userID, uuid.Nil, group)
}

// createBinding grants the role on at most one of project and group.
func (s *Service) createBinding(ctx context.Context, role string, userID, project, group uuid.UUID) (access.Binding, error) {
	if err := s.checkBindable(ctx, userID); err != nil {
		return access.Binding{}, err
	}
	if project != uuid.Nil {
		if _, err := s.visibility(ctx, project); err != nil {
			return access.Binding{}, apperr.IfNotFound(err, "project not found")
		}
	}
	if group != uuid.Nil {
		if _, err := s.groupVisibility(ctx, group); err != nil {
			return access.Binding{}, apperr.IfNotFound(err, "group not found")
		}
	}
	var out access.Binding
	err := s.mutate(ctx, func(_ *db.Queries, tx pgx.Tx) error {
		var err error
		out, err = s.bind(ctx, tx, role, userID, project, group)
		return err
	})
	return out, err
}

func (s *Service) checkBindable(ctx context.Context, userID uuid.UUID) error {
	if userID == uuid.Nil {
		return apperr.Invalid("user_id is required")
	}
	return s.checkUser(ctx, userID)
}

// bind inserts the binding and its audit row in tx. The insert runs under
// a savepoint, so a duplicate leaves tx usable for a caller that accepts
// the user already holding the role.
func (s *Service) bind(ctx context.Context, tx pgx.Tx, role string, userID, project, group uuid.UUID) (access.Binding, error) {
	r, err := lookupRole(ctx, db.New(tx), role)
	if err != nil {
		return access.Binding{}, err
	}
	sp, err := tx.Begin(ctx)
	if err != nil {
		return access.Binding{}, err
	}
	b, err := db.New(sp).CreateBinding(ctx, db.CreateBindingParams{RoleID: r.ID, UserID: userID, ProjectID: optUUID(project), GroupID: optUUID(group)})
	if err != nil {
		_ = sp.Rollback(ctx)
		if errors.Is(err, store.ErrConflict) {
			return access.Binding{}, apperr.Conflict("the user already has role %q there", r.Name)
		}
		return access.Binding{}, err
	}
	if err := sp.Commit(ctx); err != nil {
		return access.Binding{}, err
	}
	detail := map[string]any{"role": r.Name, "role_id": r.ID.String(), "user_id": userID.String()}
	if group != uuid.Nil {
		detail["group_id"] = group.String()
	}
	err = audit.Record(ctx, tx, audit.Event{
		Action: "role.bind", Resource: "role_binding/" + b.ID.String(), ProjectID: project, Detail: detail,
	})
	return access.Binding{ID: b.ID, RoleID: r.ID, RoleName: r.Name, UserID: userID, ProjectID: project, GroupID: group, CreatedAt: b.CreatedAt.Time}, err
}

// DeleteBinding removes a binding. The last installation-wide admin binding
// cannot be removed.
func (s *Service) DeleteBinding(ctx context.Context, id uuid.UUID) error {
	return s.mutate(ctx, func(q *db.Queries, tx pgx.Tx) error {
		b, err := q.GetBinding(ctx, id)
		if err != nil {
			return apperr.IfNotFound(err, "role binding not found")
		}
		if b.RoleSystem && b.RoleName == access.RoleAdmin && !b.ProjectID.Valid && !b.GroupID.Valid {
			if _, err := s.keepOneAdmin(ctx, q, b.UserID); err != nil {
				return err
			}
		}
		n, err := q.DeleteBinding(ctx, id)
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.NotFound("role binding not found")
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "role.unbind", Resource: "role_binding/" + id.String(), ProjectID: fromUUID(b.ProjectID),
			Detail: map[string]any{"role": b.RoleName, "role_id": b.RoleID.String(), "user_id": b.UserID.String()},
		})
	})
}

// keepOneAdmin locks the admin role (serializing every removal of an admin
// binding) and refuses when only one installation-wide admin binding is left.
func (s *Service) keepOneAdmin(ctx context.Context, q *db.Queries, leaving uuid.UUID) (uuid.UUID, error) {
	roleID, err := q.LockSystemRole(ctx, access.RoleAdmin)
	if err != nil {
		return uuid.Nil, err
	}
	n, err := s.activeAdminsOtherThan(ctx, q, roleID, leaving)
	if err != nil {
		return uuid.Nil, err
	}
	if n == 0 {
		return uuid.Nil, apperr.FailedPrecondition("the last active installation-wide administrator cannot be removed")
	}
	return roleID, nil
}

// activeAdminsOtherThan counts active users other than leaving who hold
// the admin role installation-wide (deactivated admins do not count: they
// cannot sign in).
func (s *Service) activeAdminsOtherThan(ctx context.Context, q *db.Queries, roleID, leaving uuid.UUID) (int, error) {
	users, err := q.GlobalBindingUsers(ctx, roleID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, u := range users {
		if u == leaving {
			continue
		}
		ok, err := s.userActive(ctx, u)
		if err != nil {
			return 0, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// KeepAnActiveAdmin refuses when deactivating user would leave no active
// installation-wide administrator. It takes the admin role's lock for the
// check, as every removal of an admin binding does.
func (s *Service) KeepAnActiveAdmin(ctx context.Context, user uuid.UUID) error {
	isAdmin, err := s.IsAdmin(ctx, user)
	if err != nil || !isAdmin {
		return err
	}
	return s.db.InTx(ctx, func(tx pgx.Tx) error {
		_, err := s.keepOneAdmin(ctx, s.q.WithTx(tx), user)
		return err
	})
}
