package otlp

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/shared/logfield"
)

// DefaultQueueBytes bounds the queue's disk use by default.
const DefaultQueueBytes = 256 << 20

// Segment sizes: MaxBytes/16 within these bounds, so that dropping the
// oldest segment loses a small part of the queue, and a segment is large
// enough that rotating is rare.
const (
	minSegmentBytes = 64 << 10
	maxSegmentBytes = 16 << 20
	// minQueueBytes keeps tests' tiny queues possible and real ones sane.
	minQueueBytes = 16 << 10
)

// Errors of the queue.
var (
	ErrQueueClosed   = errors.New("the telemetry queue is closed")
	ErrEntryTooLarge = errors.New("the export is too large for the telemetry queue")
)

// QueueOptions configure OpenQueue.
type QueueOptions struct {
	// MaxBytes bounds the segment files (0: DefaultQueueBytes). Past it
	// the oldest segments are deleted, delivered or not.
	MaxBytes int64
	// SegmentBytes is the size at which a new segment starts (0:
	// MaxBytes/16, from 64 KiB to 16 MiB); at most MaxBytes/2.
	SegmentBytes int64
	// Counters receives the queue's counts (nil: counted privately).
	Counters *Counters
	Logger   zerolog.Logger
}

// Entry is one export to forward.
type Entry struct {
	Signal Signal
	// Token is the workload's credential. A secret: never logged.
	Token string
	// Payload is the export request, protobuf-encoded.
	Payload []byte
	// Items counts the export's spans, log records or data points.
	Items int64
}

// Item is the entry at the head of the queue, with its batch id.
type Item struct {
	Entry
	// BatchID is the queue's id, "/" and the entry's sequence number:
	// unique for the queue's life, so a redelivered entry is recognised.
	BatchID  string
	at, next position
}

type segment struct {
	num  uint64
	size int64
}

// Queue is a bounded, disk-backed FIFO of exports: append-only segment
// files of framed entries (queue_frame.go) and a durable acknowledgement
// cursor (queue_files.go). Any number of goroutines may Enqueue; one
// consumer Peeks the head entry and Acks it once delivered. Entries past
// the cursor survive a restart and are delivered again.
type Queue struct {
	dir                string
	id                 string
	maxBytes, segBytes int64
	log                zerolog.Logger
	c                  *Counters

	mu       sync.Mutex
	segs     []segment // oldest first; the last is written to
	total    int64     // sum of segs' sizes
	head     position  // the first entry not acknowledged
	cur      *cursor
	w        *os.File // the last segment, opened for appending
	wBroken  bool     // a failed write left bytes that could not be cut: start a new segment
	r        *os.File // the segment last read
	rNum     uint64
	nextSeq  uint64
	reserved uint64        // sequence numbers below it are reserved in queue.json
	wake     chan struct{} // closed (and replaced) when an entry is added or the queue closes
	closed   bool
	// cursorFailing: the last cursor write failed and was logged (once
	// until one succeeds: it fails for every entry while the disk does).
	cursorFailing bool
}

// OpenQueue opens (creating it, mode 0700) the queue in dir: a torn last
// entry is cut off, acknowledged segments are removed, and a new block of
// sequence numbers is reserved.
func OpenQueue(dir string, o QueueOptions) (*Queue, error) {
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultQueueBytes
	}
	if o.SegmentBytes == 0 {
		o.SegmentBytes = min(max(o.MaxBytes/16, minSegmentBytes), maxSegmentBytes, o.MaxBytes/2)
	}
	if o.MaxBytes < minQueueBytes || o.SegmentBytes <= 0 || o.SegmentBytes > o.MaxBytes/2 {
		return nil, fmt.Errorf("telemetry queue: %d bytes with %d-byte segments: want at least 16 KiB and segments of at most half of it", o.MaxBytes, o.SegmentBytes)
	}
	if o.Counters == nil {
		o.Counters = &Counters{}
	}
	if err := privateDir(dir); err != nil {
		return nil, err
	}
	m, err := loadMeta(dir)
	if err != nil {
		return nil, err
	}
	q := &Queue{
		dir: dir, id: m.ID, maxBytes: o.MaxBytes, segBytes: o.SegmentBytes,
		log: o.Logger, c: o.Counters, nextSeq: m.NextSeq, reserved: m.NextSeq + seqBlock,
		wake: make(chan struct{}),
	}
	if err := saveMeta(dir, meta{ID: m.ID, NextSeq: q.reserved}); err != nil {
		return nil, fmt.Errorf("telemetry queue: %w", err)
	}
	if err := q.load(); err != nil {
		_ = q.closeFiles()
		return nil, fmt.Errorf("telemetry queue: %w", err)
	}
	return q, nil
}

