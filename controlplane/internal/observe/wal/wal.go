package wal

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/shared/logfield"
)

// WAL is a segmented write-ahead log in one directory. Its methods are
// safe for concurrent use.
type WAL struct {
	opts   Options
	log    zerolog.Logger
	lock   *os.File
	report OpenReport

	wake chan struct{} // buffered(1): the queue has something
	stop chan struct{} // closed by Close
	done chan struct{} // closed when the committer has returned

	removeMu sync.Mutex // one Remove at a time, without holding mu over I/O

	mu         sync.Mutex
	q          batch         // waiting for the committer
	space      chan struct{} // closed (and replaced) when the queue is taken
	closed     bool
	poison     error
	sealed     []sealedInfo // ascending ids
	activeID   uint64
	activeSize int64
	stats      Stats

	// Owned by the committer goroutine (and by Close once it has returned).
	active   *segment
	spare    batch      // the previous batch's buffers, reused
	inflight []*request // the batch being committed, failed if it panics
}

// OpenReport says what Open found in the directory.
type OpenReport struct {
	// Sealed is the number of segments found (and sealed), Entries the
	// intact entries in them.
	Sealed  int
	Entries int
	// TruncatedBytes is the total cut from torn or corrupt tails;
	// Truncated has one element per segment that was cut.
	TruncatedBytes int64
	Truncated      []Truncation
	// RemovedEmpty lists segments deleted because they held no entry
	// (typically the previous process's last active segment, or one whose
	// only entries were cut).
	RemovedEmpty []uint64
	// RemovedTemp counts leftover files of interrupted segment creations.
	RemovedTemp int
}

// Truncation describes one cut.
type Truncation struct {
	Segment uint64
	Offset  int64  // where the segment now ends
	Bytes   int64  // how much was cut
	Reason  string // what was wrong with the first dropped frame
}

// Stats are counters for metrics and tests.
type Stats struct {
	// Segments and DiskBytes cover every segment file, active included.
	Segments  int
	DiskBytes int64
	// Entries and PayloadBytes count appends made durable since Open.
	Entries      uint64
	PayloadBytes uint64
	// Batches counts the committer's write+fdatasync rounds; Syncs counts
	// every fsync or fdatasync of a file or of the directory since Open
	// (segment creation, cuts and removals included).
	Batches uint64
	Syncs   uint64
	// QueuedEntries and QueuedBytes are waiting for the committer now;
	// Blocked counts appends waiting for room in that queue
	// (MaxPendingBytes): the disk is not keeping up.
	QueuedEntries int
	QueuedBytes   int64
	Blocked       int
}

// Open opens (or creates) the WAL in opts.Dir: it seals and recovers every
// existing segment (see OpenReport), creates a new active segment and
// starts the committer goroutine, which Close stops.
func Open(opts Options) (*WAL, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("wal: %w", err)
	}
	lock, err := lockDir(o.Dir)
	if err != nil {
		return nil, err
	}
	w := &WAL{
		opts:  o,
		log:   o.Logger,
		lock:  lock,
		wake:  make(chan struct{}, 1),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
		space: make(chan struct{}),
	}
	if err := w.recoverDir(); err != nil {
		if w.active != nil {
			_ = w.active.f.Close()
		}
		_ = lock.Close()
		return nil, err
	}
	go w.run()
	return w, nil
}

// recoverDir seals what is on disk and creates the active segment.
func (w *WAL) recoverDir() error {
	dir := w.opts.Dir
	ids, temps, err := listDir(dir)
	if err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	dirty := false // a directory entry changed and needs a directory fsync
	for _, name := range temps {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("wal: remove leftover %s: %w", name, err)
		}
		w.report.RemovedTemp++
		dirty = true
	}
	for _, id := range ids {
		rec, err := recoverSegment(dir, id)
		if err != nil {
			return err
		}
		if rec.synced {
			w.stats.Syncs++
		}
		if rec.torn != nil {
			w.report.TruncatedBytes += rec.truncated
			w.report.Truncated = append(w.report.Truncated, Truncation{
				Segment: id, Offset: rec.torn.offset, Bytes: rec.truncated, Reason: rec.torn.reason,
			})
			w.log.Warn().Str(logfield.File, segmentName(id)).Int64(logfield.Bytes, rec.truncated).
				Str(logfield.Reason, rec.torn.Error()).Msg("wal: cut a torn or corrupt tail")
		}
		w.report.Sealed++
		w.report.Entries += rec.info.entries
		w.sealed = append(w.sealed, rec.info)
	}
	// The new active segment's id is above every id on disk, and it is
	// durable before any empty segment is deleted below: the highest id
	// ever used is always on disk, so ids never repeat across restarts.
	next := uint64(1)
	if len(ids) > 0 {
		next = ids[len(ids)-1] + 1
	}
	seg, syncs, err := createSegment(dir, next, w.opts.wrapFile)
	w.stats.Syncs += uint64(syncs) //nolint:gosec // G115: a small non-negative count.
	if err != nil {
		return err
	}
	w.active, w.activeID, w.activeSize = seg, seg.id, seg.size
	kept := w.sealed[:0]
	for _, s := range w.sealed {
		if s.entries > 0 {
			kept = append(kept, s)
			continue
		}
		if err := os.Remove(filepath.Join(dir, segmentName(s.id))); err != nil {
			return fmt.Errorf("wal: remove empty segment %d: %w", s.id, err)
		}
		w.report.RemovedEmpty = append(w.report.RemovedEmpty, s.id)
		dirty = true
	}
	w.sealed = kept
	if dirty {
		w.stats.Syncs++
		if err := syncDir(dir); err != nil {
			return fmt.Errorf("wal: %w", err)
		}
	}
	return nil
}

