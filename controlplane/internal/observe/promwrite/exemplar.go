package promwrite

import (
	"encoding/hex"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

// Exemplar labels carrying trace context, as Prometheus client libraries
// name them.
const (
	traceIDLabel = "trace_id"
	spanIDLabel  = "span_id"
)

// attach adds exemplars to row i, up to MaxExemplars per row.
func (c *converter) attach(i int, exs []Exemplar) {
	if len(exs) == 0 {
		return
	}
	r := &c.rows[i]
	for k := range exs {
		if len(r.Exemplars) >= c.lim.MaxExemplars {
			c.drops.ExemplarsDropped += int64(len(exs) - k)
			return
		}
		e, ok := c.exemplar(&exs[k])
		if !ok {
			c.drops.ExemplarsDropped++
			continue
		}
		r.Exemplars = append(r.Exemplars, e)
	}
}

// attachPending attaches an exemplar-only series' exemplars to the last
// row of the series with the same labels, if this request has one.
func (c *converter) attachPending(s *Series) {
	i, ok := c.bySeries[seriesKey(s.Labels)]
	if !ok {
		c.drops.ExemplarsDropped += int64(len(s.Exemplars))
		return
	}
	c.attach(i, s.Exemplars)
}

// exemplar converts one exemplar; it is refused when its time is outside
// the window. A trace_id label of 32 hex digits (span_id: 16) becomes
// the exemplar's TraceID (SpanID); any other label, including a
// trace_id that is not a valid id, becomes an attribute under the usual
// rules.
func (c *converter) exemplar(e *Exemplar) (record.Exemplar, bool) {
	ts, ok := c.msToNano(e.TimestampMs)
	if !ok {
		return record.Exemplar{}, false
	}
	out := record.Exemplar{TimeNano: ts, Value: e.Value}
	rest := make([]Label, 0, len(e.Labels))
	for _, l := range e.Labels {
		switch {
		case l.Name == traceIDLabel && out.TraceID == nil:
			if out.TraceID = hexID(l.Value, 16); out.TraceID != nil {
				continue
			}
		case l.Name == spanIDLabel && out.SpanID == nil:
			if out.SpanID = hexID(l.Value, 8); out.SpanID != nil {
				continue
			}
		}
		rest = append(rest, l)
	}
	if len(rest) > 0 {
		out.Attributes = c.labels(rest)
	}
	return out, true
}

// hexID decodes an n-byte id written as 2n hex digits; nil unless valid
// and not all zeros.
func hexID(s string, n int) []byte {
	if len(s) != 2*n {
		return nil
	}
	id, err := hex.DecodeString(s)
	if err != nil {
		return nil
	}
	for _, b := range id {
		if b != 0 {
			return id
		}
	}
	return nil
}
