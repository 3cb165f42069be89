package otlpconv

import (
	"math"
	"testing"
	"time"

	colmetricspb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

func metricsReq(ms ...*metricspb.Metric) *colmetricspb.ExportMetricsServiceRequest {
	return &colmetricspb.ExportMetricsServiceRequest{ResourceMetrics: []*metricspb.ResourceMetrics{{
		Resource:     resource(kv("service.name", "api")),
		ScopeMetrics: []*metricspb.ScopeMetrics{{Metrics: ms}},
	}}}
}

var (
	cumulative = metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE
	delta      = metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA
	pointTime  = ns(-10 * time.Second)
	startTime  = ns(-time.Hour)
	wantRes    = map[string]string{"service.name": "api", "hearth.cluster": "c1"}
)

// base is the part of every metric row these tests expect.
func base(name string, labels map[string]string) record.Metric {
	return record.Metric{
		Project: "prj_1", Service: "api", Name: name, Unit: "s",
		TimeNano: int64(pointTime), StartNano: int64(startTime),
		Labels: labels, Resource: wantRes,
	}
}

func numberPoint(v any, attrs ...*commonpb.KeyValue) *metricspb.NumberDataPoint {
	p := &metricspb.NumberDataPoint{Attributes: attrs, StartTimeUnixNano: startTime, TimeUnixNano: pointTime}
	switch x := v.(type) {
	case int:
		p.Value = &metricspb.NumberDataPoint_AsInt{AsInt: int64(x)}
	case float64:
		p.Value = &metricspb.NumberDataPoint_AsDouble{AsDouble: x}
	}
	return p
}

func TestMetricsGaugeAndSum(t *testing.T) {
	ex := &metricspb.Exemplar{
		TimeUnixNano:       pointTime,
		Value:              &metricspb.Exemplar_AsInt{AsInt: 7},
		TraceId:            traceID(1),
		SpanId:             spanID(1),
		FilteredAttributes: []*commonpb.KeyValue{kv("user", "u1")},
	}
	withExemplar := numberPoint(3, kv("route", "/a"))
	withExemplar.Exemplars = []*metricspb.Exemplar{ex}
	req := metricsReq(
		&metricspb.Metric{Name: "temp", Unit: "s", Data: &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{
			DataPoints: []*metricspb.NumberDataPoint{numberPoint(21.5, kv("room", "a"))},
		}}},
		&metricspb.Metric{Name: "requests", Unit: "s", Data: &metricspb.Metric_Sum{Sum: &metricspb.Sum{
			IsMonotonic: true, AggregationTemporality: cumulative,
			DataPoints: []*metricspb.NumberDataPoint{withExemplar},
		}}},
		&metricspb.Metric{Name: "inflight", Unit: "s", Data: &metricspb.Metric_Sum{Sum: &metricspb.Sum{
			AggregationTemporality: delta,
			DataPoints:             []*metricspb.NumberDataPoint{numberPoint(-2)},
		}}},
	)
	rows, drops := Metrics(testTenant, req, testNow, DefaultLimits())
	wantDrops(t, drops, Drops{})
	gauge := base("temp", map[string]string{"room": "a"})
	gauge.Kind, gauge.Value = record.Gauge, 21.5
	counter := base("requests", map[string]string{"route": "/a"})
	counter.Kind, counter.Value, counter.Monotonic = record.Sum, 3, true
	counter.Exemplars = []record.Exemplar{{
		TimeNano: int64(pointTime), Value: 7, TraceID: traceID(1), SpanID: spanID(1),
		Attributes: map[string]string{"user": "u1"},
	}}
	upDown := base("inflight", nil)
	upDown.Kind, upDown.Value, upDown.Delta = record.Sum, -2, true
	deepEqual(t, "rows", rows, []record.Metric{gauge, counter, upDown})
}

