package promwrite

import (
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/snappy"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/otlpconv"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

var (
	testNow    = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	testTenant = otlpconv.Tenant{Project: "prj_1", Resource: map[string]string{"hearth.cluster": "c1"}}
	nowMs      = testNow.UnixMilli()
)

func toRows(series []Series, md []Metadata) ([]record.Metric, otlpconv.Drops) {
	return ToRows(testTenant, &WriteRequest{Series: series, Metadata: md}, testNow, otlpconv.DefaultLimits())
}

func wantDrops(t *testing.T, got, want otlpconv.Drops) {
	t.Helper()
	if got != want {
		t.Errorf("drops = %+v\n  want %+v", got, want)
	}
}

// Decode then ToRows: every row field comes from the series, the
// metadata or the tenant.
func TestToRowsMapsEveryField(t *testing.T) {
	raw := encRequest([]Series{{
		Labels:  labels("__name__", "http_request_duration_seconds_bucket", "job", "api", "le", "0.5", "path", "/a"),
		Samples: []Sample{{Value: 3, TimestampMs: nowMs - 2000}, {Value: 4, TimestampMs: nowMs - 1000}},
		Exemplars: []Exemplar{{
			Labels:      labels("trace_id", "0102030405060708090a0b0c0d0e0f10", "span_id", "0102030405060708", "user", "u1"),
			Value:       0.42,
			TimestampMs: nowMs - 1500,
		}},
	}}, []Metadata{{Type: TypeHistogram, Family: "http_request_duration_seconds", Unit: "seconds"}})
	req, err := Decode(snappy.Encode(nil, raw), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	rows, drops := ToRows(testTenant, req, testNow, otlpconv.DefaultLimits())
	wantDrops(t, drops, otlpconv.Drops{})
	base := record.Metric{
		Project: "prj_1", Service: "api", Name: "http_request_duration_seconds_bucket",
		Kind: record.Sum, Monotonic: true, Unit: "seconds",
		Labels:   map[string]string{"le": "0.5", "path": "/a"},
		Resource: map[string]string{"hearth.cluster": "c1"},
	}
	first, second := base, base
	first.TimeNano, first.Value = (nowMs-2000)*1e6, 3
	second.TimeNano, second.Value = (nowMs-1000)*1e6, 4
	second.Exemplars = []record.Exemplar{{
		TimeNano:   (nowMs - 1500) * 1e6,
		Value:      0.42,
		TraceID:    []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		SpanID:     []byte{1, 2, 3, 4, 5, 6, 7, 8},
		Attributes: map[string]string{"user": "u1"},
	}}
	if want := []record.Metric{first, second}; !reflect.DeepEqual(rows, want) {
		t.Errorf("rows:\n got %+v\nwant %+v", rows, want)
	}
}

func TestToRowsKind(t *testing.T) {
	md := []Metadata{
		{Type: TypeCounter, Family: "processed"},
		{Type: TypeGauge, Family: "queue_count"},
		{Type: TypeSummary, Family: "rpc_seconds"},
	}
	cases := []struct {
		name      string
		kind      record.MetricKind
		monotonic bool
	}{
		{"http_requests_total", record.Sum, true},
		{"rpc_seconds_count", record.Sum, true},
		{"rpc_seconds_sum", record.Sum, true},
		{"latency_bucket", record.Sum, true},
		{"processed", record.Sum, true},      // metadata says counter
		{"queue_count", record.Gauge, false}, // metadata says gauge, whatever the suffix
		{"rpc_seconds", record.Gauge, false}, // a summary's quantiles
		{"temperature", record.Gauge, false},
		{"total", record.Gauge, false},
	}
	for _, tc := range cases {
		rows, _ := toRows([]Series{{Labels: labels("__name__", tc.name), Samples: []Sample{{TimestampMs: nowMs}}}}, md)
		if len(rows) != 1 || rows[0].Kind != tc.kind || rows[0].Monotonic != tc.monotonic || rows[0].Delta {
			t.Errorf("%s: %+v, want kind %v monotonic %v", tc.name, rows, tc.kind, tc.monotonic)
		}
	}
}

func TestToRowsRefused(t *testing.T) {
	const year9999Ms = 253402300799000 // fits int64 in ms, not in ns
	series := []Series{
		{Labels: labels("job", "nameless"), Samples: []Sample{{TimestampMs: nowMs}, {TimestampMs: nowMs}}, Exemplars: []Exemplar{{TimestampMs: nowMs}}},
		{Labels: labels("__name__", "native"), Histograms: 3},
		{Labels: labels("__name__", "g"), Samples: []Sample{
			{Value: math.Float64frombits(staleNaN), TimestampMs: nowMs},
			{Value: math.NaN(), TimestampMs: nowMs}, // an ordinary NaN is a value
			{TimestampMs: year9999Ms},
			{TimestampMs: nowMs + 1<<58}, // ×1e6 wraps around int64 to exactly now
			{TimestampMs: math.MaxInt64},
			{TimestampMs: math.MinInt64},
			{TimestampMs: nowMs + time.Hour.Milliseconds() + 1},
			{TimestampMs: nowMs - 7*24*time.Hour.Milliseconds() - 1},
			{TimestampMs: 0},
		}},
	}
	rows, drops := toRows(series, nil)
	if len(rows) != 1 || !math.IsNaN(rows[0].Value) || rows[0].Service != otlpconv.UnknownService {
		t.Errorf("rows = %+v, want the NaN sample of unknown_service", rows)
	}
	wantDrops(t, drops, otlpconv.Drops{Malformed: 2, Unsupported: 3, OutOfWindow: 7, Skipped: 1, ExemplarsDropped: 1})
}

// Labels are bounded and stripped like OTLP attributes.
func TestToRowsLabels(t *testing.T) {
	ls := labels("__name__", "m", "hearth.project", "prj_victim", "hearth.cluster", "evil", "a", "1", "a", "2", "", "x",
		strings.Repeat("n", 5000), "y", "big", strings.Repeat("v", 5000), "bad", "\xff\xfe")
	for i := range 10000 {
		ls = append(ls, Label{Name: "k" + strconv.Itoa(i), Value: "v"})
	}
	rows, drops := toRows([]Series{{Labels: ls, Samples: []Sample{{TimestampMs: nowMs}}}}, nil)
	r := rows[0]
	if r.Project != "prj_1" || r.Resource["hearth.cluster"] != "c1" {
		t.Errorf("tenancy: %q %v", r.Project, r.Resource)
	}
	if len(r.Labels) != 128 || r.Labels["a"] != "1" || len(r.Labels["big"]) != 4096 || r.Labels["bad"] != "\uFFFD" || r.Labels["k124"] != "v" || r.Labels["k125"] != "" {
		t.Errorf("labels: %d kept, a=%q big=%d bad=%q", len(r.Labels), r.Labels["a"], len(r.Labels["big"]), r.Labels["bad"])
	}
	for k := range r.Labels {
		if otlpconv.Reserved(k) {
			t.Errorf("spoofed label %q kept", k)
		}
	}
	// Dropped: a repeated, empty and oversized names, then 10000-125.
	wantDrops(t, drops, otlpconv.Drops{SpoofAttributes: 2, AttributesDropped: 3 + 9875, ValuesTruncated: 1, Clamped: 1})
}

// Prometheus sends exemplars in series without samples; they join the
// sample row of the same series, when the request has one.
func TestToRowsExemplarOnlySeries(t *testing.T) {
	ls := labels("__name__", "req_total", "job", "api")
	ex := func(v float64) Exemplar { return Exemplar{Value: v, TimestampMs: nowMs} }
	many := make([]Exemplar, 20)
	for i := range many {
		many[i] = ex(float64(i))
	}
	series := []Series{
		{Labels: ls, Exemplars: []Exemplar{ex(1), {Value: 2, TimestampMs: math.MaxInt64}}},
		{Labels: ls, Samples: []Sample{{Value: 10, TimestampMs: nowMs}}},
		{Labels: labels("__name__", "other_total"), Exemplars: []Exemplar{ex(3)}},
		{Labels: ls, Exemplars: many},
	}
	rows, drops := toRows(series, nil)
	if len(rows) != 1 || len(rows[0].Exemplars) != 16 || rows[0].Exemplars[0].Value != 1 || rows[0].Exemplars[1].Value != 0 {
		t.Fatalf("rows = %+v", rows)
	}
	// One out of the window, one without a matching series, 5 over 16.
	wantDrops(t, drops, otlpconv.Drops{ExemplarsDropped: 1 + 1 + 5})
}
