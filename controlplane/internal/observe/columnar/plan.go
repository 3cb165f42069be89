package columnar

import (
	"bytes"
	"math"
	"slices"

	"github.com/parquet-go/parquet-go"
)

// A plan is a filter compiled to predicates on columns, in the order the
// scan evaluates them: cheap, selective columns first (time, service,
// severity, ids), free text and attribute maps last, so those are only
// decoded for rows still in the running.
type plan struct {
	cols  []colPred
	attrs *mapPred
}

type predKind uint8

const (
	predInt   predKind = iota // lo <= v <= hi
	predBytes                 // v is one of set
	predText                  // text(v)
)

// colPred is a predicate on one flat column; a row whose value is null
// never passes one.
type colPred struct {
	path   []string
	kind   predKind
	lo, hi int64
	set    [][]byte // sorted
	text   func([]byte) bool
	// bloom: the column has a bloom filter worth probing for set.
	bloom bool
	// resolved against the file
	col      int
	physical parquet.Kind
}

// mapPred requires every pair of want in at least one of the maps.
type mapPred struct {
	want []kv
	maps [][]string // paths of MAP groups
	// resolved against the file: key and value leaf columns per map
	keyCols, valCols []int
}

type kv struct{ k, v []byte }

func (p *plan) ints(path string, lo, hi int64) {
	p.cols = append(p.cols, colPred{path: []string{path}, kind: predInt, lo: lo, hi: hi})
}

// timeRange adds [from, to) with 0 meaning open.
func (p *plan) timeRange(path string, from, to int64) {
	if from == 0 && to == 0 {
		return
	}
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	if from != 0 {
		lo = from
	}
	if to != 0 {
		hi = to - 1
	}
	p.ints(path, lo, hi)
}

func (p *plan) in(path string, bloom bool, values ...[]byte) {
	set := slices.Clone(values)
	slices.SortFunc(set, bytes.Compare)
	set = slices.CompactFunc(set, bytes.Equal)
	p.cols = append(p.cols, colPred{path: []string{path}, kind: predBytes, set: set, bloom: bloom})
}

func (p *plan) strings(path string, values ...string) {
	if len(values) == 0 {
		return
	}
	bs := make([][]byte, len(values))
	for i, v := range values {
		bs[i] = []byte(v)
	}
	p.in(path, false, bs...)
}

func (p *plan) textPred(path string, text func([]byte) bool) {
	p.cols = append(p.cols, colPred{path: []string{path}, kind: predText, text: text})
}

func (p *plan) attributes(want map[string]string, maps ...string) {
	if len(want) == 0 {
		return
	}
	m := &mapPred{}
	for k, v := range want {
		m.want = append(m.want, kv{[]byte(k), []byte(v)})
	}
	slices.SortFunc(m.want, func(a, b kv) int { return bytes.Compare(a.k, b.k) })
	for _, name := range maps {
		m.maps = append(m.maps, []string{name})
	}
	p.attrs = m
}

func (f *LogFilter) plan() *plan {
	p := &plan{}
	p.timeRange("time_unix_nano", f.From, f.To)
	p.strings("service", f.Services...)
	if f.MinSeverity != 0 {
		p.ints("severity_number", int64(f.MinSeverity), math.MaxInt32)
	}
	if len(f.TraceID) > 0 {
		p.in("trace_id", true, f.TraceID)
	}
	if f.Contains != "" || f.Regexp != nil {
		sub, re := []byte(f.Contains), f.Regexp
		p.textPred("body", func(b []byte) bool {
			return bytes.Contains(b, sub) && (re == nil || re.Match(b))
		})
	}
	p.attributes(f.Attributes, "attributes", "resource_attributes")
	return p
}

func (f *SpanFilter) plan() *plan {
	p := &plan{}
	p.timeRange("start_unix_nano", f.From, f.To)
	if len(f.TraceID) > 0 {
		p.in("trace_id", true, f.TraceID)
	}
	p.strings("service", f.Services...)
	if f.Name != "" {
		p.strings("name", f.Name)
	}
	if f.MinDuration != 0 || f.MaxDuration != 0 {
		hi := int64(math.MaxInt64)
		if f.MaxDuration != 0 {
			hi = f.MaxDuration
		}
		lo := int64(math.MinInt64)
		if f.MinDuration != 0 {
			lo = f.MinDuration
		}
		p.ints("duration_nano", lo, hi)
	}
	if f.StatusCode != nil {
		p.ints("status_code", int64(*f.StatusCode), int64(*f.StatusCode))
	}
	p.attributes(f.Attributes, "attributes", "resource_attributes")
	return p
}

func (f *MetricFilter) plan() *plan {
	p := &plan{}
	p.timeRange("time_unix_nano", f.From, f.To)
	if f.Name != "" {
		p.strings("name", f.Name)
	}
	p.strings("service", f.Services...)
	p.attributes(f.Labels, "labels", "resource_attributes")
	return p
}

// resolve finds the plan's columns in the file's schema, which checkSchema
// has already compared with the row type.
func (p *plan) resolve(s *parquet.Schema) bool {
	for i := range p.cols {
		c := &p.cols[i]
		leaf, ok := s.Lookup(c.path...)
		if !ok || leaf.MaxRepetitionLevel != 0 {
			return false
		}
		c.col, c.physical = leaf.ColumnIndex, leaf.Node.Type().Kind()
	}
	if m := p.attrs; m != nil {
		for _, path := range m.maps {
			k, ok1 := s.Lookup(append(slices.Clone(path), "key_value", "key")...)
			v, ok2 := s.Lookup(append(slices.Clone(path), "key_value", "value")...)
			if !ok1 || !ok2 {
				return false
			}
			m.keyCols, m.valCols = append(m.keyCols, k.ColumnIndex), append(m.valCols, v.ColumnIndex)
		}
	}
	return true
}

// filterColumns lists the leaf columns phase one reads, in order.
func (p *plan) filterColumns() []int {
	var cols []int
	for _, c := range p.cols {
		cols = append(cols, c.col)
	}
	if p.attrs != nil {
		cols = append(cols, p.attrs.keyCols...)
		cols = append(cols, p.attrs.valCols...)
	}
	return cols
}

// statColumns lists the columns whose statistics can prune.
func (p *plan) statColumns() []int {
	var cols []int
	for _, c := range p.cols {
		if c.kind != predText {
			cols = append(cols, c.col)
		}
	}
	return cols
}

// emptyRange reports a predicate nothing can pass, such as To <= From.
func (p *plan) emptyRange() bool {
	return slices.ContainsFunc(p.cols, func(c colPred) bool { return c.kind == predInt && c.lo > c.hi })
}
