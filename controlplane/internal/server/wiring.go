package server

// What one feature needs of another is an interface the consumer defines;
// the types below only convert between the producer's types and the
// consumer's. They decide nothing: a decision belongs to the feature that
// owns the concept.

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/auth"
	"github.com/hearth-dev/hearth/controlplane/internal/config"
	"github.com/hearth-dev/hearth/controlplane/internal/git"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline"
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

// projectResolver is the project feature as git resolves owner/name paths.
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

// pipelineProjects is the project feature as pipelines see projects, with
// the clone URL jobs use.
type pipelineProjects struct {
	svc       *project.Service
	publicURL string
}

func (p pipelineProjects) convert(pr project.Project) pipeline.Project {
	path := pr.Owner + "/" + pr.Name
	return pipeline.Project{
		ID: pr.ID, Path: path, DefaultBranch: pr.DefaultBranch, CloneURL: p.publicURL + "/" + path + ".git", Archived: pr.Archived,
	}
}

func (p pipelineProjects) ByPath(ctx context.Context, owner, name string) (pipeline.Project, error) {
	pr, err := p.svc.ByPath(ctx, owner, name)
	if err != nil {
		return pipeline.Project{}, err
	}
	return p.convert(pr), nil
}

func (p pipelineProjects) ByID(ctx context.Context, id uuid.UUID) (pipeline.Project, error) {
	pr, err := p.svc.ByID(ctx, id)
	if err != nil {
		return pipeline.Project{}, err
	}
	return p.convert(pr), nil
}

// jobTokens is auth as pipelines issue jobs' clone tokens.
type jobTokens struct{ auth *auth.Service }

func (j jobTokens) Issue(ctx context.Context, userID, projectID uuid.UUID, expires time.Time) (string, uuid.UUID, error) {
	return j.auth.IssueJobToken(ctx, userID, projectID, expires)
}

func (j jobTokens) Revoke(ctx context.Context, id uuid.UUID) error {
	return j.auth.RevokeJobToken(ctx, id)
}

// pushOutbox is git's push outbox as merge requests record the refs a
// merge moved: the push worker then treats them as a git push.
type pushOutbox struct{ store *git.PGStore }

func (p pushOutbox) RecordPush(ctx context.Context, projectID, pusherID uuid.UUID, refs []project.RefUpdate) error {
	return p.store.Trigger(ctx, git.PushEvent{ProjectID: projectID, PusherID: pusherID, Refs: refs})
}

// pushPipelines is the pipeline feature as the push outbox's consumer.
type pushPipelines struct{ svc *pipeline.Service }

func (p pushPipelines) PushRef(ctx context.Context, key string, e git.PushEvent) error {
	return p.svc.TriggerPush(ctx, pipeline.PushEvent{ProjectID: e.ProjectID, PusherID: e.PusherID, Refs: e.Refs, Key: key})
}

// pushRefresher is merge requests as the push outbox's consumer.
type pushRefresher struct{ mrs *project.MergeRequests }

func (p pushRefresher) RefsMoved(ctx context.Context, e git.PushEvent) error {
	return p.mrs.RefsMoved(ctx, e.ProjectID, e.PusherID, e.Refs)
}

// mergeRequestPipelines is the pipeline feature as merge requests see it.
type mergeRequestPipelines struct{ svc *pipeline.Service }

func (p mergeRequestPipelines) TriggerMergeRequest(ctx context.Context, e project.MergeRequestPipeline) error {
	return p.svc.TriggerMergeRequest(ctx, pipeline.MergeRequestEvent{
		ProjectID: e.ProjectID, Number: e.Number, SourceBranch: e.SourceBranch, TargetBranch: e.TargetBranch,
		Commit: e.Commit, TriggeredBy: e.TriggeredBy,
	})
}

func (p mergeRequestPipelines) LatestStatus(ctx context.Context, projectID uuid.UUID, commit string) (project.PipelineStatus, error) {
	id, state, err := p.svc.LatestStatus(ctx, projectID, commit)
	return project.PipelineStatus{ID: id, State: state}, err
}

// committers is auth as merges find who they commit as (git decides
// which name git accepts: git.CommitterName).
type committers struct{ auth *auth.Service }

func (c committers) Committer(ctx context.Context, userID uuid.UUID) (string, string, error) {
	u, err := c.auth.GetUser(ctx, userID)
	if err != nil {
		return "", "", err
	}
	return git.CommitterName(u.DisplayName, u.Username, u.Email), u.Email, nil
}

func (c committers) Active(ctx context.Context, userID uuid.UUID) (bool, error) {
	return c.auth.Active(ctx, userID)
}
