package promwrite

import (
	"maps"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/otlpconv"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

// Label names with a meaning of their own.
const (
	nameLabel = "__name__"
	jobLabel  = "job"
)

// staleNaN is the NaN Prometheus writes to mark a series as gone
// (value.StaleNaN); it is a marker, not a value.
const staleNaN = 0x7ff0000000000002

// ToRows converts a decoded request's series into metric rows for t.Project, one row
// per sample, under the same rules as OTLP ingest:
//
//   - __name__ is the row's Name (a series without one is refused, its
//     samples counted as malformed); job is its Service ("unknown_service"
//     when absent); every other label goes into Labels, bounded like
//     attributes (first MaxAttributes kept, names over
//     MaxAttributeValueBytes and repeated names dropped, values
//     truncated), with "hearth." labels removed as spoofs;
//   - the kind is decided by kind (metadata, then the name's suffix);
//     sums are cumulative, their start unknown (0);
//   - a sample's millisecond timestamp must lie in the window; staleness
//     markers are skipped; native histograms are counted as unsupported;
//   - exemplars (at most MaxExemplars per row) attach to the series'
//     last accepted sample. Prometheus sends exemplars in series of their
//     own, without samples: those attach to the last row of a series with
//     the same labels in the same request, or are dropped and counted.
//
// Label strings that are not valid UTF-8 have the bad bytes replaced
// (counted as Clamped), since every reader downstream expects UTF-8.
// Rows of one series share its Labels map and all rows share one
// Resource map (a copy of t.Resource); they are read-only.
func ToRows(t otlpconv.Tenant, req *WriteRequest, now time.Time, lim otlpconv.Limits) ([]record.Metric, otlpconv.Drops) {
	if req == nil {
		return nil, otlpconv.Drops{}
	}
	series := req.Series
	lim = lim.Normalized()
	c := &converter{
		project:  t.Project,
		resource: maps.Clone(t.Resource),
		lim:      lim,
		win:      lim.Window(now),
		meta:     indexMetadata(req.Metadata),
	}
	n := 0
	for i := range series {
		n += len(series[i].Samples)
		if len(series[i].Samples) == 0 && len(series[i].Exemplars) > 0 {
			c.bySeries = map[string]int{} // exemplar-only series to match
		}
	}
	c.rows = make([]record.Metric, 0, n)
	for i := range series {
		c.series(&series[i])
	}
	for _, s := range c.pending {
		c.attachPending(s)
	}
	return c.rows, c.drops
}

// converter carries one request's conversion state.
type converter struct {
	project  string
	resource map[string]string
	lim      otlpconv.Limits
	win      otlpconv.Window
	meta     map[string]*Metadata
	drops    otlpconv.Drops
	rows     []record.Metric
	// bySeries maps a series' labels (seriesKey) to its last row, and
	// pending holds exemplar-only series; both only when the request has
	// such series.
	bySeries map[string]int
	pending  []*Series
}

// series appends the rows of s's samples.
func (c *converter) series(s *Series) {
	c.drops.Unsupported += int64(s.Histograms)
	name, job := find(s.Labels, nameLabel), find(s.Labels, jobLabel)
	if name == "" {
		c.drops.Malformed += int64(len(s.Samples))
		c.drops.ExemplarsDropped += int64(len(s.Exemplars))
		return
	}
	if len(s.Samples) == 0 {
		c.pending = append(c.pending, s)
		return
	}
	var base record.Metric // built on the first accepted sample
	first := len(c.rows)
	for _, smp := range s.Samples {
		if math.Float64bits(smp.Value) == staleNaN {
			c.drops.Skipped++
			continue
		}
		ts, ok := c.msToNano(smp.TimestampMs)
		if !ok {
			c.drops.OutOfWindow++
			continue
		}
		if len(c.rows) == first {
			base = c.base(s, name, job)
		}
		r := base
		r.TimeNano, r.Value = ts, smp.Value
		c.rows = append(c.rows, r)
	}
	if len(c.rows) == first {
		c.drops.ExemplarsDropped += int64(len(s.Exemplars))
		return
	}
	last := len(c.rows) - 1
	c.attach(last, s.Exemplars)
	if c.bySeries != nil {
		c.bySeries[seriesKey(s.Labels)] = last
	}
}

// base is the row every sample of s starts from.
func (c *converter) base(s *Series, name, job string) record.Metric {
	name = c.clip(name)
	svc := otlpconv.UnknownService
	if job != "" {
		svc = c.clip(job)
	}
	kind, monotonic := c.kind(name)
	return record.Metric{
		Project:   c.project,
		Service:   svc,
		Name:      name,
		Kind:      kind,
		Unit:      c.clip(c.unit(name)),
		Monotonic: monotonic,
		Labels:    c.labels(s.Labels),
		Resource:  c.resource,
	}
}

// msToNano converts a millisecond timestamp and reports whether it lies
// in the window; one whose nanoseconds overflow int64 (a year-9999
// timestamp does) is outside.
func (c *converter) msToNano(ms int64) (int64, bool) {
	const perMs = int64(time.Millisecond)
	if ms > math.MaxInt64/perMs || ms < math.MinInt64/perMs {
		return 0, false
	}
	ns := ms * perMs
	return ns, c.win.Contains(ns)
}

// labels converts a series' labels, less __name__ and job, under the
// attribute rules of package otlpconv.
func (c *converter) labels(ls []Label) map[string]string {
	m := make(map[string]string, min(len(ls), c.lim.MaxAttributes))
	for i, l := range ls {
		if l.Name == nameLabel || l.Name == jobLabel {
			continue
		}
		if otlpconv.Reserved(l.Name) {
			c.drops.SpoofAttributes++
			continue
		}
		if len(m) == c.lim.MaxAttributes {
			c.drops.AttributesDropped += int64(countOthers(ls[i:]))
			break
		}
		if _, dup := m[l.Name]; dup || l.Name == "" || len(l.Name) > c.lim.MaxAttributeValueBytes {
			c.drops.AttributesDropped++
			continue
		}
		m[c.valid(l.Name)] = c.clip(l.Value)
	}
	return m
}

// countOthers counts labels other than __name__ and job.
func countOthers(ls []Label) int {
	n := 0
	for _, l := range ls {
		if l.Name != nameLabel && l.Name != jobLabel {
			n++
		}
	}
	return n
}

// clip makes s valid UTF-8 and bounds it to MaxAttributeValueBytes,
// counting what it changed.
func (c *converter) clip(s string) string {
	s, cut := otlpconv.TruncateUTF8(c.valid(s), c.lim.MaxAttributeValueBytes)
	if cut {
		c.drops.ValuesTruncated++
	}
	return s
}

// valid replaces invalid UTF-8 in s.
func (c *converter) valid(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	c.drops.Clamped++
	return strings.ToValidUTF8(s, "\uFFFD")
}

// find returns the value of the first label called name.
func find(ls []Label, name string) string {
	for _, l := range ls {
		if l.Name == name {
			return l.Value
		}
	}
	return ""
}

// seriesKey identifies a series by its labels in the order sent
// (Prometheus sends them sorted); 0xff never occurs in UTF-8.
func seriesKey(ls []Label) string {
	n := 0
	for _, l := range ls {
		n += len(l.Name) + len(l.Value) + 2
	}
	var b strings.Builder
	b.Grow(n)
	for _, l := range ls {
		b.WriteString(l.Name)
		b.WriteByte(0xff)
		b.WriteString(l.Value)
		b.WriteByte(0xff)
	}
	return b.String()
}
