package record

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
)

func ids(seed byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i)
	}
	return b
}

func bigMap(n int, prefix string) map[string]string {
	m := make(map[string]string, n)
	for i := range n {
		m[prefix+strconv.Itoa(i)] = strings.Repeat("v", i)
	}
	return m
}

// richBatch sets every field of every row type (TestRichBatchSetsEveryField
// checks), with the edge values the format must carry: extremes, negative
// and wrapping time differences, long and non-UTF-8 strings, large maps,
// repeated and changing strings and resources.
func richBatch() *Batch {
	res := map[string]string{"service.name": "checkout", "host.name": "node-1", "k8s.pod.name": "checkout-7d9f"}
	// Equal content in a separate map: encodes as a back-reference too.
	resCopy := map[string]string{"service.name": "checkout", "host.name": "node-1", "k8s.pod.name": "checkout-7d9f"}
	// The same keys, other values: not a back-reference.
	other := map[string]string{"service.name": "cart", "host.name": "node-2", "k8s.pod.name": "cart-5c4b"}
	large := bigMap(40, "attr.")
	large[""] = "empty key"
	large["bin"] = "\x00\xff\xfe not utf-8"
	large["long"] = strings.Repeat("x", 300)
	return &Batch{
		Project: "proj-1",
		Spans: []Span{
			{
				Project: "proj-1", Service: "checkout",
				TraceID: ids(1, 16), SpanID: ids(50, 8), ParentSpanID: ids(90, 8),
				Name: "GET /cart", Kind: 2, StatusCode: 1, StatusMessage: "ok",
				StartNano: 1_700_000_000_123_456_789, DurationNano: 1_234_567,
				Resource:   res,
				Attributes: map[string]string{"http.method": "GET", "http.status_code": "200", "a": ""},
				Events: []SpanEvent{
					{TimeNano: 1_700_000_000_123_456_999, Name: "exception", Attributes: map[string]string{"exception.type": "E", "exception.message": "boom"}},
					{TimeNano: 1_699_999_999_000_000_000, Name: ""},
				},
				DroppedAttributes: 3,
			},
			{
				Project: "another-project", Service: "checkout",
				TraceID: ids(1, 16), SpanID: ids(60, 8), ParentSpanID: ids(50, 8),
				Name: "GET /cart", Kind: -5, StatusCode: math.MaxInt32, StatusMessage: strings.Repeat("é", 100),
				StartNano: 1_600_000_000_000_000_000, DurationNano: -7,
				Resource:          resCopy,
				Attributes:        large,
				DroppedAttributes: math.MaxUint32,
			},
			{
				Project: "another-project", Service: "",
				TraceID: []byte{0}, SpanID: ids(70, 100), Name: "",
				Kind: math.MinInt32, StatusCode: math.MinInt32,
				StartNano: math.MinInt64, DurationNano: math.MaxInt64,
				Resource: other,
				Events:   []SpanEvent{{TimeNano: math.MaxInt64, Name: "wrap", Attributes: map[string]string{"k": "v"}}},
			},
			{
				Project: "", Service: "checkout",
				Name: "late", StartNano: math.MaxInt64, DurationNano: math.MinInt64,
				Resource: res,
				Events:   []SpanEvent{{TimeNano: math.MinInt64, Name: "wrap back"}},
			},
		},
		Logs: []Log{
			{
				Project: "proj-1", Service: "checkout",
				TimeNano: 1_700_000_000_000_000_001, ObservedNano: 1_700_000_000_000_000_500,
				Severity: 9, SeverityText: "INFO", Body: "line one\nline two\ttabbed",
				TraceID: ids(1, 16), SpanID: ids(50, 8),
				Resource: res, Attributes: map[string]string{"logger": "main"},
				DroppedAttributes: 1,
			},
			{
				Project: "proj-1", Service: "checkout",
				TimeNano: 0, ObservedNano: 1_700_000_000_000_000_000,
				Severity: 17, SeverityText: "INFO", Body: strings.Repeat("b", 5000),
				Resource: res,
			},
			{
				Project: "p2", Service: "worker",
				TimeNano: math.MinInt64, ObservedNano: math.MaxInt64,
				Severity: -1, SeverityText: "", Body: "",
				TraceID: []byte{1, 2, 3}, Resource: nil, Attributes: large,
				DroppedAttributes: math.MaxUint32,
			},
		},
		Metrics: []Metric{
			{
				Project: "proj-1", Service: "checkout", Name: "queue.depth", Kind: Gauge, Unit: "1",
				TimeNano: 1_700_000_000_000_000_000, StartNano: 0,
				Labels: map[string]string{"queue": "orders"}, Resource: res,
				Value: -12.5,
			},
			{
				Project: "proj-1", Service: "checkout", Name: "requests", Kind: Sum, Unit: "1",
				TimeNano: 1_700_000_000_000_000_000, StartNano: 1_699_999_990_000_000_000,
				Labels: large, Resource: res,
				Value: 1e300, Monotonic: true, Delta: true,
			},
			{
				Project: "proj-1", Service: "checkout", Name: "requests", Kind: Sum, Unit: "",
				TimeNano: 1_700_000_000_500_000_000, Value: math.Inf(-1), Delta: true,
			},
			{
				Project: "another-project", Service: "checkout", Name: "latency", Kind: Histogram, Unit: "ms",
				TimeNano: math.MinInt64, StartNano: math.MaxInt64,
				Resource: other,
				Count:    math.MaxUint64, HistSum: -0.5,
				Bounds:       []float64{math.Inf(-1), -1, 0, 0.25, 1e-300, math.Inf(1)},
				BucketCounts: []uint64{0, 1, 127, 128, 1 << 40, math.MaxUint64, 7},
				Exemplars: []Exemplar{
					{TimeNano: math.MaxInt64, Value: 3.5, TraceID: ids(1, 16), SpanID: ids(50, 8), Attributes: map[string]string{"user": "u1"}},
					{TimeNano: 5, Value: -1},
				},
				Monotonic: true,
			},
			{Project: "another-project", Kind: 99, Value: math.SmallestNonzeroFloat64},
		},
	}
}

