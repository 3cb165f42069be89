package otlpconv

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

func traceReq(res *resourcepb.Resource, spans ...*tracepb.Span) *coltracepb.ExportTraceServiceRequest {
	return &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource:   res,
		ScopeSpans: []*tracepb.ScopeSpans{{Scope: &commonpb.InstrumentationScope{Name: "lib"}, Spans: spans}},
	}}}
}

// goodSpan is a valid span starting a minute before testNow.
func goodSpan(name string) *tracepb.Span {
	return &tracepb.Span{
		TraceId:           traceID(1),
		SpanId:            spanID(1),
		Name:              name,
		StartTimeUnixNano: ns(-time.Minute),
		EndTimeUnixNano:   ns(-time.Minute + time.Second),
	}
}

// Every field of record.Span is filled from the span, its resource or
// the tenant.
func TestTracesMapsEveryField(t *testing.T) {
	s := &tracepb.Span{
		TraceId:                traceID(1),
		SpanId:                 spanID(2),
		ParentSpanId:           spanID(3),
		Name:                   "GET /users",
		Kind:                   tracepb.Span_SPAN_KIND_SERVER,
		StartTimeUnixNano:      ns(-time.Minute),
		EndTimeUnixNano:        ns(-time.Minute + 250*time.Millisecond),
		Attributes:             []*commonpb.KeyValue{kv("http.status_code", 200), kv("ok", true)},
		DroppedAttributesCount: 3,
		Events: []*tracepb.Span_Event{{
			TimeUnixNano: ns(-time.Minute + time.Millisecond),
			Name:         "retry",
			Attributes:   []*commonpb.KeyValue{kv("attempt", 2)},
		}},
		Status: &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR, Message: "boom"},
	}
	rows, drops := Traces(testTenant, traceReq(resource(kv("service.name", "api"), kv("host.name", "h1")), s), testNow, DefaultLimits())
	wantDrops(t, drops, Drops{})
	start := testNow.Add(-time.Minute).UnixNano()
	want := []record.Span{{
		Project:       "prj_1",
		Service:       "api",
		TraceID:       traceID(1),
		SpanID:        spanID(2),
		ParentSpanID:  spanID(3),
		Name:          "GET /users",
		Kind:          int32(tracepb.Span_SPAN_KIND_SERVER),
		StatusCode:    int32(tracepb.Status_STATUS_CODE_ERROR),
		StatusMessage: "boom",
		StartNano:     start,
		DurationNano:  int64(250 * time.Millisecond),
		Resource:      map[string]string{"service.name": "api", "host.name": "h1", "hearth.cluster": "c1"},
		Attributes:    map[string]string{"http.status_code": "200", "ok": "true"},
		Events: []record.SpanEvent{{
			TimeNano:   start + int64(time.Millisecond),
			Name:       "retry",
			Attributes: map[string]string{"attempt": "2"},
		}},
		DroppedAttributes: 3,
	}}
	deepEqual(t, "rows", rows, want)
}

// A sender cannot choose its project nor any "hearth." attribute: they
// are removed and counted, and the tenant's own stamp wins.
func TestTracesSpoofedTenancy(t *testing.T) {
	res := resource(
		kv("service.name", "api"),
		kv("hearth.project", "prj_victim"),
		kv("hearth.cluster", "evil"),
	)
	s := goodSpan("op")
	s.Attributes = []*commonpb.KeyValue{kv("hearth.project", "prj_victim"), kv("user", "u1")}
	s.Events = []*tracepb.Span_Event{{TimeUnixNano: ns(-time.Minute), Name: "e", Attributes: []*commonpb.KeyValue{kv("hearth.x", "y")}}}
	rows, drops := Traces(testTenant, traceReq(res, s), testNow, DefaultLimits())
	if len(rows) != 1 {
		t.Fatalf("got %d rows, want 1", len(rows))
	}
	r := rows[0]
	if r.Project != "prj_1" {
		t.Errorf("Project = %q, want prj_1", r.Project)
	}
	deepEqual(t, "Resource", r.Resource, map[string]string{"service.name": "api", "hearth.cluster": "c1"})
	deepEqual(t, "Attributes", r.Attributes, map[string]string{"user": "u1"})
	if len(r.Events[0].Attributes) != 0 {
		t.Errorf("event attributes = %v, want none", r.Events[0].Attributes)
	}
	if r.DroppedAttributes != 1 {
		t.Errorf("DroppedAttributes = %d, want 1 (the span's spoofed attribute)", r.DroppedAttributes)
	}
	wantDrops(t, drops, Drops{SpoofAttributes: 4})
}

