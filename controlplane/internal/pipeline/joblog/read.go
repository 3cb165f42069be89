package joblog

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/pipeline/joblog/internal/db"
)

// errChunksGone: the chunks a read expected are not there, because a
// concurrent Finish moved them to S3 and deleted them. The read starts
// over from the log's new state.
var errChunksGone = errors.New("job log chunks are gone")

// maxReadAttempts bounds the restarts of one catch-up. One restart is
// enough when a Finish completed meanwhile; more means the store is
// inconsistent, which is reported rather than looped on.
const maxReadAttempts = 3

// logState is what is stored of a job's log.
type logState struct {
	finished bool
	steps    []stepEnd // ascending
}

type stepEnd struct {
	step uint32
	end  uint64
}

// state reads the log's state. finished is read first: once it is set the
// ends no longer change (the log was sealed before), and while it is not,
// ends read later are only larger, and all their bytes are in chunks.
func (s *Store) state(ctx context.Context, jobID uuid.UUID) (logState, error) {
	var st logState
	row, err := s.q.GetLog(ctx, jobID)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return st, nil // no output yet
	case err != nil:
		return st, err
	}
	st.finished = row.FinishedAt != nil
	rows, err := s.q.StepEnds(ctx, jobID)
	if err != nil {
		return st, err
	}
	for _, r := range rows {
		st.steps = append(st.steps, stepEnd{step: uint32(r.Step), end: uint64(r.EndOffset)}) //nolint:gosec // G115: CHECK constraints keep both in range
	}
	return st, nil
}

// sendFunc receives a piece of a step's log at offset.
type sendFunc func(step uint32, offset uint64, data []byte) error

// cursor is how far a reader got: the next offset to send per step. Steps
// before first are never sent.
type cursor struct {
	first uint32
	next  map[uint32]uint64
	// last is the highest step anything was read from (first initially).
	last uint32
}

func newCursor(step uint32, offset uint64) *cursor {
	return &cursor{first: step, next: map[uint32]uint64{step: offset}, last: step}
}

func (c *cursor) pos(step uint32) uint64 { return c.next[step] }

// sendAndAdvance calls send, then records that the piece was sent.
func (c *cursor) sendAndAdvance(send sendFunc, step uint32, offset uint64, data []byte) error {
	if err := send(step, offset, data); err != nil {
		return err
	}
	c.next[step] = offset + uint64(len(data))
	c.last = max(c.last, step)
	return nil
}

// catchUp sends, for every step from c.first on in ascending order, the
// stored bytes past the cursor, from PostgreSQL or, once the log is
// finished, from S3. It reports whether the log is finished (and so
// everything was sent).
func (s *Store) catchUp(ctx context.Context, jobID uuid.UUID, c *cursor, send sendFunc) (finished bool, err error) {
	for range maxReadAttempts {
		st, err := s.state(ctx, jobID)
		if err != nil {
			return false, err
		}
		if st.finished {
			return true, s.readObjects(ctx, jobID, st, c, send)
		}
		err = s.readChunks(ctx, jobID, st, c, send)
		if !errors.Is(err, errChunksGone) {
			return false, err
		}
	}
	return false, fmt.Errorf("log of job %s: chunks are missing below the stored end", jobID)
}

func (s *Store) readChunks(ctx context.Context, jobID uuid.UUID, st logState, c *cursor, send sendFunc) error {
	for _, se := range st.steps {
		if se.step < c.first || se.end <= c.pos(se.step) {
			continue
		}
		err := s.eachChunk(ctx, jobID, se.step, c.pos(se.step), se.end, func(off uint64, data []byte) error {
			return c.sendAndAdvance(send, se.step, off, data)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// eachChunk calls fn with the step's stored bytes in [from, to), in order,
// a chunk (or the part of it in range) at a time. It returns errChunksGone
// if they are not all there.
func (s *Store) eachChunk(ctx context.Context, jobID uuid.UUID, step uint32, from, to uint64, fn func(off uint64, data []byte) error) error {
	for from < to {
		rows, err := s.q.ReadChunks(ctx, db.ReadChunksParams{
			JobID: jobID, Step: int32(step), //nolint:gosec // G115: steps read back from the table are <= MaxStep
			AfterStart: int64(from) - MaxChunkBytes, FromOffset: int64(from), //nolint:gosec // G115: from < to <= MaxInt64
			MaxRows: readRows,
		})
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return errChunksGone
		}
		for _, r := range rows {
			start := uint64(r.StartOffset) //nolint:gosec // G115: CHECK (start_offset >= 0)
			if start > from || start+uint64(len(r.Data)) <= from {
				return errChunksGone
			}
			data := r.Data[from-start:]
			if rest := to - from; uint64(len(data)) > rest {
				data = data[:rest]
			}
			if err := fn(from, data); err != nil {
				return err
			}
			if from += uint64(len(data)); from >= to {
				break
			}
		}
	}
	return nil
}

// readObjects sends what is past the cursor of a finished log, from S3.
func (s *Store) readObjects(ctx context.Context, jobID uuid.UUID, st logState, c *cursor, send sendFunc) error {
	for _, se := range st.steps {
		if se.step < c.first || se.end <= c.pos(se.step) {
			continue
		}
		if err := s.readObject(ctx, jobID, se, c, send); err != nil {
			return fmt.Errorf("log of job %s step %d: %w", jobID, se.step, err)
		}
	}
	return nil
}

func (s *Store) readObject(ctx context.Context, jobID uuid.UUID, se stepEnd, c *cursor, send sendFunc) error {
	obj, err := s.objects.Get(ctx, ObjectKey(jobID, se.step))
	if err != nil {
		return err
	}
	defer func() { _ = obj.Close() }()
	from := c.pos(se.step)
	// Objects offers no ranged read; logs are read from an offset rarely
	// (resuming a broken follow), so skipping is cheap enough.
	if _, err := io.CopyN(io.Discard, obj, int64(from)); err != nil { //nolint:gosec // G115: from < end <= MaxInt64
		return fmt.Errorf("object shorter than its stored length: %w", err)
	}
	for from < se.end {
		// A fresh buffer per piece: send may keep it.
		buf := make([]byte, min(pieceBytes, se.end-from))
		if _, err := io.ReadFull(obj, buf); err != nil {
			return fmt.Errorf("object shorter than its stored length: %w", err)
		}
		if err := c.sendAndAdvance(send, se.step, from, buf); err != nil {
			return err
		}
		from += uint64(len(buf))
	}
	return nil
}

// WriteRaw writes every step's log to w, in step order: the raw log
// download. For a running job it is what is stored so far.
func (s *Store) WriteRaw(ctx context.Context, jobID uuid.UUID, w io.Writer) error {
	_, err := s.catchUp(ctx, jobID, newCursor(0, 0), func(_ uint32, _ uint64, data []byte) error {
		_, err := w.Write(data)
		return err
	})
	return err
}
