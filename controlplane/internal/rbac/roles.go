package rbac

// Roles: the system roles and custom ones (named sets of permissions).

import (
	"context"
	"errors"
	"regexp"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/rbac/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
)

var roleNameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{1,38}$`)

// Role is a named set of permissions.
type Role struct {
	ID          uuid.UUID
	Name        string
	Description string
	Permissions access.Set
	System      bool
	CreatedAt   time.Time
}

// ListRoles lists the system roles, then the custom roles by name.
func (s *Service) ListRoles(ctx context.Context) ([]Role, error) {
	rows, err := s.q.ListRoles(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Role, len(rows))
	for i, r := range rows {
		out[i] = s.role(r)
	}
	return out, nil
}

// CreateRole defines a custom role.
func (s *Service) CreateRole(ctx context.Context, name, description string, perms access.Set) (Role, error) {
	if !roleNameRE.MatchString(name) {
		return Role{}, apperr.Invalid("role name must be 2 to 39 lowercase letters, digits or dashes, starting with a letter")
	}
	if err := checkText("description", description); err != nil {
		return Role{}, err
	}
	if perms == 0 || perms&^access.All != 0 {
		return Role{}, apperr.Invalid("a role needs at least one known permission")
	}
	var out Role
	err := s.mutate(ctx, func(q *db.Queries, tx pgx.Tx) error {
		r, err := q.CreateRole(ctx, db.CreateRoleParams{Name: name, Description: description, Permissions: perms.Names()})
		if err != nil {
			if errors.Is(err, store.ErrConflict) {
				return apperr.Conflict("a role named %q exists", name)
			}
			return err
		}
		out = s.role(r)
		return audit.Record(ctx, tx, audit.Event{
			Action: "role.create", Resource: "role/" + r.ID.String(),
			Detail: map[string]any{"name": name, "permissions": perms.Names()},
		})
	})
	return out, err
}

// UpdateRole changes a custom role: its description when description is
// not nil, its permissions when perms is not empty.
func (s *Service) UpdateRole(ctx context.Context, id uuid.UUID, description *string, perms access.Set) (Role, error) {
	if description != nil {
		if err := checkText("description", *description); err != nil {
			return Role{}, err
		}
	}
	if perms&^access.All != 0 {
		return Role{}, apperr.Invalid("unknown permission")
	}
	var out Role
	err := s.mutate(ctx, func(q *db.Queries, tx pgx.Tx) error {
		old, err := q.GetRole(ctx, id)
		if err != nil {
			return apperr.IfNotFound(err, "role not found")
		}
		if old.System {
			return apperr.FailedPrecondition("system role %q cannot be changed", old.Name)
		}
		p := db.UpdateRoleParams{ID: id, Description: description}
		if perms != 0 {
			p.Permissions = perms.Names()
		}
		r, err := q.UpdateRole(ctx, p)
		if err != nil {
			return apperr.IfNotFound(err, "role not found")
		}
		out = s.role(r)
		detail := map[string]any{"name": r.Name}
		if perms != 0 {
			detail["permissions"] = perms.Names()
			detail["previous_permissions"] = old.Permissions
		}
		if description != nil {
			detail["description_changed"] = true
		}
		return audit.Record(ctx, tx, audit.Event{Action: "role.update", Resource: "role/" + id.String(), Detail: detail})
	})
	return out, err
}

// DeleteRole deletes a custom role and its bindings.
func (s *Service) DeleteRole(ctx context.Context, id uuid.UUID) error {
	return s.mutate(ctx, func(q *db.Queries, tx pgx.Tx) error {
		old, err := q.GetRole(ctx, id)
		if err != nil {
			return apperr.IfNotFound(err, "role not found")
		}
		if old.System {
			return apperr.FailedPrecondition("system role %q cannot be deleted", old.Name)
		}
		n, err := q.DeleteRole(ctx, id)
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.NotFound("role not found")
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "role.delete", Resource: "role/" + id.String(),
			Detail: map[string]any{"name": old.Name},
		})
	})
}

func lookupRole(ctx context.Context, q *db.Queries, role string) (db.Role, error) {
	var (
		r   db.Role
		err error
	)
	if id, perr := uuid.Parse(role); perr == nil {
		r, err = q.GetRole(ctx, id)
	} else {
		if role == "" {
			return r, apperr.Invalid("role is required")
		}
		r, err = q.GetRoleByName(ctx, role)
	}
	if err != nil {
		return r, apperr.IfNotFound(err, "role not found")
	}
	return r, nil
}

func (s *Service) role(r db.Role) Role {
	return Role{
		ID: r.ID, Name: r.Name, Description: r.Description, Permissions: s.parseStored(r.Permissions),
		System: r.System, CreatedAt: r.CreatedAt.Time,
	}
}
