package columnar

import (
	"bytes"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

// Every field of every row type survives a write and a scan with no
// filter, in file order. Rows are full (every field set, each to a value
// no other field has, so a swapped column shows) or empty; the empty ones
// show what reads back for nil: a nil map or list reads back empty, a nil
// optional id stays nil and an empty one stays empty.

func fullLog(i int) record.Log {
	return record.Log{
		Project: "p1", Service: "svc", TimeNano: baseTime + int64(i)*1000, ObservedNano: baseTime + int64(i)*1000 + 7,
		Severity: 17, SeverityText: "ERROR", Body: "body \x00 ünïcode " + string(rune('a'+i)),
		TraceID: bytes.Repeat([]byte{byte(i + 1)}, 16), SpanID: bytes.Repeat([]byte{byte(i + 2)}, 8),
		Resource:   map[string]string{"service.name": "svc", "host.name": "h1"},
		Attributes: map[string]string{"k": "v", "empty": ""},
		// MaxUint32 proves the column is unsigned.
		DroppedAttributes: math.MaxUint32,
	}
}

func TestRoundTripLogs(t *testing.T) {
	rows := []record.Log{fullLog(2), fullLog(0), fullLog(1)}
	rows = append(rows,
		record.Log{Project: "p1", Service: "svc", TimeNano: baseTime + 5000},                                      // nil ids and maps
		record.Log{Project: "p1", Service: "svc", TimeNano: baseTime + 6000, TraceID: []byte{}, SpanID: []byte{}}, // empty ids
	)
	f := writeLogsFile(t, rows)
	got, _ := scanLogs(t, f, LogFilter{})
	exp := fileOrder(rows, logKey)
	for i := range exp {
		exp[i].Resource, exp[i].Attributes = emptyIfNil(exp[i].Resource), emptyIfNil(exp[i].Attributes)
	}
	if !reflect.DeepEqual(got, exp) {
		t.Fatalf("round trip differs:\n got %#v\nwant %#v", got, exp)
	}
	if got[3].TraceID != nil || got[3].SpanID != nil {
		t.Errorf("nil ids read back as %#v %#v, want nil", got[3].TraceID, got[3].SpanID)
	}
	if got[4].TraceID == nil || len(got[4].TraceID) != 0 {
		t.Errorf("empty trace id read back as %#v, want empty non-nil", got[4].TraceID)
	}
}

func TestRoundTripSpans(t *testing.T) {
	status := func(i int) record.Span {
		return record.Span{
			Project: "p1", Service: "svc", TraceID: bytes.Repeat([]byte{byte(i + 1)}, 16), SpanID: bytes.Repeat([]byte{byte(i + 2)}, 8),
			ParentSpanID: bytes.Repeat([]byte{byte(i + 3)}, 8), Name: "GET /x", Kind: 2, StatusCode: 2, StatusMessage: "boom",
			StartNano: baseTime + int64(i)*1000, DurationNano: 123456789,
			Resource:   map[string]string{"service.name": "svc"},
			Attributes: map[string]string{"http.route": "/x", "n": "1"},
			Events: []record.SpanEvent{
				{TimeNano: baseTime + 1, Name: "exception", Attributes: map[string]string{"exception.type": "E"}},
				{TimeNano: baseTime + 2, Name: "retry", Attributes: map[string]string{}},
			},
			DroppedAttributes: 3,
		}
	}
	rows := []record.Span{status(1), status(0)}
	rows = append(rows,
		record.Span{Project: "p1", Service: "svc", StartNano: baseTime + 5000, ParentSpanID: []byte{}},
		record.Span{Project: "p1", Service: "svc", StartNano: baseTime + 6000},
	)
	f := writeSpansFile(t, rows)
	got, _ := scanSpans(t, f, SpanFilter{})
	exp := fileOrder(rows, spanKey)
	for i := range exp {
		e := &exp[i]
		e.Resource, e.Attributes = emptyIfNil(e.Resource), emptyIfNil(e.Attributes)
		if e.Events == nil {
			e.Events = []record.SpanEvent{}
		}
		// trace_id and span_id are required columns: a span always has
		// both, and a nil one reads back empty.
		if e.TraceID == nil {
			e.TraceID, e.SpanID = []byte{}, []byte{}
		}
	}
	if !reflect.DeepEqual(got, exp) {
		t.Fatalf("round trip differs:\n got %#v\nwant %#v", got, exp)
	}
	if got[2].ParentSpanID == nil || got[3].ParentSpanID != nil {
		t.Errorf("parent span ids read back as %#v and %#v, want empty and nil", got[2].ParentSpanID, got[3].ParentSpanID)
	}
}

func TestRoundTripMetrics(t *testing.T) {
	rows := []record.Metric{
		{
			Project: "p1", Service: "svc", Name: "http.duration", Kind: record.Histogram, Unit: "ms",
			TimeNano: baseTime + 2000, StartNano: baseTime - 60e9,
			Labels: map[string]string{"route": "/x"}, Resource: map[string]string{"service.name": "svc"},
			Count: 12, HistSum: 345.5, Bounds: []float64{0.5, 1, 2.5}, BucketCounts: []uint64{1, 5, 4, math.MaxUint64},
			Exemplars: []record.Exemplar{
				{TimeNano: baseTime + 1999, Value: 2.25, TraceID: bytes.Repeat([]byte{9}, 16), SpanID: bytes.Repeat([]byte{8}, 8), Attributes: map[string]string{"user": "7"}},
				{TimeNano: baseTime + 1998, Value: -1, TraceID: []byte{}, Attributes: map[string]string{}},
			},
		},
		{
			Project: "p1", Service: "svc", Name: "requests", Kind: record.Sum, Unit: "1",
			TimeNano: baseTime + 1000, Labels: map[string]string{"a": "b"}, Resource: map[string]string{},
			Value: math.Inf(1), Monotonic: true, Delta: true,
		},
		{Project: "p1", Service: "svc", Name: "temp", Kind: record.Gauge, TimeNano: baseTime + 3000, Value: -273.15},
	}
	f := writeMetricsFile(t, rows)
	got, _ := scanMetrics(t, f, MetricFilter{})
	exp := fileOrder(rows, metricKey)
	for i := range exp {
		e := &exp[i]
		e.Labels, e.Resource = emptyIfNil(e.Labels), emptyIfNil(e.Resource)
		e.Bounds, e.BucketCounts, e.Exemplars = nonNil(e.Bounds), nonNil(e.BucketCounts), nonNil(e.Exemplars)
	}
	if !reflect.DeepEqual(got, exp) {
		t.Fatalf("round trip differs:\n got %#v\nwant %#v", got, exp)
	}
	ex := got[1].Exemplars
	if ex[1].TraceID == nil || ex[1].SpanID != nil {
		t.Errorf("exemplar ids read back as %#v and %#v, want empty and nil", ex[1].TraceID, ex[1].SpanID)
	}
}

func emptyIfNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func nonNil[E any](s []E) []E {
	if s == nil {
		return []E{}
	}
	return s
}

// The writer orders rows by project, service and time, keeps the arrival
// order of equal keys, and leaves the caller's slice alone.
func TestWriteSortsRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	var rows []record.Log
	for i := range 5000 {
		rows = append(rows, record.Log{
			Project: []string{"p2", "p1"}[rng.IntN(2)], Service: genServices[rng.IntN(3)],
			TimeNano: baseTime + rng.Int64N(100), // many equal times
			Body:     string(rune('0' + i%10)), SeverityText: string(rune(i)),
		})
	}
	before := slices.Clone(rows)
	f := writeLogsFile(t, rows)
	if !reflect.DeepEqual(rows, before) {
		t.Fatal("WriteLogs reordered its argument")
	}
	got, _ := scanLogs(t, f, LogFilter{})
	if exp := fileOrder(rows, logKey); !reflect.DeepEqual(got, normalizeLogs(exp)) {
		t.Fatal("rows are not in (project, service, time) order, stable")
	}
}

