package otlpconv

import (
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

// exemplars converts the first MaxExemplars usable exemplars of a point.
// An exemplar is dropped (and counted) when its time is outside the
// window, it has no value, or a trace or span id is present but not of
// the right length: an exemplar exists to link to a trace, so a broken
// link is worth nothing.
func (c *converter) exemplars(exs []*metricspb.Exemplar) []record.Exemplar {
	if len(exs) == 0 {
		return nil
	}
	out := make([]record.Exemplar, 0, min(len(exs), c.lim.MaxExemplars))
	for i, e := range exs {
		if len(out) == c.lim.MaxExemplars {
			c.drops.ExemplarsDropped += int64(len(exs) - i)
			break
		}
		ex, ok := c.exemplar(e)
		if !ok {
			c.drops.ExemplarsDropped++
			continue
		}
		out = append(out, ex)
	}
	return out
}

func (c *converter) exemplar(e *metricspb.Exemplar) (record.Exemplar, bool) {
	t, okTime := c.inWindow(e.GetTimeUnixNano())
	traceID, okTrace := optionalID(e.GetTraceId(), 16)
	spanID, okSpan := optionalID(e.GetSpanId(), 8)
	var v float64
	okValue := true
	switch x := e.GetValue().(type) {
	case *metricspb.Exemplar_AsDouble:
		v = x.AsDouble
	case *metricspb.Exemplar_AsInt:
		v = float64(x.AsInt)
	default:
		okValue = false
	}
	if !okTime || !okTrace || !okSpan || !okValue {
		return record.Exemplar{}, false
	}
	attrs, _ := c.attrs(e.GetFilteredAttributes())
	return record.Exemplar{TimeNano: t, Value: v, TraceID: traceID, SpanID: spanID, Attributes: attrs}, true
}