func mustDecode(t testing.TB, data []byte) *Batch {
	t.Helper()
	b, err := DecodeBatch(data)
	if err != nil {
		t.Fatalf("DecodeBatch: %v", err)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	for name, b := range map[string]*Batch{"small": smallBatch(), "bench": benchBatch()} {
		if got := mustDecode(t, AppendBatch(nil, b)); !reflect.DeepEqual(got, b) {
			t.Errorf("%s batch round trip differs:\n got %+v\nwant %+v", name, got, b)
		}
	}

	want := richBatch()
	enc := AppendBatch(nil, want)
	got := mustDecode(t, enc)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip differs:\n got %+v\nwant %+v", got, want)
	}

	// Ids are copied into shared blocks, but an append to one never
	// writes over the next.
	for _, s := range got.Spans {
		for _, id := range [][]byte{s.TraceID, s.SpanID, s.ParentSpanID} {
			if cap(id) != len(id) {
				t.Fatalf("id %x has room for %d more bytes", id, cap(id)-len(id))
			}
		}
	}

	// AppendBatch appends.
	prefix := []byte("prefix")
	if both := AppendBatch(prefix, want); !bytes.Equal(both[:len(prefix)], prefix) || !bytes.Equal(both[len(prefix):], enc) {
		t.Fatal("AppendBatch does not append to dst")
	}

	// Nothing decoded aliases the input: scribbling over it changes nothing.
	for i := range enc {
		enc[i] = 0xAA
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatal("decoded batch shares memory with the input")
	}
}

func TestEmptyBatch(t *testing.T) {
	for _, b := range []*Batch{{}, {Project: "p"}} {
		enc := AppendBatch(nil, b)
		if got := mustDecode(t, enc); !reflect.DeepEqual(got, b) {
			t.Fatalf("got %+v, want %+v", got, b)
		}
	}
	if enc := AppendBatch(nil, &Batch{}); !bytes.Equal(enc, []byte{1, 0, 0, 0, 0}) {
		t.Fatalf("empty batch encodes as %x", enc)
	}
}

