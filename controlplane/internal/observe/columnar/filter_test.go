package columnar

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"regexp"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

// Filter semantics, each field on its own, on hand-made rows whose
// expected answer is written out; then random filters on generated files,
// where every scan must equal Match applied to every row.

func bodies(rows []record.Log) []string {
	out := []string{}
	for _, r := range rows {
		out = append(out, r.Body)
	}
	return out
}

func TestLogFilterSemantics(t *testing.T) {
	rows := []record.Log{
		{Service: "a", TimeNano: 100, Severity: 9, Body: "t100 a info", Attributes: map[string]string{"k": "1"}, Resource: map[string]string{"host": "h1"}},
		{Service: "a", TimeNano: 200, Severity: 13, Body: "t200 a warn", Attributes: map[string]string{"k": "2", "host": "h9"}, Resource: map[string]string{"host": "h2"}},
		{Service: "b", TimeNano: 300, Severity: 17, Body: "t300 b ERROR disk full", TraceID: []byte("trace-0000000001"), Resource: map[string]string{"k": "1"}},
		{Service: "c", TimeNano: 400, Severity: 21, Body: "t400 c fatal", TraceID: []byte("trace-0000000002"), Attributes: map[string]string{"k": ""}},
	}
	f := writeLogsFile(t, rows)
	cases := []struct {
		name string
		f    LogFilter
		want []string
	}{
		{"everything", LogFilter{}, []string{"t100 a info", "t200 a warn", "t300 b ERROR disk full", "t400 c fatal"}},
		{"from is inclusive", LogFilter{From: 200}, []string{"t200 a warn", "t300 b ERROR disk full", "t400 c fatal"}},
		{"to is exclusive", LogFilter{To: 300}, []string{"t100 a info", "t200 a warn"}},
		{"window", LogFilter{From: 200, To: 201}, []string{"t200 a warn"}},
		{"empty window", LogFilter{From: 300, To: 300}, []string{}},
		{"services", LogFilter{Services: []string{"c", "a"}}, []string{"t100 a info", "t200 a warn", "t400 c fatal"}},
		{"unknown service", LogFilter{Services: []string{"zz"}}, []string{}},
		{"min severity is inclusive", LogFilter{MinSeverity: 17}, []string{"t300 b ERROR disk full", "t400 c fatal"}},
		{"trace id", LogFilter{TraceID: []byte("trace-0000000002")}, []string{"t400 c fatal"}},
		{"attribute", LogFilter{Attributes: map[string]string{"k": "1"}}, []string{"t100 a info", "t300 b ERROR disk full"}},
		{"resource attribute", LogFilter{Attributes: map[string]string{"host": "h2"}}, []string{"t200 a warn"}},
		{"attribute or resource", LogFilter{Attributes: map[string]string{"host": "h9"}}, []string{"t200 a warn"}},
		{"every pair, from either map", LogFilter{Attributes: map[string]string{"k": "1", "host": "h1"}}, []string{"t100 a info"}},
		{"empty value needs the key", LogFilter{Attributes: map[string]string{"k": ""}}, []string{"t400 c fatal"}},
		{"contains", LogFilter{Contains: "disk"}, []string{"t300 b ERROR disk full"}},
		{"contains is case-sensitive", LogFilter{Contains: "error"}, []string{}},
		{"regexp", LogFilter{Regexp: regexp.MustCompile(`(?i)error|fatal`)}, []string{"t300 b ERROR disk full", "t400 c fatal"}},
		{"contains and regexp", LogFilter{Contains: "a", Regexp: regexp.MustCompile(`^t[12]`)}, []string{"t100 a info", "t200 a warn"}},
		{"all at once", LogFilter{From: 100, To: 400, Services: []string{"a", "b"}, MinSeverity: 10, Attributes: map[string]string{"k": "2"}, Contains: "warn"}, []string{"t200 a warn"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, st := scanLogs(t, f, c.f)
			if !reflect.DeepEqual(bodies(got), c.want) {
				t.Errorf("got %q, want %q", bodies(got), c.want)
			}
			if st.RowsMatched != int64(len(c.want)) {
				t.Errorf("RowsMatched %d, want %d", st.RowsMatched, len(c.want))
			}
		})
	}
}

