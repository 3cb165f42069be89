package project

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/project/internal/db"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// refreshTimeout bounds the refresh of one push's merge requests.
const refreshTimeout = time.Minute

// refresh is one push's moved branches to look at.
type refresh struct {
	projectID uuid.UUID
	pusherID  uuid.UUID
	refs      []RefUpdate
}

// RefsMoved refreshes the merge requests after a push (or a merge's own
// ref updates), as git's push outbox delivers it: it records new source
// heads, triggers their merge_request pipelines and recomputes the
// mergeability of the open merge requests whose source or target moved
// (marking merged those whose head the push brought into their target).
// It is idempotent, so the outbox retries it after an error or a crash
// until it has run once to the end: a refresh recomputes from the
// repository, and a merge request's pipeline is made once per head.
func (m *MergeRequests) RefsMoved(ctx context.Context, projectID, pusherID uuid.UUID, refs []RefUpdate) error {
	var branches []RefUpdate
	for _, r := range refs {
		if strings.HasPrefix(r.Ref, "refs/heads/") {
			branches = append(branches, r)
		}
	}
	if len(branches) == 0 {
		return nil
	}
	return m.refreshPush(ctx, refresh{projectID: projectID, pusherID: pusherID, refs: branches})
}

// refreshPush refreshes every merge request one of r's branches concerns;
// the first error is returned after the others were tried.
func (m *MergeRequests) refreshPush(ctx context.Context, r refresh) error {
	ctx, cancel := context.WithTimeout(ctx, refreshTimeout)
	defer cancel()
	seen := map[uuid.UUID]bool{}
	var firstErr error
	for _, ref := range r.refs {
		branch := strings.TrimPrefix(ref.Ref, "refs/heads/")
		rows, err := m.svc.q.OpenMergeRequestsOnBranch(ctx, db.OpenMergeRequestsOnBranchParams{ProjectID: r.projectID, Branch: branch})
		if err != nil {
			return fmt.Errorf("listing the merge requests to refresh: %w", err)
		}
		for _, row := range rows {
			if err := ctx.Err(); err != nil {
				return err
			}
			mr := mergeRequestFromRow(row)
			sourceMoved := mr.SourceBranch == branch && strings.Trim(ref.New, "0") != ""
			if seen[mr.ID] && !sourceMoved {
				continue
			}
			seen[mr.ID] = true
			if err := m.refreshOne(ctx, &mr); err != nil {
				m.log.Warn().Err(err).Int64(logfield.MergeRequest, mr.Number).Msg("could not refresh a merge request")
				if firstErr == nil {
					firstErr = fmt.Errorf("refreshing !%d: %w", mr.Number, err)
				}
				continue
			}
			// A push to the source updates the merge request: its pipeline.
			if sourceMoved && mr.State == MergeRequestOpen && mr.HeadCommit == ref.New {
				if err := m.triggerPipeline(ctx, mr, ref.New, r.pusherID); err != nil && firstErr == nil {
					firstErr = err
				}
			}
		}
	}
	return firstErr
}
