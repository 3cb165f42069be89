package pipeline

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
)

const msgCancelled = "cancelled by a user"

// CancelPipeline cancels every job of the pipeline that has not ended:
// waiting and queued ones at once, running ones on their agent (they end
// when the agent reports them cancelled). Cancelling an ended pipeline
// changes nothing. The caller authorizes pipeline:run.
func (s *Service) CancelPipeline(ctx context.Context, id uuid.UUID) (Pipeline, error) {
	err := s.inTx(ctx, func(tx pgx.Tx, q *db.Queries, e *effects) error {
		p, err := q.LockPipeline(ctx, id)
		if err != nil {
			return apperr.IfNotFound(err, "pipeline not found")
		}
		jobs, err := q.CurrentJobs(ctx, id)
		if err != nil {
			return err
		}
		n := 0
		for _, j := range jobs {
			ok, err := s.cancelJob(ctx, q, j, e)
			if err != nil {
				return err
			}
			if ok {
				n++
			}
		}
		if n == 0 {
			return nil
		}
		if err := s.advance(ctx, q, p, e); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "pipeline.cancel", Resource: "pipeline/" + id.String(), ProjectID: p.ProjectID,
			Detail: map[string]any{"number": p.Number, "jobs": n},
		})
	})
	if err != nil {
		return Pipeline{}, err
	}
	return s.GetPipeline(ctx, id)
}

// CancelJob cancels one job (see CancelPipeline); its dependants are
// skipped. Cancelling an ended job changes nothing.
func (s *Service) CancelJob(ctx context.Context, id uuid.UUID) (Job, error) {
	err := s.inTx(ctx, func(tx pgx.Tx, q *db.Queries, e *effects) error {
		p, j, err := s.lockJob(ctx, q, id)
		if err != nil {
			return err
		}
		ok, err := s.cancelJob(ctx, q, j, e)
		if err != nil || !ok {
			return err
		}
		if err := s.advance(ctx, q, p, e); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "pipeline.job.cancel", Resource: "pipeline/" + p.ID.String() + "/job/" + id.String(), ProjectID: p.ProjectID,
			Detail: map[string]any{"name": j.Name, "attempt": j.Attempt},
		})
	})
	if err != nil {
		return Job{}, err
	}
	return s.GetJob(ctx, id)
}

// cancelJob cancels j (the caller holds its pipeline's lock) and reports
// whether anything changed.
func (s *Service) cancelJob(ctx context.Context, q *db.Queries, j db.Job, e *effects) (bool, error) {
	// Re-read under the row lock: a claim (which does not lock the
	// pipeline) may have just assigned a job read as pending.
	j, err := q.LockJob(ctx, j.ID)
	if err != nil {
		return false, err
	}
	if j.Superseded {
		return false, nil
	}
	switch State(j.State) {
	case StateCreated, StatePending:
		if err := s.endJob(ctx, q, j, StateCancelled, 0, msgCancelled, e); err != nil {
			return false, err
		}
		e.finish = append(e.finish, j.ID)
		return true, nil
	case StateRunning:
		if j.CancelRequestedAt != nil {
			return false, nil
		}
		if err := q.RequestCancel(ctx, db.RequestCancelParams{Now: s.now(), ID: j.ID}); err != nil {
			return false, err
		}
		// Stamped so that an agent drops it if it comes from a leader
		// deposed meanwhile (a user's cancel carries the newest epoch).
		epoch, err := store.CommandEpoch(ctx, e.tx)
		if err != nil {
			return false, err
		}
		e.cancels = append(e.cancels, cancelNote{agent: deref(j.AgentID), job: j.ID, epoch: epoch})
		return true, nil
	}
	return false, nil
}
