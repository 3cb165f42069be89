package otlpconv

import (
	"encoding/base64"
	"math"
	"strconv"
	"unicode/utf8"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
)

// jsonWriter renders arrays and key-value lists as compact JSON into buf,
// and stops writing as soon as buf holds more than max bytes (full): the
// caller cuts the result to max, so a truncated rendering is not valid
// JSON, which is acceptable for a value that was too big to keep whole.
// Every level of nesting writes at least one byte, so stopping when full
// also bounds the recursion depth by max.
type jsonWriter struct {
	buf  []byte
	max  int
	full bool
}

func (w *jsonWriter) check() bool {
	if len(w.buf) > w.max {
		w.full = true
	}
	return !w.full
}

func (w *jsonWriter) value(v *commonpb.AnyValue) {
	if !w.check() {
		return
	}
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		w.str(x.StringValue)
	case *commonpb.AnyValue_IntValue:
		w.buf = strconv.AppendInt(w.buf, x.IntValue, 10)
	case *commonpb.AnyValue_DoubleValue:
		if math.IsNaN(x.DoubleValue) || math.IsInf(x.DoubleValue, 0) {
			// JSON has no literal for these; quote strconv's spelling.
			w.buf = append(w.buf, '"')
			w.buf = appendFloat(w.buf, x.DoubleValue)
			w.buf = append(w.buf, '"')
		} else {
			w.buf = appendFloat(w.buf, x.DoubleValue)
		}
	case *commonpb.AnyValue_BoolValue:
		w.buf = strconv.AppendBool(w.buf, x.BoolValue)
	case *commonpb.AnyValue_BytesValue:
		w.bytes(x.BytesValue)
	case *commonpb.AnyValue_ArrayValue:
		w.array(x.ArrayValue.GetValues())
	case *commonpb.AnyValue_KvlistValue:
		w.kvlist(x.KvlistValue.GetValues())
	default:
		w.buf = append(w.buf, "null"...)
	}
	w.check()
}

func (w *jsonWriter) array(vs []*commonpb.AnyValue) {
	w.buf = append(w.buf, '[')
	for i, v := range vs {
		if !w.check() {
			return
		}
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		w.value(v)
	}
	w.buf = append(w.buf, ']')
}

// kvlist writes an object with keys in the sender's order (duplicates
// kept as sent), so the rendering is deterministic.
func (w *jsonWriter) kvlist(kvs []*commonpb.KeyValue) {
	w.buf = append(w.buf, '{')
	for i, kv := range kvs {
		if !w.check() {
			return
		}
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		w.str(kv.GetKey())
		w.buf = append(w.buf, ':')
		w.value(kv.GetValue())
	}
	w.buf = append(w.buf, '}')
}

// str writes a quoted, escaped string. Only as much of s as can still fit
// is looked at: every input byte produces at least one output byte.
func (w *jsonWriter) str(s string) {
	if room := w.max - len(w.buf) + 1; len(s) > room {
		s = s[:max(room, 0)]
		w.full = true
	}
	w.buf = append(w.buf, '"')
	for i := 0; i < len(s); i++ {
		b := s[i]
		switch {
		case b == '"' || b == '\\':
			w.buf = append(w.buf, '\\', b)
		case b == '\n':
			w.buf = append(w.buf, '\\', 'n')
		case b == '\r':
			w.buf = append(w.buf, '\\', 'r')
		case b == '\t':
			w.buf = append(w.buf, '\\', 't')
		case b < 0x20:
			const hex = "0123456789abcdef"
			w.buf = append(w.buf, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xf])
		default:
			w.buf = append(w.buf, b)
		}
	}
	w.buf = append(w.buf, '"')
}

// bytes writes b as a quoted base64 string, encoding only what can fit.
func (w *jsonWriter) bytes(b []byte) {
	enc := base64.StdEncoding
	if room := w.max - len(w.buf) + 1; enc.EncodedLen(len(b)) > room {
		b = b[:max(room, 0)/4*3]
		w.full = true
	}
	w.buf = append(w.buf, '"')
	w.buf = enc.AppendEncode(w.buf, b)
	w.buf = append(w.buf, '"')
}

// cutUTF8 returns b cut to at most n bytes without splitting a UTF-8
// sequence.
func cutUTF8(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	i := max(n, 0)
	for j := 0; j < utf8.UTFMax && i > 0 && !utf8.RuneStart(b[i]); j++ {
		i--
	}
	return b[:i]
}
