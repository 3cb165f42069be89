package pipeline

import (
	"context"
	"slices"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline/internal/db"
)

// RetryJob runs an ended job again as a new attempt (with its full retry
// count); its ended dependants get new attempts too and run after it. The
// caller authorizes pipeline:run.
func (s *Service) RetryJob(ctx context.Context, id uuid.UUID) (Job, error) {
	var newID uuid.UUID
	err := s.inTx(ctx, func(tx pgx.Tx, q *db.Queries, e *effects) error {
		p, j, err := s.lockJob(ctx, q, id)
		if err != nil {
			return err
		}
		if err := s.requireActive(ctx, p.ProjectID); err != nil {
			return err
		}
		if j.Superseded {
			return apperr.FailedPrecondition("attempt %d of %s was retried already: retry its newest attempt", j.Attempt, j.Name)
		}
		if !State(j.State).Final() {
			return apperr.FailedPrecondition("job %s has not ended yet", j.Name)
		}
		jobs, err := q.CurrentJobs(ctx, p.ID)
		if err != nil {
			return err
		}
		for _, n := range j.Needs {
			for _, other := range jobs {
				if other.Name == n && State(other.State).Final() && State(other.State) != StateSuccess {
					return apperr.FailedPrecondition("job %s needs %s, which did not succeed: retry %s first", j.Name, n, n)
				}
			}
		}
		nj, err := s.newAttempt(ctx, q, j)
		if err != nil {
			return err
		}
		newID = nj.ID
		// Every dependant, transitively; those that ended run again.
		names := map[string]bool{j.Name: true}
		for grew := true; grew; {
			grew = false
			for _, d := range jobs {
				if names[d.Name] || !slices.ContainsFunc(d.Needs, func(n string) bool { return names[n] }) {
					continue
				}
				names[d.Name], grew = true, true
				if State(d.State).Final() {
					if _, err := s.newAttempt(ctx, q, d); err != nil {
						return err
					}
				}
			}
		}
		if err := s.advance(ctx, q, p, e); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "pipeline.job.retry", Resource: "pipeline/" + p.ID.String() + "/job/" + nj.ID.String(), ProjectID: p.ProjectID,
			Detail: map[string]any{"name": j.Name, "attempt": nj.Attempt, "retried_job": id.String()},
		})
	})
	if err != nil {
		return Job{}, err
	}
	return s.GetJob(ctx, newID)
}

// RetryPipeline runs an ended pipeline's failed, cancelled, timed-out and
// skipped jobs again as new attempts. The caller authorizes pipeline:run.
func (s *Service) RetryPipeline(ctx context.Context, id uuid.UUID) (Pipeline, error) {
	err := s.inTx(ctx, func(tx pgx.Tx, q *db.Queries, e *effects) error {
		p, err := q.LockPipeline(ctx, id)
		if err != nil {
			return apperr.IfNotFound(err, "pipeline not found")
		}
		if err := s.requireActive(ctx, p.ProjectID); err != nil {
			return err
		}
		if p.Error != "" {
			return apperr.FailedPrecondition("pipeline #%d has an invalid %s and no jobs: push a fix", p.Number, SpecPath)
		}
		jobs, err := q.CurrentJobs(ctx, id)
		if err != nil {
			return err
		}
		if derive(jobs) == StateRunning {
			return apperr.FailedPrecondition("pipeline #%d is still running", p.Number)
		}
		n := 0
		for _, j := range jobs {
			switch State(j.State) {
			case StateFailure, StateCancelled, StateTimedOut, StateSkipped:
				if _, err := s.newAttempt(ctx, q, j); err != nil {
					return err
				}
				n++
			}
		}
		if n == 0 {
			return apperr.FailedPrecondition("every job of pipeline #%d succeeded: nothing to retry", p.Number)
		}
		if err := s.advance(ctx, q, p, e); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "pipeline.retry", Resource: "pipeline/" + id.String(), ProjectID: p.ProjectID,
			Detail: map[string]any{"number": p.Number, "jobs": n},
		})
	})
	if err != nil {
		return Pipeline{}, err
	}
	return s.GetPipeline(ctx, id)
}

// newAttempt supersedes j with a new attempt in state created (advance
// queues it when its needs have succeeded), with the job's full retry
// count.
func (s *Service) newAttempt(ctx context.Context, q *db.Queries, j db.Job) (db.Job, error) {
	sp, err := decodeSpec(j.Spec)
	if err != nil {
		return db.Job{}, err
	}
	if err := q.SupersedeJob(ctx, j.ID); err != nil {
		return db.Job{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return db.Job{}, err
	}
	nj, err := q.InsertJob(ctx, db.InsertJobParams{
		ID: id, PipelineID: j.PipelineID, ProjectID: j.ProjectID, Name: j.Name, Attempt: j.Attempt + 1,
		State: string(StateCreated), Needs: j.Needs, Spec: j.Spec, Labels: j.Labels,
		RetriesLeft: int32(sp.Retry), //nolint:gosec // G115: spec bounds retry to 0-3.
		CreatedAt:   s.now(),
	})
	return nj, err
}
