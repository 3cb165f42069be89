package project

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/project/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
)

// Directory answers, from the project feature's tables alone, what rbac
// and auth ask before the project Service exists: who may see a project
// or a group, which group owns a project, and whether a group holds a name. The Service needs both
// rbac and auth, so the server builds this reader first, hands it to them,
// and no construction cycle forms.
type Directory struct{ q *db.Queries }

// NewDirectory builds the reader on the database.
func NewDirectory(d *store.DB) *Directory { return &Directory{q: db.New(d)} }

// Visibility answers rbac: who may read the project; store.ErrNotFound
// for an unknown (or deleted) project.
func (d *Directory) Visibility(ctx context.Context, id uuid.UUID) (access.Visibility, error) {
	row, err := d.q.GetProject(ctx, id)
	if err != nil {
		return 0, err
	}
	return parseVisibility(row.Visibility), nil
}

// ProjectGroup answers rbac: the group owning the project, whose bindings
// apply to it; uuid.Nil for a user's project and an unknown or deleted one.
func (d *Directory) ProjectGroup(ctx context.Context, id uuid.UUID) (uuid.UUID, error) {
	row, err := d.q.GetProject(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return uuid.Nil, nil
	case err != nil:
		return uuid.Nil, err
	case OwnerKind(row.OwnerKind) != OwnedByGroup:
		return uuid.Nil, nil
	}
	return row.OwnerID, nil
}

// GroupVisibility answers rbac: who may see the group; store.ErrNotFound
// for an unknown group.
func (d *Directory) GroupVisibility(ctx context.Context, id uuid.UUID) (access.Visibility, error) {
	row, err := d.q.GetGroup(ctx, id)
	if err != nil {
		return 0, err
	}
	return parseVisibility(row.Visibility), nil
}

// NameTaken answers auth: whether a group holds name (any case), which
// a new user then cannot take.
func (d *Directory) NameTaken(ctx context.Context, name string) (bool, error) {
	if !validGroupName.MatchString(name) {
		return false, nil
	}
	_, err := d.q.GetGroupByName(ctx, name)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	default:
		return false, err
	}
}
