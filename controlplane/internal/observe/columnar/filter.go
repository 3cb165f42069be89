package columnar

import (
	"bytes"
	"regexp"
	"slices"
	"strings"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

// The filters' Match methods define what a scan returns; the pruning and
// the column-at-a-time evaluation only ever discard rows Match would
// reject, and every row a scan returns has passed Match. The query engine
// can apply Match to rows that are not in Parquet yet (the write-ahead
// log) and get the same answer.

// LogFilter selects log records. A zero field selects everything.
type LogFilter struct {
	// From and To bound TimeNano to [From, To); 0 leaves a side open.
	From, To int64
	// Services selects records of any of these services.
	Services []string
	// MinSeverity selects records with Severity >= MinSeverity.
	MinSeverity int32
	// TraceID, when not empty, selects the records of this trace.
	TraceID []byte
	// Attributes selects records where every key has the given value,
	// in the record's attributes or in its resource attributes.
	Attributes map[string]string
	// Contains selects records whose body contains this substring.
	Contains string
	// Regexp selects records whose body it matches.
	Regexp *regexp.Regexp
}

// Match reports whether l passes f.
func (f *LogFilter) Match(l *record.Log) bool {
	return inTime(l.TimeNano, f.From, f.To) &&
		inServices(l.Service, f.Services) &&
		(f.MinSeverity == 0 || l.Severity >= f.MinSeverity) &&
		(len(f.TraceID) == 0 || bytes.Equal(l.TraceID, f.TraceID)) &&
		hasAttributes(f.Attributes, l.Attributes, l.Resource) &&
		strings.Contains(l.Body, f.Contains) &&
		(f.Regexp == nil || f.Regexp.MatchString(l.Body))
}

// SpanFilter selects spans. A zero field selects everything.
type SpanFilter struct {
	// From and To bound StartNano to [From, To); 0 leaves a side open.
	From, To int64
	// TraceID, when not empty, selects the spans of this trace.
	TraceID []byte
	// Services selects spans of any of these services.
	Services []string
	// Name selects spans of this name.
	Name string
	// MinDuration and MaxDuration bound DurationNano, both inclusive;
	// 0 leaves a side open.
	MinDuration, MaxDuration int64
	// StatusCode, when not nil, selects spans with this status code.
	StatusCode *int32
	// Attributes selects spans where every key has the given value, in
	// the span's attributes or in its resource attributes.
	Attributes map[string]string
}

// Match reports whether s passes f.
func (f *SpanFilter) Match(s *record.Span) bool {
	return inTime(s.StartNano, f.From, f.To) &&
		(len(f.TraceID) == 0 || bytes.Equal(s.TraceID, f.TraceID)) &&
		inServices(s.Service, f.Services) &&
		(f.Name == "" || s.Name == f.Name) &&
		(f.MinDuration == 0 || s.DurationNano >= f.MinDuration) &&
		(f.MaxDuration == 0 || s.DurationNano <= f.MaxDuration) &&
		(f.StatusCode == nil || s.StatusCode == *f.StatusCode) &&
		hasAttributes(f.Attributes, s.Attributes, s.Resource)
}

// MetricFilter selects metric points. A zero field selects everything.
type MetricFilter struct {
	// From and To bound TimeNano to [From, To); 0 leaves a side open.
	From, To int64
	// Name selects points of this metric.
	Name string
	// Services selects points of any of these services.
	Services []string
	// Labels selects points where every key has the given value, in the
	// point's labels or in its resource attributes.
	Labels map[string]string
}

// Match reports whether m passes f.
func (f *MetricFilter) Match(m *record.Metric) bool {
	return inTime(m.TimeNano, f.From, f.To) &&
		(f.Name == "" || m.Name == f.Name) &&
		inServices(m.Service, f.Services) &&
		hasAttributes(f.Labels, m.Labels, m.Resource)
}

func inTime(t, from, to int64) bool {
	return (from == 0 || t >= from) && (to == 0 || t < to)
}

func inServices(s string, services []string) bool {
	return len(services) == 0 || slices.Contains(services, s)
}

func hasAttributes(want, attrs, resource map[string]string) bool {
	for k, v := range want {
		if got, ok := attrs[k]; ok && got == v {
			continue
		}
		if got, ok := resource[k]; ok && got == v {
			continue
		}
		return false
	}
	return true
}
