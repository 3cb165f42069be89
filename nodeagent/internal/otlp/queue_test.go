package otlp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hearth-dev/hearth/nodeagent/internal/otlp"
)

func entry(i int) otlp.Entry {
	return otlp.Entry{Signal: otlp.Signal(1 + i%3), Token: fmt.Sprintf("tok-%d", i), Payload: []byte(fmt.Sprintf("payload %d", i)), Items: int64(i + 1)}
}

func sameEntry(t *testing.T, got otlp.Item, want otlp.Entry) {
	t.Helper()
	if got.Signal != want.Signal || got.Token != want.Token || !bytes.Equal(got.Payload, want.Payload) || got.Items != want.Items {
		t.Fatalf("got %v %q %q %d, want %v %q %q %d", got.Signal, got.Token, got.Payload, got.Items, want.Signal, want.Token, want.Payload, want.Items)
	}
}

func seqOf(t *testing.T, q *otlp.Queue, it otlp.Item) uint64 {
	t.Helper()
	id, seq, ok := strings.Cut(it.BatchID, "/")
	if !ok || id != q.ID() || len(it.BatchID) > 100 {
		t.Fatalf("batch id %q: want %s/<seq>, at most 100 characters", it.BatchID, q.ID())
	}
	n, err := strconv.ParseUint(seq, 10, 64)
	if err != nil {
		t.Fatalf("batch id %q: %v", it.BatchID, err)
	}
	return n
}

func TestQueueRoundTrip(t *testing.T) {
	q := openQueue(t, t.TempDir(), otlp.QueueOptions{})
	for i := range 3 {
		if err := q.Enqueue(entry(i)); err != nil {
			t.Fatal(err)
		}
	}
	var last uint64
	for i := range 3 {
		it := peek(t, q)
		sameEntry(t, it, entry(i))
		if again := peek(t, q); again.BatchID != it.BatchID {
			t.Fatalf("a second Peek before Ack moved on: %s then %s", it.BatchID, again.BatchID)
		}
		if seq := seqOf(t, q, it); seq <= last {
			t.Fatalf("sequence %d after %d", seq, last)
		} else {
			last = seq
		}
		if err := q.Ack(it); err != nil {
			t.Fatal(err)
		}
	}
	empty(t, q)
}

func TestQueuePeekWaitsForEnqueue(t *testing.T) {
	q := openQueue(t, t.TempDir(), otlp.QueueOptions{})
	got := make(chan otlp.Item, 1)
	go func() {
		it, err := q.Peek(t.Context())
		if err == nil {
			got <- it
		}
		close(got)
	}()
	if err := q.Enqueue(entry(7)); err != nil {
		t.Fatal(err)
	}
	it, ok := <-got
	if !ok {
		t.Fatal("Peek failed")
	}
	sameEntry(t, it, entry(7))
	// Close wakes a waiting Peek.
	done := make(chan error, 1)
	if err := q.Ack(it); err != nil {
		t.Fatal(err)
	}
	go func() { _, err := q.Peek(context.Background()); done <- err }()
	_ = q.Close()
	if err := <-done; !errors.Is(err, otlp.ErrQueueClosed) {
		t.Fatalf("Peek on a closed queue: %v", err)
	}
}

