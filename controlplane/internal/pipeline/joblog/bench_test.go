package joblog_test

import (
	"testing"
)

// benchmarkAppend appends chunks of size bytes to one step, end to end:
// transaction, row locks, chunk insert and Redis publish.
func benchmarkAppend(b *testing.B, size int) {
	f := newFixture(b)
	job := newJob(b)
	const line = "0123456789abcdef\x1b[0m\n"
	chunk := make([]byte, size)
	for i := range chunk {
		chunk[i] = line[i%len(line)]
	}
	b.SetBytes(int64(len(chunk)))
	var off uint64
	for b.Loop() {
		end, err := f.logs.Append(b.Context(), job, 1, off, chunk)
		if err != nil {
			b.Fatal(err)
		}
		off = end
	}
}

// BenchmarkAppend uses 64 KiB chunks, what agents send when output is
// plentiful; the goal is at least 20 MB/s.
func BenchmarkAppend(b *testing.B) { benchmarkAppend(b, 64<<10) }

// BenchmarkAppendSmallChunks uses 100-byte chunks (a line at a time):
// the cost per append.
func BenchmarkAppendSmallChunks(b *testing.B) { benchmarkAppend(b, 100) }
