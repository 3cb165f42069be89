package pipeline

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/pipeline/internal/db"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// Reaper defaults.
const (
	DefaultReapInterval = 30 * time.Second
	DefaultReapGrace    = 2 * time.Minute
	reapBatch           = 100
)

// RunReaper treats running jobs whose heartbeat is older than grace as
// lost, every interval, until ctx ends. It is a leader-only worker and
// idempotent: each job is re-checked under its pipeline's lock, so a
// deposed leader still finishing acts on nothing twice.
//
// Its first pass comes one grace after it starts. A new leader may start
// it right after the control plane (or its database) was down for longer
// than the grace, when every heartbeat is old although the agents are
// alive: they reconnect within seconds (Reconcile and heartbeats refresh
// their jobs), and only the jobs still silent after a grace are lost.
func (s *Service) RunReaper(ctx context.Context, interval, grace time.Duration) error {
	if interval <= 0 {
		interval = DefaultReapInterval
	}
	if grace <= 0 {
		grace = DefaultReapGrace
	}
	wait := time.NewTimer(grace)
	select {
	case <-ctx.Done():
		wait.Stop()
		return nil
	case <-wait.C:
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := s.Reap(ctx, grace)
		if err != nil {
			// The supervisor restarts us with backoff, and the restart
			// waits a grace again: the database failing us likely failed
			// the agents' heartbeats too.
			return unlessStopped(ctx, err)
		}
		if n > 0 {
			s.log.Info().Int(logfield.Jobs, n).Msg("reaped jobs of agents that went away")
		}
		if n, err := s.finishOpenLogs(ctx); err != nil {
			return unlessStopped(ctx, err)
		} else if n > 0 {
			s.log.Info().Int(logfield.Jobs, n).Msg("finished job logs left open")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Reap acts once on every running job whose heartbeat is older than grace:
// one the agent never acknowledged goes back to the queue, one whose
// cancellation was requested is cancelled, any other fails ("the agent
// running the job went away"; the retry policy applies). It returns how
// many jobs it changed.
func (s *Service) Reap(ctx context.Context, grace time.Duration) (int, error) {
	total := 0
	for {
		before := s.now().Add(-grace)
		stale, err := s.q.StaleJobs(ctx, db.StaleJobsParams{Before: before, MaxRows: reapBatch})
		if err != nil {
			return total, err
		}
		n := 0
		for _, sj := range stale {
			ok, err := s.reapJob(ctx, sj.ID, before)
			if err != nil {
				return total, err
			}
			if ok {
				n++
			}
		}
		total += n
		// A full batch of which nothing changed is a batch others changed
		// meanwhile; the next tick sees the rest.
		if len(stale) < reapBatch || n == 0 {
			return total, nil
		}
	}
}

func (s *Service) reapJob(ctx context.Context, id uuid.UUID, before time.Time) (bool, error) {
	changed := false
	err := s.inTx(ctx, func(_ pgx.Tx, q *db.Queries, e *effects) error {
		p, j, err := s.lockJob(ctx, q, id)
		if err != nil {
			return err
		}
		if State(j.State) != StateRunning || j.HeartbeatAt == nil || !j.HeartbeatAt.Before(before) {
			return nil // reported, ended or reaped meanwhile
		}
		changed = true
		switch {
		case j.CancelRequestedAt != nil:
			if err := s.endJob(ctx, q, j, StateCancelled, 0, "cancelled ("+msgAgentGone+")", e); err != nil {
				return err
			}
			e.finish = append(e.finish, j.ID)
		case j.AcknowledgedAt == nil:
			if err := q.RequeueJob(ctx, db.RequeueJobParams{Now: s.now(), ID: j.ID}); err != nil {
				return err
			}
			if j.CloneTokenID != nil {
				e.revoke = append(e.revoke, *j.CloneTokenID)
			}
			e.queued = true
			s.log.Info().Str(logfield.JobID, j.ID.String()).Str(logfield.AgentID, deref(j.AgentID).String()).Msg("re-queued a job its agent never confirmed")
			return nil
		default:
			if err := s.endJob(ctx, q, j, StateFailure, 0, msgAgentGone, e); err != nil {
				return err
			}
			e.finish = append(e.finish, j.ID)
		}
		return s.advance(ctx, q, p, e)
	})
	return changed, err
}
