package wal_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/wal"
)

const (
	tornPayload = 100
	tornFrame   = 8 + tornPayload
)

// writeThreeSegments appends 30 entries of 100 bytes into segments of ten
// entries each and closes the WAL.
func writeThreeSegments(t *testing.T, opts wal.Options) []entry {
	t.Helper()
	w := open(t, opts)
	var all []entry
	for i := range 30 {
		p := strings.Repeat(string(rune('a'+i%26)), tornPayload-3) + string(rune('A'+i/10)) + string(rune('0'+i%10)) + "."
		all = append(all, entry{mustAppend(t, w, p), p})
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if all[0].pos.Segment == all[10].pos.Segment || all[10].pos.Segment == all[20].pos.Segment || all[20].pos.Segment != all[29].pos.Segment {
		t.Fatalf("setup: entries are not ten per segment: %v %v %v", all[0].pos, all[10].pos, all[29].pos)
	}
	return all
}

func patchFile(t *testing.T, path string, fn func([]byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, fn(b), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestTornTail: damage in a segment cuts it at the last intact entry:
// the entries before stay, the damaged one and everything after it in
// that segment are dropped and reported, other segments are untouched,
// appends continue in a new segment, and the cut is durable (a second
// reopen finds nothing more to cut).
func TestTornTail(t *testing.T) {
	tests := []struct {
		name string
		// damage breaks the segment holding entry at, given that entry's
		// offset, and returns the bytes the cut should remove.
		at     int
		damage func(b []byte, off int) ([]byte, int64)
	}{
		{"cut inside the last entry's payload", 29, func(b []byte, off int) ([]byte, int64) {
			return b[:off+8+50], 8 + 50
		}},
		{"cut inside the last frame's header", 29, func(b []byte, off int) ([]byte, int64) {
			return b[:off+3], 3
		}},
		{"flipped byte in a middle entry's payload", 15, func(b []byte, off int) ([]byte, int64) {
			b[off+8+10] ^= 0x01
			return b, int64(len(b) - off)
		}},
		{"garbage length in a middle entry", 15, func(b []byte, off int) ([]byte, int64) {
			binary.LittleEndian.PutUint32(b[off:], 0xFFFFFFF0)
			return b, int64(len(b) - off)
		}},
		{"length pointing at the next frame", 15, func(b []byte, off int) ([]byte, int64) {
			binary.LittleEndian.PutUint32(b[off:], tornPayload+tornFrame)
			return b, int64(len(b) - off)
		}},
		{"zero-filled tail", 30, func(b []byte, _ int) ([]byte, int64) {
			return append(b, make([]byte, 4096)...), 4096
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := wal.Options{Dir: t.TempDir(), SegmentBytes: 16 + 10*tornFrame}
			all := writeThreeSegments(t, opts)
			seg, off := all[len(all)-1].pos.Segment, 0
			if tc.at < len(all) {
				seg, off = all[tc.at].pos.Segment, int(all[tc.at].pos.Offset)
			}
			var cut int64
			patchFile(t, filepath.Join(opts.Dir, segmentFile(seg)), func(b []byte) []byte {
				b, cut = tc.damage(b, off)
				return b
			})
			// The entries that must survive: every one outside the damaged
			// segment, and those before the damage inside it.
			var want []entry
			for i, e := range all {
				if e.pos.Segment != seg || i < tc.at {
					want = append(want, e)
				}
			}

			w := open(t, opts)
			rep := w.OpenReport()
			if rep.TruncatedBytes != cut || len(rep.Truncated) != 1 || rep.Truncated[0].Segment != seg {
				t.Fatalf("OpenReport = %+v, want %d bytes cut from segment %d", rep, cut, seg)
			}
			if rep.Entries != len(want) {
				t.Fatalf("OpenReport.Entries = %d, want %d", rep.Entries, len(want))
			}
			if got := replayAll(t, w); !slices.Equal(got, want) {
				t.Fatalf("replayed %d entries, want the %d before the damage and in other segments", len(got), len(want))
			}
			pos := mustAppend(t, w, "after the cut")
			if pos.Segment <= all[len(all)-1].pos.Segment {
				t.Fatalf("append after recovery went to segment %d, an old one", pos.Segment)
			}
			want = append(want, entry{pos, "after the cut"})

			w = reopen(t, w, opts)
			defer w.Close()
			if rep := w.OpenReport(); rep.TruncatedBytes != 0 {
				t.Fatalf("second reopen cut again: %+v", rep)
			}
			if got := replayAll(t, w); !slices.Equal(got, want) {
				t.Fatalf("after a second reopen: %d entries, want %d", len(got), len(want))
			}
		})
	}
}

// TestHostileLengthNotAllocated: a length field claiming more than the
// segment holds is rejected before any buffer is sized by it. Without
// that guard, recovering this 1 KiB segment would allocate the claimed
// size.
func TestHostileLengthNotAllocated(t *testing.T) {
	for _, claimed := range []uint32{0xFFFFFFF0, 0x0FFFFFF0, 16 << 20} {
		opts := wal.Options{Dir: t.TempDir()}
		w := open(t, opts)
		pos := mustAppend(t, w, "intact")
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		garbage := binary.LittleEndian.AppendUint32(nil, claimed)
		garbage = append(garbage, bytes.Repeat([]byte{0xAB}, 1000)...)
		patchFile(t, filepath.Join(opts.Dir, segmentFile(pos.Segment)), func(b []byte) []byte {
			return append(b, garbage...)
		})

		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		w = open(t, opts)
		runtime.ReadMemStats(&after)
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 4<<20 {
			t.Errorf("length %#x: Open allocated %d bytes", claimed, grew)
		}
		rep := w.OpenReport()
		if rep.Entries != 1 || rep.TruncatedBytes != int64(len(garbage)) {
			t.Errorf("length %#x: OpenReport = %+v, want 1 entry and %d bytes cut", claimed, rep, len(garbage))
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
