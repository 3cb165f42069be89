package otlp_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetricspb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	grpcgzip "google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/metadata"
	grpcstatus "google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/hearth-dev/hearth/nodeagent/internal/otlp"
)

const token = "hjt_job-token-1234"

// receiver is a Receiver served on a loopback port.
type receiver struct {
	url      string
	addr     string
	q        *otlp.Queue
	counters *otlp.Counters
}

func startReceiver(t *testing.T, cfg otlp.ReceiverConfig) *receiver {
	t.Helper()
	r := &receiver{counters: &otlp.Counters{}}
	r.q = openQueue(t, t.TempDir(), otlp.QueueOptions{Counters: r.counters})
	cfg.Queue, cfg.Counters = r.q, r.counters
	rc, err := otlp.NewReceiver(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.addr = ln.Addr().String()
	r.url = "http://" + r.addr
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- otlp.Serve(ctx, ln, rc, cfg.Logger) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return r
}

// h2c is a client speaking HTTP/2 without TLS, as gRPC clients do. Its
// connections are closed before the receiver stops (a server's graceful
// shutdown otherwise waits a second for the client to hang up).
func h2c(t *testing.T) *http.Client {
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// answer is a response, its body read and closed.
type answer struct {
	StatusCode int
	Header     http.Header
}

func post(t *testing.T, c *http.Client, url, contentType string, body io.Reader, header map[string]string) (answer, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{StatusCode: res.StatusCode, Header: res.Header}, b
}

var bearer = map[string]string{"Authorization": "Bearer " + token}

func traceID(t *testing.T) []byte {
	b, err := hex.DecodeString("5b8efff798038103d269b633813fc60c")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func tracesRequest(t *testing.T, spans int) *coltracepb.ExportTraceServiceRequest {
	ss := &tracepb.ScopeSpans{}
	for i := range spans {
		ss.Spans = append(ss.Spans, &tracepb.Span{TraceId: traceID(t), SpanId: []byte{1, 2, 3, 4, 5, 6, 7, byte(i)}, Name: "op", StartTimeUnixNano: 1700000000000000001})
	}
	return &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{ScopeSpans: []*tracepb.ScopeSpans{ss}}}}
}

func logsRequest(records int) *collogspb.ExportLogsServiceRequest {
	sl := &logspb.ScopeLogs{}
	for i := range records {
		sl.LogRecords = append(sl.LogRecords, &logspb.LogRecord{Body: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: strings.Repeat("log line ", i+1)}}})
	}
	return &collogspb.ExportLogsServiceRequest{ResourceLogs: []*logspb.ResourceLogs{{ScopeLogs: []*logspb.ScopeLogs{sl}}}}
}

func marshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// queued returns the next queued entry, decoded into into, after checking
// its token, signal and item count.
func queued(t *testing.T, r *receiver, signal otlp.Signal, items int64, into proto.Message) otlp.Item {
	t.Helper()
	it := peek(t, r.q)
	if err := r.q.Ack(it); err != nil {
		t.Fatal(err)
	}
	if it.Token != token || it.Signal != signal || it.Items != items {
		t.Fatalf("queued token %q signal %v items %d; want %v, %d", it.Token, it.Signal, it.Items, signal, items)
	}
	if err := proto.Unmarshal(it.Payload, into); err != nil {
		t.Fatalf("the queued payload is not protobuf: %v", err)
	}
	return it
}

