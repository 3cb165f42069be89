package main

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// Synthetic but plausible telemetry: 20 services of uneven volume, log
// records that are mostly info with bodies of 60-200 bytes drawn from a
// few templates, spans of HTTP and database work in traces that cross
// services. The ingest load and the query data set share it.

var services = []string{
	"api-gateway", "frontend", "checkout", "cart", "catalog", "payments", "users", "auth", "search", "recommendations",
	"inventory", "shipping", "notifications", "email", "orders", "pricing", "reviews", "media", "analytics", "billing",
}

// serviceWeight is a service's share of the volume (Zipf-like: the
// gateway is chatty, billing quiet).
func serviceWeight(i int) float64 { return 1 / float64(i+2) }

var routes = []string{
	"/api/v1/orders/{id}", "/api/v1/cart", "/api/v1/products", "/api/v1/products/{id}", "/api/v1/users/{id}",
	"/api/v1/search", "/api/v1/checkout", "/api/v1/payments/{id}", "/healthz", "/api/v1/recommendations",
	"/api/v1/inventory/{sku}", "/api/v1/shipping/quote", "/api/v1/reviews", "/login", "/api/v1/media/{id}",
}

var tables = []string{"orders", "order_items", "users", "sessions", "products", "inventory", "payments", "shipments"}

var functions = []string{
	"handler.ServeHTTP", "orders.Create", "cart.Add", "payments.Authorize", "users.Get", "search.Query",
	"cache.Get", "db.Query", "events.Publish", "inventory.Reserve", "shipping.Quote", "auth.Verify",
}

// logTemplate makes one body of a severity (OTLP's severity number).
type logTemplate struct {
	severity int32
	weight   int
	body     func(r *rand.Rand) string
}

var logTemplates = []logTemplate{
	{9, 30, func(r *rand.Rand) string {
		return fmt.Sprintf("GET %s 200 %dms bytes=%d request_id=%s", pick(r, routes), 1+r.IntN(300), 200+r.IntN(40000), hexID(r, 8))
	}},
	{9, 12, func(r *rand.Rand) string {
		return fmt.Sprintf("POST %s 201 %dms bytes=%d request_id=%s user_id=%d", pick(r, routes), 5+r.IntN(500), 100+r.IntN(4000), hexID(r, 8), r.IntN(500000))
	}},
	{9, 10, func(r *rand.Rand) string {
		return fmt.Sprintf("cache hit for key session:%s ttl=%ds node=cache-%d", hexID(r, 12), 60+r.IntN(3600), r.IntN(6))
	}},
	{9, 8, func(r *rand.Rand) string {
		return fmt.Sprintf("order %s created for customer %d with %d items total=%d.%02d EUR", uuidish(r), r.IntN(900000), 1+r.IntN(12), r.IntN(900), r.IntN(100))
	}},
	{9, 6, func(r *rand.Rand) string {
		return fmt.Sprintf("user %d signed in from 10.%d.%d.%d via %s (mfa=%t)", r.IntN(500000), r.IntN(256), r.IntN(256), r.IntN(256), pick(r, []string{"password", "sso", "passkey"}), r.IntN(2) == 0)
	}},
	{9, 8, func(r *rand.Rand) string {
		return fmt.Sprintf("published event %s to topic %s partition=%d offset=%d", pick(r, []string{"OrderCreated", "CartUpdated", "PaymentAuthorized", "UserSignedIn"}), pick(r, tables), r.IntN(12), r.Int64N(1<<34))
	}},
	{5, 8, func(r *rand.Rand) string {
		t := pick(r, tables)
		return fmt.Sprintf("sql query took %dms: SELECT id, status, updated_at FROM %s WHERE id = $1 rows=%d", r.IntN(80), t, r.IntN(3))
	}},
	{5, 4, func(r *rand.Rand) string {
		return fmt.Sprintf("cache miss for key product:%d, loading from origin catalog-%d", r.IntN(200000), r.IntN(4))
	}},
	{13, 4, func(r *rand.Rand) string {
		return fmt.Sprintf("upstream %s responded slowly: %dms (threshold 500ms) request_id=%s", pick(r, services), 500+r.IntN(4000), hexID(r, 8))
	}},
	{13, 3, func(r *rand.Rand) string {
		return fmt.Sprintf("connection to %s-db-%d:5432: i/o timeout after %dms; retrying (attempt %d/5)", pick(r, tables), r.IntN(3), 1000+r.IntN(4000), 1+r.IntN(5))
	}},
	{13, 2, func(r *rand.Rand) string {
		return fmt.Sprintf("rate limit nearly reached for client %s: %d/1000 requests in the last minute", hexID(r, 6), 900+r.IntN(100))
	}},
	{17, 2, func(r *rand.Rand) string {
		return fmt.Sprintf("request %s failed: context deadline exceeded (timeout after %dms) calling %s%s", hexID(r, 8), 2000+r.IntN(8000), pick(r, services), pick(r, routes))
	}},
	{17, 1, func(r *rand.Rand) string {
		return fmt.Sprintf("payment %s declined by provider: code=%s message=%q", uuidish(r), pick(r, []string{"card_declined", "insufficient_funds", "expired_card"}), "The card was declined.")
	}},
	{17, 1, func(r *rand.Rand) string {
		return fmt.Sprintf("failed to publish event to topic %s: broker kafka-%d.internal:9092 unavailable: connection refused", pick(r, tables), r.IntN(3))
	}},
}

