package wal_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"go.uber.org/goleak"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/wal"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// entry is one replayed entry.
type entry struct {
	pos     wal.Position
	payload string
}

func open(t testing.TB, opts wal.Options) *wal.WAL {
	t.Helper()
	w, err := wal.Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return w
}

func mustAppend(t testing.TB, w *wal.WAL, payload string) wal.Position {
	t.Helper()
	pos, err := w.Append(context.Background(), []byte(payload))
	if err != nil {
		t.Fatalf("Append(%.20q): %v", payload, err)
	}
	return pos
}

// replayAll replays every sealed segment, oldest first.
func replayAll(t testing.TB, w *wal.WAL) []entry {
	t.Helper()
	var all []entry
	for _, id := range w.Sealed() {
		err := w.Replay(id, func(pos wal.Position, payload []byte) error {
			all = append(all, entry{pos, string(payload)})
			return nil
		})
		if err != nil {
			t.Fatalf("Replay(%d): %v", id, err)
		}
	}
	return all
}

// reopen closes w and opens its directory again: every entry is then in a
// sealed segment.
func reopen(t testing.TB, w *wal.WAL, opts wal.Options) *wal.WAL {
	t.Helper()
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return open(t, opts)
}

func payloadOf(i int) string {
	// Sizes vary so that frames straddle segment boundaries differently.
	return fmt.Sprintf("entry-%05d-%s", i, make([]byte, (i*37)%300))
}

func wantErr(t testing.TB, what string, got, want error) {
	t.Helper()
	if !errors.Is(got, want) {
		t.Fatalf("%s: got error %v, want %v", what, got, want)
	}
}
