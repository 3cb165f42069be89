package wal_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/wal"
)

// TestGroupCommit: 64 goroutines appending concurrently share fsyncs (far
// fewer syncs than entries), and every acknowledged entry is in the log
// exactly once, each goroutine's entries in the order it appended them,
// at the position its Append returned, across segment rotations.
func TestGroupCommit(t *testing.T) {
	const writers, each = 64, 40
	opts := wal.Options{Dir: filepath.Join(t.TempDir(), "wal"), SegmentBytes: 64 << 10}
	w := open(t, opts)
	positions := make([][]wal.Position, writers)
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for g := range writers {
		wg.Go(func() {
			for i := range each {
				pos, err := w.Append(context.Background(), []byte(groupPayload(g, i)))
				if err != nil {
					errs <- err
					return
				}
				positions[g] = append(positions[g], pos)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Append: %v", err)
	}
	st := w.Stats()
	t.Logf("%d entries in %d batches, %d syncs (%.1f entries per batch)",
		st.Entries, st.Batches, st.Syncs, float64(st.Entries)/float64(st.Batches))
	if st.Entries != writers*each {
		t.Fatalf("Stats.Entries = %d, want %d", st.Entries, writers*each)
	}
	if st.Syncs > st.Entries/4 {
		t.Fatalf("%d syncs for %d entries: appends are not sharing fsyncs", st.Syncs, st.Entries)
	}

	w = reopen(t, w, opts)
	defer w.Close()
	next := make([]int, writers)
	for _, e := range replayAll(t, w) {
		g, i := parseGroupPayload(t, e.payload)
		if i != next[g] {
			t.Fatalf("writer %d: entry %d found where %d was expected (lost, duplicated or reordered)", g, i, next[g])
		}
		if positions[g][i] != e.pos {
			t.Fatalf("writer %d entry %d replayed at %+v, Append said %+v", g, i, e.pos, positions[g][i])
		}
		next[g]++
	}
	for g, n := range next {
		if n != each {
			t.Fatalf("writer %d: %d entries replayed, want %d", g, n, each)
		}
	}
}

func groupPayload(g, i int) string {
	return fmt.Sprintf("%d/%d/%s", g, i, strings.Repeat("x", (g*31+i*17)%500))
}

func parseGroupPayload(t *testing.T, p string) (g, i int) {
	t.Helper()
	parts := strings.SplitN(p, "/", 3)
	if len(parts) != 3 {
		t.Fatalf("unexpected payload %.40q", p)
	}
	g, err1 := strconv.Atoi(parts[0])
	i, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		t.Fatalf("unexpected payload %.40q", p)
	}
	return g, i
}