func TestHTTPProtobuf(t *testing.T) {
	r := startReceiver(t, otlp.ReceiverConfig{})
	req := tracesRequest(t, 2)
	body := marshal(t, req)
	res, out := post(t, http.DefaultClient, r.url+otlp.TracesPath, "application/x-protobuf", bytes.NewReader(body), bearer)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/x-protobuf" {
		t.Fatalf("%d %s %q", res.StatusCode, res.Header.Get("Content-Type"), out)
	}
	if err := proto.Unmarshal(out, &coltracepb.ExportTraceServiceResponse{}); err != nil {
		t.Fatal(err)
	}
	var got coltracepb.ExportTraceServiceRequest
	it := queued(t, r, otlp.Traces, 2, &got)
	if !bytes.Equal(it.Payload, body) {
		t.Fatal("a protobuf body was not queued as received")
	}
	if st := r.counters.Stats(); st.Received != 1 || st.ReceivedItems != 2 || st.Queued != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestHTTPGzipProtobuf(t *testing.T) {
	r := startReceiver(t, otlp.ReceiverConfig{})
	req := logsRequest(3)
	var zbody bytes.Buffer
	zw := gzip.NewWriter(&zbody)
	_, _ = zw.Write(marshal(t, req))
	_ = zw.Close()
	res, out := post(t, http.DefaultClient, r.url+otlp.LogsPath, "application/x-protobuf", &zbody, map[string]string{"Authorization": "bearer " + token, "Content-Encoding": "gzip"})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%d %q", res.StatusCode, out)
	}
	var got collogspb.ExportLogsServiceRequest
	queued(t, r, otlp.Logs, 3, &got)
	if !proto.Equal(&got, req) {
		t.Fatal("the queued logs differ from those sent")
	}
}

func TestHTTPJSONHexIDs(t *testing.T) {
	r := startReceiver(t, otlp.ReceiverConfig{})
	body := `{"resourceSpans":[{"scopeSpans":[{"spans":[
	  {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"a","startTimeUnixNano":"1700000000000000001"},
	  {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b175","parentSpanId":"eee19b7ec3c1b174","name":"b"}]}]}]}`
	res, out := post(t, http.DefaultClient, r.url+otlp.TracesPath, "application/json; charset=utf-8", strings.NewReader(body), bearer)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("%d %s %q", res.StatusCode, res.Header.Get("Content-Type"), out)
	}
	if err := protojson.Unmarshal(out, &coltracepb.ExportTraceServiceResponse{}); err != nil {
		t.Fatalf("answer %q: %v", out, err)
	}
	var got coltracepb.ExportTraceServiceRequest
	queued(t, r, otlp.Traces, 2, &got)
	spans := got.GetResourceSpans()[0].GetScopeSpans()[0].GetSpans()
	if !bytes.Equal(spans[0].GetTraceId(), traceID(t)) || hex.EncodeToString(spans[1].GetParentSpanId()) != "eee19b7ec3c1b174" ||
		spans[0].GetStartTimeUnixNano() != 1700000000000000001 {
		t.Fatalf("spans %v", spans)
	}

	metrics := `{"resourceMetrics":[{"scopeMetrics":[{"metrics":[
	  {"name":"g","gauge":{"dataPoints":[{"asInt":"1"},{"asDouble":2.5}]}},
	  {"name":"h","histogram":{"dataPoints":[{"count":"3","bucketCounts":["1","2"],"explicitBounds":[1]}]}}]}]}]}`
	res, out = post(t, http.DefaultClient, r.url+otlp.MetricsPath, "application/json", strings.NewReader(metrics), bearer)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%d %q", res.StatusCode, out)
	}
	var m colmetricspb.ExportMetricsServiceRequest
	queued(t, r, otlp.Metrics, 3, &m)
	if g := m.GetResourceMetrics()[0].GetScopeMetrics()[0].GetMetrics()[0].GetGauge().GetDataPoints(); len(g) != 2 || g[1].GetAsDouble() != 2.5 {
		t.Fatalf("gauge %v", g)
	}
}