// TestRichBatchSetsEveryField keeps the round trip honest as the row types
// grow: a field the fixture never sets could be dropped by the codec
// unnoticed. Adding a field to a row fails here until the fixture (and
// the codec: TestRoundTrip) carry it.
func TestRichBatchSetsEveryField(t *testing.T) {
	b := richBatch()
	check := func(rows reflect.Value) {
		typ := rows.Type().Elem()
		for f := range typ.NumField() {
			set := false
			for i := range rows.Len() {
				set = set || !rows.Index(i).Field(f).IsZero()
			}
			if !set {
				t.Errorf("richBatch sets %s.%s in no row", typ.Name(), typ.Field(f).Name)
			}
		}
	}
	check(reflect.ValueOf(b.Spans))
	check(reflect.ValueOf(b.Logs))
	check(reflect.ValueOf(b.Metrics))
	var events []SpanEvent
	for _, s := range b.Spans {
		events = append(events, s.Events...)
	}
	check(reflect.ValueOf(events))
	var exemplars []Exemplar
	for _, m := range b.Metrics {
		exemplars = append(exemplars, m.Exemplars...)
	}
	check(reflect.ValueOf(exemplars))
}

// TestNilAndEmpty pins the one lossy case: an empty (non-nil) byte slice,
// map or list decodes as nil, like a nil one. Both mean "absent" in every
// consumer (Parquet writes them alike).
func TestNilAndEmpty(t *testing.T) {
	empty := &Batch{
		Spans: []Span{{
			TraceID: []byte{}, SpanID: []byte{}, ParentSpanID: []byte{},
			Resource: map[string]string{}, Attributes: map[string]string{}, Events: []SpanEvent{},
		}, {
			Events: []SpanEvent{{Attributes: map[string]string{}}},
		}},
		Logs: []Log{{TraceID: []byte{}, SpanID: []byte{}, Resource: map[string]string{}, Attributes: map[string]string{}}},
		Metrics: []Metric{{
			Labels: map[string]string{}, Resource: map[string]string{},
			Bounds: []float64{}, BucketCounts: []uint64{}, Exemplars: []Exemplar{},
		}, {
			Exemplars: []Exemplar{{TraceID: []byte{}, SpanID: []byte{}, Attributes: map[string]string{}}},
		}},
	}
	want := &Batch{
		Spans:   []Span{{}, {Events: []SpanEvent{{}}}},
		Logs:    []Log{{}},
		Metrics: []Metric{{}, {Exemplars: []Exemplar{{}}}},
	}
	got := mustDecode(t, AppendBatch(nil, empty))
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	// And nil encodes exactly like empty.
	if a, b := AppendBatch(nil, empty), AppendBatch(nil, want); !bytes.Equal(a, b) {
		t.Fatalf("empty and nil encode differently:\n%x\n%x", a, b)
	}
}

// TestFloatBits: floats travel as their bits (reflect.DeepEqual cannot
// tell NaNs or -0 apart).
func TestFloatBits(t *testing.T) {
	nan := math.Float64frombits(0x7ff8_0000_dead_beef)
	values := []float64{nan, math.NaN(), math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.SmallestNonzeroFloat64, math.MaxFloat64}
	for _, v := range values {
		in := &Batch{Metrics: []Metric{{Value: v, HistSum: v, Bounds: []float64{v, v}, Exemplars: []Exemplar{{Value: v}}}}}
		m := mustDecode(t, AppendBatch(nil, in)).Metrics[0]
		want := math.Float64bits(v)
		for _, got := range []float64{m.Value, m.HistSum, m.Bounds[0], m.Bounds[1], m.Exemplars[0].Value} {
			if math.Float64bits(got) != want {
				t.Errorf("%x decoded as %x", want, math.Float64bits(got))
			}
		}
	}
}

// TestSharedResources: rows whose resources are equal share one decoded
// map, as ingest's rows do, so a replayed segment costs what it did live.
func TestSharedResources(t *testing.T) {
	b := mustDecode(t, AppendBatch(nil, richBatch()))
	same := func(a, b map[string]string) bool {
		return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
	}
	if !same(b.Spans[0].Resource, b.Spans[1].Resource) {
		t.Error("equal resources of consecutive spans are not shared")
	}
	if same(b.Spans[1].Resource, b.Spans[3].Resource) {
		t.Error("resources of non-consecutive rows unexpectedly shared")
	}
	if !same(b.Logs[0].Resource, b.Logs[1].Resource) || !same(b.Metrics[0].Resource, b.Metrics[1].Resource) {
		t.Error("equal resources of consecutive logs or metrics are not shared")
	}
}