func TestMetricsRefusedPoints(t *testing.T) {
	noValue := numberPoint(1)
	noValue.Flags = uint32(metricspb.DataPointFlags_DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK)
	future := numberPoint(1)
	future.TimeUnixNano = math.MaxUint64
	late := numberPoint(1)
	late.StartTimeUnixNano = pointTime + 1 // start after the point: unknown
	gauge := func(name string, pts ...*metricspb.NumberDataPoint) *metricspb.Metric {
		return &metricspb.Metric{Name: name, Data: &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{DataPoints: pts}}}
	}
	req := metricsReq(
		gauge("g", noValue, future, numberPoint(nil), late),
		gauge("", numberPoint(1), numberPoint(2)),
		&metricspb.Metric{Name: "s", Data: &metricspb.Metric_Sum{Sum: &metricspb.Sum{DataPoints: []*metricspb.NumberDataPoint{numberPoint(1)}}}},
		&metricspb.Metric{Name: "nodata"},
	)
	rows, drops := Metrics(testTenant, req, testNow, DefaultLimits())
	if len(rows) != 1 || rows[0].StartNano != 0 {
		t.Fatalf("rows = %+v, want only the late-start point, with StartNano 0", rows)
	}
	// missing value, 2 nameless, 1 unspecified temporality.
	wantDrops(t, drops, Drops{Skipped: 1, OutOfWindow: 1, Malformed: 1 + 2 + 1, Unsupported: 1, Clamped: 1})
	if drops.Rejected() != 6 {
		t.Errorf("Rejected() = %d, want 6", drops.Rejected())
	}
}

func histogramMetric(pts ...*metricspb.HistogramDataPoint) *metricspb.Metric {
	return &metricspb.Metric{Name: "latency", Unit: "s", Data: &metricspb.Metric_Histogram{Histogram: &metricspb.Histogram{
		AggregationTemporality: delta, DataPoints: pts,
	}}}
}

func histPoint(bounds []float64, counts []uint64) *metricspb.HistogramDataPoint {
	sum := 12.5
	return &metricspb.HistogramDataPoint{
		StartTimeUnixNano: startTime, TimeUnixNano: pointTime,
		Count: 6, Sum: &sum, ExplicitBounds: bounds, BucketCounts: counts,
	}
}

func TestMetricsHistogram(t *testing.T) {
	rows, drops := Metrics(testTenant, metricsReq(histogramMetric(
		histPoint([]float64{0.1, 1}, []uint64{1, 2, 3}),
		histPoint(nil, nil),
	)), testNow, DefaultLimits())
	wantDrops(t, drops, Drops{})
	h := base("latency", nil)
	h.Kind, h.Delta, h.Count, h.HistSum = record.Histogram, true, 6, 12.5
	h.Bounds, h.BucketCounts = []float64{0.1, 1}, []uint64{1, 2, 3}
	onlyCount := h
	onlyCount.Bounds, onlyCount.BucketCounts = nil, []uint64{6}
	deepEqual(t, "rows", rows, []record.Metric{h, onlyCount})
}

func TestMetricsHistogramBucketMismatch(t *testing.T) {
	rows, drops := Metrics(testTenant, metricsReq(histogramMetric(
		histPoint([]float64{0.1, 1}, []uint64{1, 2}),           // one bucket short
		histPoint([]float64{0.1, 1}, []uint64{1, 2, 3, 4}),     // one too many
		histPoint([]float64{1, 0.1}, []uint64{1, 2, 3}),        // decreasing bounds
		histPoint([]float64{1, 1}, []uint64{1, 2, 3}),          // repeated bound
		histPoint([]float64{math.NaN(), 1}, []uint64{1, 2, 3}), // NaN bound
		histPoint([]float64{1}, nil),                           // bounds without buckets
	)), testNow, DefaultLimits())
	if len(rows) != 0 {
		t.Errorf("rows = %+v, want none", rows)
	}
	wantDrops(t, drops, Drops{Malformed: 6})
}