// TestGRPC: a grpc-go client (the OpenTelemetry SDKs' OTLP/gRPC exporter)
// reaches the collector services, with and without gzip.
func TestGRPC(t *testing.T) {
	r := startReceiver(t, otlp.ReceiverConfig{})
	conn, err := grpc.NewClient(r.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+token)

	req := tracesRequest(t, 4)
	if _, err := coltracepb.NewTraceServiceClient(conn).Export(ctx, req); err != nil {
		t.Fatal(err)
	}
	var got coltracepb.ExportTraceServiceRequest
	queued(t, r, otlp.Traces, 4, &got)
	if !proto.Equal(&got, req) {
		t.Fatal("the queued traces differ from those sent")
	}

	logs := logsRequest(5)
	if _, err := collogspb.NewLogsServiceClient(conn).Export(ctx, logs, grpc.UseCompressor(grpcgzip.Name)); err != nil {
		t.Fatal(err)
	}
	var gotLogs collogspb.ExportLogsServiceRequest
	queued(t, r, otlp.Logs, 5, &gotLogs)
	if !proto.Equal(&gotLogs, logs) {
		t.Fatal("the queued logs differ from those sent")
	}

	metrics := &colmetricspb.ExportMetricsServiceRequest{ResourceMetrics: []*metricspb.ResourceMetrics{{ScopeMetrics: []*metricspb.ScopeMetrics{{Metrics: []*metricspb.Metric{
		{Name: "s", Data: &metricspb.Metric_Sum{Sum: &metricspb.Sum{DataPoints: []*metricspb.NumberDataPoint{{}, {}, {}}}}},
	}}}}}}
	if _, err := colmetricspb.NewMetricsServiceClient(conn).Export(ctx, metrics); err != nil {
		t.Fatal(err)
	}
	queued(t, r, otlp.Metrics, 3, &colmetricspb.ExportMetricsServiceRequest{})

	// Without a token: UNAUTHENTICATED, counted, nothing queued.
	_, err = coltracepb.NewTraceServiceClient(conn).Export(t.Context(), req)
	if grpcstatus.Code(err) != codes.Unauthenticated {
		t.Fatalf("without a token: %v", err)
	}
	if st := r.counters.Stats(); st.Unmapped != 1 || st.Received != 3 {
		t.Fatalf("stats %+v", st)
	}
	empty(t, r.q)
}

func rpcStatus(t *testing.T, body []byte, asJSON bool) *status.Status {
	t.Helper()
	var st status.Status
	var err error
	if asJSON {
		err = protojson.Unmarshal(body, &st)
	} else {
		err = proto.Unmarshal(body, &st)
	}
	if err != nil {
		t.Fatalf("the answer %q is not a google.rpc.Status: %v", body, err)
	}
	return &st
}

func TestNoTokenIsUnauthorizedAndCounted(t *testing.T) {
	r := startReceiver(t, otlp.ReceiverConfig{})
	body := marshal(t, tracesRequest(t, 1))
	for i, h := range []map[string]string{nil, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer "}, {"Authorization": "Bearer a b"}} {
		res, out := post(t, http.DefaultClient, r.url+otlp.TracesPath, "application/x-protobuf", bytes.NewReader(body), h)
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("case %d: %d %q", i, res.StatusCode, out)
		}
		if st := rpcStatus(t, out, false); st.GetCode() != int32(codes.Unauthenticated) {
			t.Fatalf("case %d: status %v", i, st)
		}
	}
	if st := r.counters.Stats(); st.Unmapped != 4 || st.Received != 0 {
		t.Fatalf("stats %+v", st)
	}
	empty(t, r.q)
}