// A tenant without stamps still never lets "hearth." keys through.
func TestTracesSpoofWithoutTenantStamp(t *testing.T) {
	rows, drops := Traces(Tenant{Project: "p"}, traceReq(resource(kv("hearth.cluster", "evil")), goodSpan("op")), testNow, DefaultLimits())
	if _, ok := rows[0].Resource["hearth.cluster"]; ok || rows[0].Service != UnknownService {
		t.Errorf("Resource = %v, Service = %q", rows[0].Resource, rows[0].Service)
	}
	wantDrops(t, drops, Drops{SpoofAttributes: 1})
}

// 10,000 attributes: the first 128 are kept, the rest counted both in
// Drops and in the row's DroppedAttributes.
func TestTracesAttributeCountLimit(t *testing.T) {
	s := goodSpan("op")
	s.DroppedAttributesCount = 5
	for i := range 10000 {
		s.Attributes = append(s.Attributes, kv("k"+strconv.Itoa(i), i))
	}
	rows, drops := Traces(testTenant, traceReq(nil, s), testNow, DefaultLimits())
	a := rows[0].Attributes
	if len(a) != 128 {
		t.Fatalf("kept %d attributes, want 128", len(a))
	}
	for i := range 128 {
		if a["k"+strconv.Itoa(i)] != strconv.Itoa(i) {
			t.Fatalf("attribute k%d missing: the first 128 must be kept", i)
		}
	}
	if rows[0].DroppedAttributes != 5+9872 {
		t.Errorf("DroppedAttributes = %d, want %d", rows[0].DroppedAttributes, 5+9872)
	}
	wantDrops(t, drops, Drops{AttributesDropped: 9872})
}

// Bad keys and repeated keys are dropped; the first occurrence wins.
func TestTracesAttributeKeys(t *testing.T) {
	s := goodSpan("op")
	s.Attributes = []*commonpb.KeyValue{kv("a", "1"), kv("a", "2"), kv("", "x"), kv(strings.Repeat("k", 5000), "y")}
	rows, drops := Traces(testTenant, traceReq(nil, s), testNow, DefaultLimits())
	deepEqual(t, "Attributes", rows[0].Attributes, map[string]string{"a": "1"})
	wantDrops(t, drops, Drops{AttributesDropped: 3})
}

// A 100 MB value is cut to the limit, on a UTF-8 boundary, and the copy
// kept does not pin the original.
func TestTracesHugeAttributeValue(t *testing.T) {
	huge := strings.Repeat("€", 100<<20/3) // 3-byte runes: 4096 is not a boundary
	hugeBytes := make([]byte, 100<<20)
	s := goodSpan("op")
	s.Name = huge
	s.Attributes = []*commonpb.KeyValue{kv("s", huge), kv("b", hugeBytes), kv("arr", []any{huge})}
	rows, drops := Traces(testTenant, traceReq(nil, s), testNow, DefaultLimits())
	a := rows[0].Attributes
	if got := a["s"]; len(got) != 4095 || got != huge[:4095] {
		t.Errorf("string value: %d bytes, want the first 4095 (1365 whole runes)", len(got))
	}
	if got := a["b"]; len(got) > 4096 || len(got) < 4090 || strings.Trim(got, "A") != "" {
		t.Errorf("bytes value: %d bytes %.20q, want ~4096 bytes of base64 zeros", len(got), got)
	}
	if got := a["arr"]; len(got) > 4096 || !strings.HasPrefix(got, `["€€`) {
		t.Errorf("array value: %d bytes %.20q", len(got), got)
	}
	if len(rows[0].Name) != 4095 {
		t.Errorf("name: %d bytes, want 4095", len(rows[0].Name))
	}
	wantDrops(t, drops, Drops{ValuesTruncated: 4})
}

// Timestamps outside [now-7d, now+1h] are refused, including ones only
// uint64 can hold (year 9999 in nanoseconds would not even fit there).
func TestTracesTimeWindow(t *testing.T) {
	at := func(start uint64) *tracepb.Span {
		s := goodSpan("op")
		s.StartTimeUnixNano, s.EndTimeUnixNano = start, start
		return s
	}
	refused := []*tracepb.Span{
		at(math.MaxUint64),
		at(uint64(math.MaxInt64)), // year 2262
		at(uint64(time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())),
		at(ns(time.Hour + time.Nanosecond)),
		at(ns(-7*24*time.Hour - time.Nanosecond)),
		at(0),
	}
	kept := []*tracepb.Span{at(ns(time.Hour)), at(ns(-7 * 24 * time.Hour))}
	rows, drops := Traces(testTenant, traceReq(nil, append(refused, kept...)...), testNow, DefaultLimits())
	if len(rows) != 2 || rows[0].StartNano != int64(ns(time.Hour)) || rows[1].StartNano != int64(ns(-7*24*time.Hour)) {
		t.Errorf("rows = %+v, want the two spans at the window's edges", rows)
	}
	wantDrops(t, drops, Drops{OutOfWindow: 6})
	if drops.Rejected() != 6 {
		t.Errorf("Rejected() = %d, want 6", drops.Rejected())
	}
}

