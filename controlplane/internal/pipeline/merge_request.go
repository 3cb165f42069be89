package pipeline

import (
	"context"
	"strconv"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline/spec"
	"github.com/hearth-dev/hearth/shared/gitref"
)

// MergeRequestEvent is a merge request opened or updated (its source
// moved): the project feature's, adapted by the server.
type MergeRequestEvent struct {
	ProjectID    uuid.UUID
	Number       int64
	SourceBranch string
	TargetBranch string
	// Commit is the source's head.
	Commit string
	// TriggeredBy is the user who opened or pushed (uuid.Nil: unknown).
	TriggeredBy uuid.UUID
}

// TriggerMergeRequest creates a merge_request pipeline for the source's
// head when its .hearth.yml has jobs for merge requests from that branch
// (when.branches match the source branch, as GitLab's merge request
// pipelines). The jobs see HEARTH_MERGE_REQUEST_NUMBER,
// HEARTH_MERGE_REQUEST_SOURCE_BRANCH and HEARTH_MERGE_REQUEST_TARGET_BRANCH.
// A missing file or no matching job makes none, and a head that already
// has its merge request's pipeline makes no second one: opening a merge
// request and the push outbox's refresh for the same head may come in
// either order.
func (s *Service) TriggerMergeRequest(ctx context.Context, ev MergeRequestEvent) error {
	if !gitref.ValidObjectID(ev.Commit) || ev.SourceBranch == "" || ev.Number <= 0 {
		return apperr.Invalid("merge request event: a commit, a source branch and a number are required")
	}
	ref := "refs/heads/" + ev.SourceBranch
	_, _, err := s.trigger(ctx, trigger{
		ProjectID: ev.ProjectID, Ref: ref, Commit: ev.Commit, TriggeredBy: ev.TriggeredBy,
		Event: spec.Event{Kind: spec.EventMergeRequest, Ref: ref},
		Key:   "merge_request/" + ev.ProjectID.String() + "/" + strconv.FormatInt(ev.Number, 10) + "/" + ev.Commit,
		Variables: map[string]string{
			"HEARTH_MERGE_REQUEST_NUMBER":        strconv.FormatInt(ev.Number, 10),
			"HEARTH_MERGE_REQUEST_SOURCE_BRANCH": ev.SourceBranch,
			"HEARTH_MERGE_REQUEST_TARGET_BRANCH": ev.TargetBranch,
		},
	})
	return err
}

// LatestStatus is the state of the newest pipeline of commit, whatever its
// event (the "hearth/pipeline" commit status, which only a newer pipeline
// of the commit overwrites): pending, running, success, failure or
// cancelled. No pipeline: uuid.Nil and "".
func (s *Service) LatestStatus(ctx context.Context, projectID uuid.UUID, commit string) (uuid.UUID, string, error) {
	if !gitref.ValidObjectID(commit) {
		return uuid.Nil, "", nil
	}
	statuses, err := s.ListCommitStatuses(ctx, projectID, commit)
	if err != nil {
		return uuid.Nil, "", err
	}
	for _, st := range statuses {
		if st.Context == PipelineContext {
			return st.PipelineID, st.State, nil
		}
	}
	return uuid.Nil, "", nil
}