func TestDecodeBatchIntoReuses(t *testing.T) {
	want := richBatch()
	enc := AppendBatch(nil, want)

	// A used batch with room for every row, each field of each row set
	// to a stale value: all must be overwritten.
	dirty := &Batch{
		Project: "stale",
		Spans:   make([]Span, len(want.Spans)+1),
		Logs:    make([]Log, len(want.Logs)+1),
		Metrics: make([]Metric, len(want.Metrics)+1),
	}
	poison(reflect.ValueOf(dirty).Elem())
	first := [3]any{&dirty.Spans[0], &dirty.Logs[0], &dirty.Metrics[0]}
	if err := DecodeBatchInto(enc, dirty); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(dirty, want) {
		t.Fatalf("DecodeBatchInto over a used batch:\n got %+v\nwant %+v", dirty, want)
	}
	if first != [3]any{&dirty.Spans[0], &dirty.Logs[0], &dirty.Metrics[0]} {
		t.Error("DecodeBatchInto did not reuse the row slices")
	}

	// On error, no rows.
	if err := DecodeBatchInto(enc[:len(enc)-1], dirty); err == nil {
		t.Fatal("truncated input decoded")
	}
	if dirty.Len() != 0 || dirty.Project != "" {
		t.Fatalf("after an error the batch holds %d rows, project %q", dirty.Len(), dirty.Project)
	}
}

// poison sets every field in v, recursively, to a non-zero value.
func poison(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("stale")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(77)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(77)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(77)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		m.SetMapIndex(reflect.ValueOf("stale"), reflect.ValueOf("stale"))
		v.Set(m)
	case reflect.Slice:
		if v.Len() == 0 {
			v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		}
		for i := range v.Len() {
			poison(v.Index(i))
		}
	case reflect.Struct:
		for i := range v.NumField() {
			poison(v.Field(i))
		}
	default:
		panic("poison: unexpected kind " + v.Kind().String())
	}
}

