package joblog

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/shared/logfield"
)

// maxStoreOutage bounds how long Follow rides out a store that fails it
// for a transient reason (PostgreSQL restarting): it re-reads every
// PollInterval meanwhile and returns the error after this long.
const maxStoreOutage = 2 * time.Minute

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
// the store again instead. When the subscription fails or breaks, it
// re-reads the store every PollInterval and tries to subscribe again at
// each of them; once subscribed it reads the store once more (what was
// stored while it was not subscribed), and again two PollIntervals later
// (what publishers skipped while they paused after a failure), and is
// live again. A store that
// fails transiently is re-read every PollInterval for up to
// maxStoreOutage.
func (s *Store) Follow(ctx context.Context, jobID uuid.UUID, step uint32, offset uint64, send func(step uint32, offset uint64, data []byte) error) error {
	f := &follower{s: s, jobID: jobID}
	defer f.unsubscribe()
	f.subscribe(ctx)
	interval := s.resync
	if f.live == nil {
		interval = s.poll
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()

	c := newCursor(step, offset)
	for {
		finished, err := f.catchUp(ctx, c, send)
		if err != nil {
			return err
		}
		if finished {
			return nil
		}
		if err := f.wait(ctx, c, ticker, send); err != nil {
			return err
		}
	}
}

// follower is one Follow's subscription state.
type follower struct {
	s     *Store
	jobID uuid.UUID

	live   <-chan []byte      // nil while polling
	cancel context.CancelFunc // ends the subscription; nil while polling
	// polling is set once the switch to polling was logged, so that each
	// failed attempt to subscribe again is not.
	polling bool
	// settling is set from subscribing again until the store was read
	// once more after publishers' pause.
	settling bool
}

// subscribe tries to subscribe to the job's live channel and reports
// whether it did.
func (f *follower) subscribe(ctx context.Context) bool {
	if f.s.pubsub == nil {
		return false
	}
	subCtx, cancel := context.WithCancel(ctx)
	ch, err := f.s.pubsub.Subscribe(subCtx, channel(f.jobID))
	if err != nil {
		cancel()
		if !f.polling {
			f.polling = true
			f.s.log.Warn().Err(err).Str(logfield.JobID, f.jobID.String()).Dur(logfield.Poll, f.s.poll).
				Msg("live job log updates are unavailable; following by re-reading the store")
		}
		return false
	}
	f.live, f.cancel = ch, cancel
	if f.polling {
		f.polling = false
		f.s.log.Info().Str(logfield.JobID, f.jobID.String()).Msg("live job log updates are back")
	}
	return true
}

func (f *follower) unsubscribe() {
	if f.cancel != nil {
		f.cancel()
	}
	f.live, f.cancel = nil, nil
}

// wait forwards live pieces that continue the cursor and returns when the
// store must be read again: a tick (a resync while live; a poll, after an
// attempt to subscribe again, while polling), a piece that does not
// continue the cursor, the end marker, or the subscription breaking.
func (f *follower) wait(ctx context.Context, c *cursor, ticker *time.Ticker, send sendFunc) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ticker.C:
			switch {
			case f.live == nil && f.subscribe(ctx):
				// Publishers that failed skip publishing for a
				// PollInterval (Append): read the store once more after
				// that, then only at resyncs.
				f.settling = true
				ticker.Reset(2 * f.s.poll)
			case f.settling:
				f.settling = false
				ticker.Reset(f.s.resync)
			}
			return nil
		case m, ok := <-f.live:
			if !ok {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				// Messages may have been lost with the subscription: read
				// the store now, then poll until subscribed again.
				f.unsubscribe()
				f.polling = true
				f.s.log.Warn().Str(logfield.JobID, f.jobID.String()).Dur(logfield.Poll, f.s.poll).
					Msg("live job log updates stopped; following by re-reading the store")
				ticker.Reset(f.s.poll)
				return nil
			}
			p, err := decodeMessage(m)
			if err != nil {
				f.s.log.Debug().Err(err).Str(logfield.JobID, f.jobID.String()).Msg("ignoring a live job log message")
				return nil
			}
			if p.end {
				return nil
			}
			forwarded, err := c.forward(p, send)
			if err != nil || !forwarded {
				return err
			}
		}
	}
}

// catchUp is Store.catchUp riding out transient store failures: it reads
// again every PollInterval, from where the cursor got, for up to
// maxStoreOutage. send's own errors are returned at once.
func (f *follower) catchUp(ctx context.Context, c *cursor, send sendFunc) (bool, error) {
	var sendErr error
	sendOnce := func(step uint32, offset uint64, data []byte) error {
		if err := send(step, offset, data); err != nil {
			sendErr = err
			return err
		}
		return nil
	}
	var failingSince time.Time
	for {
		finished, err := f.s.catchUp(ctx, f.jobID, c, sendOnce)
		switch {
		case err == nil:
			if !failingSince.IsZero() {
				f.s.log.Info().Str(logfield.JobID, f.jobID.String()).Dur(logfield.Duration, time.Since(failingSince)).
					Msg("the job log store answers again")
			}
			return finished, nil
		case sendErr != nil:
			return false, sendErr
		case ctx.Err() != nil:
			return false, ctx.Err()
		case !transient(err):
			return false, err
		case failingSince.IsZero():
			failingSince = time.Now()
			f.s.log.Warn().Err(err).Str(logfield.JobID, f.jobID.String()).Dur(logfield.Poll, f.s.poll).
				Msg("reading the job log failed; retrying")
		case time.Since(failingSince) > maxStoreOutage:
			return false, err
		}
		t := time.NewTimer(f.s.poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return false, ctx.Err()
		case <-t.C:
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
