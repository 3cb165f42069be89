package otlpconv

import (
	"time"

	colmetricspb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

// noRecordedValue is DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK: the point
// marks a series' disappearance (Prometheus staleness) and has no value.
const noRecordedValue = uint32(metricspb.DataPointFlags_DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK)

// Metrics converts an OTLP metrics export into metric point rows for
// t.Project. One data point is one item: it becomes one row (a summary
// point several, see summaries) or is refused and counted.
//
// Gauges and sums map directly (a sum's monotonicity and temporality
// kept, an unspecified temporality refused). Histograms keep their
// explicit buckets; exponential histograms are converted to explicit
// buckets (see expBuckets). Summaries become gauges and sums in the
// Prometheus layout (see summaries). Points flagged "no recorded value"
// are skipped. Fields record has no column for (scope, description,
// metadata, histogram min and max) are not kept.
func Metrics(t Tenant, req *colmetricspb.ExportMetricsServiceRequest, now time.Time, lim Limits) ([]record.Metric, Drops) {
	c := newConverter(t, now, lim)
	n := 0
	for _, rm := range req.GetResourceMetrics() {
		for _, sm := range rm.GetScopeMetrics() {
			for _, m := range sm.GetMetrics() {
				n += rowCount(m)
			}
		}
	}
	rows := make([]record.Metric, 0, n)
	for _, rm := range req.GetResourceMetrics() {
		res, svc := c.resource(rm.GetResource())
		for _, sm := range rm.GetScopeMetrics() {
			for _, m := range sm.GetMetrics() {
				rows = c.metric(rows, m, metricBase{res: res, svc: svc})
			}
		}
	}
	return rows, c.drops
}

// metricBase is what every row of one metric shares.
type metricBase struct {
	name, unit, svc string
	res             map[string]string
}

// metric appends the rows of m's points.
func (c *converter) metric(rows []record.Metric, m *metricspb.Metric, b metricBase) []record.Metric {
	if m.GetData() == nil {
		c.drops.Unsupported++
		return rows
	}
	if m.GetName() == "" {
		c.drops.Malformed += int64(pointCount(m))
		return rows
	}
	b.name, b.unit = c.clip(m.GetName()), c.clip(m.GetUnit())
	switch d := m.GetData().(type) {
	case *metricspb.Metric_Gauge:
		return c.numbers(rows, &b, d.Gauge.GetDataPoints(), record.Gauge, false, false)
	case *metricspb.Metric_Sum:
		delta, ok := isDelta(d.Sum.GetAggregationTemporality())
		if !ok {
			c.drops.Malformed += int64(len(d.Sum.GetDataPoints()))
			return rows
		}
		return c.numbers(rows, &b, d.Sum.GetDataPoints(), record.Sum, d.Sum.GetIsMonotonic(), delta)
	case *metricspb.Metric_Histogram:
		delta, ok := isDelta(d.Histogram.GetAggregationTemporality())
		if !ok {
			c.drops.Malformed += int64(len(d.Histogram.GetDataPoints()))
			return rows
		}
		return c.histograms(rows, &b, d.Histogram.GetDataPoints(), delta)
	case *metricspb.Metric_ExponentialHistogram:
		delta, ok := isDelta(d.ExponentialHistogram.GetAggregationTemporality())
		if !ok {
			c.drops.Malformed += int64(len(d.ExponentialHistogram.GetDataPoints()))
			return rows
		}
		return c.expHistograms(rows, &b, d.ExponentialHistogram.GetDataPoints(), delta)
	case *metricspb.Metric_Summary:
		return c.summaries(rows, &b, d.Summary.GetDataPoints())
	}
	// A data type newer than this code: its points cannot be counted.
	c.drops.Unsupported++
	return rows
}

// isDelta maps a temporality to record's Delta; unspecified is invalid
// (the OTLP spec forbids it), so it is not ok.
func isDelta(t metricspb.AggregationTemporality) (delta, ok bool) {
	switch t {
	case metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA:
		return true, true
	case metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE:
		return false, true
	}
	return false, false
}

// numbers appends gauge or sum points.
func (c *converter) numbers(rows []record.Metric, b *metricBase, pts []*metricspb.NumberDataPoint, kind record.MetricKind, monotonic, delta bool) []record.Metric {
	for _, p := range pts {
		if p.GetFlags()&noRecordedValue != 0 {
			c.drops.Skipped++
			continue
		}
		var v float64
		switch x := p.GetValue().(type) {
		case *metricspb.NumberDataPoint_AsDouble:
			v = x.AsDouble
		case *metricspb.NumberDataPoint_AsInt:
			v = float64(x.AsInt)
		default:
			c.drops.Malformed++
			continue
		}
		row, ok := c.point(b, p.GetAttributes(), p.GetStartTimeUnixNano(), p.GetTimeUnixNano())
		if !ok {
			continue
		}
		row.Kind, row.Value, row.Monotonic, row.Delta = kind, v, monotonic, delta
		row.Exemplars = c.exemplars(p.GetExemplars())
		rows = append(rows, row)
	}
	return rows
}

// point starts a point's row: identity, labels and times. It refuses
// (and counts) a point whose time is outside the window. A start time
// after the point's time, or too large for int64, becomes 0 ("unknown")
// and is counted as Clamped; an old start is normal (a counter started
// long ago) and kept.
func (c *converter) point(b *metricBase, attrs []*commonpb.KeyValue, start, t uint64) (record.Metric, bool) {
	ts, ok := c.inWindow(t)
	if !ok {
		c.drops.OutOfWindow++
		return record.Metric{}, false
	}
	st, ok := toNano(start)
	if !ok || st > ts {
		c.drops.Clamped++
		st = 0
	}
	labels, _ := c.attrs(attrs)
	return record.Metric{
		Project:   c.tenant.Project,
		Service:   b.svc,
		Name:      b.name,
		Unit:      b.unit,
		TimeNano:  ts,
		StartNano: st,
		Labels:    labels,
		Resource:  b.res,
	}, true
}

// pointCount is the number of data points (items) in m.
func pointCount(m *metricspb.Metric) int {
	switch d := m.GetData().(type) {
	case *metricspb.Metric_Gauge:
		return len(d.Gauge.GetDataPoints())
	case *metricspb.Metric_Sum:
		return len(d.Sum.GetDataPoints())
	case *metricspb.Metric_Histogram:
		return len(d.Histogram.GetDataPoints())
	case *metricspb.Metric_ExponentialHistogram:
		return len(d.ExponentialHistogram.GetDataPoints())
	case *metricspb.Metric_Summary:
		return len(d.Summary.GetDataPoints())
	}
	return 0
}

// rowCount is the most rows m can become, to size the result once.
func rowCount(m *metricspb.Metric) int {
	s, ok := m.GetData().(*metricspb.Metric_Summary)
	if !ok {
		return pointCount(m)
	}
	n := 0
	for _, p := range s.Summary.GetDataPoints() {
		n += summaryRows + len(p.GetQuantileValues())
	}
	return n
}
