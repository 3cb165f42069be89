package secret

import (
	"context"
	"time"

	"github.com/hearth-dev/hearth/shared/backoff"
	"github.com/hearth-dev/hearth/shared/logfield"
)

var listenBackoff = backoff.Policy{Min: 100 * time.Millisecond, Max: 10 * time.Second}

// RunRotation is the leader-only rotation worker: it re-wraps data keys
// still under a previous root key, re-encrypts the values of retired data
// keys, then does the latter again each time RotateKey notifies it. After
// every (re)connect it makes a full pass, since notifications sent while
// it was not listening are lost. It returns when ctx ends.
func (s *Service) RunRotation(ctx context.Context) error {
	for attempt := 0; ; attempt++ {
		start := time.Now()
		err := s.listen(ctx)
		if stopped(ctx) {
			return nil // the error, if any, is the stop's
		}
		if time.Since(start) > time.Minute {
			attempt = 0
		}
		s.log.Warn().Err(err).Msg("secret rotation worker lost its connection; reconnecting")
		if !listenBackoff.Sleep(ctx, attempt) {
			return nil
		}
	}
}

func stopped(ctx context.Context) bool { return ctx.Err() != nil }

func (s *Service) listen(ctx context.Context) error {
	pc, err := s.db.Pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// A LISTENing connection never goes back to the pool.
	conn := pc.Hijack()
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return err
	}
	n, err := s.rewrapRootKeys(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		s.log.Info().Int(logfield.Count, n).Str(logfield.KeyID, s.keys.Primary().ID()).Msg("re-wrapped data keys under the primary root key")
	}
	for {
		n, err := s.reencryptRetired(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			s.log.Info().Int(logfield.Count, n).Msg("re-encrypted secret values under their scope's new data key")
		}
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
	}
}
