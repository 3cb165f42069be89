package columnar

import (
	"bytes"
	"cmp"
	"context"
	"io"
	"slices"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

// file is a written Parquet file held in memory.
type file struct {
	data []byte
	meta Meta
}

func (f *file) reader() io.ReaderAt { return bytes.NewReader(f.data) }
func (f *file) size() int64         { return int64(len(f.data)) }

func writeLogsFile(t testing.TB, rows []record.Log) *file {
	t.Helper()
	var buf bytes.Buffer
	meta, err := WriteLogs(&buf, rows)
	if err != nil {
		t.Fatal(err)
	}
	return &file{data: buf.Bytes(), meta: meta}
}

func writeSpansFile(t testing.TB, rows []record.Span) *file {
	t.Helper()
	var buf bytes.Buffer
	meta, err := WriteSpans(&buf, rows)
	if err != nil {
		t.Fatal(err)
	}
	return &file{data: buf.Bytes(), meta: meta}
}

func writeMetricsFile(t testing.TB, rows []record.Metric) *file {
	t.Helper()
	var buf bytes.Buffer
	meta, err := WriteMetrics(&buf, rows)
	if err != nil {
		t.Fatal(err)
	}
	return &file{data: buf.Bytes(), meta: meta}
}

func scanLogs(t testing.TB, f *file, flt LogFilter) ([]record.Log, Stats) {
	t.Helper()
	var out []record.Log
	st, err := ScanLogs(context.Background(), f.reader(), f.size(), flt, func(l *record.Log) bool {
		out = append(out, *l)
		return true
	})
	if err != nil {
		t.Fatalf("ScanLogs(%+v): %v", flt, err)
	}
	return out, st
}

func scanSpans(t testing.TB, f *file, flt SpanFilter) ([]record.Span, Stats) {
	t.Helper()
	var out []record.Span
	st, err := ScanSpans(context.Background(), f.reader(), f.size(), flt, func(s *record.Span) bool {
		out = append(out, *s)
		return true
	})
	if err != nil {
		t.Fatalf("ScanSpans(%+v): %v", flt, err)
	}
	return out, st
}

func scanMetrics(t testing.TB, f *file, flt MetricFilter) ([]record.Metric, Stats) {
	t.Helper()
	var out []record.Metric
	st, err := ScanMetrics(context.Background(), f.reader(), f.size(), flt, func(m *record.Metric) bool {
		out = append(out, *m)
		return true
	})
	if err != nil {
		t.Fatalf("ScanMetrics(%+v): %v", flt, err)
	}
	return out, st
}

// fileOrder returns rows in the order a file holds them, computed here
// independently of the writer: by project, service, time, then arrival.
func fileOrder[T any](rows []T, key func(*T) (string, string, int64)) []T {
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		ap, as, at := key(&rows[a])
		bp, bs, bt := key(&rows[b])
		return cmp.Or(cmp.Compare(ap, bp), cmp.Compare(as, bs), cmp.Compare(at, bt), cmp.Compare(a, b))
	})
	out := make([]T, len(rows))
	for i, j := range idx {
		out[i] = rows[j]
	}
	return out
}

func logKey(l *record.Log) (string, string, int64)       { return l.Project, l.Service, l.TimeNano }
func spanKey(s *record.Span) (string, string, int64)     { return s.Project, s.Service, s.StartNano }
func metricKey(m *record.Metric) (string, string, int64) { return m.Project, m.Service, m.TimeNano }

// want returns the rows of sorted (in file order) that pass match: what a
// scan must return, computed without the scanner.
func want[T any](sorted []T, match func(*T) bool) []T {
	var out []T
	for i := range sorted {
		if match(&sorted[i]) {
			out = append(out, sorted[i])
		}
	}
	return out
}