// privateDir creates dir 0700, or restricts it to its owner: the queue
// holds workloads' tokens.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("telemetry queue: %w", err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("telemetry queue: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil { //nolint:gosec // G302: a directory needs x; 0700 is owner-only
			return fmt.Errorf("telemetry queue %s is open to others and cannot be restricted: %w", dir, err)
		}
	}
	return nil
}

// load reads the cursor and the segments.
func (q *Queue) load() error {
	cur, pos, found, err := openCursor(q.dir)
	if err != nil {
		return err
	}
	q.cur = cur
	nums, err := listSegments(q.dir)
	if err != nil {
		return err
	}
	for _, num := range nums {
		if found && num < pos.seg {
			// Acknowledged; a crash came between the cursor and the removal.
			if err := os.Remove(q.segPath(num)); err != nil {
				return err
			}
			continue
		}
		st, err := os.Stat(q.segPath(num))
		if err != nil {
			return err
		}
		q.segs = append(q.segs, segment{num: num, size: st.Size()})
		q.total += st.Size()
	}
	if len(q.segs) == 0 {
		next := uint64(1)
		if found {
			next = pos.seg + 1
		}
		if err := q.createSegment(next); err != nil {
			return err
		}
	}
	q.head = position{seg: q.segs[0].num}
	if found && pos.seg == q.segs[0].num {
		q.head.off = pos.off
	}
	if err := q.recoverTail(); err != nil {
		return err
	}
	if q.w == nil {
		last := q.segs[len(q.segs)-1]
		q.w, err = os.OpenFile(q.segPath(last.num), os.O_WRONLY|os.O_APPEND, 0o600)
	}
	return err
}

// recoverTail cuts the last segment after its last intact entry: what a
// crash tore while it was written.
func (q *Queue) recoverTail() error {
	last := &q.segs[len(q.segs)-1]
	f, err := os.Open(q.segPath(last.num))
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	var off int64
	for off < last.size {
		n, _, err := frameAt(f, off, last.size)
		if errors.Is(err, errBadFrame) {
			break
		}
		if err != nil {
			return err
		}
		off += n
	}
	if off < last.size {
		q.log.Warn().Int64(logfield.Bytes, last.size-off).Str(logfield.File, q.segPath(last.num)).
			Msg("the telemetry queue's last entry was torn (the agent stopped while writing it); cut it off")
		if err := os.Truncate(q.segPath(last.num), off); err != nil {
			return err
		}
		q.total -= last.size - off
		last.size = off
	}
	if q.head.seg == last.num && q.head.off > last.size {
		q.head.off = last.size
	}
	return nil
}

func (q *Queue) segPath(num uint64) string { return filepath.Join(q.dir, segmentName(num)) }

// createSegment starts segment num and makes it the one written to.
func (q *Queue) createSegment(num uint64) error {
	f, err := os.OpenFile(q.segPath(num), os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	if err := syncDir(q.dir); err != nil {
		_ = f.Close()
		return err
	}
	if q.w != nil {
		_ = q.w.Close()
	}
	q.w, q.wBroken = f, false
	q.segs = append(q.segs, segment{num: num})
	return nil
}

// ID is the queue's id, the first part of every batch id.
func (q *Queue) ID() string { return q.id }

// Bytes is the size of the queue's segment files.
func (q *Queue) Bytes() int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.total
}