func TestSpanFilterSemantics(t *testing.T) {
	code := func(c int32) *int32 { return &c }
	rows := []record.Span{
		{Service: "a", Name: "GET", StartNano: 100, DurationNano: 10, StatusCode: 0, TraceID: []byte("t1"), Attributes: map[string]string{"route": "/x"}},
		{Service: "a", Name: "POST", StartNano: 200, DurationNano: 20, StatusCode: 1, TraceID: []byte("t1"), Resource: map[string]string{"route": "/y"}},
		{Service: "b", Name: "GET", StartNano: 300, DurationNano: 30, StatusCode: 2, TraceID: []byte("t2")},
	}
	f := writeSpansFile(t, rows)
	cases := []struct {
		name string
		f    SpanFilter
		want []int64 // start times
	}{
		{"everything", SpanFilter{}, []int64{100, 200, 300}},
		{"window", SpanFilter{From: 100, To: 300}, []int64{100, 200}},
		{"trace", SpanFilter{TraceID: []byte("t1")}, []int64{100, 200}},
		{"service", SpanFilter{Services: []string{"b"}}, []int64{300}},
		{"name", SpanFilter{Name: "GET"}, []int64{100, 300}},
		{"min duration is inclusive", SpanFilter{MinDuration: 20}, []int64{200, 300}},
		{"max duration is inclusive", SpanFilter{MaxDuration: 20}, []int64{100, 200}},
		{"duration band", SpanFilter{MinDuration: 11, MaxDuration: 29}, []int64{200}},
		{"status unset is a status", SpanFilter{StatusCode: code(0)}, []int64{100}},
		{"status error", SpanFilter{StatusCode: code(2)}, []int64{300}},
		{"attribute", SpanFilter{Attributes: map[string]string{"route": "/x"}}, []int64{100}},
		{"resource attribute", SpanFilter{Attributes: map[string]string{"route": "/y"}}, []int64{200}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, _ := scanSpans(t, f, c.f)
			starts := []int64{}
			for _, s := range got {
				starts = append(starts, s.StartNano)
			}
			if !reflect.DeepEqual(starts, c.want) {
				t.Errorf("got %v, want %v", starts, c.want)
			}
		})
	}
}

func TestMetricFilterSemantics(t *testing.T) {
	rows := []record.Metric{
		{Service: "a", Name: "cpu", TimeNano: 100, Labels: map[string]string{"core": "0"}, Resource: map[string]string{"host": "h1"}},
		{Service: "a", Name: "mem", TimeNano: 200, Labels: map[string]string{"core": "1"}},
		{Service: "b", Name: "cpu", TimeNano: 300, Labels: map[string]string{"core": "1"}, Resource: map[string]string{"host": "h2"}},
	}
	f := writeMetricsFile(t, rows)
	cases := []struct {
		name string
		f    MetricFilter
		want []int64
	}{
		{"everything", MetricFilter{}, []int64{100, 200, 300}},
		{"window", MetricFilter{From: 200, To: 301}, []int64{200, 300}},
		{"name", MetricFilter{Name: "cpu"}, []int64{100, 300}},
		{"service", MetricFilter{Services: []string{"a"}}, []int64{100, 200}},
		{"label", MetricFilter{Labels: map[string]string{"core": "1"}}, []int64{200, 300}},
		{"label from resource", MetricFilter{Labels: map[string]string{"host": "h2"}}, []int64{300}},
		{"name and labels", MetricFilter{Name: "cpu", Labels: map[string]string{"core": "1", "host": "h2"}}, []int64{300}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, _ := scanMetrics(t, f, c.f)
			times := []int64{}
			for _, m := range got {
				times = append(times, m.TimeNano)
			}
			if !reflect.DeepEqual(times, c.want) {
				t.Errorf("got %v, want %v", times, c.want)
			}
		})
	}
}

// randomLogFilter draws a filter that combines a few fields, with values
// taken from rows so that most filters match something.
func randomLogFilter(rng *rand.Rand, rows []record.Log) LogFilter {
	pick := func() *record.Log { return &rows[rng.IntN(len(rows))] }
	var f LogFilter
	if rng.IntN(2) == 0 {
		f.From = pick().TimeNano
		f.To = f.From + rng.Int64N(600e9)
	}
	if rng.IntN(2) == 0 {
		f.Services = []string{pick().Service, pick().Service}
	}
	if rng.IntN(3) == 0 {
		f.MinSeverity = []int32{5, 9, 13, 17}[rng.IntN(4)]
	}
	if rng.IntN(4) == 0 {
		f.TraceID = pick().TraceID
	}
	if rng.IntN(3) == 0 {
		r := pick()
		f.Attributes = map[string]string{"user.id": r.Attributes["user.id"]}
		if rng.IntN(2) == 0 {
			f.Attributes["k8s.pod.name"] = r.Resource["k8s.pod.name"]
		}
	}
	if rng.IntN(3) == 0 {
		f.Contains = []string{"cache", "signed in", "exit code 0", "nothing like this"}[rng.IntN(4)]
	}
	if rng.IntN(5) == 0 {
		f.Regexp = regexp.MustCompile(`attempt [0-4]\d\b`)
	}
	return f
}