func expPoint(scale int32, zeroThreshold float64, zero uint64, neg, pos *metricspb.ExponentialHistogramDataPoint_Buckets) *metricspb.ExponentialHistogramDataPoint {
	return &metricspb.ExponentialHistogramDataPoint{
		StartTimeUnixNano: startTime, TimeUnixNano: pointTime, Count: 11,
		Scale: scale, ZeroThreshold: zeroThreshold, ZeroCount: zero, Negative: neg, Positive: pos,
	}
}

func buckets(offset int32, counts ...uint64) *metricspb.ExponentialHistogramDataPoint_Buckets {
	return &metricspb.ExponentialHistogramDataPoint_Buckets{Offset: offset, BucketCounts: counts}
}

func TestMetricsExponentialHistogram(t *testing.T) {
	cases := []struct {
		name   string
		point  *metricspb.ExponentialHistogramDataPoint
		bounds []float64
		counts []uint64
	}{{
		// base 2: negative bucket 0 is [-2,-1); positive 1 is (2,4], 2 is (4,8].
		name:   "scale 0",
		point:  expPoint(0, 0, 2, buckets(0, 1), buckets(1, 3, 5)),
		bounds: []float64{-2, -1, 0, 2, 4, 8},
		counts: []uint64{0, 1, 2, 0, 3, 5, 0},
	}, {
		// base √2: positive 0 is (1,√2], 1 is (√2,2].
		name:   "scale 1",
		point:  expPoint(1, 0, 0, nil, buckets(0, 1, 1)),
		bounds: []float64{0, 1, math.Sqrt2, 2},
		counts: []uint64{0, 0, 1, 1, 0},
	}, {
		// base 16: positive -1 is (1/16, 1].
		name:   "scale -2",
		point:  expPoint(-2, 0, 0, nil, buckets(-1, 4)),
		bounds: []float64{0, 1.0 / 16, 1},
		counts: []uint64{0, 0, 4, 0},
	}, {
		// A zero threshold of 4 swallows (2,4]: its count merges.
		name:   "zero threshold overlapping",
		point:  expPoint(0, 4, 2, nil, buckets(1, 3, 5)),
		bounds: []float64{4, 8},
		counts: []uint64{5, 5, 0},
	}, {
		name:   "only zeros",
		point:  expPoint(3, 0, 9, nil, nil),
		bounds: []float64{0},
		counts: []uint64{9, 0},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := &metricspb.Metric{Name: "latency", Unit: "s", Data: &metricspb.Metric_ExponentialHistogram{ExponentialHistogram: &metricspb.ExponentialHistogram{
				AggregationTemporality: cumulative, DataPoints: []*metricspb.ExponentialHistogramDataPoint{tc.point},
			}}}
			rows, drops := Metrics(testTenant, metricsReq(m), testNow, DefaultLimits())
			wantDrops(t, drops, Drops{})
			if len(rows) != 1 {
				t.Fatalf("got %d rows", len(rows))
			}
			r := rows[0]
			if r.Kind != record.Histogram || r.Count != 11 || r.Delta {
				t.Errorf("Kind %v Count %d Delta %v", r.Kind, r.Count, r.Delta)
			}
			if len(r.Bounds) != len(tc.bounds) {
				t.Fatalf("Bounds = %v, want %v", r.Bounds, tc.bounds)
			}
			for i := range tc.bounds {
				if math.Abs(r.Bounds[i]-tc.bounds[i]) > 1e-12 {
					t.Errorf("Bounds = %v, want %v", r.Bounds, tc.bounds)
					break
				}
			}
			deepEqual(t, "BucketCounts", r.BucketCounts, tc.counts)
		})
	}
}

