package otlpconv

import (
	"math"
	"testing"
	"time"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetricspb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

// fuzzLimits are small, so that random input hits them, with a window
// wide enough (±100 years) that random timestamps often land inside.
var fuzzLimits = Limits{
	MaxAttributes:          3,
	MaxAttributeValueBytes: 16,
	MaxBodyBytes:           32,
	MaxEvents:              2,
	MaxExemplars:           2,
	MaxFuture:              100 * 365 * 24 * time.Hour,
	MaxPast:                100 * 365 * 24 * time.Hour,
}

// checkMap fails t unless m respects the attribute limits and holds no
// "hearth." key but the tenant's.
func checkMap(t *testing.T, what string, m map[string]string, extra int) {
	t.Helper()
	if len(m) > fuzzLimits.MaxAttributes+extra {
		t.Fatalf("%s: %d entries", what, len(m))
	}
	for k, v := range m {
		if Reserved(k) && testTenant.Resource[k] != v {
			t.Fatalf("%s: spoofed %q=%q kept", what, k, v)
		}
		if len(k) > fuzzLimits.MaxAttributeValueBytes || len(v) > fuzzLimits.MaxAttributeValueBytes {
			t.Fatalf("%s: %q=%q over the size limit", what, k, v)
		}
	}
}

func checkResource(t *testing.T, project string, res map[string]string) {
	t.Helper()
	if project != testTenant.Project || res["hearth.cluster"] != "c1" {
		t.Fatalf("tenancy lost: project %q, resource %v", project, res)
	}
	checkMap(t, "resource", res, len(testTenant.Resource))
}

func checkTime(t *testing.T, what string, w Window, ns int64) {
	t.Helper()
	if !w.Contains(ns) {
		t.Fatalf("%s %d outside the window %+v", what, ns, w)
	}
}

func FuzzTraces(f *testing.F) {
	s := goodSpan("op")
	s.Attributes = []*commonpb.KeyValue{kv("a", 1), kv("hearth.x", "y"), kv("b", []any{"c", 2.5}), kv("c", "d"), kv("e", "f")}
	s.Events = []*tracepb.Span_Event{{TimeUnixNano: ns(0), Name: "e"}}
	seed, _ := proto.Marshal(traceReq(resource(kv("service.name", "api"), kv("hearth.project", "x")), s, goodSpan("other")))
	f.Add(seed, testNow.UnixNano())
	f.Fuzz(func(t *testing.T, data []byte, nowNano int64) {
		var req coltracepb.ExportTraceServiceRequest
		if proto.Unmarshal(data, &req) != nil {
			return
		}
		now := time.Unix(0, nowNano)
		rows, drops := Traces(testTenant, &req, now, fuzzLimits)
		w := fuzzLimits.Window(now)
		total := 0
		for _, rs := range req.GetResourceSpans() {
			for _, ss := range rs.GetScopeSpans() {
				total += len(ss.GetSpans())
			}
		}
		if int64(len(rows))+drops.Rejected() != int64(total) {
			t.Fatalf("%d rows + %d rejected != %d spans", len(rows), drops.Rejected(), total)
		}
		for _, r := range rows {
			checkResource(t, r.Project, r.Resource)
			checkMap(t, "attributes", r.Attributes, 0)
			checkTime(t, "start", w, r.StartNano)
			if r.DurationNano < 0 || r.DurationNano > w.Hi-r.StartNano {
				t.Fatalf("duration %d", r.DurationNano)
			}
			if len(r.TraceID) != 16 || len(r.SpanID) != 8 || (r.ParentSpanID != nil && len(r.ParentSpanID) != 8) {
				t.Fatalf("ids %x %x %x", r.TraceID, r.SpanID, r.ParentSpanID)
			}
			if len(r.Name) > 16 || len(r.StatusMessage) > 16 || len(r.Events) > fuzzLimits.MaxEvents {
				t.Fatalf("unbounded span %+v", r)
			}
			for _, e := range r.Events {
				checkTime(t, "event", w, e.TimeNano)
				checkMap(t, "event attributes", e.Attributes, 0)
			}
		}
	})
}

func FuzzLogs(f *testing.F) {
	l := &logspb.LogRecord{TimeUnixNano: ns(0), Body: anyValue([]*commonpb.KeyValue{kv("k", "v")}), TraceId: traceID(1), SpanId: spanID(1)}
	seed, _ := proto.Marshal(logsReq(resource(kv("hearth.cluster", "x")), l, &logspb.LogRecord{}))
	f.Add(seed, testNow.UnixNano())
	f.Fuzz(func(t *testing.T, data []byte, nowNano int64) {
		var req collogspb.ExportLogsServiceRequest
		if proto.Unmarshal(data, &req) != nil {
			return
		}
		now := time.Unix(0, nowNano)
		rows, _ := Logs(testTenant, &req, now, fuzzLimits)
		w := fuzzLimits.Window(now)
		for _, r := range rows {
			checkResource(t, r.Project, r.Resource)
			checkMap(t, "attributes", r.Attributes, 0)
			checkTime(t, "time", w, r.TimeNano)
			checkTime(t, "observed", w, r.ObservedNano)
			if len(r.Body) > fuzzLimits.MaxBodyBytes || len(r.SeverityText) > 16 {
				t.Fatalf("unbounded log %+v", r)
			}
			if (r.TraceID != nil && len(r.TraceID) != 16) || (r.SpanID != nil && len(r.SpanID) != 8) {
				t.Fatalf("ids %x %x", r.TraceID, r.SpanID)
			}
		}
	})
}

func FuzzMetrics(f *testing.F) {
	h := histogramMetric(histPoint([]float64{1, 2}, []uint64{1, 2, 3}))
	e := &metricspb.Metric{Name: "e", Data: &metricspb.Metric_ExponentialHistogram{ExponentialHistogram: &metricspb.ExponentialHistogram{
		AggregationTemporality: delta,
		DataPoints:             []*metricspb.ExponentialHistogramDataPoint{expPoint(0, 0, 2, buckets(0, 1), buckets(1, 3, 5))},
	}}}
	s := &metricspb.Metric{Name: "s", Data: &metricspb.Metric_Summary{Summary: &metricspb.Summary{DataPoints: []*metricspb.SummaryDataPoint{{
		TimeUnixNano: pointTime, QuantileValues: []*metricspb.SummaryDataPoint_ValueAtQuantile{{Quantile: 0.5, Value: 1}},
	}}}}}
	seed, _ := proto.Marshal(metricsReq(h, e, s))
	f.Add(seed, testNow.UnixNano())
	f.Fuzz(func(t *testing.T, data []byte, nowNano int64) {
		var req colmetricspb.ExportMetricsServiceRequest
		if proto.Unmarshal(data, &req) != nil {
			return
		}
		now := time.Unix(0, nowNano)
		rows, _ := Metrics(testTenant, &req, now, fuzzLimits)
		w := fuzzLimits.Window(now)
		for _, r := range rows {
			checkMetric(t, w, &r)
		}
	})
}

func checkMetric(t *testing.T, w Window, r *record.Metric) {
	t.Helper()
	checkResource(t, r.Project, r.Resource)
	checkMap(t, "labels", r.Labels, 1) // + quantile
	checkTime(t, "time", w, r.TimeNano)
	if r.StartNano < 0 || r.StartNano > r.TimeNano || len(r.Exemplars) > fuzzLimits.MaxExemplars || r.Name == "" {
		t.Fatalf("bad point %+v", r)
	}
	if r.Kind != record.Histogram {
		return
	}
	if len(r.BucketCounts) != len(r.Bounds)+1 {
		t.Fatalf("%d buckets for %d bounds", len(r.BucketCounts), len(r.Bounds))
	}
	for i, b := range r.Bounds {
		if math.IsNaN(b) || (i > 0 && b <= r.Bounds[i-1]) {
			t.Fatalf("bounds not increasing: %v", r.Bounds)
		}
	}
}