// OpenReport returns what Open found: segments sealed, entries intact,
// tails cut.
func (w *WAL) OpenReport() OpenReport {
	r := w.report
	r.Truncated = slices.Clone(r.Truncated)
	r.RemovedEmpty = slices.Clone(r.RemovedEmpty)
	return r
}

// Sealed returns the ids of the sealed segments, oldest first. The active
// segment is not among them.
func (w *WAL) Sealed() []uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	ids := make([]uint64, len(w.sealed))
	for i, s := range w.sealed {
		ids[i] = s.id
	}
	return ids
}

// Stats returns the current counters.
func (w *WAL) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.stats
	s.Segments, s.DiskBytes = 0, 0
	for _, si := range w.sealed {
		s.Segments++
		s.DiskBytes += si.size
	}
	s.Segments++
	s.DiskBytes += w.activeSize
	s.QueuedEntries, s.QueuedBytes = len(w.q.reqs), int64(len(w.q.buf))
	return s
}

// checkSealed reports whether id may be replayed or removed.
func (w *WAL) checkSealed(id uint64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.closed:
		return ErrClosed
	case id == w.activeID:
		return fmt.Errorf("%w: %d", ErrActiveSegment, id)
	case !slices.ContainsFunc(w.sealed, func(s sealedInfo) bool { return s.id == id }):
		return fmt.Errorf("%w: %d", ErrUnknownSegment, id)
	}
	return nil
}

// Replay calls fn for every entry of sealed segment id, in order. The
// payload slice is reused for the next entry once fn returns: copy what
// you keep. An error from fn stops the replay and is returned as is; a
// frame that does not check out returns an error wrapping ErrCorrupt
// after fn has seen every entry before it. A segment removed while it is
// being replayed is read to its end.
func (w *WAL) Replay(id uint64, fn func(pos Position, payload []byte) error) error {
	if err := w.checkSealed(id); err != nil {
		return err
	}
	f, err := os.Open(filepath.Join(w.opts.Dir, segmentName(id)))
	if err != nil {
		return fmt.Errorf("wal: replay segment %d: %w", id, err)
	}
	defer func() { _ = f.Close() }() // read-only: a failing close loses nothing
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("wal: replay segment %d: %w", id, err)
	}
	fr := newFrameReader(f, fi.Size())
	hdr := make([]byte, headerSize)
	if _, err := io.ReadFull(fr.r, hdr); err != nil {
		return fmt.Errorf("%w: segment %d: header: %w", ErrCorrupt, id, err)
	}
	if err := checkHeader(hdr, id); err != nil {
		return err
	}
	for {
		off, payload, err := fr.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var torn *tornError
		if errors.As(err, &torn) {
			return fmt.Errorf("%w: segment %d: %w", ErrCorrupt, id, err)
		}
		if err != nil {
			return fmt.Errorf("wal: replay segment %d: %w", id, err)
		}
		if err := fn(Position{Segment: id, Offset: off}, payload); err != nil {
			return err
		}
	}
}

// Remove deletes sealed segment id and fsyncs the directory, so the
// deletion survives a crash.
func (w *WAL) Remove(id uint64) error {
	w.removeMu.Lock()
	defer w.removeMu.Unlock()
	if err := w.checkSealed(id); err != nil {
		return err
	}
	err := os.Remove(filepath.Join(w.opts.Dir, segmentName(id)))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("wal: remove segment %d: %w", id, err)
	}
	if err := syncDir(w.opts.Dir); err != nil {
		return fmt.Errorf("wal: remove segment %d: %w", id, err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stats.Syncs++
	w.sealed = slices.DeleteFunc(w.sealed, func(s sealedInfo) bool { return s.id == id })
	return nil
}

// Close makes every append queued so far durable (or fails it), stops the
// committer and closes the files. Append, Rotate, Replay and Remove return
// ErrClosed afterwards; so does a second Close. The active segment stays
// on disk and is sealed by the next Open.
func (w *WAL) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	w.closed = true
	w.freeSpaceLocked() // appends waiting for queue space see closed
	w.mu.Unlock()

	close(w.stop)
	<-w.done
	var errs []error
	if w.active != nil {
		// No fsync here: everything acknowledged is already durable, and
		// after a failure an fsync must not be retried.
		errs = append(errs, w.active.f.Close())
	}
	errs = append(errs, w.lock.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("wal: close: %w", err)
	}
	return nil
}