func TestMetricsExponentialHistogramRefused(t *testing.T) {
	pts := []*metricspb.ExponentialHistogramDataPoint{
		expPoint(21, 0, 0, nil, buckets(0, 1)),            // scale above 20
		expPoint(-11, 0, 0, nil, buckets(0, 1)),           // scale below -10
		expPoint(0, math.NaN(), 0, nil, buckets(0, 1)),    // NaN threshold
		expPoint(0, -1, 0, nil, buckets(0, 1)),            // negative threshold
		expPoint(0, 0, 0, nil, buckets(math.MaxInt32, 1)), // 2^(2^31): infinite bound
	}
	m := &metricspb.Metric{Name: "x", Data: &metricspb.Metric_ExponentialHistogram{ExponentialHistogram: &metricspb.ExponentialHistogram{
		AggregationTemporality: delta, DataPoints: pts,
	}}}
	rows, drops := Metrics(testTenant, metricsReq(m), testNow, DefaultLimits())
	if len(rows) != 0 {
		t.Errorf("rows = %+v", rows)
	}
	wantDrops(t, drops, Drops{Malformed: int64(len(pts))})
}

func TestMetricsSummary(t *testing.T) {
	point := func(qs ...float64) *metricspb.SummaryDataPoint {
		p := &metricspb.SummaryDataPoint{
			Attributes:        []*commonpb.KeyValue{kv("route", "/a")},
			StartTimeUnixNano: startTime, TimeUnixNano: pointTime, Count: 4, Sum: 10,
		}
		for i, q := range qs {
			p.QuantileValues = append(p.QuantileValues, &metricspb.SummaryDataPoint_ValueAtQuantile{Quantile: q, Value: float64(i + 1)})
		}
		return p
	}
	m := &metricspb.Metric{Name: "rpc", Unit: "s", Data: &metricspb.Metric_Summary{Summary: &metricspb.Summary{
		DataPoints: []*metricspb.SummaryDataPoint{point(0.5, 0.99), point(1.5)},
	}}}
	rows, drops := Metrics(testTenant, metricsReq(m), testNow, DefaultLimits())
	wantDrops(t, drops, Drops{Malformed: 1})
	q50 := base("rpc", map[string]string{"route": "/a", "quantile": "0.5"})
	q50.Kind, q50.Value = record.Gauge, 1
	q99 := base("rpc", map[string]string{"route": "/a", "quantile": "0.99"})
	q99.Kind, q99.Value = record.Gauge, 2
	sum := base("rpc_sum", map[string]string{"route": "/a"})
	sum.Kind, sum.Monotonic, sum.Value = record.Sum, true, 10
	count := base("rpc_count", map[string]string{"route": "/a"})
	count.Kind, count.Monotonic, count.Value = record.Sum, true, 4
	deepEqual(t, "rows", rows, []record.Metric{q50, q99, sum, count})
}

func TestMetricsExemplarsBounded(t *testing.T) {
	p := numberPoint(1)
	good := func() *metricspb.Exemplar {
		return &metricspb.Exemplar{TimeUnixNano: pointTime, Value: &metricspb.Exemplar_AsDouble{AsDouble: 1}}
	}
	badTime, badTrace, noValue := good(), good(), good()
	badTime.TimeUnixNano = math.MaxUint64
	badTrace.TraceId = []byte{1}
	noValue.Value = nil
	p.Exemplars = []*metricspb.Exemplar{badTime, badTrace, noValue}
	for range 20 {
		p.Exemplars = append(p.Exemplars, good())
	}
	m := &metricspb.Metric{Name: "g", Data: &metricspb.Metric_Gauge{Gauge: &metricspb.Gauge{DataPoints: []*metricspb.NumberDataPoint{p}}}}
	rows, drops := Metrics(testTenant, metricsReq(m), testNow, DefaultLimits())
	if n := len(rows[0].Exemplars); n != 16 {
		t.Errorf("kept %d exemplars, want 16", n)
	}
	wantDrops(t, drops, Drops{ExemplarsDropped: 3 + 4})
}
