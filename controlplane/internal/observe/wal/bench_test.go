package wal_test

import (
	"context"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/wal"
)

// BenchmarkAppendParallel: 8 KiB appends from many goroutines (8 per
// GOMAXPROCS), the shape of concurrent OTLP ingest. It reports entries/s
// and fsyncs/entry: the fewer fsyncs per entry, the more group commit
// shares.
func BenchmarkAppendParallel(b *testing.B) {
	w := open(b, wal.Options{Dir: b.TempDir()})
	payload := make([]byte, 8<<10)
	for i := range payload {
		payload[i] = byte(i)
	}
	b.SetBytes(int64(len(payload)))
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := w.Append(context.Background(), payload); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	st := w.Stats()
	b.ReportMetric(float64(st.Entries)/b.Elapsed().Seconds(), "entries/s")
	b.ReportMetric(float64(st.Syncs)/float64(st.Entries), "fsyncs/entry")
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}