// Enqueue appends e. It writes to the local disk only (never waits for
// the network) and does not fsync: an entry survives the agent's crash,
// not necessarily the machine's. When the queue would outgrow MaxBytes,
// its oldest segments are deleted first, delivered or not.
func (q *Queue) Enqueue(e Entry) error {
	switch {
	case !validSignal(e.Signal):
		return fmt.Errorf("signal %d: want traces, logs or metrics", e.Signal)
	case e.Token == "" || len(e.Token) > maxTokenBytes:
		return fmt.Errorf("a token of 1 to %d bytes is required", maxTokenBytes)
	case e.Items < 0:
		return errors.New("a negative item count")
	}
	size := frameSize(&e)
	if size > q.maxBytes/2 {
		return ErrEntryTooLarge
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return ErrQueueClosed
	}
	if q.nextSeq >= q.reserved {
		if err := saveMeta(q.dir, meta{ID: q.id, NextSeq: q.reserved + seqBlock}); err != nil {
			return fmt.Errorf("telemetry queue: %w", err)
		}
		q.reserved += seqBlock
	}
	if last := q.segs[len(q.segs)-1]; q.wBroken || (last.size > 0 && last.size+size > q.segBytes) {
		if err := q.rotate(); err != nil {
			return fmt.Errorf("telemetry queue: %w", err)
		}
	}
	for q.total+size > q.maxBytes && len(q.segs) > 1 {
		q.dropOldest()
	}
	last := &q.segs[len(q.segs)-1]
	if n, err := q.w.Write(encodeFrame(&e, q.nextSeq)); err != nil {
		// A partial entry would end the segment for the reader: cut it,
		// or write the next entries elsewhere.
		if n > 0 && q.w.Truncate(last.size) != nil {
			q.wBroken = true
		}
		return fmt.Errorf("telemetry queue: %w", err)
	}
	q.nextSeq++
	last.size += size
	q.total += size
	q.c.queued.Add(1)
	q.c.queuedItems.Add(e.Items)
	close(q.wake)
	q.wake = make(chan struct{})
	return nil
}

// rotate starts the next segment.
func (q *Queue) rotate() error {
	last := &q.segs[len(q.segs)-1]
	if q.wBroken {
		// Count the bytes the failed write left.
		if st, err := q.w.Stat(); err == nil {
			q.total += st.Size() - last.size
			last.size = st.Size()
		}
	}
	return q.createSegment(last.num + 1)
}

// dropOldest deletes the oldest segment, which is not the last, and
// counts what it held that was not acknowledged.
func (q *Queue) dropOldest() {
	s := q.segs[0]
	var entries, items int64
	if q.head.seg == s.num {
		entries, items = q.countFrom(s, q.head.off)
		q.head = position{seg: q.segs[1].num}
		q.saveCursor()
	}
	q.removeOldest()
	q.c.dropped.Add(entries)
	q.c.droppedItems.Add(items)
	q.log.Warn().Int64(logfield.Count, items).Int64(logfield.Limit, q.maxBytes).
		Msg("the telemetry queue is full (the control plane has been unreachable or slow): dropped its oldest undelivered telemetry (count: spans, log records or data points)")
}

// countFrom counts the entries and items of s from off to its end.
func (q *Queue) countFrom(s segment, off int64) (int64, int64) {
	f, err := q.reader(s.num)
	if err != nil {
		return 0, 0
	}
	var entries, items int64
	for off < s.size {
		n, k, err := frameItems(f, off, s.size)
		if err != nil {
			break
		}
		entries++
		items += k
		off += n
	}
	return entries, items
}

// removeOldest deletes the oldest segment's file.
func (q *Queue) removeOldest() {
	s := q.segs[0]
	if q.r != nil && q.rNum == s.num {
		_ = q.r.Close()
		q.r = nil
	}
	if err := os.Remove(q.segPath(s.num)); err != nil {
		q.log.Error().Err(err).Str(logfield.File, q.segPath(s.num)).Msg("removing a telemetry queue segment failed")
	}
	q.total -= s.size
	q.segs = q.segs[1:]
}

// reader opens segment num for reading, keeping it open for the next
// read.
func (q *Queue) reader(num uint64) (*os.File, error) {
	if q.r != nil && q.rNum == num {
		return q.r, nil
	}
	if q.r != nil {
		_ = q.r.Close()
		q.r = nil
	}
	f, err := os.Open(q.segPath(num))
	if err != nil {
		return nil, err
	}
	q.r, q.rNum = f, num
	return f, nil
}

// Peek returns the oldest entry not acknowledged, waiting for one until
// ctx ends. Until it is acknowledged, Peek returns the same entry.
func (q *Queue) Peek(ctx context.Context) (Item, error) {
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return Item{}, ErrQueueClosed
		}
		it, ok, err := q.peekLocked()
		wake := q.wake
		q.mu.Unlock()
		if err != nil || ok {
			return it, err
		}
		select {
		case <-ctx.Done():
			return Item{}, ctx.Err()
		case <-wake:
		}
	}
}