// TestQueueRestartResumesAfterCursor: what was acknowledged is gone after a
// restart; the rest comes back with the same batch ids.
func TestQueueRestartResumesAfterCursor(t *testing.T) {
	dir := t.TempDir()
	q := openQueue(t, dir, otlp.QueueOptions{})
	ids := map[int]string{}
	for i := range 5 {
		if err := q.Enqueue(entry(i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 2 {
		it := peek(t, q)
		ids[i] = it.BatchID
		if err := q.Ack(it); err != nil {
			t.Fatal(err)
		}
	}
	third := peek(t, q) // delivered, not acknowledged
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}

	q2 := openQueue(t, dir, otlp.QueueOptions{})
	if q2.ID() != q.ID() {
		t.Fatalf("the queue id changed: %s, then %s", q.ID(), q2.ID())
	}
	it := peek(t, q2)
	sameEntry(t, it, entry(2))
	if it.BatchID != third.BatchID {
		t.Fatalf("redelivered entry has batch id %s, was %s", it.BatchID, third.BatchID)
	}
	for i := 2; i < 5; i++ {
		it := peek(t, q2)
		sameEntry(t, it, entry(i))
		if err := q2.Ack(it); err != nil {
			t.Fatal(err)
		}
	}
	empty(t, q2)
	if err := q2.Enqueue(entry(9)); err != nil {
		t.Fatal(err)
	}
	if it := peek(t, q2); seqOf(t, q2, it) <= seqOf(t, q2, third) {
		t.Fatalf("a new entry after the restart got sequence %s, not above %s", it.BatchID, third.BatchID)
	}
}

// TestQueueBatchIDsUniqueAcrossRestarts: neither a clean restart nor a
// crash that loses the newest entries (the machine's, cutting the files)
// hands out a batch id twice.
func TestQueueBatchIDsUniqueAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	seen := map[string]bool{}
	var lastSeq uint64
	for gen := range 4 {
		q, err := otlp.OpenQueue(dir, otlp.QueueOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if err := q.Enqueue(entry(i)); err != nil {
				t.Fatal(err)
			}
		}
		for range 3 {
			it := peek(t, q)
			if !seen[it.BatchID] {
				// New in this generation: every one above the last.
				if seq := seqOf(t, q, it); seq <= lastSeq {
					t.Fatalf("generation %d: batch %s not above %d", gen, it.BatchID, lastSeq)
				} else {
					lastSeq = seq
				}
			}
			seen[it.BatchID] = true
			if err := q.Ack(it); err != nil {
				t.Fatal(err)
			}
		}
		switch gen % 2 {
		case 0:
			_ = q.Close()
		case 1:
			// A crash that lost everything written since the start: the
			// segments are cut to nothing and the queue is not closed.
			segs, _ := filepath.Glob(filepath.Join(dir, "seg-*.log"))
			for _, s := range segs {
				if err := os.Truncate(s, 0); err != nil {
					t.Fatal(err)
				}
			}
			t.Cleanup(func() { _ = q.Close() })
		}
	}
	if len(seen) != 12 {
		t.Fatalf("%d distinct batch ids for 12 entries", len(seen))
	}
}

// TestQueueTornTail: an entry cut short or damaged at the end of the last
// segment (a crash while writing it) is cut off at restart; the entries
// before it and those written after the restart are read.
func TestQueueTornTail(t *testing.T) {
	for name, damage := range map[string]func(path string, size int64) error{
		"cut short": func(path string, size int64) error { return os.Truncate(path, size-5) },
		"garbage appended": func(path string, _ int64) error {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.Write([]byte{0x40, 0, 0, 0, 1, 2, 3, 4, 5})
			return err
		},
		"last byte flipped": func(path string, size int64) error {
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			b := make([]byte, 1)
			if _, err := f.ReadAt(b, size-1); err != nil {
				return err
			}
			b[0] ^= 0xff
			_, err = f.WriteAt(b, size-1)
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			q := openQueue(t, dir, otlp.QueueOptions{})
			for i := range 3 {
				if err := q.Enqueue(entry(i)); err != nil {
					t.Fatal(err)
				}
			}
			_ = q.Close()
			segs, _ := filepath.Glob(filepath.Join(dir, "seg-*.log"))
			if len(segs) != 1 {
				t.Fatalf("segments %v", segs)
			}
			st, err := os.Stat(segs[0])
			if err != nil {
				t.Fatal(err)
			}
			if err := damage(segs[0], st.Size()); err != nil {
				t.Fatal(err)
			}
			var logs logBuffer
			q2 := openQueue(t, dir, otlp.QueueOptions{Logger: logs.logger()})
			if err := q2.Enqueue(entry(5)); err != nil {
				t.Fatal(err)
			}
			want := []int{0, 1, 2, 5}
			if name != "garbage appended" {
				want = []int{0, 1, 5} // the damaged entry was the last
			}
			for _, i := range want {
				it := peek(t, q2)
				sameEntry(t, it, entry(i))
				if err := q2.Ack(it); err != nil {
					t.Fatal(err)
				}
			}
			empty(t, q2)
			if logs.count("torn") != 1 {
				t.Fatalf("the cut was not logged once:\n%s", logs.String())
			}
		})
	}
}

