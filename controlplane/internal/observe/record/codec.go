package record

import (
	"encoding/binary"
	"errors"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// The binary encoding of a Batch: what the write-ahead log stores for each
// accepted batch and replays on restart. It is written for every ingested
// batch and read back for every replayed one, so it does without fmt,
// reflection-driven encoding and per-field allocations; and the decoder
// trusts nothing it reads: any input gives a batch or an error, never a
// panic, and at most about 20 bytes allocated per input byte (a row or
// map entry in memory is that much larger than its shortest encoding;
// every count and length is checked against the bytes left first).
//
// Version 1, all integers encoding/binary varints (uvarint: unsigned;
// varint: zigzag signed), "f64" eight bytes little-endian IEEE 754 bits:
//
//	batch    = version:byte(1) project:str spans logs metrics
//	           (nothing may follow)
//	spans    = count:uvarint span*
//	span     = project:rstr service:rstr traceID:bytes spanID:bytes
//	           parentSpanID:bytes name:rstr kind:varint statusCode:varint
//	           statusMessage:str start:dtime duration:varint
//	           resource:rmap attributes:map
//	           events:(count:uvarint event*) dropped:uvarint
//	event    = time:varint(minus the span's start) name:str attributes:map
//	logs     = count:uvarint log*
//	log      = project:rstr service:rstr time:dtime
//	           observed:varint(minus the log's time) severity:varint
//	           severityText:rstr body:str traceID:bytes spanID:bytes
//	           resource:rmap attributes:map dropped:uvarint
//	metrics  = count:uvarint metric*
//	metric   = project:rstr service:rstr name:rstr kind:varint unit:rstr
//	           time:dtime start:varint(minus the metric's time)
//	           labels:map resource:rmap value:f64
//	           flags:byte(bit 0 monotonic, bit 1 delta; others 0)
//	           count:uvarint histSum:f64 bounds:(count:uvarint f64*)
//	           bucketCounts:(count:uvarint uvarint*)
//	           exemplars:(count:uvarint exemplar*)
//	exemplar = time:varint(minus the metric's time) value:f64
//	           traceID:bytes spanID:bytes attributes:map
//
//	str   = length:uvarint byte*
//	bytes = length:uvarint byte*; length 0 decodes as nil
//	rstr  = 0 (the same field of the previous row of the list; before the
//	        first row, the batch's project for project fields, "" for
//	        others) | length+1:uvarint byte*
//	dtime = varint: the time minus the same field of the previous row of
//	        the list (0 before the first row); differences wrap around
//	map   = count:uvarint (key:str value:str)*, keys in strictly ascending
//	        byte order; count 0 decodes as nil
//	rmap  = 0 (equal to the previous row's resource; before the first
//	        row, to none) | count+1:uvarint (key:str value:str)*
//
// Sorted keys make the encoding deterministic. Repeated strings (project,
// service, names), resources and nearby timestamps cost about a byte each.
// Like the rows ingest converts (package otlpconv), decoded rows share
// memory with each other: consecutive rows with equal resources share one
// Resource map, and equal strings (repeated fields, map keys and values
// at the same place as in the previous map of their kind) are shared
// rather than copied again. Rows are read-only once converted. Nothing
// decoded shares memory with the input, which the caller may reuse.
//
// Version 1 has no room for new fields: a change writes a new version
// byte and DecodeBatchInto keeps reading the old ones.

// codecVersion is the version byte AppendBatch writes.
const codecVersion byte = 1

// The fewest bytes a row or element encodes in (every field of its zero
// value), which bounds what a count may claim against the input left.
const (
	minSpanSize     = 15
	minEventSize    = 3
	minLogSize      = 12
	minMetricSize   = 30
	minExemplarSize = 12
	minEntrySize    = 2
	f64Size         = 8
	// idChunk is the size of the blocks small byte slices (ids) are
	// copied into, one allocation for many; maxChunked the largest slice
	// copied there.
	idChunk    = 4096
	maxChunked = 64
)

// Decoding errors. Every error DecodeBatch returns wraps one of them.
var (
	// ErrCorrupt means the input is not a batch encoding: truncated,
	// malformed, or with bytes after the batch.
	ErrCorrupt = errors.New("record: corrupt batch encoding")
	// ErrVersion means the input starts with a version byte this build
	// does not know.
	ErrVersion = errors.New("record: unknown batch encoding version")
)

// decodeError says where decoding failed and why.
type decodeError struct {
	kind error
	off  int
	what string
}

func (e *decodeError) Error() string {
	return e.kind.Error() + " at byte " + strconv.Itoa(e.off) + ": " + e.what
}

func (e *decodeError) Unwrap() error { return e.kind }

// AppendBatch appends the encoding of b to dst and returns the extended
// buffer. The encoding is deterministic: equal batches encode to equal
// bytes whatever their maps' iteration order.
func AppendBatch(dst []byte, b *Batch) []byte {
	e := encoder{buf: dst}
	e.buf = append(e.buf, codecVersion)
	e.str(b.Project)
	e.spans(b.Project, b.Spans)
	e.logs(b.Project, b.Logs)
	e.metrics(b.Project, b.Metrics)
	return e.buf
}

type encoder struct {
	buf []byte
	// scratch is where a map's entries are sorted.
	scratch []entry
}

// entry is a map entry being sorted: pre, the key's first 8 bytes (big
// endian, zero-padded), orders most keys without comparing strings.
type entry struct {
	pre  uint64
	k, v string
}

func keyPrefix(k string) uint64 {
	if len(k) >= 8 {
		return uint64(k[0])<<56 | uint64(k[1])<<48 | uint64(k[2])<<40 | uint64(k[3])<<32 |
			uint64(k[4])<<24 | uint64(k[5])<<16 | uint64(k[6])<<8 | uint64(k[7])
	}
	var p uint64
	for i := range len(k) {
		p |= uint64(k[i]) << (56 - 8*i)
	}
	return p
}

func compareEntries(a, b entry) int {
	if a.pre != b.pre {
		if a.pre < b.pre {
			return -1
		}
		return 1
	}
	return strings.Compare(a.k, b.k)
}

func (e *encoder) uvarint(v uint64) {
	if v < 0x80 {
		e.buf = append(e.buf, byte(v))
		return
	}
	e.buf = binary.AppendUvarint(e.buf, v)
}

func (e *encoder) varint(v int64) {
	if -64 <= v && v < 64 {
		// zigzag, as binary.AppendVarint
		e.buf = append(e.buf, byte(v<<1^v>>63)) //nolint:gosec // G115: -64 ≤ v < 64 zigzags to 7 bits.
		return
	}
	e.buf = binary.AppendVarint(e.buf, v)
}

func (e *encoder) length(n int) { e.uvarint(uint64(n)) } //nolint:gosec // G115: n is a length, never negative.

func (e *encoder) str(s string) {
	e.length(len(s))
	e.buf = append(e.buf, s...)
}

func (e *encoder) bytes(b []byte) {
	e.length(len(b))
	e.buf = append(e.buf, b...)
}

// rstr writes s, or that it equals prev.
func (e *encoder) rstr(s, prev string) {
	if s == prev {
		e.buf = append(e.buf, 0)
		return
	}
	e.uvarint(uint64(len(s)) + 1)
	e.buf = append(e.buf, s...)
}

func (e *encoder) f64(f float64) {
	e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(f))
}

