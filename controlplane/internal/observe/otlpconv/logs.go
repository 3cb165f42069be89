package otlpconv

import (
	"time"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

// Logs converts an OTLP log export into log rows for t.Project.
//
// A record's time is its time_unix_nano, else (0, "unknown") its observed
// time, else now; a record whose time so chosen lies outside the window
// is refused. An observed time outside the window is replaced by now and
// a malformed trace or span id removed (both counted as Clamped) rather
// than losing the line. The body is rendered like an attribute value
// (strings verbatim) and bounded by MaxBodyBytes.
//
// Fields record has no column for (scope, flags, event name) are not
// kept.
func Logs(t Tenant, req *collogspb.ExportLogsServiceRequest, now time.Time, lim Limits) ([]record.Log, Drops) {
	c := newConverter(t, now, lim)
	n := 0
	for _, rl := range req.GetResourceLogs() {
		for _, sl := range rl.GetScopeLogs() {
			n += len(sl.GetLogRecords())
		}
	}
	rows := make([]record.Log, 0, n)
	for _, rl := range req.GetResourceLogs() {
		res, svc := c.resource(rl.GetResource())
		for _, sl := range rl.GetScopeLogs() {
			for _, l := range sl.GetLogRecords() {
				rows = c.log(rows, l, res, svc)
			}
		}
	}
	return rows, c.drops
}

// log appends l's row to rows unless l is refused.
func (c *converter) log(rows []record.Log, l *logspb.LogRecord, res map[string]string, svc string) []record.Log {
	ts, raw := c.now, l.GetTimeUnixNano()
	if raw == 0 {
		raw = l.GetObservedTimeUnixNano()
	}
	if raw != 0 {
		var ok bool
		if ts, ok = c.inWindow(raw); !ok {
			c.drops.OutOfWindow++
			return rows
		}
	}
	observed := c.now
	if o := l.GetObservedTimeUnixNano(); o != 0 {
		if ns, ok := c.inWindow(o); ok {
			observed = ns
		} else {
			c.drops.Clamped++
		}
	}
	traceID, okTrace := optionalID(l.GetTraceId(), 16)
	spanID, okSpan := optionalID(l.GetSpanId(), 8)
	if !okTrace || !okSpan {
		// Trace context is an optional link; a broken one is removed
		// rather than costing the log line.
		c.drops.Clamped++
		traceID, spanID = nil, nil
	}
	attrs, dropped := c.attrs(l.GetAttributes())
	return append(rows, record.Log{
		Project:           c.tenant.Project,
		Service:           svc,
		TimeNano:          ts,
		ObservedNano:      observed,
		Severity:          int32(l.GetSeverityNumber()),
		SeverityText:      c.clip(l.GetSeverityText()),
		Body:              c.render(l.GetBody(), c.lim.MaxBodyBytes, &c.drops.BodiesTruncated),
		TraceID:           traceID,
		SpanID:            spanID,
		Resource:          res,
		Attributes:        attrs,
		DroppedAttributes: addDropped(l.GetDroppedAttributesCount(), dropped),
	})
}