func TestTracesMalformedIDs(t *testing.T) {
	mk := func(f func(*tracepb.Span)) *tracepb.Span { s := goodSpan("op"); f(s); return s }
	bad := []*tracepb.Span{
		mk(func(s *tracepb.Span) { s.TraceId = s.TraceId[:15] }),
		mk(func(s *tracepb.Span) { s.TraceId = append(s.TraceId, 0) }),
		mk(func(s *tracepb.Span) { s.TraceId = make([]byte, 16) }),
		mk(func(s *tracepb.Span) { s.TraceId = nil }),
		mk(func(s *tracepb.Span) { s.SpanId = s.SpanId[:7] }),
		mk(func(s *tracepb.Span) { s.SpanId = make([]byte, 8) }),
		mk(func(s *tracepb.Span) { s.ParentSpanId = []byte{1, 2, 3, 4} }),
		nil,
	}
	good := mk(func(s *tracepb.Span) { s.ParentSpanId = []byte{} })
	rows, drops := Traces(testTenant, traceReq(nil, append(bad, good)...), testNow, DefaultLimits())
	if len(rows) != 1 || rows[0].ParentSpanID != nil {
		t.Errorf("rows = %+v, want only the good span, with a nil parent", rows)
	}
	wantDrops(t, drops, Drops{Malformed: int64(len(bad))})
}

// A span's clock errors are repaired, not refused.
func TestTracesDurationClamped(t *testing.T) {
	backwards := goodSpan("backwards")
	backwards.EndTimeUnixNano = backwards.StartTimeUnixNano - 1
	forever := goodSpan("forever")
	forever.EndTimeUnixNano = math.MaxUint64
	rows, drops := Traces(testTenant, traceReq(nil, backwards, forever), testNow, DefaultLimits())
	if rows[0].DurationNano != 0 {
		t.Errorf("backwards span duration = %d, want 0", rows[0].DurationNano)
	}
	if want := int64(time.Hour + time.Minute); rows[1].DurationNano != want {
		t.Errorf("endless span duration = %d, want %d (clamped to now+MaxFuture)", rows[1].DurationNano, want)
	}
	wantDrops(t, drops, Drops{Clamped: 2})
}

func TestTracesEventsBounded(t *testing.T) {
	s := goodSpan("op")
	s.Events = append(s.Events, &tracepb.Span_Event{TimeUnixNano: math.MaxUint64, Name: "future"})
	for i := range 200 {
		s.Events = append(s.Events, &tracepb.Span_Event{TimeUnixNano: ns(-time.Minute), Name: "e" + strconv.Itoa(i)})
	}
	rows, drops := Traces(testTenant, traceReq(nil, s), testNow, DefaultLimits())
	ev := rows[0].Events
	if len(ev) != 128 || ev[0].Name != "e0" || ev[127].Name != "e127" {
		t.Errorf("kept %d events (%q…), want e0…e127", len(ev), ev[0].Name)
	}
	wantDrops(t, drops, Drops{EventsDropped: 1 + 72})
}

// Rows of one resource share its map; service.name beyond the attribute
// limit still names the service.
func TestTracesServiceBeyondAttributeLimit(t *testing.T) {
	lim := DefaultLimits()
	lim.MaxAttributes = 1
	res := resource(kv("a", "1"), kv("service.name", "api"))
	rows, drops := Traces(testTenant, traceReq(res, goodSpan("x"), goodSpan("y")), testNow, lim)
	if rows[0].Service != "api" || rows[1].Service != "api" {
		t.Errorf("services = %q %q, want api", rows[0].Service, rows[1].Service)
	}
	deepEqual(t, "Resource", rows[0].Resource, map[string]string{"a": "1", "hearth.cluster": "c1"})
	wantDrops(t, drops, Drops{AttributesDropped: 1})
}

// The zero Limits means the defaults, not "keep nothing".
func TestZeroLimitsAreDefaults(t *testing.T) {
	if got := (Limits{}).Normalized(); got != DefaultLimits() {
		t.Errorf("Limits{}.Normalized() = %+v", got)
	}
	rows, _ := Traces(testTenant, traceReq(nil, goodSpan("op")), testNow, Limits{})
	if len(rows) != 1 {
		t.Errorf("zero limits refused a valid span")
	}
}
