package otlpconv

import (
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

// Traces converts an OTLP trace export into span rows for t.Project.
//
// A span is refused (and counted) when its trace id is not 16 non-zero
// bytes, its span id not 8 non-zero bytes, its parent span id neither
// empty nor 8 non-zero bytes, or its start time outside the window. A
// span ending before it starts is kept with duration 0, and one ending
// after the window is kept with its end clamped to the window (both
// counted as Clamped): the span happened, its clock was wrong.
//
// Fields record has no column for (scope, links, trace state, flags,
// dropped event and link counts) are not kept.
func Traces(t Tenant, req *coltracepb.ExportTraceServiceRequest, now time.Time, lim Limits) ([]record.Span, Drops) {
	c := newConverter(t, now, lim)
	n := 0
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			n += len(ss.GetSpans())
		}
	}
	rows := make([]record.Span, 0, n)
	for _, rs := range req.GetResourceSpans() {
		res, svc := c.resource(rs.GetResource())
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				rows = c.span(rows, s, res, svc)
			}
		}
	}
	return rows, c.drops
}

// span appends s's row to rows unless s is refused.
func (c *converter) span(rows []record.Span, s *tracepb.Span, res map[string]string, svc string) []record.Span {
	parent, okParent := optionalID(s.GetParentSpanId(), 8)
	if !validID(s.GetTraceId(), 16) || !validID(s.GetSpanId(), 8) || !okParent {
		c.drops.Malformed++
		return rows
	}
	start, ok := c.inWindow(s.GetStartTimeUnixNano())
	if !ok {
		c.drops.OutOfWindow++
		return rows
	}
	attrs, dropped := c.attrs(s.GetAttributes())
	rows = append(rows, record.Span{
		Project:           c.tenant.Project,
		Service:           svc,
		TraceID:           s.GetTraceId(),
		SpanID:            s.GetSpanId(),
		ParentSpanID:      parent,
		Name:              c.clip(s.GetName()),
		Kind:              int32(s.GetKind()),
		StatusCode:        int32(s.GetStatus().GetCode()),
		StatusMessage:     c.clip(s.GetStatus().GetMessage()),
		StartNano:         start,
		DurationNano:      c.duration(start, s.GetEndTimeUnixNano()),
		Resource:          res,
		Attributes:        attrs,
		Events:            c.events(s.GetEvents()),
		DroppedAttributes: addDropped(s.GetDroppedAttributesCount(), dropped),
	})
	return rows
}

// duration is end-start for a start inside the window, with end clamped
// into [start, window end].
func (c *converter) duration(start int64, end uint64) int64 {
	e, ok := toNano(end)
	switch {
	case !ok || e > c.win.Hi:
		c.drops.Clamped++
		return c.win.Hi - start
	case e < start:
		c.drops.Clamped++
		return 0
	}
	return e - start
}

// events converts the first MaxEvents events inside the window.
func (c *converter) events(evs []*tracepb.Span_Event) []record.SpanEvent {
	if len(evs) == 0 {
		return nil
	}
	out := make([]record.SpanEvent, 0, min(len(evs), c.lim.MaxEvents))
	for i, ev := range evs {
		if len(out) == c.lim.MaxEvents {
			c.drops.EventsDropped += int64(len(evs) - i)
			break
		}
		t, ok := c.inWindow(ev.GetTimeUnixNano())
		if !ok {
			c.drops.EventsDropped++
			continue
		}
		attrs, _ := c.attrs(ev.GetAttributes())
		out = append(out, record.SpanEvent{TimeNano: t, Name: c.clip(ev.GetName()), Attributes: attrs})
	}
	return out
}
