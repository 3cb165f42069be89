package otlpconv

import (
	"math"
	"strings"
	"testing"
	"time"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

func logsReq(res *resourcepb.Resource, recs ...*logspb.LogRecord) *collogspb.ExportLogsServiceRequest {
	return &collogspb.ExportLogsServiceRequest{ResourceLogs: []*logspb.ResourceLogs{{
		Resource:  res,
		ScopeLogs: []*logspb.ScopeLogs{{LogRecords: recs}},
	}}}
}

func TestLogsMapsEveryField(t *testing.T) {
	l := &logspb.LogRecord{
		TimeUnixNano:           ns(-time.Second),
		ObservedTimeUnixNano:   ns(-time.Millisecond),
		SeverityNumber:         logspb.SeverityNumber_SEVERITY_NUMBER_WARN,
		SeverityText:           "WARN",
		Body:                   str("disk almost full\n"),
		Attributes:             []*commonpb.KeyValue{kv("disk", "/dev/sda"), kv("pct", 97.5)},
		DroppedAttributesCount: 2,
		TraceId:                traceID(9),
		SpanId:                 spanID(9),
	}
	rows, drops := Logs(testTenant, logsReq(resource(kv("service.name", "db")), l), testNow, DefaultLimits())
	wantDrops(t, drops, Drops{})
	want := []record.Log{{
		Project:           "prj_1",
		Service:           "db",
		TimeNano:          int64(ns(-time.Second)),
		ObservedNano:      int64(ns(-time.Millisecond)),
		Severity:          int32(logspb.SeverityNumber_SEVERITY_NUMBER_WARN),
		SeverityText:      "WARN",
		Body:              "disk almost full\n",
		TraceID:           traceID(9),
		SpanID:            spanID(9),
		Resource:          map[string]string{"service.name": "db", "hearth.cluster": "c1"},
		Attributes:        map[string]string{"disk": "/dev/sda", "pct": "97.5"},
		DroppedAttributes: 2,
	}}
	deepEqual(t, "rows", rows, want)
}

// Time 0 means unknown: the observed time stands in, and now when that is
// unknown too.
func TestLogsMissingTimes(t *testing.T) {
	rows, drops := Logs(testTenant, logsReq(nil,
		&logspb.LogRecord{ObservedTimeUnixNano: ns(-time.Minute)},
		&logspb.LogRecord{},
	), testNow, DefaultLimits())
	wantDrops(t, drops, Drops{})
	if r := rows[0]; r.TimeNano != int64(ns(-time.Minute)) || r.ObservedNano != r.TimeNano {
		t.Errorf("time 0: TimeNano %d ObservedNano %d, want both the observed time", r.TimeNano, r.ObservedNano)
	}
	if r := rows[1]; r.TimeNano != testNow.UnixNano() || r.ObservedNano != testNow.UnixNano() {
		t.Errorf("both 0: TimeNano %d ObservedNano %d, want now", r.TimeNano, r.ObservedNano)
	}
	if rows[1].Service != UnknownService {
		t.Errorf("Service = %q, want %q", rows[1].Service, UnknownService)
	}
}

func TestLogsTimeWindow(t *testing.T) {
	rows, drops := Logs(testTenant, logsReq(nil,
		&logspb.LogRecord{TimeUnixNano: math.MaxUint64},
		&logspb.LogRecord{ObservedTimeUnixNano: math.MaxUint64},                    // time 0: the observed time is judged
		&logspb.LogRecord{TimeUnixNano: ns(-8 * 24 * time.Hour)},                   // too old
		&logspb.LogRecord{TimeUnixNano: ns(-time.Hour), ObservedTimeUnixNano: 1e3}, // kept, observed replaced
	), testNow, DefaultLimits())
	if len(rows) != 1 || rows[0].ObservedNano != testNow.UnixNano() {
		t.Fatalf("rows = %+v, want the last record with observed time now", rows)
	}
	wantDrops(t, drops, Drops{OutOfWindow: 3, Clamped: 1})
}

// A broken trace context is removed; the line is kept.
func TestLogsBadTraceContext(t *testing.T) {
	rows, drops := Logs(testTenant, logsReq(nil,
		&logspb.LogRecord{TimeUnixNano: ns(0), TraceId: []byte{1, 2}, SpanId: spanID(1)},
	), testNow, DefaultLimits())
	if len(rows) != 1 || rows[0].TraceID != nil || rows[0].SpanID != nil {
		t.Fatalf("rows = %+v, want one row without trace context", rows)
	}
	wantDrops(t, drops, Drops{Clamped: 1})
}

func TestLogsBody(t *testing.T) {
	long := strings.Repeat("x", 100<<10)
	cases := []struct {
		name string
		body *commonpb.AnyValue
		want string
	}{
		{"string verbatim", str(`he said "hi"` + "\n"), `he said "hi"` + "\n"},
		{"absent", nil, ""},
		{"int", anyValue(42), "42"},
		{"map as JSON", anyValue([]*commonpb.KeyValue{kv("msg", "a\"b"), kv("n", 1), kv("l", []any{true, 1.5})}), `{"msg":"a\"b","n":1,"l":[true,1.5]}`},
		{"cut to MaxBodyBytes", str(long), long[:64<<10]},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rows, drops := Logs(testTenant, logsReq(nil, &logspb.LogRecord{TimeUnixNano: ns(0), Body: tc.body}), testNow, DefaultLimits())
			if rows[0].Body != tc.want {
				t.Errorf("Body = %.80q (%d bytes), want %.80q (%d bytes)", rows[0].Body, len(rows[0].Body), tc.want, len(tc.want))
			}
			want := Drops{}
			if len(tc.want) == 64<<10 {
				want.BodiesTruncated = 1
			}
			wantDrops(t, drops, want)
		})
	}
}

func TestLogsSpoofedAttributes(t *testing.T) {
	rows, drops := Logs(testTenant, logsReq(resource(kv("hearth.project", "prj_victim")),
		&logspb.LogRecord{TimeUnixNano: ns(0), Attributes: []*commonpb.KeyValue{kv("hearth.cluster", "evil")}},
	), testNow, DefaultLimits())
	deepEqual(t, "Resource", rows[0].Resource, map[string]string{"hearth.cluster": "c1"})
	if rows[0].Project != "prj_1" || len(rows[0].Attributes) != 0 || rows[0].DroppedAttributes != 1 {
		t.Errorf("row = %+v", rows[0])
	}
	wantDrops(t, drops, Drops{SpoofAttributes: 2})
}
