package project

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/project/internal/db"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// refreshQueue bounds the pushes waiting for their merge requests to be
// refreshed. When it is full a push's refresh is dropped (logged): nothing
// is lost for good, GetMergeRequest recomputes a stale check itself.
const refreshQueue = 256

// refreshTimeout bounds the refresh of one push's merge requests.
const refreshTimeout = time.Minute

// refresh is one push's moved branches to look at.
type refresh struct {
	projectID uuid.UUID
	pusherID  uuid.UUID
	refs      []RefUpdate
}

// RefsMoved is told of every accepted push (and of every merge's own ref
// updates). It only queues the work, so the push's response never waits
// for it: Run then records new source heads, triggers their merge_request
// pipelines and recomputes the mergeability of the open merge requests
// whose source or target moved (marking merged those whose head the push
// brought into their target).
func (m *MergeRequests) RefsMoved(_ context.Context, projectID, pusherID uuid.UUID, refs []RefUpdate) {
	var branches []RefUpdate
	for _, r := range refs {
		if strings.HasPrefix(r.Ref, "refs/heads/") {
			branches = append(branches, r)
		}
	}
	if len(branches) == 0 {
		return
	}
	select {
	case m.refreshes <- refresh{projectID: projectID, pusherID: pusherID, refs: branches}:
	default:
		m.log.Warn().Str(logfield.ProjectID, projectID.String()).Msg("merge request refresh queue full; dropped a push's refresh")
	}
}

// Run refreshes merge requests after pushes until ctx ends.
func (m *MergeRequests) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case r := <-m.refreshes:
			m.refreshPush(ctx, r)
		}
	}
}

func (m *MergeRequests) refreshPush(ctx context.Context, r refresh) {
	ctx, cancel := context.WithTimeout(ctx, refreshTimeout)
	defer cancel()
	seen := map[uuid.UUID]bool{}
	for _, ref := range r.refs {
		branch := strings.TrimPrefix(ref.Ref, "refs/heads/")
		rows, err := m.svc.q.OpenMergeRequestsOnBranch(ctx, db.OpenMergeRequestsOnBranchParams{ProjectID: r.projectID, Branch: branch})
		if err != nil {
			m.log.Warn().Err(err).Str(logfield.ProjectID, r.projectID.String()).Msg("could not list merge requests to refresh")
			return
		}
		for _, row := range rows {
			if ctx.Err() != nil {
				return
			}
			mr := mergeRequestFromRow(row)
			sourceMoved := mr.SourceBranch == branch && strings.Trim(ref.New, "0") != ""
			if seen[mr.ID] && !sourceMoved {
				continue
			}
			seen[mr.ID] = true
			if err := m.refreshOne(ctx, &mr); err != nil {
				m.log.Warn().Err(err).Int64(logfield.MergeRequest, mr.Number).Msg("could not refresh a merge request")
				continue
			}
			// A push to the source updates the merge request: its pipeline.
			if sourceMoved && mr.State == MergeRequestOpen && mr.HeadCommit == ref.New {
				m.triggerPipeline(ctx, mr, ref.New, r.pusherID)
			}
		}
	}
}
