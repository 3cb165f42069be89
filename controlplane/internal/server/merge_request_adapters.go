package server

import (
	"context"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/auth"
	"github.com/hearth-dev/hearth/controlplane/internal/git"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline"
	"github.com/hearth-dev/hearth/controlplane/internal/project"
)

// mergeRequestPipelines is the pipeline feature for merge requests.
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

// committers finds who a merge commits as (git.CommitterName) and whether
// a user is active.
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

// RecordPush records refs a merge moved as a push, in the push outbox:
// the push worker makes their push pipelines and other merge requests'
// refresh, as for a git push.
func (p *pushTrigger) RecordPush(ctx context.Context, projectID, pusherID uuid.UUID, refs []project.RefUpdate) error {
	e := git.PushEvent{ProjectID: projectID, PusherID: pusherID, Refs: make([]git.RefUpdate, len(refs))}
	for i, r := range refs {
		e.Refs[i] = git.RefUpdate{Ref: r.Ref, Old: r.Old, New: r.New}
	}
	return p.Trigger(ctx, e)
}
