package otlpconv

import (
	"reflect"
	"testing"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
)

// testNow is the ingest time every test converts at.
var testNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// ns is testNow shifted by d, as an OTLP timestamp.
func ns(d time.Duration) uint64 { return uint64(testNow.Add(d).UnixNano()) }

var testTenant = Tenant{Project: "prj_1", Resource: map[string]string{"hearth.cluster": "c1"}}

func str(s string) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: s}}
}

// kv builds an attribute from a Go value of one of OTLP's types.
func kv(k string, v any) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: anyValue(v)}
}

func anyValue(v any) *commonpb.AnyValue {
	switch x := v.(type) {
	case string:
		return str(x)
	case int:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: int64(x)}}
	case float64:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: x}}
	case bool:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: x}}
	case []byte:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_BytesValue{BytesValue: x}}
	case []any:
		arr := &commonpb.ArrayValue{}
		for _, e := range x {
			arr.Values = append(arr.Values, anyValue(e))
		}
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: arr}}
	case []*commonpb.KeyValue:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_KvlistValue{KvlistValue: &commonpb.KeyValueList{Values: x}}}
	case nil:
		return nil
	}
	panic("kv: unsupported type")
}

func resource(kvs ...*commonpb.KeyValue) *resourcepb.Resource {
	return &resourcepb.Resource{Attributes: kvs}
}

func traceID(b byte) []byte { return []byte{b, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16} }
func spanID(b byte) []byte  { return []byte{b, 2, 3, 4, 5, 6, 7, 8} }

// wantDrops fails t unless got equals want, naming the differing fields.
func wantDrops(t *testing.T, got, want Drops) {
	t.Helper()
	if got != want {
		gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
		for i := range gv.NumField() {
			if gv.Field(i).Int() != wv.Field(i).Int() {
				t.Errorf("Drops.%s = %d, want %d", gv.Type().Field(i).Name, gv.Field(i).Int(), wv.Field(i).Int())
			}
		}
	}
}

func deepEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}
