package wal

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/hearth-dev/hearth/shared/logfield"
)

// retainBytes is the largest batch buffer the committer keeps for reuse;
// a bigger one (after a burst) goes back to the garbage collector.
const retainBytes = 4 << 20

// request is one Append or Rotate waiting for the committer. The
// committer writes its result fields, then closes done.
type request struct {
	off, n int  // the frame's bytes in its batch's buffer; n == 0 for a rotation
	rotate bool // a Rotate call, not an entry

	pos    Position
	sealed uint64
	ok     bool
	err    error

	finished bool // committer-only: done is closed
	done     chan struct{}
}

func (r *request) finish(err error) {
	if r.finished {
		return
	}
	r.finished = true
	r.err = err
	close(r.done)
}

// batch is the queue: the frames, already encoded and checksummed by the
// callers, back to back in one buffer, so the committer writes a run of
// them with one write call.
type batch struct {
	buf  []byte
	reqs []*request
}

// Append writes payload to the log and returns its position once it is
// written and fsync'd, together with every other entry queued meanwhile.
// payload is copied before Append queues it: the caller may reuse it as
// soon as Append returns, whatever the outcome.
//
// Any other error means the entry is not acknowledged, though it may
// still be found after a reopen (a write can reach the disk before its
// fsync fails). An error wrapping ErrPoisoned means no append will
// succeed again until the WAL is closed and reopened.
//
// If ctx ends while the entry waits, Append returns ctx.Err() at once; the
// entry may still have been, or still become, durable (it is in the
// queue, and the queue is always flushed). A caller that must not
// duplicate data on retry has to tolerate that, as it must tolerate a
// crash between the fsync and its acknowledgement.
func (w *WAL) Append(ctx context.Context, payload []byte) (Position, error) {
	if len(payload) == 0 {
		return Position{}, ErrEmptyEntry
	}
	if len(payload) > w.opts.MaxEntryBytes {
		return Position{}, fmt.Errorf("%w: %d bytes, limit %d", ErrEntryTooLarge, len(payload), w.opts.MaxEntryBytes)
	}
	if err := ctx.Err(); err != nil {
		return Position{}, err
	}
	// The checksum is computed here, in parallel across callers, rather
	// than in the one committer.
	sum := checksum(payload)
	req := &request{done: make(chan struct{})}
	if err := w.enqueue(ctx, req, payload, sum); err != nil {
		return Position{}, err
	}
	select {
	case <-req.done:
		return req.pos, req.err
	case <-ctx.Done():
		return Position{}, ctx.Err()
	}
}

// enqueue copies payload's frame into the queue, waiting while the queue
// is over MaxPendingBytes.
func (w *WAL) enqueue(ctx context.Context, req *request, payload []byte, sum uint32) error {
	need := int64(frameHeaderSize + len(payload))
	for {
		w.mu.Lock()
		if err := w.usableLocked(); err != nil {
			w.mu.Unlock()
			return err
		}
		queued := int64(len(w.q.buf))
		if queued == 0 || queued+need <= w.opts.MaxPendingBytes {
			req.off, req.n = len(w.q.buf), int(need)
			w.q.buf = appendFrame(w.q.buf, payload, sum)
			w.q.reqs = append(w.q.reqs, req)
			w.mu.Unlock()
			w.signal()
			return nil
		}
		space := w.space
		w.stats.Blocked++
		w.mu.Unlock()
		var err error
		select {
		case <-space:
		case <-ctx.Done():
			err = ctx.Err()
		}
		w.mu.Lock()
		w.stats.Blocked--
		w.mu.Unlock()
		if err != nil {
			return err
		}
	}
}

// Rotate seals the active segment and starts a new one, after every
// append queued before it. It returns the sealed segment's id and
// ok=true, or ok=false (and no error) when the active segment holds no
// entry, in which case nothing changes. Its entries are already durable:
// sealing adds no fsync of the old file.
func (w *WAL) Rotate() (id uint64, ok bool, err error) {
	req := &request{rotate: true, done: make(chan struct{})}
	w.mu.Lock()
	if err := w.usableLocked(); err != nil {
		w.mu.Unlock()
		return 0, false, err
	}
	w.q.reqs = append(w.q.reqs, req)
	w.mu.Unlock()
	w.signal()
	<-req.done
	return req.sealed, req.ok, req.err
}

func (w *WAL) usableLocked() error {
	if w.closed {
		return ErrClosed
	}
	return w.poison
}

func (w *WAL) signal() {
	select {
	case w.wake <- struct{}{}:
	default: // a wake-up is already pending; it will see this request
	}
}

// freeSpaceLocked wakes every append waiting for queue space.
func (w *WAL) freeSpaceLocked() {
	close(w.space)
	w.space = make(chan struct{})
}

// run is the committer goroutine.
func (w *WAL) run() {
	defer close(w.done)
	defer w.recoverPanic()
	for {
		select {
		case <-w.wake:
			w.commitQueued()
		case <-w.stop:
			// Close set closed before stop, so nothing can be queued
			// after this take: flushing it drains the queue.
			w.commitQueued()
			return
		}
	}
}

// recoverPanic turns a committer panic into poison, so that no Append or
// Rotate waits forever for a goroutine that is gone.
func (w *WAL) recoverPanic() {
	v := recover()
	if v == nil {
		return
	}
	err := w.setPoison(fmt.Errorf("committer panicked: %v", v))
	w.log.Error().Str(logfield.PanicValue, fmt.Sprint(v)).Bytes(logfield.Stack, debug.Stack()).
		Msg("wal: committer panicked; the WAL is poisoned")
	for _, r := range w.inflight {
		r.finish(err)
	}
	w.mu.Lock()
	q := w.q
	w.q = batch{}
	w.freeSpaceLocked() // appends waiting for space see the poison
	w.mu.Unlock()
	for _, r := range q.reqs {
		r.finish(err)
	}
}