func shuffledCopy(m map[string]string, r *rand.Rand) map[string]string {
	if m == nil {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	r.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	// Grow through junk entries then delete them, so the table layout
	// (and iteration order) differs from the original's.
	out := make(map[string]string)
	for i := range r.IntN(50) {
		out["junk"+strconv.Itoa(i)] = ""
	}
	for _, k := range keys {
		out[k] = m[k]
	}
	for k := range out {
		if _, ok := m[k]; !ok {
			delete(out, k)
		}
	}
	return out
}

func TestDeterministic(t *testing.T) {
	orig := richBatch()
	want := AppendBatch(nil, orig)
	for i := range 50 {
		if got := AppendBatch(nil, orig); !bytes.Equal(got, want) {
			t.Fatalf("encoding %d of the same batch differs", i)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		b := richBatch()
		for i := range b.Spans {
			s := &b.Spans[i]
			s.Resource, s.Attributes = shuffledCopy(s.Resource, r), shuffledCopy(s.Attributes, r)
			for j := range s.Events {
				s.Events[j].Attributes = shuffledCopy(s.Events[j].Attributes, r)
			}
		}
		for i := range b.Logs {
			l := &b.Logs[i]
			l.Resource, l.Attributes = shuffledCopy(l.Resource, r), shuffledCopy(l.Attributes, r)
		}
		for i := range b.Metrics {
			m := &b.Metrics[i]
			m.Resource, m.Labels = shuffledCopy(m.Resource, r), shuffledCopy(m.Labels, r)
			for j := range m.Exemplars {
				m.Exemplars[j].Attributes = shuffledCopy(m.Exemplars[j].Attributes, r)
			}
		}
		if got := AppendBatch(nil, b); !bytes.Equal(got, want) {
			t.Fatal("equal batches with maps built in another order encode differently")
		}
	}
}

// smallBatch has a little of everything (TestGolden spells out its
// encoding).
func smallBatch() *Batch {
	return &Batch{
		Project: "p",
		Spans: []Span{{
			Project: "p", Service: "svc", TraceID: []byte{0xAB}, Name: "n", Kind: -1,
			StartNano: 100, DurationNano: 5,
			Resource:   map[string]string{"b": "2", "a": "1"},
			Attributes: map[string]string{"k": "v"},
			Events:     []SpanEvent{{TimeNano: 90, Name: "e"}},
		}, {
			Project: "p", Service: "svc", Name: "n", StartNano: 164,
			Resource: map[string]string{"a": "1", "b": "2"}, DroppedAttributes: 300,
		}},
		Logs: []Log{{Project: "q", TimeNano: 10, ObservedNano: 9, Severity: 9, SeverityText: "INFO", Body: "hi"}},
		Metrics: []Metric{{
			Name: "m", Kind: Histogram, TimeNano: 1, Monotonic: true, Delta: true,
			Value: 1, Count: 2, Bounds: []float64{0.5}, BucketCounts: []uint64{1, 1},
		}},
	}
}

// TestGolden pins version 1 byte for byte: WAL segments written by one
// build are replayed by the next, so any change here needs a new version.
func TestGolden(t *testing.T) {
	b := smallBatch()
	const want = "01" + "0170" + // version 1, project "p"
		"02" + // two spans
		"00" + "04737663" + "01ab" + "00" + "00" + "026e" + // project=prev, "svc", trace ab, no span/parent ids, "n"
		"01" + "00" + "00" + "c801" + "0a" + // kind -1, status 0, message "", start +100, duration 5
		"03" + "016101310162" + "0132" + // resource: 2 entries a=1 b=2
		"01016b0176" + // attributes k=v
		"01" + "13" + "0165" + "00" + // one event: time -10, "e", no attributes
		"00" + // dropped 0
		"00" + "00" + "00" + "00" + "00" + "00" + // project, service same; no ids; name same
		"00" + "00" + "00" + "80" + "01" + "00" + // kind, status, message, start +64, duration 0
		"00" + "00" + "00" + "ac02" + // resource same, no attributes, no events, dropped 300
		"01" + // one log
		"0271" + "00" + "14" + "01" + "12" + // project "q", service "", time +10, observed -1, severity 9
		"05494e464f" + "026869" + "00" + "00" + "00" + "00" + "00" + // "INFO", "hi", no ids, resource same (none), no attributes, dropped 0
		"01" + // one metric
		"0100" + "026d" + "06" + "00" + "02" + "01" + // project "", service same, "m", kind 3, unit same, time +1, start -1
		"00" + "00" + "000000000000f03f" + "03" + "02" + "0000000000000000" + // no labels, resource same, value 1, flags, count 2, sum 0
		"01" + "000000000000e03f" + "020101" + "00" // bounds [0.5], buckets [1 1], no exemplars
	got := hex.EncodeToString(AppendBatch(nil, b))
	if got != want {
		t.Fatalf("encoding changed:\n got %s\nwant %s", got, want)
	}
	if dec := mustDecode(t, AppendBatch(nil, b)); !reflect.DeepEqual(dec, b) {
		t.Fatalf("golden batch round trip: %+v", dec)
	}
}

func TestTruncated(t *testing.T) {
	enc := AppendBatch(nil, richBatch())
	for i := range enc {
		b, err := DecodeBatch(enc[:i])
		if err == nil || b != nil {
			t.Fatalf("prefix of %d of %d bytes decoded", i, len(enc))
		}
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("prefix of %d bytes: %v, not ErrCorrupt", i, err)
		}
	}
	if _, err := DecodeBatch(append(enc, 0)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("trailing byte: %v", err)
	}
}

func TestVersion(t *testing.T) {
	enc := AppendBatch(nil, richBatch())
	for _, v := range []byte{0, 2, 0xFF} {
		enc[0] = v
		_, err := DecodeBatch(enc)
		if !errors.Is(err, ErrVersion) || errors.Is(err, ErrCorrupt) {
			t.Fatalf("version %d: %v", v, err)
		}
		if !strings.Contains(err.Error(), "version "+strconv.Itoa(int(v))) {
			t.Errorf("error %q does not name the version", err)
		}
	}
	if _, err := DecodeBatch(nil); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("empty input: %v", err)
	}
}

// Building blocks of hand-made encodings: the batch header up to the
// span count, and the shortest span, log and metric prefixes.
var (
	head       = []byte{1, 0}                                              // version, project ""
	spanHead   = []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}                   // project..duration
	metricHead = []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0} // project..value (8 bytes)
)

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func uv(v uint64) []byte { return binary.AppendUvarint(nil, v) }

