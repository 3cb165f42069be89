package otlpconv

import (
	"runtime"
	"strconv"
	"testing"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

const benchItems = 100

// benchAttrs are ten attributes of the usual mix: mostly strings, some
// numbers, a boolean.
func benchAttrs(i int) []*commonpb.KeyValue {
	return []*commonpb.KeyValue{
		kv("http.request.method", "GET"),
		kv("url.path", "/api/v1/users/"+strconv.Itoa(i)),
		kv("http.route", "/api/v1/users/{id}"),
		kv("server.address", "api.internal"),
		kv("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64)"),
		kv("network.protocol.version", "1.1"),
		kv("http.response.status_code", 200),
		kv("http.response.body.size", 5120),
		kv("duration_ratio", 0.25),
		kv("cache.hit", true),
	}
}

var benchResource = resource(
	kv("service.name", "api"), kv("service.version", "1.4.2"), kv("host.name", "node-1"),
	kv("k8s.namespace.name", "prod"), kv("k8s.pod.name", "api-7d9f"),
)

// perItem reports time and allocations per converted item alongside the
// per-batch figures.
func perItem(b *testing.B, unit string, run func()) {
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	for b.Loop() {
		run()
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	items := float64(b.N * benchItems)
	b.ReportMetric(float64(elapsed.Nanoseconds())/items, "ns/"+unit)
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/items, "allocs/"+unit)
}

func BenchmarkTraces(b *testing.B) {
	spans := make([]*tracepb.Span, benchItems)
	for i := range spans {
		s := goodSpan("GET /api/v1/users/{id}")
		s.SpanId = spanID(byte(i + 1))
		s.ParentSpanId = spanID(0xff)
		s.Kind = tracepb.Span_SPAN_KIND_SERVER
		s.Attributes = benchAttrs(i)
		spans[i] = s
	}
	req := traceReq(benchResource, spans...)
	perItem(b, "span", func() {
		if rows, _ := Traces(testTenant, req, testNow, DefaultLimits()); len(rows) != benchItems {
			b.Fatal(len(rows))
		}
	})
}

func BenchmarkLogs(b *testing.B) {
	recs := make([]*logspb.LogRecord, benchItems)
	for i := range recs {
		recs[i] = &logspb.LogRecord{
			TimeUnixNano:   ns(-time.Second),
			SeverityNumber: logspb.SeverityNumber_SEVERITY_NUMBER_INFO,
			SeverityText:   "INFO",
			Body:           str("request served in 12ms for user " + strconv.Itoa(i)),
			Attributes:     benchAttrs(i),
			TraceId:        traceID(1),
			SpanId:         spanID(byte(i + 1)),
		}
	}
	req := logsReq(benchResource, recs...)
	perItem(b, "log", func() {
		if rows, _ := Logs(testTenant, req, testNow, DefaultLimits()); len(rows) != benchItems {
			b.Fatal(len(rows))
		}
	})
}
