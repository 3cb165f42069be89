package joblog

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/shared/logfield"
)

// Follow sends the job's log from (step, offset) on — every later step
// from its start — and then live output as it is stored, until the log is
// finished and every byte was sent (it returns nil then, at once for a log
// finished before the call), send fails (its error is returned) or ctx
// ends (ctx.Err() is returned). Each byte is sent once; within a step in
// order, and steps in ascending order. send may keep data.
//
// It subscribes to the live channel before reading the store, so nothing
// stored after the read is missed; live pieces that do not continue
// exactly where the follower is (a lost message, a new step) make it read
// the store again instead. See the package documentation for the polling
// fallback.
func (s *Store) Follow(ctx context.Context, jobID uuid.UUID, step uint32, offset uint64, send func(step uint32, offset uint64, data []byte) error) error {
	subCtx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the subscription
	var live <-chan []byte
	if s.pubsub != nil {
		ch, err := s.pubsub.Subscribe(subCtx, channel(jobID))
		if err != nil {
			s.log.Warn().Err(err).Str(logfield.JobID, jobID.String()).Dur("poll", s.poll).
				Msg("live job log updates are unavailable; following by re-reading the store")
		} else {
			live = ch
		}
	}
	interval := s.resync
	if live == nil {
		interval = s.poll
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()

	c := newCursor(step, offset)
	for {
		finished, err := s.catchUp(ctx, jobID, c, send)
		if err != nil {
			return err
		}
		if finished {
			return nil
		}
		if live, err = s.waitLive(ctx, jobID, c, live, ticker, send); err != nil {
			return err
		}
	}
}

// waitLive forwards live pieces that continue the cursor and returns when
// the store must be read again. It returns the live channel to use from
// then on: nil once the subscription ended (and the ticker then polls).
func (s *Store) waitLive(ctx context.Context, jobID uuid.UUID, c *cursor, live <-chan []byte, ticker *time.Ticker, send sendFunc) (<-chan []byte, error) {
	for {
		select {
		case <-ctx.Done():
			return live, ctx.Err()
		case <-ticker.C:
			return live, nil
		case m, ok := <-live:
			if !ok {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				s.log.Warn().Str(logfield.JobID, jobID.String()).Dur("poll", s.poll).
					Msg("live job log updates stopped; following by re-reading the store")
				ticker.Reset(s.poll)
				return nil, nil
			}
			p, err := decodeMessage(m)
			if err != nil {
				s.log.Debug().Err(err).Str(logfield.JobID, jobID.String()).Msg("ignoring a live job log message")
				return live, nil
			}
			if p.end {
				return live, nil
			}
			forwarded, err := c.forward(p, send)
			if err != nil || !forwarded {
				return live, err
			}
		}
	}
}

// forward sends the part of a live piece past the cursor, if the piece
// continues the step the cursor is in. It returns false when the store
// must be read instead: the piece leaves a gap (a message was lost) or is
// from another step (an earlier step may have bytes not yet sent).
func (c *cursor) forward(p piece, send sendFunc) (bool, error) {
	if p.step < c.first {
		return true, nil // before where the follower started: not wanted
	}
	if p.step != c.last {
		return false, nil
	}
	pos := c.pos(p.step)
	end := p.offset + uint64(len(p.data))
	switch {
	case p.offset > pos:
		return false, nil
	case end <= pos:
		return true, nil // already sent
	}
	return true, c.sendAndAdvance(send, p.step, pos, p.data[pos-p.offset:])
}