// peekLocked reads the entry at the head; false when there is none yet.
func (q *Queue) peekLocked() (Item, bool, error) {
	for {
		i := q.headIndex()
		s := q.segs[i]
		if q.head.off >= s.size {
			if i == len(q.segs)-1 {
				return Item{}, false, nil
			}
			q.advance(i)
			continue
		}
		f, err := q.reader(s.num)
		if err != nil {
			return Item{}, false, err
		}
		n, body, err := frameAt(f, q.head.off, s.size)
		var e Entry
		var seq uint64
		if err == nil {
			e, seq, err = decodeBody(body)
		}
		if errors.Is(err, errBadFrame) {
			if err := q.skipDamaged(i); err != nil {
				return Item{}, false, err
			}
			continue
		}
		if err != nil {
			return Item{}, false, err
		}
		return Item{
			Entry: e, BatchID: q.id + "/" + strconv.FormatUint(seq, 10),
			at: q.head, next: position{seg: s.num, off: q.head.off + n},
		}, true, nil
	}
}

// skipDamaged gives up the rest of segment i, whose entry at the head is
// unreadable (a disk or crash damaged it): better to lose it than to stop
// forwarding for good.
func (q *Queue) skipDamaged(i int) error {
	q.log.Warn().Str(logfield.File, q.segPath(q.segs[i].num)).Int64(logfield.Bytes, q.segs[i].size-q.head.off).
		Msg("the telemetry queue holds an unreadable entry; skipping the rest of its segment")
	q.c.dropped.Add(1)
	if i == len(q.segs)-1 {
		if err := q.rotate(); err != nil {
			return err
		}
	}
	q.advance(i)
	return nil
}

// headIndex is the index of the head's segment. The head is always in a
// segment of the list: segments before it are removed, the last one never.
func (q *Queue) headIndex() int {
	for i, s := range q.segs {
		if s.num == q.head.seg {
			return i
		}
	}
	panic("otlp: the queue's head is in no segment") // an invariant of this file
}

// advance moves the head from segment i (not the last) to the start of
// the next, records it and removes the segments before.
func (q *Queue) advance(i int) {
	q.head = position{seg: q.segs[i+1].num}
	q.saveHead()
}

// saveHead records the head and removes the segments before it.
func (q *Queue) saveHead() {
	q.saveCursor()
	for len(q.segs) > 1 && q.segs[0].num < q.head.seg {
		q.removeOldest()
	}
}

// saveCursor records the head. A failure is logged once until a write
// succeeds: the older cursor only causes redeliveries after a restart,
// which the control plane recognises by their batch ids.
func (q *Queue) saveCursor() {
	err := q.cur.save(q.head)
	switch {
	case err != nil && !q.cursorFailing:
		q.log.Error().Err(err).Msg("recording the telemetry queue's cursor failed; entries may be delivered again after a restart")
	case err == nil && q.cursorFailing:
		q.log.Info().Msg("recording the telemetry queue's cursor works again")
	}
	q.cursorFailing = err != nil
}

// Ack records that it (the last Peek) was delivered. An item the queue
// dropped meanwhile (its bound) is ignored.
func (q *Queue) Ack(it Item) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return ErrQueueClosed
	}
	if it.at != q.head {
		return nil
	}
	q.head = it.next
	if i := q.headIndex(); q.head.off >= q.segs[i].size && i < len(q.segs)-1 {
		q.head = position{seg: q.segs[i+1].num}
	}
	q.saveHead()
	return nil
}

// Close releases the queue's files; a waiting Peek returns
// ErrQueueClosed.
func (q *Queue) Close() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return nil
	}
	q.closed = true
	close(q.wake)
	return q.closeFiles()
}

func (q *Queue) closeFiles() error {
	var errs []error
	if q.w != nil {
		errs = append(errs, q.w.Close())
		q.w = nil
	}
	if q.r != nil {
		errs = append(errs, q.r.Close())
		q.r = nil
	}
	if q.cur != nil {
		errs = append(errs, q.cur.close())
		q.cur = nil
	}
	return errors.Join(errs...)
}
