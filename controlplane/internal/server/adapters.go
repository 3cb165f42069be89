package server

import (
	"context"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/project"
)

// projectResolver gives the git feature what it needs of projects.
type projectResolver struct{ svc *project.Service }

func (p projectResolver) ResolveProject(ctx context.Context, owner, name string) (uuid.UUID, error) {
	pr, err := p.svc.ByPath(ctx, owner, name)
	return pr.ID, err
}
