package otlpconv

import (
	"math"
	"time"
)

// Limits bound what one converted item may cost. A field that is zero or
// negative takes its DefaultLimits value (see Normalized), so a forgotten
// field never means "keep nothing" or "accept nothing".
type Limits struct {
	// MaxAttributes is the number of attributes kept in one map (a
	// resource, span, span event, log record, data point or exemplar);
	// the first ones in the sender's order are kept, the rest dropped.
	MaxAttributes int
	// MaxAttributeValueBytes bounds an attribute value and also every
	// other short string: attribute keys (a longer key drops its
	// attribute, since truncating keys would merge distinct ones), span,
	// event and metric names, status messages, severity texts, units.
	MaxAttributeValueBytes int
	// MaxBodyBytes bounds a log record's body.
	MaxBodyBytes int
	// MaxEvents is the number of span events kept per span.
	MaxEvents int
	// MaxExemplars is the number of exemplars kept per metric point.
	MaxExemplars int
	// MaxFuture and MaxPast bound an item's timestamp around the time of
	// ingest; items outside are refused.
	MaxFuture time.Duration
	MaxPast   time.Duration
}

// DefaultLimits returns the limits ingest uses unless configured
// otherwise. Why these values:
//
//   - 128 attributes and 128 events: the OpenTelemetry SDKs' own default
//     limits (OTEL_ATTRIBUTE_COUNT_LIMIT, OTEL_SPAN_EVENT_COUNT_LIMIT), so
//     a conforming SDK never loses anything here; only a broken or hostile
//     sender does.
//   - 4 KiB per value: room for URLs, SQL statements and user agents,
//     while 128 maximal attributes still cost at most 512 KiB per map.
//     Long text belongs in a log body.
//   - 64 KiB per log body: a multi-line stack trace fits; one line is
//     rarely above 1 KiB, and a row group stays small in memory.
//   - 16 exemplars per point: exemplars are samples linking a point to
//     traces; a handful per point (Prometheus keeps about one per bucket)
//     is enough to find a trace.
//   - 1 hour into the future: tolerates badly synchronised clocks, yet a
//     sender cannot create partitions far ahead of time.
//   - 7 days into the past: a node agent replaying its disk buffer after a
//     long weekend's outage still gets through, while older data (which
//     would land in long-compacted partitions, or a clock at 1970) is
//     refused.
func DefaultLimits() Limits {
	return Limits{
		MaxAttributes:          128,
		MaxAttributeValueBytes: 4 << 10,
		MaxBodyBytes:           64 << 10,
		MaxEvents:              128,
		MaxExemplars:           16,
		MaxFuture:              time.Hour,
		MaxPast:                7 * 24 * time.Hour,
	}
}

// Normalized returns l with every zero or negative field replaced by its
// DefaultLimits value.
func (l Limits) Normalized() Limits {
	d := DefaultLimits()
	if l.MaxAttributes <= 0 {
		l.MaxAttributes = d.MaxAttributes
	}
	if l.MaxAttributeValueBytes <= 0 {
		l.MaxAttributeValueBytes = d.MaxAttributeValueBytes
	}
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = d.MaxBodyBytes
	}
	if l.MaxEvents <= 0 {
		l.MaxEvents = d.MaxEvents
	}
	if l.MaxExemplars <= 0 {
		l.MaxExemplars = d.MaxExemplars
	}
	if l.MaxFuture <= 0 {
		l.MaxFuture = d.MaxFuture
	}
	if l.MaxPast <= 0 {
		l.MaxPast = d.MaxPast
	}
	return l
}

// Window is the range of Unix nanosecond timestamps ingest accepts,
// inclusive at both ends.
type Window struct {
	Lo, Hi int64
}

// Window returns the timestamps accepted at now.
func (l Limits) Window(now time.Time) Window {
	n := now.UnixNano()
	return Window{Lo: satAdd(n, -int64(l.MaxPast)), Hi: satAdd(n, int64(l.MaxFuture))}
}

// Contains reports whether ns lies in w.
func (w Window) Contains(ns int64) bool { return ns >= w.Lo && ns <= w.Hi }

// satAdd adds without wrapping around, so a huge configured duration
// cannot turn the window inside out.
func satAdd(a, b int64) int64 {
	s := a + b
	if b > 0 && s < a {
		return math.MaxInt64
	}
	if b < 0 && s > a {
		return math.MinInt64
	}
	return s
}