func normalizeLogs(rows []record.Log) []record.Log {
	for i := range rows {
		rows[i].Resource, rows[i].Attributes = emptyIfNil(rows[i].Resource), emptyIfNil(rows[i].Attributes)
	}
	return rows
}

func TestWriteMeta(t *testing.T) {
	rows := genLogs(3, 10000)
	rows[17].Service, rows[17].TimeNano = "zeta", baseTime-5
	rows[99].TimeNano = baseTime + 4000e9
	f := writeLogsFile(t, rows)
	m := f.meta
	if m.Rows != 10000 || m.MinTime != baseTime-5 || m.MaxTime != baseTime+4000e9 || m.Bytes != f.size() {
		t.Errorf("meta %+v, file of %d bytes", m, f.size())
	}
	if w := append(slices.Clone(genServices), "zeta"); !reflect.DeepEqual(m.Services, w) {
		t.Errorf("services %v, want %v", m.Services, w)
	}
}

func TestWriteEmpty(t *testing.T) {
	f := writeLogsFile(t, nil)
	if f.meta.Rows != 0 || f.meta.MinTime != 0 || f.meta.MaxTime != 0 || len(f.meta.Services) != 0 || f.meta.Bytes != f.size() {
		t.Errorf("meta of an empty file: %+v", f.meta)
	}
	got, st := scanLogs(t, f, LogFilter{})
	if len(got) != 0 || st.RowGroups != 0 {
		t.Errorf("empty file scanned to %d rows, %+v", len(got), st)
	}
}

// Row groups and pages end at a change of service once half full, so
// that most hold one service and their time bounds are that service's.
func TestRowGroupsAndPagesFollowServices(t *testing.T) {
	var rows []record.Log
	for s, svc := range []string{"a", "b", "c", "d", "e", "f"} {
		for i := range 4000 {
			rows = append(rows, record.Log{Service: svc, TimeNano: baseTime + int64(i)*1e9 + int64(s)})
		}
	}
	f := writeLogsFile(t, rows)
	pf, err := parquet.OpenFile(f.reader(), f.size())
	if err != nil {
		t.Fatal(err)
	}
	svc, _ := pf.Schema().Lookup("service")
	for i, rg := range pf.RowGroups() {
		cc := rg.ColumnChunks()[svc.ColumnIndex]
		ci, err := cc.ColumnIndex()
		if err != nil {
			t.Fatal(err)
		}
		for p := range ci.NumPages() {
			if lo, hi := ci.MinValue(p).String(), ci.MaxValue(p).String(); lo != hi {
				t.Errorf("row group %d page %d holds services %s to %s", i, p, lo, hi)
			}
		}
		// 24000 rows: the first row group ends at the first change of
		// service past 16384 rows, not at 32768.
		if i == 0 && rg.NumRows() != 20000 {
			t.Errorf("first row group has %d rows, want 20000", rg.NumRows())
		}
	}
}
