package auth

import (
	"context"
	"time"
)

// SessionPurgeInterval is how often expired sessions are deleted.
const SessionPurgeInterval = time.Hour

// RunSessionPurge deletes expired sessions every interval until ctx ends.
// It is a leader-only worker: one replica is enough, and running it twice
// (a deposed leader finishing) deletes nothing twice.
func (s *Service) RunSessionPurge(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := s.PurgeExpiredSessions(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err // the supervisor restarts us with backoff
		}
		if n > 0 {
			s.log.Info().Int64("sessions", n).Msg("deleted expired sessions")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
