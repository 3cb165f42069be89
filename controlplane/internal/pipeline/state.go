package pipeline

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline/internal/db"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// notifyChannel is the LISTEN/NOTIFY channel of the job queue.
const notifyChannel = "hearth_jobs"

// Notification payloads.
const (
	payloadQueued       = "queued"
	payloadCancelPrefix = "cancel:"
)

const (
	maxMessageBytes = 4000
	maxErrorBytes   = 16000
)

// effects collects what a transaction changed that needs work outside it:
// notifications sent at commit, and after commit tokens to revoke and logs
// to finish.
type effects struct {
	// tx is the transaction, for audit rows.
	tx      pgx.Tx
	queued  bool
	cancels []cancelNote
	// finish: jobs that ended without the agent reporting it (their logs
	// are finished best-effort after commit).
	finish []uuid.UUID
	revoke []uuid.UUID
	// spans are the jobs and pipelines that finished (Spans).
	spans []FinishedSpan
}

// cancelNote is a CancelJob to send to agent, stamped with the leadership
// epoch it was issued under (store.CommandEpoch; 0: unstamped).
type cancelNote struct {
	agent, job uuid.UUID
	epoch      uint64
}

// notify sends the collected notifications; PostgreSQL delivers them when
// the transaction commits, and not at all when it rolls back.
func (e *effects) notify(ctx context.Context, q *db.Queries) error {
	if e.queued {
		if err := q.Notify(ctx, payloadQueued); err != nil {
			return err
		}
	}
	for _, c := range e.cancels {
		if err := q.Notify(ctx, cancelPayload(c)); err != nil {
			return err
		}
	}
	return nil
}

// afterCommitTimeout bounds the best-effort work after a commit.
const afterCommitTimeout = 30 * time.Second

// after revokes tokens and finishes logs of ended jobs, best-effort: a
// token expires by itself, and a log left unfinished stays readable from
// PostgreSQL.
func (s *Service) after(ctx context.Context, e *effects) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), afterCommitTimeout)
	defer cancel()
	if s.spans != nil {
		for _, sp := range e.spans {
			s.spans.Finished(sp)
		}
	}
	for _, id := range e.revoke {
		if err := s.tokens.Revoke(ctx, id); err != nil {
			s.log.Warn().Err(err).Str(logfield.TokenID, id.String()).Msg("could not revoke a job's clone token")
		}
	}
	for _, id := range e.finish {
		if err := s.finishLog(ctx, id); err != nil {
			s.log.Warn().Err(err).Str(logfield.JobID, id.String()).Msg("could not finish a job's log; the reaper will retry")
		}
	}
}

// finishLog moves a final job's log to S3 and records that it did.
func (s *Service) finishLog(ctx context.Context, id uuid.UUID) error {
	if err := s.logs.Finish(ctx, id); err != nil {
		return err
	}
	return s.q.MarkLogFinished(ctx, db.MarkLogFinishedParams{ID: id, Now: s.now()})
}

// finishOpenLogs finishes the logs of jobs that ended over a minute ago
// and whose log is still open (a failed or interrupted finish).
func (s *Service) finishOpenLogs(ctx context.Context) (int, error) {
	ids, err := s.q.UnfinishedLogs(ctx, db.UnfinishedLogsParams{Before: s.now().Add(-time.Minute), Max: reapBatch})
	if err != nil {
		return 0, err
	}
	done := 0
	for _, id := range ids {
		if err := s.finishLog(ctx, id); err != nil {
			s.log.Warn().Err(err).Str(logfield.JobID, id.String()).Msg("could not finish a job's log")
			continue
		}
		done++
	}
	return done, nil
}

// inTx runs fn in a transaction with an effects collector, sends its
// notifications at commit and does the after-commit work.
func (s *Service) inTx(ctx context.Context, fn func(tx pgx.Tx, q *db.Queries, e *effects) error) error {
	e := &effects{}
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		e.tx = tx
		q := s.q.WithTx(tx)
		if err := fn(tx, q, e); err != nil {
			return err
		}
		return e.notify(ctx, q)
	})
	if err != nil {
		return err
	}
	s.after(ctx, e)
	return nil
}

// endJob gives a job a final state. A failure or time-out with automatic
// retries left (and no cancellation requested) supersedes the job with a
// new pending attempt instead. The caller holds the pipeline's lock and
// calls advance afterwards.
func (s *Service) endJob(ctx context.Context, q *db.Queries, j db.Job, state State, exitCode int32, message string, e *effects) error {
	now := s.now()
	retry := (state == StateFailure || state == StateTimedOut) && j.RetriesLeft > 0 && j.CancelRequestedAt == nil
	err := q.EndJob(ctx, db.EndJobParams{
		State: string(state), ExitCode: exitCode, Message: truncate(message, maxMessageBytes), Now: now,
		Superseded: retry, ID: j.ID,
	})
	if err != nil {
		return err
	}
	if j.CloneTokenID != nil {
		e.revoke = append(e.revoke, *j.CloneTokenID)
	}
	e.spans = append(e.spans, jobSpan(j, state, now))
	if !retry {
		return nil
	}
	id, err := uuid.NewV7()
	if err != nil {
		return err
	}
	_, err = q.InsertJob(ctx, db.InsertJobParams{
		ID: id, PipelineID: j.PipelineID, ProjectID: j.ProjectID, Name: j.Name, Attempt: j.Attempt + 1,
		State: string(StatePending), Needs: j.Needs, Spec: j.Spec, Labels: j.Labels, RetriesLeft: j.RetriesLeft - 1,
		CreatedAt: now, QueuedAt: &now,
	})
	if err != nil {
		return err
	}
	e.queued = true
	return nil
}

