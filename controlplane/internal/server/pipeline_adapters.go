package server

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/auth"
	"github.com/hearth-dev/hearth/controlplane/internal/git"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline"
	"github.com/hearth-dev/hearth/controlplane/internal/project"
	"github.com/hearth-dev/hearth/controlplane/internal/supervisor"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// pipelineProjects gives the pipeline feature what it needs of projects.
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

// jobTokens issues the short-lived clone tokens of jobs (auth tokens).
type jobTokens struct{ auth *auth.Service }

// Issue returns no token for a pipeline nobody triggered (the job then
// clones anonymously: only a public project's repository).
func (j jobTokens) Issue(ctx context.Context, userID, projectID uuid.UUID, expires time.Time) (string, uuid.UUID, error) {
	if userID == uuid.Nil {
		return "", uuid.Nil, nil
	}
	return j.auth.IssueJobToken(ctx, userID, projectID, expires)
}

func (j jobTokens) Revoke(ctx context.Context, id uuid.UUID) error {
	return j.auth.RevokeJobToken(ctx, id)
}

// pushTrigger records each accepted push in the git store's outbox (a
// merge's own ref updates come through here too, RecordPush), and is the
// outbox worker's consumer: each pushed ref becomes the pipeline feature's
// push pipelines and merge requests' refresh.
type pushTrigger struct {
	store         *git.PGStore
	pipelines     *pipeline.Service
	mergeRequests *project.MergeRequests // nil until wired
}

func (p *pushTrigger) Trigger(ctx context.Context, e git.PushEvent) error {
	return p.store.Trigger(ctx, e)
}

func (p *pushTrigger) PushRef(ctx context.Context, key string, e git.PushEvent) error {
	refs := make([]pipeline.RefUpdate, len(e.Refs))
	for i, r := range e.Refs {
		refs[i] = pipeline.RefUpdate{Ref: r.Ref, Old: r.Old, New: r.New}
	}
	return p.pipelines.TriggerPush(ctx, pipeline.PushEvent{ProjectID: e.ProjectID, PusherID: e.PusherID, Refs: refs, Key: key})
}

func (p *pushTrigger) RefsMoved(ctx context.Context, e git.PushEvent) {
	moved := make([]project.RefUpdate, len(e.Refs))
	for i, r := range e.Refs {
		moved[i] = project.RefUpdate{Ref: r.Ref, Old: r.Old, New: r.New}
	}
	p.mergeRequests.RefsMoved(ctx, e.ProjectID, e.PusherID, moved)
}

// workers is the outbox worker, unless this replica does not consume
// pushes (--push-worker=false).
func (p *pushTrigger) workers(enabled bool, log zerolog.Logger) ([]supervisor.Worker, error) {
	if !enabled {
		return nil, nil
	}
	w, err := git.NewPushWorker(git.PushWorkerDeps{Store: p.store, Pipelines: p, MergeRequests: p, Logger: log.With().Str(logfield.Component, "push-worker").Logger()})
	if err != nil {
		return nil, err
	}
	return []supervisor.Worker{{Name: "push-outbox", Run: w.Run}}, nil
}
