package promwrite

import (
	"strings"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

// counterSuffixes end the names of series that only go up: counters
// (_total), and a histogram's or summary's _count, _sum and _bucket
// series.
var counterSuffixes = []string{"_total", "_count", "_sum", "_bucket"}

// indexMetadata maps family names to their metadata (first wins); nil
// when there is none.
func indexMetadata(md []Metadata) map[string]*Metadata {
	if len(md) == 0 {
		return nil
	}
	m := make(map[string]*Metadata, len(md))
	for i := range md {
		if _, ok := m[md[i].Family]; !ok {
			m[md[i].Family] = &md[i]
		}
	}
	return m
}

// kind decides a series' kind. Remote-write 1.0 carries no type with
// samples, so: metadata naming exactly this metric as a counter makes it
// a monotonic Sum and as a gauge a Gauge (so a gauge called
// "queue_count" stays one); otherwise a counter suffix makes it a
// monotonic cumulative Sum, and anything else is a Gauge.
func (c *converter) kind(name string) (record.MetricKind, bool) {
	if md := c.meta[name]; md != nil {
		switch md.Type {
		case TypeCounter:
			return record.Sum, true
		case TypeGauge:
			return record.Gauge, false
		}
	}
	for _, s := range counterSuffixes {
		if strings.HasSuffix(name, s) {
			return record.Sum, true
		}
	}
	return record.Gauge, false
}

// unit is the unit metadata gives name's family: the name itself, or the
// name less a counter suffix (a histogram family "x_seconds" has series
// "x_seconds_bucket").
func (c *converter) unit(name string) string {
	if c.meta == nil {
		return ""
	}
	if md := c.meta[name]; md != nil {
		return md.Unit
	}
	for _, s := range counterSuffixes {
		if fam, ok := strings.CutSuffix(name, s); ok {
			if md := c.meta[fam]; md != nil {
				return md.Unit
			}
		}
	}
	return ""
}
