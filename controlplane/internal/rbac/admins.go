package rbac

// Installation administrators: the admin role's bindings, of which one
// active one always remains (for auth).

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/rbac/internal/db"
)

// IsAdmin reports whether the user holds the admin role installation-wide.
func (s *Service) IsAdmin(ctx context.Context, userID uuid.UUID) (bool, error) {
	ok, err := s.q.HasGlobalSystemRole(ctx, db.HasGlobalSystemRoleParams{RoleName: access.RoleAdmin, UserID: userID})
	return ok, err
}

// SetAdmin binds (or unbinds) the admin role installation-wide inside the
// caller's transaction, writing an audit row when something changed.
// Removing the last administrator is refused (apperr FailedPrecondition).
// The caller must call Invalidate once tx has committed.
func (s *Service) SetAdmin(ctx context.Context, tx pgx.Tx, userID uuid.UUID, admin bool) error {
	q := db.New(tx)
	if admin {
		roleID, err := q.LockSystemRole(ctx, access.RoleAdmin)
		if err != nil {
			return err
		}
		n, err := q.BindGlobal(ctx, db.BindGlobalParams{RoleID: roleID, UserID: userID})
		if err != nil || n == 0 {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "role.bind", Resource: "user/" + userID.String(),
			Detail: map[string]any{"role": access.RoleAdmin, "user_id": userID.String()},
		})
	}
	has, err := q.HasGlobalSystemRole(ctx, db.HasGlobalSystemRoleParams{RoleName: access.RoleAdmin, UserID: userID})
	if err != nil || !has {
		return err
	}
	roleID, err := s.keepOneAdmin(ctx, q, userID)
	if err != nil {
		return err
	}
	n, err := q.UnbindGlobal(ctx, db.UnbindGlobalParams{RoleID: roleID, UserID: userID})
	if err != nil || n == 0 {
		return err
	}
	return audit.Record(ctx, tx, audit.Event{
		Action: "role.unbind", Resource: "user/" + userID.String(),
		Detail: map[string]any{"role": access.RoleAdmin, "user_id": userID.String()},
	})
}

func (s *Service) isRoleAdmin(ctx context.Context, p access.Principal) (bool, error) {
	eff, err := s.Effective(ctx, p, uuid.Nil)
	return eff.Has(access.AdminRoles), err
}
