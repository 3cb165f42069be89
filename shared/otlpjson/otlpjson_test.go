package otlpjson_test

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/hearth-dev/hearth/shared/otlpjson"
)

// The Export*ServiceRequest messages of the collector packages have the
// same shape as TracesData, LogsData and MetricsData (field 1, repeated
// resource_*), and these packages link no gRPC.

const traceHex = "5b8efff798038103d269b633813fc60c"

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTracesHexIDs(t *testing.T) {
	body := `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},
	  "scopeSpans":[{"spans":[{
	    "traceId":"` + traceHex + `","spanId":"EEE19B7EC3C1B174","parentSpanId":"eee19b7ec3c1b173",
	    "name":"op","kind":2,"startTimeUnixNano":"1544712660000000001","endTimeUnixNano":1544712661000000001,
	    "attributes":[{"key":"traceId","value":{"stringValue":"not-an-id"}}],
	    "links":[{"traceId":"` + traceHex + `","spanId":"0102030405060708"}],
	    "status":{"code":"STATUS_CODE_ERROR"},
	    "someFutureField":{"x":1}
	  }]}]}]}`
	var got tracepb.TracesData
	if err := otlpjson.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	span := got.GetResourceSpans()[0].GetScopeSpans()[0].GetSpans()[0]
	if !bytes.Equal(span.GetTraceId(), mustHex(t, traceHex)) {
		t.Errorf("traceId = %x", span.GetTraceId())
	}
	if !bytes.Equal(span.GetSpanId(), mustHex(t, "eee19b7ec3c1b174")) {
		t.Errorf("spanId (upper-case hex) = %x", span.GetSpanId())
	}
	if !bytes.Equal(span.GetParentSpanId(), mustHex(t, "eee19b7ec3c1b173")) {
		t.Errorf("parentSpanId = %x", span.GetParentSpanId())
	}
	if !bytes.Equal(span.GetLinks()[0].GetTraceId(), mustHex(t, traceHex)) || !bytes.Equal(span.GetLinks()[0].GetSpanId(), mustHex(t, "0102030405060708")) {
		t.Errorf("link ids = %x %x", span.GetLinks()[0].GetTraceId(), span.GetLinks()[0].GetSpanId())
	}
	// 64-bit integers survive exactly, as strings and as numbers a float64
	// could not hold.
	if span.GetStartTimeUnixNano() != 1544712660000000001 || span.GetEndTimeUnixNano() != 1544712661000000001 {
		t.Errorf("times = %d, %d", span.GetStartTimeUnixNano(), span.GetEndTimeUnixNano())
	}
	if span.GetKind() != tracepb.Span_SPAN_KIND_SERVER || span.GetStatus().GetCode() != tracepb.Status_STATUS_CODE_ERROR {
		t.Errorf("enums = %v, %v", span.GetKind(), span.GetStatus().GetCode())
	}
	// An attribute named like an id field is a value, never rewritten.
	if v := span.GetAttributes()[0].GetValue().GetStringValue(); v != "not-an-id" {
		t.Errorf("attribute traceId = %q", v)
	}
}

func TestLogsAndExemplarIDs(t *testing.T) {
	logs := `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"` + traceHex + `","spanId":"0102030405060708","body":{"stringValue":"hi"}}]}]}]}`
	var l logspb.LogsData
	if err := otlpjson.Unmarshal([]byte(logs), &l); err != nil {
		t.Fatal(err)
	}
	rec := l.GetResourceLogs()[0].GetScopeLogs()[0].GetLogRecords()[0]
	if !bytes.Equal(rec.GetTraceId(), mustHex(t, traceHex)) || !bytes.Equal(rec.GetSpanId(), mustHex(t, "0102030405060708")) {
		t.Errorf("log record ids = %x %x", rec.GetTraceId(), rec.GetSpanId())
	}

	metrics := `{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"m","sum":{"dataPoints":[{"asInt":"7",
	  "exemplars":[{"asDouble":1.5,"trace_id":"` + traceHex + `","span_id":"0102030405060708"}]}]}}]}]}]}`
	var m metricspb.MetricsData
	if err := otlpjson.Unmarshal([]byte(metrics), &m); err != nil {
		t.Fatal(err)
	}
	ex := m.GetResourceMetrics()[0].GetScopeMetrics()[0].GetMetrics()[0].GetSum().GetDataPoints()[0].GetExemplars()[0]
	if !bytes.Equal(ex.GetTraceId(), mustHex(t, traceHex)) || !bytes.Equal(ex.GetSpanId(), mustHex(t, "0102030405060708")) {
		t.Errorf("exemplar ids (proto field names) = %x %x", ex.GetTraceId(), ex.GetSpanId())
	}
}

func TestRefusals(t *testing.T) {
	for name, body := range map[string]string{
		"id not hex":    `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}`,
		"id odd length": `{"resourceSpans":[{"scopeSpans":[{"spans":[{"spanId":"abc"}]}]}]}`,
		"trailing data": `{"resourceSpans":[]} {}`,
		"not JSON":      `{"resourceSpans":`,
		"wrong type":    `{"resourceSpans":{"a":1}}`,
	} {
		t.Run(name, func(t *testing.T) {
			var got tracepb.TracesData
			if err := otlpjson.Unmarshal([]byte(body), &got); err == nil {
				t.Fatalf("accepted %s", body)
			}
		})
	}
}

func TestIDErrorNamesTheField(t *testing.T) {
	var got tracepb.TracesData
	err := otlpjson.Unmarshal([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"parentSpanId":"xyz!"}]}]}]}`), &got)
	if err == nil || !strings.Contains(err.Error(), "parentSpanId") {
		t.Fatalf("err = %v, want one naming parentSpanId", err)
	}
}
