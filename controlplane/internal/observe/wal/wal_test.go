package wal_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/wal"
)

// TestRoundTripAcrossSegments: entries appended across many segments come
// back byte for byte, in order, at the positions Append returned, both
// from segments sealed while running and after a reopen, which seals the
// last active segment; no segment exceeds SegmentBytes; appends after the
// reopen go into a new segment with a higher id.
func TestRoundTripAcrossSegments(t *testing.T) {
	opts := wal.Options{Dir: filepath.Join(t.TempDir(), "wal"), SegmentBytes: 4096}
	w := open(t, opts)
	var want []entry
	for i := range 200 {
		p := payloadOf(i)
		pos := mustAppend(t, w, p)
		if n := len(want); n > 0 {
			prev := want[n-1].pos
			if pos.Segment < prev.Segment || (pos.Segment == prev.Segment && pos.Offset <= prev.Offset) {
				t.Fatalf("entry %d at %+v, not after %+v", i, pos, prev)
			}
		}
		want = append(want, entry{pos, p})
	}
	sealed := w.Sealed()
	if len(sealed) < 5 {
		t.Fatalf("Sealed() = %v after 200 entries into 4 KiB segments; rotation did not happen", sealed)
	}
	// While running, the sealed segments hold a prefix of the entries.
	got := replayAll(t, w)
	if len(got) == 0 || !slices.Equal(got, want[:len(got)]) {
		t.Fatalf("replay while running: %d entries, not a prefix of what was appended", len(got))
	}
	if st := w.Stats(); st.Entries != 200 || st.Segments != len(sealed)+1 {
		t.Fatalf("Stats = %+v, want 200 entries in %d segments", st, len(sealed)+1)
	}

	w = reopen(t, w, opts)
	defer w.Close()
	rep := w.OpenReport()
	if rep.Entries != 200 || rep.TruncatedBytes != 0 || len(rep.Truncated) != 0 {
		t.Fatalf("OpenReport = %+v, want 200 intact entries and nothing cut", rep)
	}
	if got := replayAll(t, w); !slices.Equal(got, want) {
		t.Fatalf("replay after reopen: %d entries, want the %d appended, in order", len(got), len(want))
	}
	ids := w.Sealed()
	for _, id := range ids {
		fi, err := os.Stat(filepath.Join(opts.Dir, segmentFile(id)))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() > opts.SegmentBytes {
			t.Errorf("segment %d is %d bytes, over SegmentBytes %d", id, fi.Size(), opts.SegmentBytes)
		}
	}
	pos := mustAppend(t, w, "after reopen")
	if pos.Segment <= ids[len(ids)-1] {
		t.Fatalf("append after reopen went to segment %d, not above the sealed %v", pos.Segment, ids)
	}
}

// segmentFile is a segment's file name, as doc.go specifies it.
func segmentFile(id uint64) string { return fmt.Sprintf("%020d.wal", id) }

