package promwrite

import (
	"errors"
	"math"
	"reflect"
	"runtime"
	"testing"

	"github.com/klauspost/compress/snappy"
	"google.golang.org/protobuf/encoding/protowire"
)

const testMax = 1 << 20

// A hand-encoded WriteRequest decodes to exactly what was encoded;
// unknown fields anywhere are skipped.
func TestDecodeRoundTrip(t *testing.T) {
	want := []Series{{
		Labels:  labels("__name__", "http_requests_total", "job", "api", "code", "200"),
		Samples: []Sample{{Value: 1, TimestampMs: 1000}, {Value: math.Inf(1), TimestampMs: -5}},
		Exemplars: []Exemplar{{
			Labels: labels("trace_id", "0102030405060708090a0b0c0d0e0f10"), Value: 0.5, TimestampMs: 999,
		}},
		Histograms: 2,
	}, {
		Labels:  labels("__name__", "up", "instance", "é:9090"),
		Samples: []Sample{{Value: 0, TimestampMs: 0}},
	}}
	md := []Metadata{
		{Type: TypeCounter, Family: "http_requests", Help: "Requests.", Unit: "requests"},
		{Type: MetricType(42), Family: "future"},
	}
	raw := encRequest(want, md)
	// Unknown fields: a varint at the top level, a fixed32 in a series,
	// a group in a metadata entry are all skipped.
	raw = appendInt(raw, 15, 7)
	raw = appendMsg(raw, 1, append(encSeries(Series{Labels: labels("__name__", "x"), Samples: []Sample{{Value: 2, TimestampMs: 3}}}),
		protowire.AppendFixed32(protowire.AppendTag(nil, 9, protowire.Fixed32Type), 1)...))
	want = append(want, Series{Labels: labels("__name__", "x"), Samples: []Sample{{Value: 2, TimestampMs: 3}}})
	group := protowire.AppendTag(nil, 6, protowire.StartGroupType)
	group = appendInt(group, 1, 1)
	group = protowire.AppendTag(group, 6, protowire.EndGroupType)
	raw = appendMsg(raw, 3, append(encMetadata(Metadata{Type: TypeGauge, Family: "g"}), group...))
	md = append(md, Metadata{Type: TypeGauge, Family: "g"})

	req, err := Decode(snappy.Encode(nil, raw), testMax)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(req.Series, want) {
		t.Errorf("series:\n got %+v\nwant %+v", req.Series, want)
	}
	if !reflect.DeepEqual(req.Metadata, md) {
		t.Errorf("metadata:\n got %+v\nwant %+v", req.Metadata, md)
	}
}

// Series that would make no rows are not kept; an empty request is fine.
func TestDecodeEmpty(t *testing.T) {
	raw := encRequest([]Series{{Labels: labels("__name__", "a")}, {}, {Labels: labels("__name__", "b"), Samples: []Sample{{Value: 1}}}}, nil)
	req, err := Decode(snappy.Encode(nil, raw), testMax)
	if err != nil || len(req.Series) != 1 || req.Series[0].Labels[0].Value != "b" {
		t.Fatalf("got %+v, %v; want only series b", req, err)
	}
	req, err = Decode(snappy.Encode(nil, nil), testMax)
	if err != nil || len(req.Series) != 0 || len(req.Metadata) != 0 {
		t.Errorf("empty request: %+v %v", req, err)
	}
}

// Series without samples cost nothing beyond the decompressed body,
// however many labels they carry: their labels are neither kept nor
// counted into the arenas.
func TestDecodeMemoryBounded(t *testing.T) {
	empty := Series{Labels: labels("a", "b", "c", "d", "e", "f", "g", "h", "i", "j")}
	series := make([]Series, 10000, 10001)
	for i := range series {
		series[i] = empty
	}
	raw := encRequest(append(series, Series{Labels: labels("__name__", "x"), Samples: []Sample{{Value: 1}}}), nil)
	body := snappy.Encode(nil, raw)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	req, err := Decode(body, len(raw))
	runtime.ReadMemStats(&after)
	if err != nil || len(req.Series) != 1 {
		t.Fatalf("got %+v, %v", req, err)
	}
	// The buffer and the one string copy of it, and little else.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 2*uint64(len(raw))+64<<10 {
		t.Errorf("decoding %d bytes allocated %d", len(raw), alloc)
	}
}

