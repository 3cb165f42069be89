package otlpconv

import (
	"encoding/base64"
	"math"
	"strconv"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
)

// render turns an OTLP value into the string record stores, at most max
// bytes long; a cut increments *truncated. Strings are kept verbatim,
// numbers and booleans written as Go's strconv writes them (floats as
// JSON does), bytes as standard base64, arrays and key-value lists as
// compact JSON. An absent value renders as "".
//
// The work done is bounded by max, not by the value's size: a 100 MB
// string costs one copy of max bytes, a 100 MB byte string is encoded
// only as far as fits, and JSON rendering stops once max is exceeded.
func (c *converter) render(v *commonpb.AnyValue, maxBytes int, truncated *int64) string {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		s, cut := TruncateUTF8(x.StringValue, maxBytes)
		if cut {
			*truncated++
		}
		return s
	case *commonpb.AnyValue_IntValue:
		return clipShort(strconv.FormatInt(x.IntValue, 10), maxBytes, truncated)
	case *commonpb.AnyValue_DoubleValue:
		var buf [32]byte // formats in place: one allocation, the string
		return clipShort(string(appendFloat(buf[:0], x.DoubleValue)), maxBytes, truncated)
	case *commonpb.AnyValue_BoolValue:
		if x.BoolValue {
			return clipShort("true", maxBytes, truncated)
		}
		return clipShort("false", maxBytes, truncated)
	case *commonpb.AnyValue_BytesValue:
		return renderBytes(x.BytesValue, maxBytes, truncated)
	case *commonpb.AnyValue_ArrayValue, *commonpb.AnyValue_KvlistValue:
		w := jsonWriter{max: maxBytes, buf: make([]byte, 0, min(maxBytes+1, 64))}
		w.value(v)
		if w.full {
			*truncated++
			return string(cutUTF8(w.buf, maxBytes))
		}
		return string(w.buf)
	}
	// nil, or string_value_strindex (meaningful only inside profiles'
	// string tables, which ingest does not accept).
	return ""
}

// clipShort bounds an already short rendering; only absurdly small limits
// cut it.
func clipShort(s string, maxBytes int, truncated *int64) string {
	t, cut := TruncateUTF8(s, maxBytes)
	if cut {
		*truncated++
	}
	return t
}

// renderBytes base64-encodes as much of b as fits in maxBytes: every 3
// input bytes become 4 output bytes, so only a prefix is ever encoded.
func renderBytes(b []byte, maxBytes int, truncated *int64) string {
	enc := base64.StdEncoding
	if enc.EncodedLen(len(b)) <= maxBytes {
		return enc.EncodeToString(b)
	}
	*truncated++
	return enc.EncodeToString(b[:maxBytes/4*3])
}

// appendFloat formats f like encoding/json (shortest representation,
// exponent only for very large or small magnitudes), and NaN and
// infinities as strconv spells them, since JSON has no literal for them.
func appendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.AppendFloat(b, f, 'g', -1, 64)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// Like encoding/json: 1e-07 becomes 1e-7.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
