package joblog

import (
	"context"
	"fmt"
	"io"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/shared/logfield"
)

// Finish moves the job's log to S3 and ends it: followers return once
// they have sent everything, and Append refuses more output. It is
// idempotent, and safe to run concurrently (on two replicas) or again
// after a crash at any point:
//
//  1. seal (in a transaction that waits for appends in flight);
//  2. upload each step from its chunks to logs/<job-id>/<step>.log — an
//     upload overwrites the same bytes an earlier attempt uploaded;
//  3. in one transaction mark the log finished and delete its chunks.
//
// A job that never logged anything gets an empty finished log.
func (s *Store) Finish(ctx context.Context, jobID uuid.UUID) error {
	var finished bool
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		if err := q.CreateLog(ctx, jobID); err != nil {
			return err
		}
		fin, err := q.Seal(ctx, jobID)
		finished = fin != nil
		return err
	})
	if err != nil {
		return fmt.Errorf("sealing the log of job %s: %w", jobID, err)
	}
	if !finished {
		if err := s.upload(ctx, jobID); err != nil {
			// A concurrent Finish may have completed and deleted the chunks
			// this upload was reading; then there is nothing left to do.
			if st, serr := s.state(ctx, jobID); serr == nil && st.finished {
				s.publish(ctx, jobID, encodeEnd())
				return nil
			}
			return err
		}
		err := s.db.InTx(ctx, func(tx pgx.Tx) error {
			q := s.q.WithTx(tx)
			if err := q.MarkFinished(ctx, jobID); err != nil {
				return err
			}
			return q.DeleteChunks(ctx, jobID)
		})
		if err != nil {
			return fmt.Errorf("finishing the log of job %s: %w", jobID, err)
		}
	}
	// Published again by a repeated Finish too: a crash may have come
	// between the commit and the publish.
	s.publish(ctx, jobID, encodeEnd())
	return nil
}

// upload copies every step of a sealed log to S3.
func (s *Store) upload(ctx context.Context, jobID uuid.UUID) error {
	st, err := s.state(ctx, jobID)
	if err != nil {
		return err
	}
	for _, se := range st.steps {
		if se.end == 0 {
			continue
		}
		if err := s.uploadStep(ctx, jobID, se); err != nil {
			s.log.Warn().Err(err).Str(logfield.JobID, jobID.String()).Uint32(logStep, se.step).Msg("uploading a job log step failed")
			return fmt.Errorf("uploading the log of job %s step %d: %w", jobID, se.step, err)
		}
	}
	return nil
}

// uploadStep streams the step's chunks into its object, with its known
// size, so nothing but one page of chunks is held in memory.
func (s *Store) uploadStep(ctx context.Context, jobID uuid.UUID, se stepEnd) error {
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := s.eachChunk(ctx, jobID, se.step, 0, se.end, func(_ uint64, data []byte) error {
			_, err := pw.Write(data)
			return err
		})
		// A read error fails the upload: a truncated object never
		// replaces a complete one.
		pw.CloseWithError(err)
	}()
	err := s.objects.Put(ctx, ObjectKey(jobID, se.step), pr, int64(se.end), contentType) //nolint:gosec // G115: end <= MaxInt64 (bigint column)
	// Unblocks the reader goroutine if Put stopped reading early.
	_ = pr.CloseWithError(io.ErrClosedPipe)
	<-done
	return err
}