// attrs writes a map with its entries in key order.
func (e *encoder) attrs(m map[string]string) {
	e.length(len(m))
	e.entries(m)
}

// rattrs writes a resource map, or that it equals prev.
func (e *encoder) rattrs(m, prev map[string]string) {
	if equalMaps(m, prev) {
		e.buf = append(e.buf, 0)
		return
	}
	e.uvarint(uint64(len(m)) + 1)
	e.entries(m)
}

func (e *encoder) entries(m map[string]string) {
	switch len(m) {
	case 0:
		return
	case 1:
		for k, v := range m {
			e.str(k)
			e.str(v)
		}
		return
	}
	if cap(e.scratch) < len(m) {
		e.scratch = make([]entry, 0, max(len(m), 16))
	}
	es := e.scratch[:0]
	for k, v := range m {
		es = append(es, entry{keyPrefix(k), k, v})
	}
	sortEntries(es)
	for i := range es {
		e.str(es[i].k)
		e.str(es[i].v)
	}
	e.scratch = es
}

// sortEntries sorts by key (keys are distinct): insertion sort for the
// small maps attributes usually are, pdqsort beyond.
func sortEntries(es []entry) {
	if len(es) > 12 {
		slices.SortFunc(es, compareEntries)
		return
	}
	for i := 1; i < len(es); i++ {
		x := es[i]
		j := i
		for ; j > 0 && (es[j-1].pre > x.pre || es[j-1].pre == x.pre && es[j-1].k > x.k); j-- {
			es[j] = es[j-1]
		}
		es[j] = x
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	// Rows converted from one OTLP resource share its map: then one
	// pointer comparison replaces len(a) lookups. (reflect only reads
	// the map's pointer here; nothing is encoded through it.)
	if len(a) == 0 || reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer() {
		return true
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func (e *encoder) spans(project string, spans []Span) {
	e.length(len(spans))
	prevProject, prevService, prevName := project, "", ""
	var prevStart int64
	var prevResource map[string]string
	for i := range spans {
		s := &spans[i]
		e.rstr(s.Project, prevProject)
		e.rstr(s.Service, prevService)
		e.bytes(s.TraceID)
		e.bytes(s.SpanID)
		e.bytes(s.ParentSpanID)
		e.rstr(s.Name, prevName)
		e.varint(int64(s.Kind))
		e.varint(int64(s.StatusCode))
		e.str(s.StatusMessage)
		e.varint(s.StartNano - prevStart)
		e.varint(s.DurationNano)
		e.rattrs(s.Resource, prevResource)
		e.attrs(s.Attributes)
		e.length(len(s.Events))
		for j := range s.Events {
			ev := &s.Events[j]
			e.varint(ev.TimeNano - s.StartNano)
			e.str(ev.Name)
			e.attrs(ev.Attributes)
		}
		e.uvarint(uint64(s.DroppedAttributes))
		prevProject, prevService, prevName = s.Project, s.Service, s.Name
		prevStart, prevResource = s.StartNano, s.Resource
	}
}

func (e *encoder) logs(project string, logs []Log) {
	e.length(len(logs))
	prevProject, prevService, prevSeverity := project, "", ""
	var prevTime int64
	var prevResource map[string]string
	for i := range logs {
		l := &logs[i]
		e.rstr(l.Project, prevProject)
		e.rstr(l.Service, prevService)
		e.varint(l.TimeNano - prevTime)
		e.varint(l.ObservedNano - l.TimeNano)
		e.varint(int64(l.Severity))
		e.rstr(l.SeverityText, prevSeverity)
		e.str(l.Body)
		e.bytes(l.TraceID)
		e.bytes(l.SpanID)
		e.rattrs(l.Resource, prevResource)
		e.attrs(l.Attributes)
		e.uvarint(uint64(l.DroppedAttributes))
		prevProject, prevService, prevSeverity = l.Project, l.Service, l.SeverityText
		prevTime, prevResource = l.TimeNano, l.Resource
	}
}

func (e *encoder) metrics(project string, metrics []Metric) {
	e.length(len(metrics))
	prevProject, prevService, prevName, prevUnit := project, "", "", ""
	var prevTime int64
	var prevResource map[string]string
	for i := range metrics {
		m := &metrics[i]
		e.rstr(m.Project, prevProject)
		e.rstr(m.Service, prevService)
		e.rstr(m.Name, prevName)
		e.varint(int64(m.Kind))
		e.rstr(m.Unit, prevUnit)
		e.varint(m.TimeNano - prevTime)
		e.varint(m.StartNano - m.TimeNano)
		e.attrs(m.Labels)
		e.rattrs(m.Resource, prevResource)
		e.f64(m.Value)
		var flags byte
		if m.Monotonic {
			flags |= 1
		}
		if m.Delta {
			flags |= 2
		}
		e.buf = append(e.buf, flags)
		e.uvarint(m.Count)
		e.f64(m.HistSum)
		e.length(len(m.Bounds))
		for _, f := range m.Bounds {
			e.f64(f)
		}
		e.length(len(m.BucketCounts))
		for _, c := range m.BucketCounts {
			e.uvarint(c)
		}
		e.length(len(m.Exemplars))
		for j := range m.Exemplars {
			x := &m.Exemplars[j]
			e.varint(x.TimeNano - m.TimeNano)
			e.f64(x.Value)
			e.bytes(x.TraceID)
			e.bytes(x.SpanID)
			e.attrs(x.Attributes)
		}
		prevProject, prevService, prevName, prevUnit = m.Project, m.Service, m.Name, m.Unit
		prevTime, prevResource = m.TimeNano, m.Resource
	}
}

// DecodeBatch decodes an encoding AppendBatch wrote. It never panics on
// any input, and allocates in proportion to len(data) whatever the input
// claims. Errors wrap ErrCorrupt or ErrVersion.
func DecodeBatch(data []byte) (*Batch, error) {
	b := new(Batch)
	if err := DecodeBatchInto(data, b); err != nil {
		return nil, err
	}
	return b, nil
}

// DecodeBatchInto is DecodeBatch decoding into b, reusing the capacity of
// its row slices (whose previous rows must no longer be in use; nothing
// else of them is reused). On error b holds no rows.
func DecodeBatchInto(data []byte, b *Batch) error {
	d := decoder{buf: data, size: len(data)}
	switch {
	case len(data) == 0:
		d.fail("empty input")
	case data[0] != codecVersion:
		d.err = &decodeError{kind: ErrVersion, what: "version " + strconv.Itoa(int(data[0]))}
	default:
		d.buf = data[1:]
		b.Project = d.str()
		b.Spans = d.spans(b.Project, b.Spans)
		b.Logs = d.logs(b.Project, b.Logs)
		b.Metrics = d.metrics(b.Project, b.Metrics)
		if d.err == nil && len(d.buf) > 0 {
			d.fail("bytes after the batch")
		}
	}
	if d.err != nil {
		*b = Batch{Spans: b.Spans[:0], Logs: b.Logs[:0], Metrics: b.Metrics[:0]}
		return d.err
	}
	return nil
}

// decoder reads an encoding. The first error is kept in err and empties
// buf, so every later read fails at once and every count reads as 0.
type decoder struct {
	buf  []byte // what is left to read
	size int    // the length of the whole input
	// reserved is the least the elements counted but not begun yet will
	// take of buf: what an element's own counts may not claim.
	reserved int
	err      error
	// chunk is where small byte slices are copied to.
	chunk []byte
	// seen holds, per kind of map, the entries of the last one decoded:
	// the rows of a batch mostly repeat keys, and many values, in the
	// same order, and those are shared rather than copied again.
	seen [numMapKinds][]pair
}

// The kinds of maps, as far as the strings they repeat go.
const (
	resourceMap = iota
	spanAttrs
	eventAttrs
	logAttrs
	metricLabels
	exemplarAttrs
	numMapKinds
	// maxSeen is how many entries of a map seen keeps.
	maxSeen = 64
)

type pair struct{ k, v string }

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = &decodeError{kind: ErrCorrupt, off: d.size - len(d.buf), what: what}
	}
	d.buf = nil
}

func (d *decoder) uvarint() uint64 {
	if len(d.buf) > 0 && d.buf[0] < 0x80 {
		v := d.buf[0]
		d.buf = d.buf[1:]
		return uint64(v)
	}
	return d.uvarintSlow()
}

func (d *decoder) uvarintSlow() uint64 {
	v, n := binary.Uvarint(d.buf)
	if n <= 0 {
		if n == 0 {
			d.fail("truncated")
		} else {
			d.fail("varint overflows 64 bits")
		}
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *decoder) varint() int64 {
	u := d.uvarint()
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	return v
}

func (d *decoder) int32() int32 {
	v := d.varint()
	if v < math.MinInt32 || v > math.MaxInt32 {
		d.fail("value out of int32 range")
		return 0
	}
	return int32(v)
}

func (d *decoder) uint32() uint32 {
	v := d.uvarint()
	if v > math.MaxUint32 {
		d.fail("value out of uint32 range")
		return 0
	}
	return uint32(v)
}

// count reads a number of elements each encoded in at least minSize
// bytes, refusing more than the input left can hold beside what is
// reserved, and reserves their minimum. Decoding each element begins
// with releasing it (d.reserved -= minSize). So everything allocated
// for counts is backed by distinct input bytes, however they nest.
func (d *decoder) count(minSize int) int {
	return d.reserve(d.uvarint(), minSize)
}

func (d *decoder) reserve(v uint64, minSize int) int {
	if free := len(d.buf) - d.reserved; free < 0 || v > uint64(free/minSize) { //nolint:gosec // G115: free ≥ 0 here.
		d.fail("count exceeds the input")
		return 0
	}
	n := int(v) //nolint:gosec // G115: v ≤ free/minSize, an int.
	d.reserved += n * minSize
	return n
}

// limit checks a length against what is left to read beside what is
// reserved.
func (d *decoder) limit(v uint64) int {
	if free := len(d.buf) - d.reserved; free < 0 || v > uint64(free) {
		d.fail("length exceeds the input")
		return 0
	}
	return int(v) //nolint:gosec // G115: v ≤ free, an int.
}

func (d *decoder) str() string {
	n := d.limit(d.uvarint())
	s := string(d.buf[:n])
	d.buf = d.buf[n:]
	return s
}

// strLike reads a string, sharing like when they are equal (hit).
func (d *decoder) strLike(like string) (s string, hit bool) {
	n := d.limit(d.uvarint())
	b := d.buf[:n]
	d.buf = d.buf[n:]
	if string(b) == like {
		return like, true
	}
	return string(b), false
}

func (d *decoder) rstr(prev string) string {
	tag := d.uvarint()
	if tag == 0 {
		return prev
	}
	n := d.limit(tag - 1)
	s := string(d.buf[:n])
	d.buf = d.buf[n:]
	return s
}

func (d *decoder) bytes() []byte {
	n := d.limit(d.uvarint())
	if n == 0 {
		return nil
	}
	var b []byte
	if n <= maxChunked {
		if n > len(d.chunk) {
			// Never more than the input left: a lying length costs
			// nothing, and chunks add at most twice the input.
			d.chunk = make([]byte, min(idChunk, len(d.buf)))
		}
		b = d.chunk[:n:n]
		d.chunk = d.chunk[n:]
	} else {
		b = make([]byte, n)
	}
	copy(b, d.buf[:n])
	d.buf = d.buf[n:]
	return b
}

func (d *decoder) f64() float64 {
	if len(d.buf) < f64Size {
		d.fail("truncated")
		return 0
	}
	f := math.Float64frombits(binary.LittleEndian.Uint64(d.buf))
	d.buf = d.buf[f64Size:]
	return f
}

func (d *decoder) attrs(kind int) map[string]string {
	return d.entries(d.count(minEntrySize), kind)
}

func (d *decoder) rattrs(prev map[string]string) map[string]string {
	tag := d.uvarint()
	if tag == 0 {
		return prev
	}
	return d.entries(d.reserve(tag-1, minEntrySize), resourceMap)
}

func (d *decoder) entries(n, kind int) map[string]string {
	if n == 0 {
		return nil
	}
	// Map entries are distinct: only one has the key "" (2 bytes), 256
	// have one-byte keys (3), the others take 4 or more. Sizing the map
	// for no more than that fits every honest count exactly and keeps a
	// lying one to what its bytes could have held.
	m := make(map[string]string, min(n, 257+len(d.buf)/4))
	seen := d.seen[kind]
	var prev string
	for i := range n {
		d.reserved -= minEntrySize
		var k, v string
		if i < len(seen) {
			p := &seen[i]
			var hitK, hitV bool
			k, hitK = d.strLike(p.k)
			v, hitV = d.strLike(p.v)
			// Stores only what changed: a store may be a GC write barrier.
			if !hitK {
				p.k = k
			}
			if !hitV {
				p.v = v
			}
		} else {
			k, v = d.str(), d.str()
			if i < maxSeen {
				seen = append(seen, pair{k, v})
			}
		}
		if d.err != nil {
			return nil
		}
		if i > 0 && k <= prev {
			d.fail("map keys not in ascending order")
			return nil
		}
		m[k] = v
		prev = k
	}
	d.seen[kind] = seen
	return m
}

// rows resizes s to n rows, reusing its capacity.
func rows[T any](s []T, n int) []T {
	if n <= cap(s) {
		return s[:n]
	}
	return make([]T, n)
}

func (d *decoder) spans(project string, s []Span) []Span {
	s = rows(s, d.count(minSpanSize))
	prevProject, prevService, prevName := project, "", ""
	var prevStart int64
	var prevResource map[string]string
	for i := range s {
		sp := &s[i]
		d.reserved -= minSpanSize
		sp.Project = d.rstr(prevProject)
		sp.Service = d.rstr(prevService)
		sp.TraceID = d.bytes()
		sp.SpanID = d.bytes()
		sp.ParentSpanID = d.bytes()
		sp.Name = d.rstr(prevName)
		sp.Kind = d.int32()
		sp.StatusCode = d.int32()
		sp.StatusMessage = d.str()
		sp.StartNano = prevStart + d.varint()
		sp.DurationNano = d.varint()
		sp.Resource = d.rattrs(prevResource)
		sp.Attributes = d.attrs(spanAttrs)
		sp.Events = d.events(sp.StartNano)
		sp.DroppedAttributes = d.uint32()
		if d.err != nil {
			return s[:0]
		}
		prevProject, prevService, prevName = sp.Project, sp.Service, sp.Name
		prevStart, prevResource = sp.StartNano, sp.Resource
	}
	return s
}

func (d *decoder) events(start int64) []SpanEvent {
	n := d.count(minEventSize)
	if n == 0 {
		return nil
	}
	evs := make([]SpanEvent, n)
	for i := range evs {
		ev := &evs[i]
		d.reserved -= minEventSize
		ev.TimeNano = start + d.varint()
		ev.Name = d.str()
		ev.Attributes = d.attrs(eventAttrs)
	}
	return evs
}

func (d *decoder) logs(project string, s []Log) []Log {
	s = rows(s, d.count(minLogSize))
	prevProject, prevService, prevSeverity := project, "", ""
	var prevTime int64
	var prevResource map[string]string
	for i := range s {
		l := &s[i]
		d.reserved -= minLogSize
		l.Project = d.rstr(prevProject)
		l.Service = d.rstr(prevService)
		l.TimeNano = prevTime + d.varint()
		l.ObservedNano = l.TimeNano + d.varint()
		l.Severity = d.int32()
		l.SeverityText = d.rstr(prevSeverity)
		l.Body = d.str()
		l.TraceID = d.bytes()
		l.SpanID = d.bytes()
		l.Resource = d.rattrs(prevResource)
		l.Attributes = d.attrs(logAttrs)
		l.DroppedAttributes = d.uint32()
		if d.err != nil {
			return s[:0]
		}
		prevProject, prevService, prevSeverity = l.Project, l.Service, l.SeverityText
		prevTime, prevResource = l.TimeNano, l.Resource
	}
	return s
}

func (d *decoder) metrics(project string, s []Metric) []Metric {
	s = rows(s, d.count(minMetricSize))
	prevProject, prevService, prevName, prevUnit := project, "", "", ""
	var prevTime int64
	var prevResource map[string]string
	for i := range s {
		m := &s[i]
		d.reserved -= minMetricSize
		m.Project = d.rstr(prevProject)
		m.Service = d.rstr(prevService)
		m.Name = d.rstr(prevName)
		m.Kind = MetricKind(d.int32())
		m.Unit = d.rstr(prevUnit)
		m.TimeNano = prevTime + d.varint()
		m.StartNano = m.TimeNano + d.varint()
		m.Labels = d.attrs(metricLabels)
		m.Resource = d.rattrs(prevResource)
		m.Value = d.f64()
		d.flags(m)
		m.Count = d.uvarint()
		m.HistSum = d.f64()
		m.Bounds = d.floats()
		m.BucketCounts = d.uvarints()
		m.Exemplars = d.exemplars(m.TimeNano)
		if d.err != nil {
			return s[:0]
		}
		prevProject, prevService, prevName, prevUnit = m.Project, m.Service, m.Name, m.Unit
		prevTime, prevResource = m.TimeNano, m.Resource
	}
	return s
}

func (d *decoder) flags(m *Metric) {
	var f byte
	if len(d.buf) == 0 {
		d.fail("truncated")
	} else {
		f = d.buf[0]
		d.buf = d.buf[1:]
	}
	if f&^3 != 0 {
		d.fail("unknown metric flags")
		f = 0
	}
	m.Monotonic = f&1 != 0
	m.Delta = f&2 != 0
}

func (d *decoder) floats() []float64 {
	n := d.count(f64Size)
	if n == 0 {
		return nil
	}
	fs := make([]float64, n)
	for i := range fs {
		fs[i] = math.Float64frombits(binary.LittleEndian.Uint64(d.buf[i*f64Size:]))
	}
	d.buf = d.buf[n*f64Size:]
	d.reserved -= n * f64Size
	return fs
}

func (d *decoder) uvarints() []uint64 {
	n := d.count(1)
	if n == 0 {
		return nil
	}
	us := make([]uint64, n)
	for i := range us {
		d.reserved--
		us[i] = d.uvarint()
	}
	return us
}

func (d *decoder) exemplars(t int64) []Exemplar {
	n := d.count(minExemplarSize)
	if n == 0 {
		return nil
	}
	xs := make([]Exemplar, n)
	for i := range xs {
		x := &xs[i]
		d.reserved -= minExemplarSize
		x.TimeNano = t + d.varint()
		x.Value = d.f64()
		x.TraceID = d.bytes()
		x.SpanID = d.bytes()
		x.Attributes = d.attrs(exemplarAttrs)
	}
	return xs
}