var templateTotal = func() int {
	n := 0
	for _, t := range logTemplates {
		n += t.weight
	}
	return n
}()

var severityText = map[int32]string{5: "DEBUG", 9: "INFO", 13: "WARN", 17: "ERROR"}

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

func hexID(r *rand.Rand, n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 2*n)
	for i := range b {
		b[i] = digits[r.IntN(16)]
	}
	return string(b)
}

func uuidish(r *rand.Rand) string {
	h := hexID(r, 16)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], r.Uint64())
		copy(b[i:], w[:])
	}
	return b
}

func str(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

func num(k string, v int64) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: v}}}
}

// resource is a service's resource: one of its three pods.
func resource(r *rand.Rand, svc string) *resourcepb.Resource {
	return &resourcepb.Resource{Attributes: []*commonpb.KeyValue{
		str("service.name", svc), str("service.version", "1.14."+fmt.Sprint(len(svc)%7)),
		str("service.namespace", "shop"), str("deployment.environment.name", "production"),
		str("k8s.namespace.name", "shop"), str("k8s.pod.name", fmt.Sprintf("%s-7d9f8b6c5-%d", svc, r.IntN(3))),
		str("host.name", fmt.Sprintf("node-%d", r.IntN(8))), str("telemetry.sdk.language", "go"), str("telemetry.sdk.name", "opentelemetry"),
	}}
}

var scope = &commonpb.InstrumentationScope{Name: "go.opentelemetry.io/contrib/bridges/otelslog", Version: "0.12.0"}

// logRecord is one record at time t (Unix nanoseconds).
func logRecord(r *rand.Rand, t uint64) *logspb.LogRecord {
	n := r.IntN(templateTotal)
	tpl := logTemplates[0]
	for _, c := range logTemplates {
		if n < c.weight {
			tpl = c
			break
		}
		n -= c.weight
	}
	body := tpl.body(r)
	for len(body) < 60 {
		body += " trace_flags=01"
	}
	attrs := []*commonpb.KeyValue{str("code.function", pick(r, functions)), num("thread.id", int64(1+r.IntN(64)))}
	if r.IntN(2) == 0 {
		attrs = append(attrs, str("http.route", pick(r, routes)))
	}
	if r.IntN(3) == 0 {
		attrs = append(attrs, num("user.id", int64(r.IntN(500000))))
	}
	l := &logspb.LogRecord{
		TimeUnixNano: t, ObservedTimeUnixNano: t + r.Uint64N(2e6),
		SeverityNumber: logspb.SeverityNumber(tpl.severity), SeverityText: severityText[tpl.severity],
		Body: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: body}}, Attributes: attrs,
	}
	if r.IntN(2) == 0 {
		l.TraceId, l.SpanId = randBytes(r, 16), randBytes(r, 8)
	}
	return l
}