func TestMalformedAndUnsupported(t *testing.T) {
	r := startReceiver(t, otlp.ReceiverConfig{})
	cases := []struct {
		name, ctype, body string
		header            map[string]string
		want              int
	}{
		{"malformed protobuf", "application/x-protobuf", "\x0a\xff\xff\xff\xff\x0f", nil, http.StatusBadRequest},
		{"malformed JSON", "application/json", `{"resourceSpans":[`, nil, http.StatusBadRequest},
		{"JSON id not hex", "application/json", `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"xyz"}]}]}]}`, nil, http.StatusBadRequest},
		{"broken gzip", "application/x-protobuf", "not gzip", map[string]string{"Content-Encoding": "gzip"}, http.StatusBadRequest},
		{"content type", "text/plain", "x", nil, http.StatusUnsupportedMediaType},
		{"content encoding", "application/x-protobuf", "x", map[string]string{"Content-Encoding": "br"}, http.StatusUnsupportedMediaType},
	}
	for _, c := range cases {
		h := map[string]string{"Authorization": "Bearer " + token}
		for k, v := range c.header {
			h[k] = v
		}
		res, out := post(t, http.DefaultClient, r.url+otlp.TracesPath, c.ctype, strings.NewReader(c.body), h)
		if res.StatusCode != c.want {
			t.Errorf("%s: %d %q, want %d", c.name, res.StatusCode, out, c.want)
			continue
		}
		rpcStatus(t, out, c.ctype == "application/json")
	}
	if st := r.counters.Stats(); st.BadRequests != 4 || st.Unsupported != 2 || st.Received != 0 {
		t.Fatalf("stats %+v", st)
	}
	empty(t, r.q)
	res, _ := post(t, http.DefaultClient, r.url+"/v1/profiles", "application/x-protobuf", strings.NewReader(""), bearer)
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown path: %d", res.StatusCode)
	}
}

// countingReader yields n bytes of src (repeated), counting what was read.
type countingReader struct {
	src  []byte
	n    int64
	read atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	done := c.read.Load()
	if done >= c.n {
		return 0, io.EOF
	}
	k := 0
	for k < len(p) && done+int64(k) < c.n {
		off := (done + int64(k)) % int64(len(c.src))
		k += copy(p[k:min(len(p), k+int(c.n-done-int64(k)))], c.src[off:])
	}
	c.read.Add(int64(k))
	return k, nil
}

// TestOversizedBodiesCostNothing: a body over the limit, declared or not,
// and a gzip bomb get 413 after at most the limit (plus what HTTP/2 flow
// control lets the client send ahead) was read.
func TestOversizedBodiesCostNothing(t *testing.T) {
	const limit = 256 << 10
	r := startReceiver(t, otlp.ReceiverConfig{MaxRequestBytes: limit})
	// One gzip member inflating to 1 MiB of zeros (about 1 KiB);
	// concatenated members are one gzip stream: 64 MiB of them inflate
	// to 64 GiB.
	var member bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	_, _ = zw.Write(make([]byte, 1<<20))
	_ = zw.Close()
	const sent = 64 << 20
	const allowance = limit + 4<<20 // the limit, HTTP/2 windows, frames in flight

	cases := []struct {
		name     string
		body     *countingReader
		declared bool
		header   map[string]string
	}{
		{"declared too large", &countingReader{src: []byte("x"), n: sent}, true, nil},
		{"chunked too large", &countingReader{src: []byte("x"), n: sent}, false, nil},
		{"gzip bomb", &countingReader{src: member.Bytes(), n: sent}, false, map[string]string{"Content-Encoding": "gzip"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, r.url+otlp.TracesPath, c.body)
			if err != nil {
				t.Fatal(err)
			}
			if c.declared {
				req.ContentLength = c.body.n
			} else {
				req.ContentLength = -1
			}
			req.Header.Set("Content-Type", "application/x-protobuf")
			req.Header.Set("Authorization", "Bearer "+token)
			for k, v := range c.header {
				req.Header.Set(k, v)
			}
			res, err := h2c(t).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			out, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusRequestEntityTooLarge {
				t.Fatalf("%d %q", res.StatusCode, out)
			}
			if st := rpcStatus(t, out, false); !strings.Contains(st.GetMessage(), "larger than 262144 bytes") {
				t.Fatalf("status %v", st)
			}
			n := c.body.read.Load()
			if n > allowance {
				t.Fatalf("the client sent %d bytes before the answer (at most %d expected)", n, allowance)
			}
			t.Logf("refused after the client sent %d of %d bytes", n, c.body.n)
		})
	}
	if st := r.counters.Stats(); st.TooLarge != 3 || st.Received != 0 {
		t.Fatalf("stats %+v", st)
	}
	empty(t, r.q)
}