func TestScanLogsEqualsMatch(t *testing.T) {
	rows := genLogs(11, 30000)
	f := writeLogsFile(t, rows)
	sorted := normalizeLogs(fileOrder(rows, logKey))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 60 {
		flt := randomLogFilter(rng, rows)
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			got, st := scanLogs(t, f, flt)
			exp := want(sorted, flt.Match)
			if len(got) != len(exp) || (len(exp) > 0 && !reflect.DeepEqual(got, exp)) {
				t.Fatalf("filter %+v: scan returned %d rows, Match accepts %d", flt, len(got), len(exp))
			}
			if st.RowsMatched != int64(len(exp)) || st.RowsScanned > st.RowGroups*maxRowGroupRows {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestScanSpansEqualsMatch(t *testing.T) {
	rows := genSpans(12, 20000)
	f := writeSpansFile(t, rows)
	sorted := fileOrder(rows, spanKey)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 60 {
		r := &rows[rng.IntN(len(rows))]
		var flt SpanFilter
		if rng.IntN(2) == 0 {
			flt.From, flt.To = r.StartNano, r.StartNano+rng.Int64N(900e9)
		}
		if rng.IntN(3) == 0 {
			flt.TraceID = r.TraceID
		}
		if rng.IntN(2) == 0 {
			flt.Services = []string{r.Service}
		}
		if rng.IntN(2) == 0 {
			flt.Name = r.Name
		}
		if rng.IntN(3) == 0 {
			flt.MinDuration, flt.MaxDuration = rng.Int64N(1e9), 1e9+rng.Int64N(1e9)
		}
		if rng.IntN(3) == 0 {
			c := r.StatusCode
			flt.StatusCode = &c
		}
		if rng.IntN(3) == 0 {
			flt.Attributes = map[string]string{"http.status_code": r.Attributes["http.status_code"], "k8s.pod.name": r.Resource["k8s.pod.name"]}
		}
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			got, _ := scanSpans(t, f, flt)
			exp := want(sorted, flt.Match)
			if len(got) != len(exp) || (len(exp) > 0 && !reflect.DeepEqual(normalizeSpans(got), normalizeSpans(exp))) {
				t.Fatalf("filter %+v: scan returned %d rows, Match accepts %d", flt, len(got), len(exp))
			}
		})
	}
}

func normalizeSpans(rows []record.Span) []record.Span {
	for i := range rows {
		r := &rows[i]
		r.Resource, r.Attributes, r.Events = emptyIfNil(r.Resource), emptyIfNil(r.Attributes), nonNil(r.Events)
	}
	return rows
}

func TestScanMetricsEqualsMatch(t *testing.T) {
	rows := genMetrics(13, 20000)
	f := writeMetricsFile(t, rows)
	sorted := fileOrder(rows, metricKey)
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 40 {
		r := &rows[rng.IntN(len(rows))]
		var flt MetricFilter
		if rng.IntN(2) == 0 {
			flt.From, flt.To = r.TimeNano, r.TimeNano+rng.Int64N(900e9)
		}
		if rng.IntN(2) == 0 {
			flt.Name = r.Name
		}
		if rng.IntN(2) == 0 {
			flt.Services = []string{r.Service}
		}
		if rng.IntN(2) == 0 {
			flt.Labels = map[string]string{"route": r.Labels["route"], "host.name": r.Resource["host.name"]}
		}
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			got, _ := scanMetrics(t, f, flt)
			exp := want(sorted, flt.Match)
			if len(got) != len(exp) {
				t.Fatalf("filter %+v: scan returned %d rows, Match accepts %d", flt, len(got), len(exp))
			}
			for k := range got {
				if got[k].TimeNano != exp[k].TimeNano || got[k].Name != exp[k].Name || got[k].Service != exp[k].Service {
					t.Fatalf("filter %+v: row %d is %+v, want %+v", flt, k, got[k], exp[k])
				}
			}
		})
	}
}