// logsRequest is an export of one service's records at times ts.
func logsRequest(r *rand.Rand, svc string, ts []uint64) *collogspb.ExportLogsServiceRequest {
	recs := make([]*logspb.LogRecord, len(ts))
	for i, t := range ts {
		recs[i] = logRecord(r, t)
	}
	return &collogspb.ExportLogsServiceRequest{ResourceLogs: []*logspb.ResourceLogs{{
		Resource:  resource(r, svc),
		ScopeLogs: []*logspb.ScopeLogs{{Scope: scope, LogRecords: recs}},
	}}}
}

// span is one span of a trace, and the service it ran in.
type span struct {
	service string
	span    *tracepb.Span
}

// trace makes one trace starting at t: a server span at the edge and
// 3-15 children in other services, some of them database calls.
func trace(r *rand.Rand, t uint64) []span {
	traceID := randBytes(r, 16)
	root := pick(r, services[:2])
	route := pick(r, routes)
	total := 5e6 + r.Uint64N(800e6)
	status := int32(0)
	if r.IntN(50) == 0 {
		status = 2
	}
	newSpan := func(parent []byte, name string, kind tracepb.Span_SpanKind, start, dur uint64, attrs []*commonpb.KeyValue) *tracepb.Span {
		s := &tracepb.Span{
			TraceId: traceID, SpanId: randBytes(r, 8), ParentSpanId: parent, Name: name, Kind: kind,
			StartTimeUnixNano: start, EndTimeUnixNano: start + dur, Attributes: attrs,
			Status: &tracepb.Status{Code: tracepb.Status_StatusCode(status)},
		}
		if status == 2 && r.IntN(3) == 0 {
			s.Events = []*tracepb.Span_Event{{TimeUnixNano: start + dur/2, Name: "exception", Attributes: []*commonpb.KeyValue{
				str("exception.type", "*net.OpError"), str("exception.message", "dial tcp 10.0.3.7:5432: i/o timeout"),
			}}}
			s.Status.Message = "upstream timeout"
		}
		return s
	}
	httpAttrs := func(method, route string, code int64) []*commonpb.KeyValue {
		return []*commonpb.KeyValue{
			str("http.request.method", method), str("http.route", route), num("http.response.status_code", code),
			str("url.scheme", "http"), str("server.address", "shop.internal"), num("server.port", 8080),
			str("network.protocol.version", "1.1"), str("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0"),
		}
	}
	code := int64(200)
	if status == 2 {
		code = 504
	}
	rootSpan := newSpan(nil, "GET "+route, tracepb.Span_SPAN_KIND_SERVER, t, total, httpAttrs("GET", route, code))
	out := []span{{root, rootSpan}}
	n := 3 + r.Uint64N(13)
	for i := range n {
		svc := pick(r, services[2:])
		start := t + total*i/(n+1)
		dur := total / (n + 2)
		if r.IntN(3) == 0 {
			tbl := pick(r, tables)
			out = append(out, span{svc, newSpan(rootSpan.SpanId, "SELECT "+tbl, tracepb.Span_SPAN_KIND_CLIENT, start, dur, []*commonpb.KeyValue{
				str("db.system.name", "postgresql"), str("db.namespace", "shop"), str("db.collection.name", tbl),
				str("db.query.text", "SELECT id, status, updated_at FROM "+tbl+" WHERE id = $1"), str("server.address", tbl+"-db-0"),
			})})
			continue
		}
		r2 := pick(r, routes)
		out = append(out, span{svc, newSpan(rootSpan.SpanId, "POST "+r2, tracepb.Span_SPAN_KIND_SERVER, start, dur, httpAttrs("POST", r2, code))})
	}
	return out
}

// tracesRequest is an export of one service's spans.
func tracesRequest(r *rand.Rand, svc string, spans []*tracepb.Span) *coltracepb.ExportTraceServiceRequest {
	return &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource: resource(r, svc),
		ScopeSpans: []*tracepb.ScopeSpans{{
			Scope: &commonpb.InstrumentationScope{Name: "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp", Version: "0.63.0"},
			Spans: spans,
		}},
	}}}
}

// sortedTimes is n times in [from, from+span), sorted.
func sortedTimes(r *rand.Rand, n int, from, span uint64) []uint64 {
	ts := make([]uint64, n)
	for i := range ts {
		ts[i] = from + r.Uint64N(span)
	}
	slices.Sort(ts)
	return ts
}
