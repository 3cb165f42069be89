package query

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

// Aggregation combines a metric's points within a step and across the
// series of a group.
type Aggregation string

// Aggregations.
const (
	AggSum      Aggregation = "sum"
	AggAvg      Aggregation = "avg"
	AggMin      Aggregation = "min"
	AggMax      Aggregation = "max"
	AggCount    Aggregation = "count"
	AggRate     Aggregation = "rate"
	AggQuantile Aggregation = "quantile"
)

// ParseAggregation checks a name ("" is avg).
func ParseAggregation(name string) (Aggregation, error) {
	switch a := Aggregation(strings.ToLower(name)); a {
	case "":
		return AggAvg, nil
	case AggSum, AggAvg, AggMin, AggMax, AggCount, AggRate, AggQuantile:
		return a, nil
	}
	return "", fmt.Errorf("aggregation %q: want sum, avg, min, max, count, rate or quantile", name)
}

// Point is one step's value.
type Point struct {
	Time  int64
	Value float64
}

// Series is one group's points.
type Series struct {
	Labels map[string]string
	Points []Point
}

// AggregateRequest shapes an aggregation.
type AggregateRequest struct {
	From, To, Step int64
	Agg            Aggregation
	Quantile       float64
	GroupBy        []string
}

// seriesKey identifies one time series: its service and labels.
func seriesKey(m *record.Metric) string {
	keys := make([]string, 0, len(m.Labels))
	for k := range m.Labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString(m.Service)
	for _, k := range keys {
		b.WriteByte(0)
		b.WriteString(k)
		b.WriteByte(1)
		b.WriteString(m.Labels[k])
	}
	return b.String()
}

// groupLabels are the labels of m a group keeps ("service" is the
// service name unless m has a label of that name).
func groupLabels(m *record.Metric, by []string) map[string]string {
	out := make(map[string]string, len(by))
	for _, k := range by {
		if v, ok := m.Labels[k]; ok {
			out[k] = v
		} else if k == "service" {
			out[k] = m.Service
		} else {
			out[k] = ""
		}
	}
	return out
}

func labelsKey(l map[string]string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte(1)
		b.WriteString(l[k])
		b.WriteByte(0)
	}
	return b.String()
}

// stepValue is one series' contribution to one step.
type stepValue struct {
	value float64
	// hsum and hcount are a histogram's increases of sum and count.
	hsum, hcount float64
	bounds       []float64
	buckets      []float64
	ok           bool
}

// Aggregate turns points (already filtered to one metric, its labels and
// [From, To)) into series of steps. Per series and step: the last value
// of a gauge or a cumulative sum, the sum of delta values, the increase
// of a cumulative counter or histogram (rate: per second). Across the
// series of a group: sum, avg, min, max or count of those; quantile
// merges the histograms' bucket increases and interpolates within the
// bucket the rank falls in, as Prometheus's histogram_quantile does.
func Aggregate(points []record.Metric, r AggregateRequest) ([]Series, error) {
	if r.Step <= 0 || r.To <= r.From {
		return nil, fmt.Errorf("a positive step and a non-empty range are required")
	}
	if r.Agg == AggQuantile && (r.Quantile < 0 || r.Quantile > 1 || math.IsNaN(r.Quantile)) {
		return nil, fmt.Errorf("quantile must be between 0 and 1")
	}
	bySeries := map[string][]*record.Metric{}
	for i := range points {
		k := seriesKey(&points[i])
		bySeries[k] = append(bySeries[k], &points[i])
	}
	steps := int((r.To - r.From + r.Step - 1) / r.Step)
	type group struct {
		labels map[string]string
		steps  [][]stepValue
	}
	groups := map[string]*group{}
	for _, ps := range bySeries {
		slices.SortFunc(ps, func(a, b *record.Metric) int { return cmpInt(a.TimeNano, b.TimeNano) })
		labels := groupLabels(ps[0], r.GroupBy)
		gk := labelsKey(labels)
		g := groups[gk]
		if g == nil {
			g = &group{labels: labels, steps: make([][]stepValue, steps)}
			groups[gk] = g
		}
		for i, v := range seriesSteps(ps, r, steps) {
			if v.ok {
				g.steps[i] = append(g.steps[i], v)
			}
		}
	}
	out := make([]Series, 0, len(groups))
	for _, g := range groups {
		s := Series{Labels: g.labels}
		for i, vs := range g.steps {
			if len(vs) == 0 {
				continue
			}
			v, ok := combine(vs, r)
			if ok {
				s.Points = append(s.Points, Point{Time: r.From + int64(i)*r.Step, Value: v})
			}
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Series) int { return strings.Compare(labelsKey(a.Labels), labelsKey(b.Labels)) })
	return out, nil
}

