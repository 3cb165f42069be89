package joblog

import (
	"context"
	"errors"
	"math"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline/joblog/internal/db"
)

// Append stores the bytes of data that continue (job, step)'s log and
// returns the step's stored end offset, which the gateway acknowledges:
//
//   - offset+len(data) <= end: a duplicate; nothing changes.
//   - offset <= end < offset+len(data): data[end-offset:] is stored.
//   - offset > end: a gap; nothing is stored and the error is nil — the
//     agent resends from the returned end.
//
// After Finish it fails with apperr FailedPrecondition. Concurrent appends
// to one (job, step) serialise on its row, so the same chunk sent twice at
// once is stored once.
func (s *Store) Append(ctx context.Context, jobID uuid.UUID, step uint32, offset uint64, data []byte) (uint64, error) {
	switch {
	case len(data) > MaxChunkBytes:
		return 0, apperr.Invalid("a log chunk holds at most %d bytes, this one %d", MaxChunkBytes, len(data))
	case step > MaxStep:
		return 0, apperr.Invalid("log step %d is out of range (at most %d)", step, MaxStep)
	case offset > math.MaxInt64-uint64(len(data)):
		return 0, apperr.Invalid("log offset %d is out of range", offset)
	}
	var (
		end      uint64
		stored   []byte
		storedAt uint64
	)
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		e, exists, err := s.lock(ctx, q, jobID, step, len(data) > 0)
		if err != nil || !exists {
			return err
		}
		end = e
		if offset > end || offset+uint64(len(data)) <= end {
			return nil // a gap or a duplicate: the caller acknowledges end
		}
		p := data[end-offset:]
		newEnd := end + uint64(len(p))
		err = q.StoreChunk(ctx, db.StoreChunkParams{
			JobID: jobID, Step: int32(step), //nolint:gosec // G115: step <= MaxStep, checked above
			StartOffset: int64(end), Data: p, EndOffset: int64(newEnd), //nolint:gosec // G115: newEnd <= MaxInt64, checked above
		})
		if err != nil {
			return err
		}
		stored, storedAt, end = p, end, newEnd
		return nil
	})
	if err != nil {
		return 0, err
	}
	if stored != nil {
		s.publish(ctx, jobID, encodePiece(step, storedAt, stored))
	}
	return end, nil
}

// lock locks the (job, step) row for update and the job's log row for
// share — so that Finish's seal waits for this transaction — creating them
// when create is set, and returns the step's end. It fails once the log is
// sealed. exists is false when a row is missing and create is not set.
func (s *Store) lock(ctx context.Context, q *db.Queries, jobID uuid.UUID, step uint32, create bool) (end uint64, exists bool, err error) {
	row, err := q.LockAppend(ctx, db.LockAppendParams{JobID: jobID, Step: int32(step)}) //nolint:gosec // G115: step <= MaxStep, checked by Append
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		// The first chunk of the job or step: make the rows, one at a time.
		if exists, err := s.lockLog(ctx, q, jobID, create); err != nil || !exists {
			return 0, false, err
		}
		return s.lockStep(ctx, q, jobID, step, create)
	case err != nil:
		return 0, false, err
	case row.SealedAt != nil:
		return 0, false, errLogFinished
	}
	return uint64(row.EndOffset), true, nil //nolint:gosec // G115: end_offset >= 0 (CHECK constraint)
}

var errLogFinished = apperr.FailedPrecondition("the job's log is finished: no more output is accepted")

// lockLog share-locks the job's log row (creating it when create is set),
// so that Finish's seal waits for this transaction; it fails once the log
// is sealed. exists is false when there is no row and create is not set.
func (s *Store) lockLog(ctx context.Context, q *db.Queries, jobID uuid.UUID, create bool) (exists bool, err error) {
	row, err := q.LockLog(ctx, jobID)
	if errors.Is(err, pgx.ErrNoRows) {
		if !create {
			return false, nil
		}
		if err := q.CreateLog(ctx, jobID); err != nil {
			return false, err
		}
		row, err = q.LockLog(ctx, jobID)
	}
	if err != nil {
		return false, err
	}
	if row.SealedAt != nil {
		return false, errLogFinished
	}
	return true, nil
}

// lockStep locks the (job, step) row (creating it when create is set) and
// returns its end offset.
func (s *Store) lockStep(ctx context.Context, q *db.Queries, jobID uuid.UUID, step uint32, create bool) (end uint64, exists bool, err error) {
	p := db.LockStepParams{JobID: jobID, Step: int32(step)} //nolint:gosec // G115: step <= MaxStep, checked by Append
	e, err := q.LockStep(ctx, p)
	if errors.Is(err, pgx.ErrNoRows) {
		if !create {
			return 0, false, nil
		}
		if err := q.CreateStep(ctx, db.CreateStepParams(p)); err != nil {
			return 0, false, err
		}
		e, err = q.LockStep(ctx, p)
	}
	if err != nil {
		return 0, false, err
	}
	return uint64(e), true, nil //nolint:gosec // G115: end_offset >= 0 (CHECK constraint)
}
