package otlpconv

import (
	"math"

	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

// histograms appends explicit-bucket histogram points. A point is refused
// as malformed unless it has len(bounds)+1 bucket counts and strictly
// increasing, non-NaN bounds. A point with neither bounds nor buckets
// (allowed by OTLP: count and sum only) gets one +Inf bucket holding its
// count, so every histogram row has len(Bounds)+1 buckets.
func (c *converter) histograms(rows []record.Metric, b *metricBase, pts []*metricspb.HistogramDataPoint, delta bool) []record.Metric {
	for _, p := range pts {
		if p.GetFlags()&noRecordedValue != 0 {
			c.drops.Skipped++
			continue
		}
		bounds, counts := p.GetExplicitBounds(), p.GetBucketCounts()
		if !validBuckets(bounds, counts) {
			c.drops.Malformed++
			continue
		}
		row, ok := c.point(b, p.GetAttributes(), p.GetStartTimeUnixNano(), p.GetTimeUnixNano())
		if !ok {
			continue
		}
		if len(counts) == 0 {
			bounds, counts = nil, []uint64{p.GetCount()}
		}
		row.Kind, row.Delta = record.Histogram, delta
		row.Count, row.HistSum = p.GetCount(), p.GetSum()
		row.Bounds, row.BucketCounts = bounds, counts
		row.Exemplars = c.exemplars(p.GetExemplars())
		rows = append(rows, row)
	}
	return rows
}

// validBuckets checks explicit buckets against OTLP's rules.
func validBuckets(bounds []float64, counts []uint64) bool {
	if len(counts) == 0 {
		return len(bounds) == 0
	}
	if len(counts) != len(bounds)+1 {
		return false
	}
	for i, x := range bounds {
		if math.IsNaN(x) || (i > 0 && x <= bounds[i-1]) {
			return false
		}
	}
	return true
}

// expHistograms appends exponential histogram points, converted to
// explicit buckets by expBuckets; a point it cannot convert is refused as
// malformed.
func (c *converter) expHistograms(rows []record.Metric, b *metricBase, pts []*metricspb.ExponentialHistogramDataPoint, delta bool) []record.Metric {
	for _, p := range pts {
		if p.GetFlags()&noRecordedValue != 0 {
			c.drops.Skipped++
			continue
		}
		bounds, counts, ok := expBuckets(p)
		if !ok {
			c.drops.Malformed++
			continue
		}
		row, ok := c.point(b, p.GetAttributes(), p.GetStartTimeUnixNano(), p.GetTimeUnixNano())
		if !ok {
			continue
		}
		row.Kind, row.Delta = record.Histogram, delta
		row.Count, row.HistSum = p.GetCount(), p.GetSum()
		row.Bounds, row.BucketCounts = bounds, counts
		row.Exemplars = c.exemplars(p.GetExemplars())
		rows = append(rows, row)
	}
	return rows
}

// OTLP's valid range of exponential histogram scales.
const (
	minScale = -10
	maxScale = 20
)

// expBuckets converts an exponential histogram's buckets into explicit
// bounds and counts, so that every histogram is stored and queried alike.
//
// With base = 2^(2^-scale), positive bucket i (counts[k] at index
// i = offset+k) holds values in (base^i, base^(i+1)], negative bucket i
// holds values in [-base^(i+1), -base^i), and the zero bucket holds
// values in [-zero_threshold, zero_threshold]. Explicit bucket k holds
// values in (bounds[k-1], bounds[k]], so the conversion emits, in
// increasing order:
//
//	-base^(nOff+nLen)          count 0 (below the lowest negative bucket)
//	-base^i for i = nOff+nLen-1 … nOff   the negative buckets
//	zero_threshold             the zero bucket
//	base^pOff                  count 0 (gap up to the first positive bucket)
//	base^(i+1) for i = pOff … pOff+pLen-1  the positive buckets
//	+Inf bucket                count 0
//
// The only approximation is at the edges: a negative bucket's closed end
// becomes open and vice versa, and the zero bucket absorbs the gap to the
// nearest populated bucket. When a bound does not exceed the previous one
// (the zero threshold overlapping populated buckets, or a base^i
// underflowing to 0), its count merges into the previous bucket rather
// than breaking the order. A scale outside [-10, 20], a negative or NaN
// zero threshold, or a bound overflowing to infinity is refused.
func expBuckets(p *metricspb.ExponentialHistogramDataPoint) ([]float64, []uint64, bool) {
	scale, zt := p.GetScale(), p.GetZeroThreshold()
	if scale < minScale || scale > maxScale || math.IsNaN(zt) || zt < 0 || math.IsInf(zt, 0) {
		return nil, nil, false
	}
	neg, pos := p.GetNegative(), p.GetPositive()
	nc, pc := neg.GetBucketCounts(), pos.GetBucketCounts()
	h := expHist{
		scale:  scale,
		bounds: make([]float64, 0, len(nc)+len(pc)+3),
		counts: make([]uint64, 0, len(nc)+len(pc)+4),
	}
	if len(nc) > 0 {
		off := int64(neg.GetOffset())
		h.add(-h.pow(off+int64(len(nc))), 0)
		for k := len(nc) - 1; k >= 0; k-- {
			h.add(-h.pow(off+int64(k)), nc[k])
		}
	}
	h.add(zt, p.GetZeroCount())
	if len(pc) > 0 {
		off := int64(pos.GetOffset())
		h.add(h.pow(off), 0)
		for k, n := range pc {
			h.add(h.pow(off+int64(k)+1), n)
		}
	}
	h.counts = append(h.counts, 0) // the +Inf bucket
	if h.bad {
		return nil, nil, false
	}
	return h.bounds, h.counts, true
}

// expHist accumulates a conversion's explicit buckets.
type expHist struct {
	scale  int32
	bounds []float64
	counts []uint64
	bad    bool
}

// pow is base^i = 2^(i·2^-scale); exact for scale <= 0.
func (h *expHist) pow(i int64) float64 {
	return math.Exp2(math.Ldexp(float64(i), -int(h.scale)))
}

// add appends a bucket ending at bound holding n values, merging it into
// the previous bucket when bound does not increase.
func (h *expHist) add(bound float64, n uint64) {
	if math.IsInf(bound, 0) || math.IsNaN(bound) {
		h.bad = true
		return
	}
	if k := len(h.bounds); k > 0 && bound <= h.bounds[k-1] {
		h.counts[k-1] = satAddU(h.counts[k-1], n)
		return
	}
	h.bounds = append(h.bounds, bound)
	h.counts = append(h.counts, n)
}

// satAddU adds counts without wrapping.
func satAddU(a, b uint64) uint64 {
	if a+b < a {
		return math.MaxUint64
	}
	return a + b
}