// TestRotateReplayRemove: Rotate seals only a non-empty active segment;
// the active segment can be neither replayed nor removed; Remove deletes
// the file and forgets the id; closed WALs refuse everything.
func TestRotateReplayRemove(t *testing.T) {
	opts := wal.Options{Dir: t.TempDir()}
	w := open(t, opts)
	if id, ok, err := w.Rotate(); err != nil || ok {
		t.Fatalf("Rotate on an empty segment = %d, %v, %v; want a no-op", id, ok, err)
	}
	pos := mustAppend(t, w, "one")
	wantErr(t, "Replay(active)", w.Replay(pos.Segment, func(wal.Position, []byte) error { return nil }), wal.ErrActiveSegment)
	wantErr(t, "Remove(active)", w.Remove(pos.Segment), wal.ErrActiveSegment)
	id, ok, err := w.Rotate()
	if err != nil || !ok || id != pos.Segment {
		t.Fatalf("Rotate = %d, %v, %v; want %d sealed", id, ok, err, pos.Segment)
	}
	if got := w.Sealed(); !slices.Equal(got, []uint64{id}) {
		t.Fatalf("Sealed() = %v, want [%d]", got, id)
	}
	next := mustAppend(t, w, "two")
	if next.Segment <= id {
		t.Fatalf("append after Rotate went to segment %d, not above %d", next.Segment, id)
	}
	var seen []string
	if err := w.Replay(id, func(_ wal.Position, p []byte) error { seen = append(seen, string(p)); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(seen, []string{"one"}) {
		t.Fatalf("Replay(%d) = %q", id, seen)
	}
	stop := context.Canceled
	wantErr(t, "Replay's fn error", w.Replay(id, func(wal.Position, []byte) error { return stop }), stop)
	wantErr(t, "Replay(unknown)", w.Replay(999, func(wal.Position, []byte) error { return nil }), wal.ErrUnknownSegment)

	if err := w.Remove(id); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(opts.Dir, segmentFile(id))); !os.IsNotExist(err) {
		t.Fatalf("segment file still there after Remove: %v", err)
	}
	if got := w.Sealed(); len(got) != 0 {
		t.Fatalf("Sealed() = %v after Remove", got)
	}
	wantErr(t, "Remove twice", w.Remove(id), wal.ErrUnknownSegment)

	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = w.Append(context.Background(), []byte("late"))
	wantErr(t, "Append after Close", err, wal.ErrClosed)
	_, _, err = w.Rotate()
	wantErr(t, "Rotate after Close", err, wal.ErrClosed)
	wantErr(t, "Close twice", w.Close(), wal.ErrClosed)
}

// TestAppendRejects: an oversized or empty payload is refused before
// anything is written.
func TestAppendRejects(t *testing.T) {
	opts := wal.Options{Dir: t.TempDir(), MaxEntryBytes: 1024}
	w := open(t, opts)
	before := w.Stats()
	_, err := w.Append(context.Background(), make([]byte, 1025))
	wantErr(t, "Append(1025 bytes)", err, wal.ErrEntryTooLarge)
	_, err = w.Append(context.Background(), nil)
	wantErr(t, "Append(empty)", err, wal.ErrEmptyEntry)
	if after := w.Stats(); after.DiskBytes != before.DiskBytes || after.Entries != 0 {
		t.Fatalf("Stats after refused appends = %+v, before %+v", after, before)
	}
	mustAppend(t, w, string(make([]byte, 1024))) // the limit itself is fine
	w = reopen(t, w, opts)
	defer w.Close()
	if rep := w.OpenReport(); rep.Entries != 1 {
		t.Fatalf("OpenReport = %+v, want exactly the one accepted entry", rep)
	}
}

// TestIDsNeverRepeat: an empty segment left by a previous process is
// deleted at Open, yet a new segment never reuses an id seen before, even
// after every sealed segment was removed.
func TestIDsNeverRepeat(t *testing.T) {
	opts := wal.Options{Dir: t.TempDir()}
	w := open(t, opts)
	first := mustAppend(t, w, "x").Segment
	w = reopen(t, w, opts)
	if err := w.Remove(first); err != nil {
		t.Fatal(err)
	}
	w = reopen(t, w, opts) // the previous active segment is empty
	defer w.Close()
	rep := w.OpenReport()
	if rep.Sealed != 1 || len(rep.RemovedEmpty) != 1 || rep.RemovedEmpty[0] <= first {
		t.Fatalf("OpenReport = %+v, want one empty segment above %d removed", rep, first)
	}
	if got := w.Sealed(); len(got) != 0 {
		t.Fatalf("Sealed() = %v, want none", got)
	}
	if pos := mustAppend(t, w, "y"); pos.Segment <= rep.RemovedEmpty[0] {
		t.Fatalf("new segment %d reuses an id at or below %d", pos.Segment, rep.RemovedEmpty[0])
	}
}

// TestDirectoryLocked: a second Open of the same directory is refused
// while the first WAL is open, and works once it is closed.
func TestDirectoryLocked(t *testing.T) {
	opts := wal.Options{Dir: t.TempDir()}
	w := open(t, opts)
	_, err := wal.Open(opts)
	wantErr(t, "second Open", err, wal.ErrLocked)
	w = reopen(t, w, opts)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestBadHeaderRefused: a file named like a segment whose header is wrong
// is not ours to cut or delete: Open fails and leaves it alone.
func TestBadHeaderRefused(t *testing.T) {
	dir := t.TempDir()
	junk := []byte("this is not a WAL segment, but it is named like one")
	path := filepath.Join(dir, segmentFile(7))
	if err := os.WriteFile(path, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := wal.Open(wal.Options{Dir: dir})
	wantErr(t, "Open", err, wal.ErrCorrupt)
	if got, err := os.ReadFile(path); err != nil || string(got) != string(junk) {
		t.Fatalf("the file was changed: %q, %v", got, err)
	}
}