func TestMalformed(t *testing.T) {
	zeros8 := make([]byte, 8)
	tail := []byte{0, 0, 0, 0} // resource, attributes, events, dropped
	cases := []struct {
		name, why string
		data      []byte
	}{
		{"varint overflow", "overflows", cat(head, bytes.Repeat([]byte{0xFF}, 10), []byte{1, 0, 0})},
		{"kind beyond int32", "int32", cat(head, []byte{1}, spanHead[:6], uv(1<<33), spanHead[7:], tail, []byte{0, 0})},
		{"dropped beyond uint32", "uint32", cat(head, []byte{1}, spanHead, tail[:3], uv(1<<32), []byte{0, 0})},
		{"unknown metric flags", "flags", cat(head, []byte{0, 0, 1}, metricHead, []byte{4, 0}, zeros8, []byte{0, 0, 0})},
		{"map keys out of order", "ascending", cat(head, []byte{1}, spanHead, []byte{0, 2, 1, 'b', 0, 1, 'a', 0, 0, 0}, []byte{0, 0})},
		{"map keys repeated", "ascending", cat(head, []byte{1}, spanHead, []byte{0, 2, 1, 'a', 0, 1, 'a', 0, 0, 0}, []byte{0, 0})},
		{"resource keys repeated", "ascending", cat(head, []byte{1}, spanHead, []byte{3, 0, 0, 0, 0, 0, 0, 0}, []byte{0, 0})},
		{"trailing bytes", "after the batch", cat(head, []byte{0, 0, 0, 0})},
		{"string beyond the input", "length exceeds", []byte{1, 5, 'a', 'b'}},
		{"count beyond the input", "count exceeds", cat(head, []byte{2}, spanHead, tail, []byte{0, 0})},
		{"metric truncated in its sum", "truncated", cat(head, []byte{0, 0, 1}, []byte{0, 0, 0, 0, 21}, bytes.Repeat([]byte{'u'}, 20), []byte{0, 0, 0, 0}, zeros8, []byte{0, 0}, zeros8[:5])},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecodeBatch(c.data)
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), c.why) {
				t.Fatalf("%x: got %v, want ErrCorrupt saying %q", c.data, err, c.why)
			}
		})
	}
	// The building blocks themselves are sound.
	for _, data := range [][]byte{
		cat(head, []byte{1}, spanHead, tail, []byte{0, 0}),
		cat(head, []byte{0, 0, 1}, metricHead, []byte{3, 0}, zeros8, []byte{0, 0, 0}),
		cat(head, []byte{1}, spanHead, []byte{0, 2, 1, 'a', 0, 1, 'b', 0, 0, 0}, []byte{0, 0}),
	} {
		if _, err := DecodeBatch(data); err != nil {
			t.Fatalf("%x: %v", data, err)
		}
	}
}

// allocated is the bytes f allocates, the least of a few runs.
func allocated(f func()) uint64 {
	least := uint64(math.MaxUint64)
	for range 5 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		least = min(least, after.TotalAlloc-before.TotalAlloc)
	}
	return least
}

// TestHugeCounts: a count or length claiming 2^40 elements, wherever it
// is, is refused before anything is allocated for it.
func TestHugeCounts(t *testing.T) {
	span := cat([]byte{1}, spanHead)
	zeros8 := make([]byte, 8)
	metric := cat([]byte{0, 0, 1}, metricHead, []byte{0, 0}, zeros8) // through the sum
	filler := make([]byte, 64)
	for _, huge := range []uint64{1 << 40, math.MaxUint64} {
		cases := map[string][]byte{
			"batch project":    cat([]byte{1}, uv(huge)),
			"spans":            cat(head, uv(huge)),
			"logs":             cat(head, []byte{0}, uv(huge)),
			"metrics":          cat(head, []byte{0, 0}, uv(huge)),
			"span service":     cat(head, []byte{1, 0}, uv(huge)),
			"span trace id":    cat(head, []byte{1, 0, 0}, uv(huge)),
			"span resource":    cat(head, span, uv(huge)),
			"span attributes":  cat(head, span, []byte{0}, uv(huge)),
			"span events":      cat(head, span, []byte{0, 0}, uv(huge)),
			"event name":       cat(head, span, []byte{0, 0, 1, 0}, uv(huge)),
			"event attributes": cat(head, span, []byte{0, 0, 1, 0, 0}, uv(huge)),
			"log body":         cat(head, []byte{0, 1, 0, 0, 0, 0, 0, 0}, uv(huge)),
			"bounds":           cat(head, metric, uv(huge)),
			"bucket counts":    cat(head, metric, []byte{0}, uv(huge)),
			"exemplars":        cat(head, metric, []byte{0, 0}, uv(huge)),
			"exemplar span id": cat(head, metric, []byte{0, 0, 1, 0}, zeros8, []byte{0}, uv(huge)),
		}
		for name, data := range cases {
			data = cat(data, filler)
			var err error
			if n := allocated(func() { _, err = DecodeBatch(data) }); n > 1024 {
				t.Errorf("%s %d: allocated %d bytes", name, huge, n)
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("%s %d: got %v, want ErrCorrupt", name, huge, err)
			}
		}
	}
}