// TestGRPCGzipBomb: a gRPC message that inflates past the limit is refused
// by the receiver's bounded decompressor (connect-go's own would inflate
// all of it to report its size).
func TestGRPCGzipBomb(t *testing.T) {
	const limit = 256 << 10
	r := startReceiver(t, otlp.ReceiverConfig{MaxRequestBytes: limit})
	var member bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	_, _ = zw.Write(make([]byte, 1<<20))
	_ = zw.Close()
	bomb := bytes.Repeat(member.Bytes(), limit/member.Len()-1) // under the limit compressed, 200+ MiB inflated
	env := make([]byte, 5, 5+len(bomb))
	env[0] = 1 // compressed
	binary.BigEndian.PutUint32(env[1:], uint32(len(bomb)))
	env = append(env, bomb...)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, r.url+otlp.TracesProcedure, bytes.NewReader(env))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/grpc")
	req.Header.Set("Grpc-Encoding", "gzip")
	req.Header.Set("Te", "trailers")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := h2c(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.ReadAll(res.Body)
	res.Body.Close()
	code, msg := res.Trailer.Get("Grpc-Status"), res.Trailer.Get("Grpc-Message")
	if code == "" {
		code, msg = res.Header.Get("Grpc-Status"), res.Header.Get("Grpc-Message")
	}
	if code != "8" || !strings.Contains(msg, "the export is larger than 262144 bytes") {
		t.Fatalf("grpc-status %q, message %q: want 8 (RESOURCE_EXHAUSTED) from the bounded decompressor", code, msg)
	}
	empty(t, r.q)
}

// TestBusyIs429: beyond MaxConcurrent exports being read, a request waits
// BusyWait for a turn, then gets 429 with Retry-After.
func TestBusyIs429(t *testing.T) {
	r := startReceiver(t, otlp.ReceiverConfig{MaxConcurrent: 1, BusyWait: 10 * time.Millisecond})
	// The first export holds the only turn while its body trickles.
	pr, pw := io.Pipe()
	first := make(chan int, 1)
	go func() {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, r.url+otlp.TracesPath, pr)
		req.Header.Set("Content-Type", "application/x-protobuf")
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			first <- 0
			return
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		first <- res.StatusCode
	}()
	body := marshal(t, tracesRequest(t, 1))
	var (
		res answer
		out []byte
	)
	waitUntil(t, "a 429", func() bool {
		res, out = post(t, http.DefaultClient, r.url+otlp.TracesPath, "application/x-protobuf", bytes.NewReader(body), bearer)
		return res.StatusCode == http.StatusTooManyRequests
	})
	if res.Header.Get("Retry-After") != "1" || rpcStatus(t, out, false).GetCode() != int32(codes.ResourceExhausted) {
		t.Fatalf("429 with Retry-After %q, body %q", res.Header.Get("Retry-After"), out)
	}
	if _, err := pw.Write(body); err != nil {
		t.Fatal(err)
	}
	_ = pw.Close()
	if code := <-first; code != http.StatusOK {
		t.Fatalf("the first export: %d", code)
	}
	if st := r.counters.Stats(); st.Busy == 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestQueueFailureIs503: an export the queue cannot take is refused with
// 503 and Retry-After, for the sender to retry.
func TestQueueFailureIs503(t *testing.T) {
	r := startReceiver(t, otlp.ReceiverConfig{})
	_ = r.q.Close()
	res, out := post(t, http.DefaultClient, r.url+otlp.LogsPath, "application/x-protobuf", bytes.NewReader(marshal(t, logsRequest(1))), bearer)
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Fatalf("%d, Retry-After %q, %q", res.StatusCode, res.Header.Get("Retry-After"), out)
	}
	if st := rpcStatus(t, out, false); st.GetCode() != int32(codes.Unavailable) {
		t.Fatalf("status %v", st)
	}
}
