package promwrite

import (
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// The encoders below build remote-write protobuf by hand, field by field,
// independently of the decoder under test.

func appendMsg(b []byte, num protowire.Number, msg []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, msg)
}

func appendStr(b []byte, num protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendDouble(b []byte, num protowire.Number, v float64) []byte {
	b = protowire.AppendTag(b, num, protowire.Fixed64Type)
	return protowire.AppendFixed64(b, math.Float64bits(v))
}

func appendInt(b []byte, num protowire.Number, v int64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(v))
}

func encLabels(b []byte, num protowire.Number, ls []Label) []byte {
	for _, l := range ls {
		b = appendMsg(b, num, appendStr(appendStr(nil, 1, l.Name), 2, l.Value))
	}
	return b
}

// encSeries encodes a TimeSeries; histograms adds that many (opaque)
// native histogram entries.
func encSeries(s Series) []byte {
	b := encLabels(nil, 1, s.Labels)
	for _, smp := range s.Samples {
		b = appendMsg(b, 2, appendInt(appendDouble(nil, 1, smp.Value), 2, smp.TimestampMs))
	}
	for _, e := range s.Exemplars {
		eb := encLabels(nil, 1, e.Labels)
		eb = appendInt(appendDouble(eb, 2, e.Value), 3, e.TimestampMs)
		b = appendMsg(b, 3, eb)
	}
	for range s.Histograms {
		b = appendMsg(b, 4, appendInt(nil, 1, 5)) // Histogram{count_int = 1}
	}
	return b
}

func encMetadata(m Metadata) []byte {
	b := appendInt(nil, 1, int64(m.Type))
	b = appendStr(b, 2, m.Family)
	b = appendStr(b, 4, m.Help)
	return appendStr(b, 5, m.Unit)
}

func encRequest(series []Series, md []Metadata) []byte {
	var b []byte
	for _, s := range series {
		b = appendMsg(b, 1, encSeries(s))
	}
	for _, m := range md {
		b = appendMsg(b, 3, encMetadata(m))
	}
	return b
}

func labels(kv ...string) []Label {
	ls := make([]Label, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		ls = append(ls, Label{Name: kv[i], Value: kv[i+1]})
	}
	return ls
}
