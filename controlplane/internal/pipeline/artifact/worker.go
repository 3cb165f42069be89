package artifact

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/pipeline/artifact/internal/db"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// RunExpiry deletes expired artifacts (object first, then row) now and
// every interval until ctx ends, then returns nil. It runs on the leader;
// being idempotent, a deposed leader still finishing a pass does no harm.
// A failed deletion is logged and retried on the next pass.
func (s *Store) RunExpiry(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		return errors.New("artifact: the expiry interval must be positive")
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		n, err := s.expire(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			s.log.Warn().Err(err).Int(logfield.Deleted, n).Msg("deleting expired artifacts failed; retrying later")
		case n > 0:
			s.log.Info().Int(logfield.Deleted, n).Msg("deleted expired artifacts")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// expire deletes expired artifacts in batches until none is left or a
// batch makes no progress (its objects cannot be deleted now).
func (s *Store) expire(ctx context.Context) (deleted int, err error) {
	for {
		now := s.now()
		rows, err := s.q.ListExpired(ctx, db.ListExpiredParams{Now: now, MaxRows: expiryBatch})
		if err != nil {
			return deleted, err
		}
		progress := 0
		var firstErr error
		for _, r := range rows {
			if err := s.objects.Delete(ctx, r.ObjectKey); err != nil {
				s.log.Warn().Err(err).Str(logfield.ArtifactID, r.ID.String()).Str(logObjectKey, r.ObjectKey).Msg("deleting an expired artifact's object failed")
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
			// In a transaction, which InTx fences with the leader's epoch:
			// a deposed leader stops here (store.ErrFenced).
			if err := s.db.InTx(ctx, func(tx pgx.Tx) error {
				return s.q.WithTx(tx).DeleteExpired(ctx, db.DeleteExpiredParams{ID: r.ID, Now: now})
			}); err != nil {
				return deleted, err
			}
			progress++
		}
		deleted += progress
		if len(rows) < expiryBatch || progress == 0 {
			return deleted, firstErr
		}
	}
}
