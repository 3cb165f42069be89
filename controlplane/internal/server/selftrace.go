package server

import (
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-dev/hearth/controlplane/internal/observe"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

// withSelfTrace records a span of every request (with
// --self-telemetry-project): its name says what was served (the Connect
// procedure, a REST call, git, the console), its attributes the method,
// path, status and request id. A W3C traceparent header continues the
// caller's trace. Telemetry ingest, probes and metrics are left out: they
// would only measure themselves.
func withSelfTrace(self *observe.SelfTelemetry, next http.Handler) http.Handler {
	if self == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if untraced(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		rec := &statusRecorder{ResponseWriter: w}
		start := time.Now()
		next.ServeHTTP(rec, r)
		traceID, parent := traceParent(r.Header.Get("traceparent"))
		sp := record.Span{
			TraceID: traceID, SpanID: observe.NewSpanID(), ParentSpanID: parent, Name: spanName(r), Kind: 2, // server
			StartNano: start.UnixNano(), DurationNano: time.Since(start).Nanoseconds(),
			Attributes: map[string]string{
				"http.request.method": r.Method, "url.path": truncatePath(r.URL.Path),
				"http.response.status_code": strconv.Itoa(rec.status), "hearth.request_id": w.Header().Get(RequestIDHeader),
			},
		}
		if rec.status >= 500 {
			sp.StatusCode = 2 // error
		}
		self.Span(sp)
	})
}

func untraced(path string) bool {
	return strings.HasPrefix(path, "/v1/") || strings.HasPrefix(path, "/opentelemetry.proto.") ||
		path == "/healthz" || path == "/readyz" || path == "/metrics"
}

// spanName is low-cardinality: no ids.
func spanName(r *http.Request) string {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/hearth."):
		return p // the procedure
	case strings.HasPrefix(p, "/api/"):
		return "REST " + r.Method
	case strings.HasSuffix(p, "/info/refs"), strings.HasSuffix(p, "/git-upload-pack"), strings.HasSuffix(p, "/git-receive-pack"):
		return "git " + p[strings.LastIndexByte(p, '/')+1:]
	case strings.HasPrefix(p, "/ws/"):
		return "WebSocket"
	}
	return "HTTP " + r.Method
}

func truncatePath(p string) string {
	if len(p) > 200 {
		return p[:200]
	}
	return p
}

// traceParent reads a W3C traceparent ("00-<trace>-<parent>-<flags>"):
// the caller's trace and span, or a new trace.
func traceParent(h string) (traceID, parent []byte) {
	parts := strings.Split(h, "-")
	if len(parts) == 4 && len(parts[1]) == 32 && len(parts[2]) == 16 {
		t, err1 := hex.DecodeString(parts[1])
		p, err2 := hex.DecodeString(parts[2])
		if err1 == nil && err2 == nil && strings.Trim(parts[1], "0") != "" {
			return t, p
		}
	}
	return observe.NewTraceID(), nil
}
