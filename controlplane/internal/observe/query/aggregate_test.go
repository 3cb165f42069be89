package query

import (
	"math"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

const sec = int64(1e9)

func gauge(service string, labels map[string]string, t int64, v float64) record.Metric {
	return record.Metric{Service: service, Name: "g", Kind: record.Gauge, Labels: labels, TimeNano: t, Value: v}
}

func counter(labels map[string]string, t int64, v float64) record.Metric {
	return record.Metric{Service: "api", Name: "c", Kind: record.Sum, Monotonic: true, Labels: labels, TimeNano: t, Value: v}
}

func hist(t int64, counts []uint64, sum float64) record.Metric {
	var n uint64
	for _, c := range counts {
		n += c
	}
	return record.Metric{Service: "api", Name: "h", Kind: record.Histogram, TimeNano: t, Bounds: []float64{0.1, 0.5, 1}, BucketCounts: counts, Count: n, HistSum: sum}
}

func one(t *testing.T, req AggregateRequest, pts []record.Metric) []Point {
	t.Helper()
	series, err := Aggregate(pts, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(series) != 1 {
		t.Fatalf("%d series, want 1: %+v", len(series), series)
	}
	return series[0].Points
}

// TestAggregateGauges: the last value of each series per step, then
// sum/avg/min/max/count across series; steps without data are absent.
func TestAggregateGauges(t *testing.T) {
	a, b := map[string]string{"host": "a"}, map[string]string{"host": "b"}
	pts := []record.Metric{
		gauge("api", a, 1*sec, 1), gauge("api", a, 5*sec, 3), // step 0: a=3 (last)
		gauge("api", b, 2*sec, 10), // step 0: b=10
		gauge("api", a, 25*sec, 7), // step 2: a=7; step 1 empty
	}
	for agg, want := range map[Aggregation][]float64{AggSum: {13, 7}, AggAvg: {6.5, 7}, AggMin: {3, 7}, AggMax: {10, 7}, AggCount: {2, 1}} {
		got := one(t, AggregateRequest{From: 0, To: 30 * sec, Step: 10 * sec, Agg: agg}, pts)
		if len(got) != 2 || got[0].Time != 0 || got[1].Time != 20*sec || got[0].Value != want[0] || got[1].Value != want[1] {
			t.Errorf("%s: %+v, want values %v at 0s and 20s", agg, got, want)
		}
	}
	series, err := Aggregate(pts, AggregateRequest{From: 0, To: 30 * sec, Step: 10 * sec, Agg: AggSum, GroupBy: []string{"host"}})
	if err != nil || len(series) != 2 || series[0].Labels["host"] != "a" || series[1].Points[0].Value != 10 {
		t.Fatalf("group by host: %+v %v", series, err)
	}
}

// TestAggregateRate: a counter's increase per second, a reset counting
// from zero, summed across series.
func TestAggregateRate(t *testing.T) {
	l := map[string]string{"code": "200"}
	pts := []record.Metric{
		counter(l, 0, 100), counter(l, 5*sec, 110), counter(l, 9*sec, 120), // +20 in step 0
		counter(l, 12*sec, 5), // reset: +5 in step 1
	}
	got := one(t, AggregateRequest{From: 0, To: 20 * sec, Step: 10 * sec, Agg: AggRate}, pts)
	if len(got) != 2 || got[0].Value != 2 || got[1].Value != 0.5 {
		t.Fatalf("rate: %+v", got)
	}
}

// TestAggregateQuantile: bucket increases of histograms are merged and
// the quantile interpolated within its bucket.
func TestAggregateQuantile(t *testing.T) {
	pts := []record.Metric{
		hist(0, []uint64{0, 0, 0, 0}, 0),
		hist(5*sec, []uint64{50, 30, 20, 0}, 30), // +100: 50 ≤0.1, 30 ≤0.5, 20 ≤1
	}
	got := one(t, AggregateRequest{From: 0, To: 10 * sec, Step: 10 * sec, Agg: AggQuantile, Quantile: 0.5}, pts)
	if len(got) != 1 || math.Abs(got[0].Value-0.1) > 1e-9 {
		t.Fatalf("p50: %+v, want 0.1", got)
	}
	got = one(t, AggregateRequest{From: 0, To: 10 * sec, Step: 10 * sec, Agg: AggQuantile, Quantile: 0.9}, pts)
	// rank 90: 80 below 0.5, 10 of the 20 in (0.5, 1]: 0.75.
	if math.Abs(got[0].Value-0.75) > 1e-9 {
		t.Fatalf("p90: %+v, want 0.75", got)
	}
	got = one(t, AggregateRequest{From: 0, To: 10 * sec, Step: 10 * sec, Agg: AggAvg}, pts)
	if math.Abs(got[0].Value-0.3) > 1e-9 {
		t.Fatalf("mean observation: %+v, want 0.3", got)
	}
	if _, err := Aggregate(pts, AggregateRequest{From: 0, To: 10 * sec, Step: 10 * sec, Agg: AggQuantile, Quantile: 1.5}); err == nil {
		t.Fatal("a quantile of 1.5 was accepted")
	}
}
