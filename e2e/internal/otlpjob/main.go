// Command otlpjob is a job's program in the end-to-end tests: it sends a
// trace of two spans and some log records over OTLP/HTTP (protobuf) to
// where its environment says, as an OpenTelemetry SDK configured by
// OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_EXPORTER_OTLP_HEADERS would, and
// prints the trace id ("trace <hex>").
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

func main() {
	service := flag.String("service", "job", "service.name")
	tag := flag.String("tag", "otlpjob", "a word in every log body")
	logs := flag.Int("logs", 3, "log records to send")
	flag.Parse()
	if err := run(*service, *tag, *logs); err != nil {
		fmt.Fprintln(os.Stderr, "otlpjob:", err)
		os.Exit(1)
	}
}

func run(service, tag string, n int) error {
	endpoint := strings.TrimRight(os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT"), "/")
	if endpoint == "" {
		return fmt.Errorf("OTEL_EXPORTER_OTLP_ENDPOINT is not set")
	}
	headers, err := parseHeaders(os.Getenv("OTEL_EXPORTER_OTLP_HEADERS"))
	if err != nil {
		return err
	}
	res := &resourcepb.Resource{Attributes: []*commonpb.KeyValue{attr("service.name", service)}}
	traceID, root, child := random(16), random(8), random(8)
	now := time.Now()
	span := func(id, parent []byte, name string, start time.Time, d time.Duration) *tracepb.Span {
		return &tracepb.Span{TraceId: traceID, SpanId: id, ParentSpanId: parent, Name: name,
			StartTimeUnixNano: uint64(start.UnixNano()), EndTimeUnixNano: uint64(start.Add(d).UnixNano())}
	}
	traces := &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{Resource: res,
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{
			span(root, nil, "build", now, 30*time.Millisecond),
			span(child, root, "compile", now.Add(5*time.Millisecond), 20*time.Millisecond),
		}}}}}}
	if err := post(endpoint+"/v1/traces", headers, traces); err != nil {
		return err
	}
	var recs []*logspb.LogRecord
	for i := range n {
		recs = append(recs, &logspb.LogRecord{
			TimeUnixNano: uint64(now.Add(time.Duration(i) * time.Millisecond).UnixNano()), SeverityNumber: logspb.SeverityNumber_SEVERITY_NUMBER_INFO,
			Body: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: fmt.Sprintf("%s log %d", tag, i)}}, TraceId: traceID, SpanId: root,
		})
	}
	logsReq := &collogspb.ExportLogsServiceRequest{ResourceLogs: []*logspb.ResourceLogs{{Resource: res, ScopeLogs: []*logspb.ScopeLogs{{LogRecords: recs}}}}}
	if err := post(endpoint+"/v1/logs", headers, logsReq); err != nil {
		return err
	}
	fmt.Println("trace", hex.EncodeToString(traceID))
	return nil
}

// parseHeaders reads OTEL_EXPORTER_OTLP_HEADERS: key=value pairs, comma
// separated, values URL-encoded.
func parseHeaders(s string) (http.Header, error) {
	h := http.Header{}
	for _, kv := range strings.Split(s, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_HEADERS: %q is not key=value", k)
		}
		dv, err := url.QueryUnescape(v)
		if err != nil {
			return nil, err
		}
		h.Set(strings.TrimSpace(k), dv)
	}
	return h, nil
}

func post(u string, h http.Header, m proto.Message) error {
	body, err := proto.Marshal(m)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(body)) //nolint:gosec,noctx // G704: the endpoint its environment names is the point; a test program with no context to pass
	if err != nil {
		return err
	}
	req.Header = h.Clone()
	req.Header.Set("Content-Type", "application/x-protobuf")
	res, err := http.DefaultClient.Do(req) //nolint:gosec // G704: as above
	if err != nil {
		return err
	}
	defer func() { _ = res.Body.Close() }()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s %s", u, res.Status, b)
	}
	return nil
}

func attr(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

func random(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}