// TestQueueBoundDropsOldest: past MaxBytes the oldest segments go, counted
// (entries and items) and logged; the queue never grows past the bound and
// what is left is the newest, in order.
func TestQueueBoundDropsOldest(t *testing.T) {
	var (
		logs     logBuffer
		counters otlp.Counters
	)
	const maxBytes = 64 << 10
	q := openQueue(t, t.TempDir(), otlp.QueueOptions{MaxBytes: maxBytes, SegmentBytes: 8 << 10, Counters: &counters, Logger: logs.logger()})
	const n = 100
	for i := range n {
		e := otlp.Entry{Signal: otlp.Traces, Token: "tok", Payload: bytes.Repeat([]byte{byte(i)}, 2000), Items: 3}
		if err := q.Enqueue(e); err != nil {
			t.Fatal(err)
		}
		if b := q.Bytes(); b > maxBytes {
			t.Fatalf("after %d entries the queue holds %d bytes, over %d", i+1, b, maxBytes)
		}
	}
	st := counters.Stats()
	if st.Dropped == 0 || st.DroppedItems != 3*st.Dropped || st.Queued != n {
		t.Fatalf("stats %+v", st)
	}
	if logs.count("dropped its oldest") == 0 || !strings.Contains(logs.String(), `"count":12`) {
		t.Fatalf("drops not logged with their item count:\n%s", logs.String())
	}
	// What is left: the newest entries, in order, none missing.
	left := 0
	for next := int(st.Dropped); next < n; next++ {
		it := peek(t, q)
		if it.Payload[0] != byte(next) {
			t.Fatalf("entry %d: payload of entry %d", next, it.Payload[0])
		}
		if err := q.Ack(it); err != nil {
			t.Fatal(err)
		}
		left++
	}
	empty(t, q)
	if int64(left)+st.Dropped != n {
		t.Fatalf("%d left + %d dropped != %d", left, st.Dropped, n)
	}
}

// TestQueueAckOfDroppedEntry: an entry being delivered while the bound
// drops its segment is acknowledged harmlessly: the queue does not skip
// the first entry that is left.
func TestQueueAckOfDroppedEntry(t *testing.T) {
	q := openQueue(t, t.TempDir(), otlp.QueueOptions{MaxBytes: 32 << 10, SegmentBytes: 8 << 10})
	payload := func(i int) []byte { return bytes.Repeat([]byte{byte(i)}, 3000) }
	if err := q.Enqueue(otlp.Entry{Signal: otlp.Logs, Token: "t", Payload: payload(0)}); err != nil {
		t.Fatal(err)
	}
	inFlight := peek(t, q)
	for i := 1; i < 20; i++ {
		if err := q.Enqueue(otlp.Entry{Signal: otlp.Logs, Token: "t", Payload: payload(i)}); err != nil {
			t.Fatal(err)
		}
	}
	head := peek(t, q)
	if head.BatchID == inFlight.BatchID {
		t.Fatal("the first entry was not dropped; the test proves nothing")
	}
	if err := q.Ack(inFlight); err != nil {
		t.Fatal(err)
	}
	if again := peek(t, q); again.BatchID != head.BatchID {
		t.Fatalf("acknowledging a dropped entry skipped %s (now at %s)", head.BatchID, again.BatchID)
	}
}

func TestQueueFilesArePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "otlp-queue")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	q := openQueue(t, dir, otlp.QueueOptions{})
	if err := q.Enqueue(entry(1)); err != nil {
		t.Fatal(err)
	}
	it := peek(t, q)
	if err := q.Ack(it); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(dir)
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("directory mode %v, %v", st.Mode(), err)
	}
	files, _ := os.ReadDir(dir)
	if len(files) < 3 {
		t.Fatalf("files %v", files)
	}
	for _, f := range files {
		info, err := f.Info()
		if err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, %v", f.Name(), info.Mode(), err)
		}
	}
}

func TestQueueRefusals(t *testing.T) {
	q := openQueue(t, t.TempDir(), otlp.QueueOptions{MaxBytes: 64 << 10})
	if err := q.Enqueue(otlp.Entry{Signal: otlp.Traces, Token: "t", Payload: make([]byte, 40<<10)}); !errors.Is(err, otlp.ErrEntryTooLarge) {
		t.Errorf("an entry over half the bound: %v", err)
	}
	if err := q.Enqueue(otlp.Entry{Signal: otlp.Traces, Payload: []byte("x")}); err == nil {
		t.Error("an entry without a token was queued")
	}
	if err := q.Enqueue(otlp.Entry{Signal: 0, Token: "t", Payload: []byte("x")}); err == nil {
		t.Error("an entry without a signal was queued")
	}
	if _, err := otlp.OpenQueue(t.TempDir(), otlp.QueueOptions{MaxBytes: 1024}); err == nil {
		t.Error("a 1 KiB queue was opened")
	}
}
