package otlpconv

import (
	"math"

	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

// summaryRows is the rows a summary point makes besides its quantiles.
const summaryRows = 2

// QuantileLabel is the label a summary's quantile rows carry, as in
// Prometheus.
const QuantileLabel = "quantile"

// summaries appends summary points in the layout Prometheus exposes them
// in, which is also how remote-write delivers them, so both ingest paths
// store summaries alike:
//
//   - one Gauge row per quantile, named like the metric, with its labels
//     plus quantile="<q>" (replacing a sender's own "quantile");
//   - "<name>_sum" and "<name>_count" rows, monotonic cumulative Sums
//     (OTLP summaries are cumulative), sharing the point's labels.
//
// A point with a quantile outside [0, 1] (or NaN) is refused as
// malformed. Summaries carry no exemplars.
func (c *converter) summaries(rows []record.Metric, b *metricBase, pts []*metricspb.SummaryDataPoint) []record.Metric {
	for _, p := range pts {
		if p.GetFlags()&noRecordedValue != 0 {
			c.drops.Skipped++
			continue
		}
		if !validQuantiles(p.GetQuantileValues()) {
			c.drops.Malformed++
			continue
		}
		row, ok := c.point(b, p.GetAttributes(), p.GetStartTimeUnixNano(), p.GetTimeUnixNano())
		if !ok {
			continue
		}
		for _, q := range p.GetQuantileValues() {
			r := row
			r.Kind, r.Value = record.Gauge, q.GetValue()
			r.Labels = withLabel(row.Labels, QuantileLabel, string(appendFloat(nil, q.GetQuantile())))
			rows = append(rows, r)
		}
		sum, count := row, row
		sum.Name, sum.Kind, sum.Monotonic, sum.Value = b.name+"_sum", record.Sum, true, p.GetSum()
		count.Name, count.Kind, count.Monotonic, count.Value = b.name+"_count", record.Sum, true, float64(p.GetCount())
		rows = append(rows, sum, count)
	}
	return rows
}

func validQuantiles(qs []*metricspb.SummaryDataPoint_ValueAtQuantile) bool {
	for _, q := range qs {
		if x := q.GetQuantile(); math.IsNaN(x) || x < 0 || x > 1 {
			return false
		}
	}
	return true
}

// withLabel returns a copy of m with k set to v. The added label may take
// a map one over MaxAttributes; it is ours, not the sender's.
func withLabel(m map[string]string, k, v string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for mk, mv := range m {
		out[mk] = mv
	}
	out[k] = v
	return out
}
