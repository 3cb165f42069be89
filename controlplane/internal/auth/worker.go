package auth

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/auth/internal/db"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// SessionPurgeInterval is how often expired sessions are deleted.
const SessionPurgeInterval = time.Hour

// RunSessionPurge deletes expired sessions every interval until ctx ends.
// It is a leader-only worker: one replica is enough, and running it twice
// (a deposed leader finishing) deletes nothing twice. Its deletes run in
// transactions fenced by the leader's epoch (store.Fence), so once a newer
// leader took over they fail in the database.
func (s *Service) RunSessionPurge(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := s.purgeFenced(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err // the supervisor restarts us with backoff
		}
		if n > 0 {
			s.log.Info().Int64(logfield.Sessions, n).Msg("deleted expired sessions")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// purgeFenced is PurgeExpiredSessions in a transaction, which InTx fences
// with the epoch ctx carries.
func (s *Service) purgeFenced(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		now := s.now()
		var err error
		n, err = s.queries.WithTx(tx).DeleteExpiredSessions(ctx, db.DeleteExpiredSessionsParams{
			Now: now, IdleBefore: now.Add(-s.sessions.IdleTimeout),
		})
		return err
	})
	return n, err
}