// A body declaring more than the limit is refused before any
// decompression: it allocates (almost) nothing.
func TestDecodeSnappyBomb(t *testing.T) {
	claim := protowire.AppendVarint(nil, 1<<32-1) // declares 4 GiB, the most a header can
	claim = append(claim, 0x00, 0x01, 0x02)
	real := snappy.Encode(nil, make([]byte, 64<<20)) // 64 MiB of zeros, a few MiB compressed
	if len(real) >= 64<<20/10 {
		t.Fatalf("test bomb compresses to %d bytes only", len(real))
	}
	for name, body := range map[string][]byte{"claim": claim, "zeros": real} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := Decode(body, testMax)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: err = %v, want ErrTooLarge", name, err)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<10 {
			t.Errorf("%s: allocated %d bytes before refusing", name, alloc)
		}
	}
}

func TestDecodeMalformed(t *testing.T) {
	good := encSeries(Series{Labels: labels("__name__", "a"), Samples: []Sample{{Value: 1, TimestampMs: 2}}})
	cases := map[string][]byte{
		"truncated tag varint":      {0x80},
		"truncated length varint":   {0x0a, 0x80},
		"length beyond the end":     {0x0a, 0x05, 0x01},
		"truncated sample varint":   appendMsg(nil, 1, appendMsg(nil, 2, []byte{0x10, 0xff})),
		"truncated series field":    appendMsg(nil, 1, []byte{0x12, 0x05, 0x01}),
		"truncated exemplar field":  appendMsg(nil, 1, appendMsg(nil, 3, []byte{0x0a, 0x05})),
		"truncated label field":     appendMsg(nil, 1, appendMsg(nil, 1, []byte{0x12, 0x05})),
		"truncated metadata field":  appendMsg(nil, 3, []byte{0x12, 0x05}),
		"truncated fixed64":         appendMsg(nil, 1, appendMsg(nil, 2, []byte{0x09, 0x00, 0x00})),
		"timeseries as varint":      appendInt(nil, 1, 3),
		"metadata as fixed64":       appendDouble(nil, 3, 1),
		"label name as varint":      appendMsg(nil, 1, appendMsg(nil, 1, appendInt(nil, 1, 1))),
		"sample value as varint":    appendMsg(nil, 1, appendMsg(nil, 2, appendInt(nil, 1, 1))),
		"sample time as fixed64":    appendMsg(nil, 1, appendMsg(nil, 2, appendDouble(nil, 2, 1))),
		"exemplar value as varint":  appendMsg(nil, 1, appendMsg(nil, 3, appendInt(nil, 2, 1))),
		"metadata type as bytes":    appendMsg(nil, 3, appendStr(nil, 1, "counter")),
		"histograms as varint":      appendMsg(nil, 1, appendInt(nil, 4, 1)),
		"field number 0":            {0x02, 0x00},
		"unterminated group":        protowire.AppendTag(nil, 9, protowire.StartGroupType),
		"stray end group":           protowire.AppendTag(nil, 9, protowire.EndGroupType),
		"bad sample after good one": append(appendMsg(nil, 1, good), appendMsg(nil, 1, appendMsg(nil, 2, []byte{0x10}))...),
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			req, err := Decode(snappy.Encode(nil, raw), testMax)
			if !errors.Is(err, ErrMalformed) || req != nil {
				t.Errorf("got %+v, %v; want ErrMalformed", req, err)
			}
		})
	}
	for name, body := range map[string][]byte{
		"empty body":     nil,
		"not snappy":     []byte("hello, world"),
		"short of claim": append(protowire.AppendVarint(nil, 100), 0x00),
	} {
		if _, err := Decode(body, testMax); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
}