// TestAllocationBound: inputs packing the most rows or entries into their
// bytes, honest or lying, allocate a bounded multiple of their size.
func TestAllocationBound(t *testing.T) {
	const n = 1 << 12
	minSpan := cat([]byte{1}, spanHead, []byte{0, 0, 0, 0})[1:]
	// The shortest distinct keys, with empty values.
	var keys []string
	for i := range 256 {
		keys = append(keys, string([]byte{byte(i)}))
	}
	for i := range 1 << 14 {
		keys = append(keys, string([]byte{byte(i >> 8), byte(i)}))
	}
	sort.Strings(keys)
	var entries []byte
	for _, k := range keys {
		entries = append(entries, byte(len(k)))
		entries = append(entries, k...)
		entries = append(entries, 0)
	}
	cases := map[string][]byte{
		"shortest spans": cat(head, uv(n), bytes.Repeat(minSpan, n), []byte{0, 0}),
		"lying spans":    cat(head, uv(n), bytes.Repeat([]byte{0xFF}, n*minSpanSize)),
		"lying events":   cat(head, []byte{1}, spanHead, []byte{0, 0}, uv(n), bytes.Repeat([]byte{0xFF}, n*minEventSize)),
		"lying map":      cat(head, []byte{1}, spanHead, []byte{0}, uv(n), bytes.Repeat([]byte{0xFF}, n*minEntrySize)),
		// Spans, the first one's events, the first event's attributes:
		// each count claims all of the input.
		"lying nested": cat(head, uv(n), spanHead, []byte{0, 0}, uv(n*minSpanSize/minEventSize), []byte{0, 0},
			uv(n*minSpanSize/minEntrySize), bytes.Repeat([]byte{0xFF}, n*minSpanSize)),
		"full map":     cat(head, []byte{1}, spanHead, []byte{0}, uv(256+1<<14), entries, []byte{0, 0, 0, 0}),
		"shortest ids": cat(head, uv(n), bytes.Repeat(cat([]byte{0, 0, 1, 7}, minSpan[3:]), n), []byte{0, 0}),
	}
	for name, data := range cases {
		var err error
		n := allocated(func() { _, err = DecodeBatch(data) })
		if lying := strings.HasPrefix(name, "lying"); lying != (err != nil) {
			t.Errorf("%s: %v", name, err)
		}
		ratio := float64(n) / float64(len(data))
		t.Logf("%s: %d bytes in, %d allocated (%.1fx)", name, len(data), n, ratio)
		if ratio > 24 {
			t.Errorf("%s: allocated %.1f times the input", name, ratio)
		}
	}
}

// TestMinSizes: the per-row minimums counts are checked against are what
// the rows' zero values encode in (too large would refuse valid input).
func TestMinSizes(t *testing.T) {
	base := len(AppendBatch(nil, &Batch{}))
	size := func(b *Batch) int { return len(AppendBatch(nil, b)) - base }
	cases := []struct {
		name string
		got  int
		want int
	}{
		{"span", size(&Batch{Spans: make([]Span, 1)}), minSpanSize},
		{"log", size(&Batch{Logs: make([]Log, 1)}), minLogSize},
		{"metric", size(&Batch{Metrics: make([]Metric, 1)}), minMetricSize},
		{"event", size(&Batch{Spans: []Span{{Events: make([]SpanEvent, 1)}}}) - minSpanSize, minEventSize},
		{"exemplar", size(&Batch{Metrics: []Metric{{Exemplars: make([]Exemplar, 1)}}}) - minMetricSize, minExemplarSize},
		{"map entry", size(&Batch{Spans: []Span{{Attributes: map[string]string{"": ""}}}}) - minSpanSize, minEntrySize},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("a zero %s encodes in %d bytes, the minimum says %d", c.name, c.got, c.want)
		}
	}
}