// advance moves a pipeline on after its jobs changed: created jobs whose
// needs all succeeded are queued, those with a need that did not succeed
// are skipped (transitively), and the pipeline's state, times and commit
// status follow its jobs. The caller holds the pipeline's lock.
func (s *Service) advance(ctx context.Context, q *db.Queries, p db.Pipeline, e *effects) error {
	jobs, err := q.CurrentJobs(ctx, p.ID)
	if err != nil {
		return err
	}
	byName := make(map[string]*db.Job, len(jobs))
	for i := range jobs {
		byName[jobs[i].Name] = &jobs[i]
	}
	now := s.now()
	for changed := true; changed; {
		changed = false
		for i := range jobs {
			j := &jobs[i]
			if State(j.State) != StateCreated {
				continue
			}
			ready, blocker := true, ""
			for _, n := range j.Needs {
				need, ok := byName[n]
				switch {
				case !ok:
					// Unreachable for jobs from a parsed spec; a job that can
					// never run must not wait forever.
					blocker = n
				case State(need.State) == StateSuccess:
					continue
				case State(need.State).Final():
					blocker = n
				default:
					ready = false
				}
				if blocker != "" {
					break
				}
			}
			switch {
			case blocker != "":
				msg := fmt.Sprintf("skipped: %s did not succeed", blocker)
				if err := q.EndJob(ctx, db.EndJobParams{State: string(StateSkipped), Message: msg, Now: now, ID: j.ID}); err != nil {
					return err
				}
				j.State, j.Message = string(StateSkipped), msg
				e.finish = append(e.finish, j.ID)
				changed = true
			case ready:
				if err := q.QueueJob(ctx, db.QueueJobParams{Now: now, ID: j.ID}); err != nil {
					return err
				}
				j.State = string(StatePending)
				e.queued = true
				changed = true
			}
		}
	}
	return s.settle(ctx, q, p, jobs, e)
}

// settle stores the pipeline state derived from its current jobs and
// updates its commit status when it changed.
func (s *Service) settle(ctx context.Context, q *db.Queries, p db.Pipeline, jobs []db.Job, e *effects) error {
	state := derive(jobs)
	now := s.now()
	started, finished := p.StartedAt, p.FinishedAt
	if started == nil {
		for _, j := range jobs {
			if j.StartedAt != nil {
				started = &now
				break
			}
		}
	}
	switch {
	case !state.Final():
		finished = nil
	case finished == nil || State(p.State) != state:
		finished = &now
	}
	if State(p.State) == state && sameTime(started, p.StartedAt) && sameTime(finished, p.FinishedAt) {
		return nil
	}
	if err := q.SetPipelineState(ctx, db.SetPipelineStateParams{State: string(state), StartedAt: started, FinishedAt: finished, ID: p.ID}); err != nil {
		return err
	}
	wasFinal := State(p.State).Final()
	p.State, p.StartedAt, p.FinishedAt = string(state), started, finished
	if err := s.pipelineStatus(ctx, q, p); err != nil {
		return err
	}
	if !state.Final() || wasFinal || e.tx == nil {
		return nil
	}
	e.spans = append(e.spans, pipelineSpan(p, s.now()))
	if err := audit.Record(ctx, e.tx, audit.Event{
		Action: "pipeline.finish", Resource: "pipeline/" + p.ID.String(), ProjectID: p.ProjectID,
		Detail: map[string]any{"number": p.Number, "state": string(state)},
	}); err != nil {
		return err
	}
	return s.publishFinished(ctx, e.tx, q, p)
}

// derive is a pipeline's state from its current jobs.
func derive(jobs []db.Job) State {
	var failed, cancelled bool
	for _, j := range jobs {
		switch State(j.State) {
		case StateCreated, StatePending, StateRunning:
			return StateRunning
		case StateFailure, StateTimedOut:
			failed = true
		case StateCancelled:
			cancelled = true
		}
	}
	switch {
	case failed:
		return StateFailure
	case cancelled:
		return StateCancelled
	}
	return StateSuccess
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// lockJob locks a job's pipeline, then the job (the locking order every
// writer follows).
func (s *Service) lockJob(ctx context.Context, q *db.Queries, id uuid.UUID) (db.Pipeline, db.Job, error) {
	j, err := q.GetJob(ctx, id)
	if err != nil {
		return db.Pipeline{}, db.Job{}, apperr.IfNotFound(err, "job not found")
	}
	p, err := q.LockPipeline(ctx, j.PipelineID)
	if err != nil {
		return db.Pipeline{}, db.Job{}, err
	}
	if j, err = q.LockJob(ctx, id); err != nil {
		return db.Pipeline{}, db.Job{}, err
	}
	return p, j, nil
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
