package access

import (
	"time"

	"github.com/google/uuid"
)

// System role names (seeded by the migration; they never change).
const (
	RoleAdmin      = "admin"
	RoleMaintainer = "maintainer"
	RoleDeveloper  = "developer"
	RoleViewer     = "viewer"
)

// Binding grants a role to a user, installation-wide (ProjectID and
// GroupID uuid.Nil), on one project or on one group (and so on every
// project the group owns).
type Binding struct {
	ID        uuid.UUID
	RoleID    uuid.UUID
	RoleName  string
	UserID    uuid.UUID
	ProjectID uuid.UUID
	GroupID   uuid.UUID
	CreatedAt time.Time
}

// BindingFilter selects bindings; zero fields select everything.
type BindingFilter struct {
	UserID    uuid.UUID
	ProjectID uuid.UUID
	GroupID   uuid.UUID
}

// ScopeBindingsPage is one page of the bindings on a project or a group.
type ScopeBindingsPage struct {
	Bindings []Binding
	// More is true when bindings follow the last one.
	More bool
}
