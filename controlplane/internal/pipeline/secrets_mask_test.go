package pipeline

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
)

// TestControlPlaneMaskKeepsOffsets: the second pass masks what the agent
// left, byte for byte, including a value split across chunks, and the
// stored length never changes.
func TestControlPlaneMaskKeepsOffsets(t *testing.T) {
	m := newMasks()
	job := uuid.New()
	value := []byte("s3cr3t-value-42")
	loads := 0
	load := func(context.Context) ([][]byte, error) { loads++; return [][]byte{value}, nil }
	stream := []byte("start s3cr3t-value-42 middle s3cr3t-value-42 end\n")
	var stored []byte
	for off := 0; off < len(stream); {
		n := min(3, len(stream)-off) // chunks split the value
		out, err := m.mask(context.Background(), job, 1, uint64(off), stream[off:off+n], load)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) != n {
			t.Fatalf("chunk at %d changed length: %d → %d", off, n, len(out))
		}
		stored = append(stored, out...)
		off += n
	}
	if bytes.Contains(stored, value) || len(stored) != len(stream) {
		t.Fatalf("stored %q", stored)
	}
	// Each occurrence is caught in the chunk holding its end, through the
	// tail kept of the chunks before; what they had stored of it stays
	// (stored bytes are never rewritten, and a prefix is not the value).
	if want := "start s3cr3t-value*** middle s3cr3t-value-** end\n"; string(stored) != want {
		t.Fatalf("stored %q, want %q", stored, want)
	}
	if loads != 1 {
		t.Fatalf("the job's values were loaded %d times", loads)
	}
	// A resent chunk (offset before the end) is masked without its prefix
	// and does not move the tail.
	if out, _ := m.mask(context.Background(), job, 1, 6, []byte("s3cr3t-value-42"), load); !bytes.Equal(out, bytes.Repeat([]byte("*"), len(value))) {
		t.Fatalf("resent chunk: %q", out)
	}
	// A job without secrets passes through untouched, loaded once.
	other := uuid.New()
	none := func(context.Context) ([][]byte, error) { return nil, nil }
	if out, _ := m.mask(context.Background(), other, 0, 0, []byte("s3cr3t-value-42"), none); string(out) != "s3cr3t-value-42" {
		t.Fatalf("a job without secrets: %q", out)
	}
	// A failed load fails the append (the agent sends again later).
	boom := errors.New("database down")
	if _, err := m.mask(context.Background(), uuid.New(), 0, 0, []byte("x"), func(context.Context) ([][]byte, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("failed load: %v", err)
	}
	m.forget(job)
	if _, err := m.mask(context.Background(), job, 1, 0, []byte("x"), load); err != nil || loads != 2 {
		t.Fatalf("after forget: %d loads, %v", loads, err)
	}
}