func FuzzDecodeBatch(f *testing.F) {
	// Small seeds: the fuzzer minimizes every input it finds interesting.
	f.Add(AppendBatch(nil, smallBatch()))
	f.Add(AppendBatch(nil, &Batch{}))
	rich := richBatch()
	rich.Spans[1].Attributes = map[string]string{"a": "1", "b": "2"}
	rich.Logs[1].Body = "body"
	rich.Logs[2].Attributes = nil
	rich.Metrics[1].Labels = map[string]string{"": "x"}
	f.Add(AppendBatch(nil, rich))
	bench := benchBatch()
	bench.Spans = bench.Spans[:3]
	f.Add(AppendBatch(nil, bench))
	f.Add(AppendBatch(nil, &Batch{Project: "p", Spans: make([]Span, 2), Logs: make([]Log, 2), Metrics: make([]Metric, 2)}))
	f.Add([]byte{})
	f.Add([]byte{2})
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := DecodeBatch(data)
		if err != nil {
			if b != nil || !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion) {
				t.Fatalf("DecodeBatch error %v with batch %v", err, b)
			}
			return
		}
		enc := AppendBatch(nil, b)
		// Canonical encoding is never longer than what decoded.
		if len(enc) > len(data) {
			t.Fatalf("re-encoding grew from %d to %d bytes", len(data), len(enc))
		}
		b2, err := DecodeBatch(enc)
		if err != nil {
			t.Fatalf("re-encoding does not decode: %v", err)
		}
		// Compared as bytes: floats may be NaN, which DeepEqual misses.
		if enc2 := AppendBatch(nil, b2); !bytes.Equal(enc, enc2) {
			t.Fatalf("decode(encode(decode(x))) differs:\n%x\n%x", enc, enc2)
		}
	})
}

// benchBatch is 100 spans of 10 attributes each, from one resource, in
// traces of 10 spans.
func benchBatch() *Batch {
	res := map[string]string{
		"service.name": "checkout", "service.version": "1.4.2", "host.name": "node-7",
		"k8s.namespace.name": "shop", "k8s.pod.name": "checkout-7d9f8c-x2x4q",
		"telemetry.sdk.language": "go", "telemetry.sdk.name": "opentelemetry", "telemetry.sdk.version": "1.30.0",
	}
	b := &Batch{Project: "3f0c2a9e-6f0b-4c4e-9a57-0a1d2c3b4e5f"}
	start := int64(1_700_000_000_000_000_000)
	for i := range 100 {
		b.Spans = append(b.Spans, Span{
			Project: b.Project, Service: "checkout",
			TraceID: ids(byte(i/10), 16), SpanID: ids(byte(i), 8), ParentSpanID: ids(byte(i-1), 8),
			Name: "HTTP GET", Kind: 2, StatusCode: 1,
			StartNano: start + int64(i)*1_250_000, DurationNano: 850_000 + int64(i)*1000,
			Resource: res,
			Attributes: map[string]string{
				"http.request.method": "GET", "http.response.status_code": "200",
				"url.path": "/api/cart/" + strconv.Itoa(i), "url.scheme": "https",
				"server.address": "checkout.shop.svc", "server.port": "8080",
				"client.address": "10.0.3." + strconv.Itoa(i), "user_agent.original": "Mozilla/5.0 (X11; Linux x86_64)",
				"network.protocol.version": "1.1", "http.route": "/api/cart/{id}",
			},
		})
	}
	return b
}

func BenchmarkAppendBatch(b *testing.B) {
	batch := benchBatch()
	buf := AppendBatch(nil, batch)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendBatch(buf[:0], batch)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch.Spans)), "ns/span")
	b.ReportMetric(float64(len(buf))/float64(len(batch.Spans)), "B/span")
}

func BenchmarkDecodeBatch(b *testing.B) {
	batch := benchBatch()
	enc := AppendBatch(nil, batch)
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeBatch(enc); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch.Spans)), "ns/span")
}
