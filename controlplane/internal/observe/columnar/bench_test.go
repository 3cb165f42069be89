package columnar

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

// BenchmarkWriteLogs writes a million log rows (an hour of a busy
// project) and reports the file's size per row.
func BenchmarkWriteLogs(b *testing.B) {
	rows := genLogs(41, 1_000_000)
	var size int64
	b.ResetTimer()
	for b.Loop() {
		meta, err := WriteLogs(io.Discard, rows)
		if err != nil {
			b.Fatal(err)
		}
		size = meta.Bytes
	}
	b.ReportMetric(float64(size)/float64(len(rows)), "bytes/row")
	b.ReportMetric(float64(len(rows))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkScanLogsFiltered runs typical queries against a file of a
// million rows and reports what each read: bytes, round trips, the share
// of the file.
func BenchmarkScanLogsFiltered(b *testing.B) {
	rows := genLogs(42, 1_000_000)
	var buf bytes.Buffer
	if _, err := WriteLogs(&buf, rows); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	var trace []byte
	for i := 500000; trace == nil; i++ {
		trace = rows[i].TraceID
	}
	queries := []struct {
		name string
		f    LogFilter
	}{
		{"service+minute", LogFilter{Services: []string{"cart"}, From: baseTime + 1800e9, To: baseTime + 1860e9}},
		{"service+hour+contains", LogFilter{Services: []string{"cart"}, Contains: "payment 42"}},
		{"trace", LogFilter{TraceID: trace}},
		{"errors+minute", LogFilter{MinSeverity: 17, From: baseTime + 600e9, To: baseTime + 660e9}},
		{"attribute", LogFilter{Attributes: map[string]string{"user.id": "4242"}}},
	}
	for _, q := range queries {
		b.Run(q.name, func(b *testing.B) {
			var st Stats
			for b.Loop() {
				var err error
				st, err = ScanLogs(context.Background(), bytes.NewReader(data), int64(len(data)), q.f, func(*record.Log) bool { return true })
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(st.BytesRead), "bytes-read/op")
			b.ReportMetric(float64(st.Reads), "reads/op")
			b.ReportMetric(100*float64(st.BytesRead)/float64(len(data)), "%-of-file")
			b.ReportMetric(float64(st.RowsMatched), "rows/op")
			b.Logf("%s: %+v, file %d bytes in %d row groups", q.name, st, len(data), st.RowGroups)
		})
	}
}
