package server

import (
	"context"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/config"
	"github.com/hearth-dev/hearth/controlplane/internal/git"
	"github.com/hearth-dev/hearth/controlplane/internal/project"
)

// publicURL is --public-url, or the bound address.
func publicURL(cfg config.Config, bound string) string {
	if cfg.PublicURL != "" {
		return cfg.PublicURL
	}
	scheme := "http"
	if cfg.TLSCert != "" {
		scheme = "https"
	}
	return scheme + "://" + bound
}

// projectResolver gives the git feature what it needs of projects.
type projectResolver struct{ svc *project.Service }

func (p projectResolver) ResolveProject(ctx context.Context, owner, name string) (uuid.UUID, error) {
	pr, err := p.svc.ByPath(ctx, owner, name)
	return pr.ID, err
}

func (p projectResolver) Resolve(ctx context.Context, owner, name string) (git.HTTPProject, error) {
	pr, err := p.svc.ByPath(ctx, owner, name)
	if err != nil {
		return git.HTTPProject{}, err
	}
	return git.HTTPProject{ID: pr.ID, DefaultBranch: pr.DefaultBranch, Archived: pr.Archived}, nil
}