// seriesSteps computes one series' value per step.
func seriesSteps(ps []*record.Metric, r AggregateRequest, steps int) []stepValue {
	out := make([]stepValue, steps)
	increase := r.Agg == AggRate || r.Agg == AggQuantile || ps[0].Kind == record.Histogram
	var prev *record.Metric
	for _, p := range ps {
		i := int((p.TimeNano - r.From) / r.Step)
		if i < 0 || i >= steps {
			continue
		}
		v := &out[i]
		switch {
		case p.Kind == record.Histogram:
			inc := histIncrease(prev, p)
			if !v.ok {
				v.bounds = p.Bounds
				v.buckets = make([]float64, len(p.BucketCounts))
			}
			if len(inc.buckets) == len(v.buckets) {
				for j := range inc.buckets {
					v.buckets[j] += inc.buckets[j]
				}
			}
			v.hsum += inc.sum
			v.hcount += inc.count
			// A histogram's value is its observations, or their mean for avg.
			v.value = v.hcount
			if r.Agg == AggAvg {
				v.value = 0
				if v.hcount > 0 {
					v.value = v.hsum / v.hcount
				}
			}
			v.ok = true
		case increase:
			v.value += counterIncrease(prev, p)
			v.ok = true
		case p.Kind == record.Sum && p.Delta:
			v.value += p.Value
			v.ok = true
		default:
			v.value = p.Value // the last in the step wins
			v.ok = true
		}
		prev = p
	}
	if r.Agg == AggRate {
		for i := range out {
			out[i].value /= float64(r.Step) / 1e9
		}
	}
	return out
}

type histInc struct {
	buckets    []float64
	count, sum float64
}

// histIncrease is what histogram point p adds over prev: p itself when it
// is a delta, the first point, or follows a reset.
func histIncrease(prev, p *record.Metric) histInc {
	out := histInc{buckets: make([]float64, len(p.BucketCounts))}
	reset := prev == nil || p.Delta || prev.Count > p.Count || len(prev.BucketCounts) != len(p.BucketCounts)
	for i, c := range p.BucketCounts {
		out.buckets[i] = float64(c)
		if !reset {
			out.buckets[i] -= float64(prev.BucketCounts[i])
		}
	}
	out.count, out.sum = float64(p.Count), p.HistSum
	if !reset {
		out.count -= float64(prev.Count)
		out.sum -= prev.HistSum
	}
	return out
}

// counterIncrease is what a counter point adds over prev, a reset (a
// lower value) counting from zero.
func counterIncrease(prev, p *record.Metric) float64 {
	switch {
	case p.Delta:
		return p.Value
	case prev == nil:
		return 0
	case p.Value < prev.Value:
		return p.Value
	}
	return p.Value - prev.Value
}

// combine folds the series' values of one step into the group's.
func combine(vs []stepValue, r AggregateRequest) (float64, bool) {
	switch r.Agg {
	case AggQuantile:
		return quantile(vs, r.Quantile)
	case AggCount:
		return float64(len(vs)), true
	case AggMin, AggMax:
		out := vs[0].value
		for _, v := range vs[1:] {
			if (r.Agg == AggMin) == (v.value < out) {
				out = v.value
			}
		}
		return out, true
	case AggAvg:
		sum := 0.0
		for _, v := range vs {
			sum += v.value
		}
		return sum / float64(len(vs)), true
	}
	sum := 0.0
	for _, v := range vs {
		sum += v.value
	}
	return sum, true
}

// quantile merges bucket increases with the first series' bounds and
// interpolates linearly within the bucket holding rank q·total.
func quantile(vs []stepValue, q float64) (float64, bool) {
	bounds := vs[0].bounds
	merged := make([]float64, len(bounds)+1)
	for _, v := range vs {
		if !slices.Equal(v.bounds, bounds) || len(v.buckets) != len(merged) {
			continue
		}
		for i, c := range v.buckets {
			merged[i] += c
		}
	}
	total := 0.0
	for _, c := range merged {
		total += c
	}
	if total <= 0 {
		return 0, false
	}
	rank := q * total
	seen := 0.0
	for i, c := range merged {
		if seen+c < rank || c == 0 {
			seen += c
			continue
		}
		if i == len(bounds) { // +Inf: the highest finite bound is all we know
			if len(bounds) == 0 {
				return 0, false
			}
			return bounds[len(bounds)-1], true
		}
		lower := 0.0
		if i > 0 {
			lower = bounds[i-1]
		} else if bounds[0] <= 0 {
			return bounds[0], true
		}
		return lower + (bounds[i]-lower)*(rank-seen)/c, true
	}
	return bounds[len(bounds)-1], true
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