// commitQueued takes the whole queue and commits it.
func (w *WAL) commitQueued() {
	w.mu.Lock()
	q := w.q
	if len(q.reqs) == 0 {
		w.mu.Unlock()
		return
	}
	w.q, w.spare = w.spare, batch{}
	w.freeSpaceLocked()
	poison := w.poison
	w.mu.Unlock()

	w.inflight = q.reqs
	if poison != nil {
		w.fail(q.reqs, poison)
	} else {
		w.commit(q)
	}
	w.inflight = nil

	// Keep the buffers for the next batch unless a burst made them big.
	if cap(q.buf) <= retainBytes {
		clear(q.reqs)
		w.mu.Lock()
		w.spare = batch{buf: q.buf[:0], reqs: q.reqs[:0]}
		w.mu.Unlock()
	}
}

// commit writes a batch: each run of entries between rotations (requested
// or forced by SegmentBytes) is one write call and one fdatasync.
func (w *WAL) commit(q batch) {
	first := 0 // the first request not yet written
	for i, r := range q.reqs {
		switch {
		case r.rotate:
			if err := w.flush(q.buf, q.reqs[first:i]); err != nil {
				w.fail(q.reqs[i:], err)
				return
			}
			first = i + 1
			var err error
			r.sealed, r.ok, err = w.rotateActive()
			r.finish(err)
			if err != nil {
				w.fail(q.reqs[i+1:], err)
				return
			}
		case w.overflows(q.reqs[first:i], r):
			if err := w.flush(q.buf, q.reqs[first:i]); err != nil {
				w.fail(q.reqs[i:], err)
				return
			}
			first = i
			if _, _, err := w.rotateActive(); err != nil {
				w.fail(q.reqs[i:], err)
				return
			}
		}
	}
	// A failure has already failed the run's requests and poisoned the WAL.
	_ = w.flush(q.buf, q.reqs[first:])
}

// overflows reports whether r must go into a new segment: the active one
// already holds (or is about to hold) an entry, and r would take it past
// SegmentBytes.
func (w *WAL) overflows(run []*request, r *request) bool {
	pending := 0
	if len(run) > 0 {
		last := run[len(run)-1]
		pending = last.off + last.n - run[0].off
	}
	if w.active.entries+len(run) == 0 {
		return false
	}
	return w.active.size+int64(pending)+int64(r.n) > w.opts.SegmentBytes
}

// flush writes a run of consecutive frames to the active segment with one
// write and one fdatasync, then completes their requests. A failure
// poisons the WAL and fails the run.
func (w *WAL) flush(buf []byte, run []*request) error {
	if len(run) == 0 {
		return nil
	}
	lo, hi := run[0].off, run[len(run)-1].off+run[len(run)-1].n
	seg := w.active
	for _, r := range run {
		r.pos = Position{Segment: seg.id, Offset: seg.size + int64(r.off-lo)}
	}
	if _, err := seg.f.Write(buf[lo:hi]); err != nil {
		err = w.setPoison(fmt.Errorf("write segment %d: %w", seg.id, err))
		w.fail(run, err)
		return err
	}
	if err := seg.f.Sync(); err != nil {
		w.mu.Lock()
		w.stats.Syncs++
		w.mu.Unlock()
		err = w.setPoison(fmt.Errorf("fdatasync segment %d: %w", seg.id, err))
		w.fail(run, err)
		return err
	}
	seg.size += int64(hi - lo)
	seg.entries += len(run)
	w.mu.Lock()
	w.activeSize = seg.size
	w.stats.Entries += uint64(len(run))
	w.stats.PayloadBytes += uint64(hi - lo - frameHeaderSize*len(run)) //nolint:gosec // G115: a positive byte count.
	w.stats.Batches++
	w.stats.Syncs++
	w.mu.Unlock()
	for _, r := range run {
		r.finish(nil)
	}
	return nil
}

// rotateActive seals the active segment and starts the next one. A
// failure to create the next segment poisons the WAL: no later append
// would have a segment to go to.
func (w *WAL) rotateActive() (uint64, bool, error) {
	old := w.active
	if old.entries == 0 {
		return 0, false, nil
	}
	next, syncs, err := createSegment(w.opts.Dir, old.id+1, w.opts.wrapFile)
	w.mu.Lock()
	w.stats.Syncs += uint64(syncs) //nolint:gosec // G115: a small non-negative count.
	w.mu.Unlock()
	if err != nil {
		return 0, false, w.setPoison(err)
	}
	w.active = next
	if err := old.f.Close(); err != nil {
		// Everything in it was fsync'd already; a close error cannot lose
		// acknowledged data, so it is only reported.
		w.log.Warn().Err(err).Str(logfield.File, segmentName(old.id)).Msg("wal: closing a sealed segment failed")
	}
	w.mu.Lock()
	w.sealed = append(w.sealed, sealedInfo{id: old.id, size: old.size, entries: old.entries})
	w.activeID, w.activeSize = next.id, next.size
	w.mu.Unlock()
	return old.id, true, nil
}

// setPoison records the first failure and returns the error every later
// call gets.
func (w *WAL) setPoison(cause error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.poison == nil {
		w.poison = fmt.Errorf("%w: %w", ErrPoisoned, cause)
		w.log.Error().Err(cause).Msg("wal: poisoned; appends fail until the WAL is reopened")
	}
	return w.poison
}

func (w *WAL) fail(reqs []*request, err error) {
	for _, r := range reqs {
		r.finish(err)
	}
}
