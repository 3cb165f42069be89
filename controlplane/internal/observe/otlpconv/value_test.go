package otlpconv

import (
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
)

func TestRender(t *testing.T) {
	cases := []struct {
		name string
		v    *commonpb.AnyValue
		want string
	}{
		{"string", str("héllo \"x\""), "héllo \"x\""},
		{"int", anyValue(-42), "-42"},
		{"double", anyValue(1.5), "1.5"},
		{"double integral", anyValue(1234567.0), "1234567"},
		{"double large", anyValue(1e21), "1e+21"},
		{"double small", anyValue(1e-7), "1e-7"},
		{"NaN", anyValue(math.NaN()), "NaN"},
		{"-Inf", anyValue(math.Inf(-1)), "-Inf"},
		{"bool", anyValue(true), "true"},
		{"bytes", anyValue([]byte{0xff, 0x00, 0x10}), "/wAQ"},
		{"nil", nil, ""},
		{"empty", &commonpb.AnyValue{}, ""},
		{"strindex", &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValueStrindex{StringValueStrindex: 3}}, ""},
		{"array", anyValue([]any{"a", 1, 2.5, false, nil, []byte{1}, math.Inf(1)}), `["a",1,2.5,false,null,"AQ==","+Inf"]`},
		{"kvlist", anyValue([]*commonpb.KeyValue{kv("b", 1), kv("a", []any{}), kv("q\"\n\x01", "\\")}), `{"b":1,"a":[],"q\"\n\u0001":"\\"}`},
		{"nested", anyValue([]*commonpb.KeyValue{kv("m", []*commonpb.KeyValue{kv("x", []any{[]any{1}})})}), `{"m":{"x":[[1]]}}`},
	}
	c := newConverter(testTenant, testNow, DefaultLimits())
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var cut int64
			if got := c.render(tc.v, 4096, &cut); got != tc.want || cut != 0 {
				t.Errorf("render = %q (cut %d), want %q", got, cut, tc.want)
			}
		})
	}
}

// Whatever the value, the rendering stays within the limit, is valid
// UTF-8, and a cut is counted exactly once.
func TestRenderBounded(t *testing.T) {
	deep := anyValue("x")
	for range 10000 {
		deep = &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{Values: []*commonpb.AnyValue{deep}}}}
	}
	wide := make([]any, 100000)
	for i := range wide {
		wide[i] = "日本語"
	}
	values := map[string]*commonpb.AnyValue{
		"deep":        deep,
		"wide":        anyValue(wide),
		"escapes":     anyValue([]any{strings.Repeat("\x01", 1000)}),
		"long key":    anyValue([]*commonpb.KeyValue{kv(strings.Repeat("é", 1000), 1)}),
		"long bytes":  anyValue([]any{make([]byte, 1000)}),
		"long string": str(strings.Repeat("é", 1000)),
	}
	c := newConverter(testTenant, testNow, DefaultLimits())
	for name, v := range values {
		t.Run(name, func(t *testing.T) {
			for _, limit := range []int{1, 2, 3, 7, 100, 1001} {
				var cut int64
				got := c.render(v, limit, &cut)
				if len(got) > limit || !utf8.ValidString(got) || cut != 1 {
					t.Errorf("limit %d: %d bytes, valid %v, cut %d", limit, len(got), utf8.ValidString(got), cut)
				}
			}
		})
	}
}

func TestTruncateUTF8(t *testing.T) {
	s := "aé€😀" // 1, 2, 3, 4 bytes
	for n, want := range []string{"", "a", "a", "aé", "aé", "aé", "aé€", "aé€", "aé€", "aé€", "aé€😀", "aé€😀"} {
		got, cut := TruncateUTF8(s, n)
		if got != want || cut != (n < len(s)) {
			t.Errorf("TruncateUTF8(%q, %d) = %q, %v; want %q", s, n, got, cut, want)
		}
	}
}
