package observe_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
)

func spanRequest(t *testing.T, start time.Time, attrs []*commonpb.KeyValue) *coltracepb.ExportTraceServiceRequest {
	t.Helper()
	return &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource: resource("hostile"),
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{{
			TraceId: randomID(t, 16), SpanId: randomID(t, 8), Name: "op",
			StartTimeUnixNano: uint64(start.UnixNano()), EndTimeUnixNano: uint64(start.Add(time.Millisecond).UnixNano()), Attributes: attrs,
		}}}},
	}}}
}

func gzipped(t *testing.T, write func(io.Writer)) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	write(zw)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func postRaw(t *testing.T, url, token string, body []byte, gz bool) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("Authorization", "Bearer "+token)
	if gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out
}

// TestHostileInput: through the real server, a malformed protobuf, a gzip
// bomb and a 100 MB attribute are refused without being inflated or
// stored; 10,000 attributes on one span are clamped to 128 and a
// year-9999 span refused, both reported in the partial success and
// counted in the metrics.
func TestHostileInput(t *testing.T) {
	w := newWorld(t)
	url := w.srv.URL + "/v1/traces"

	if code, body := postRaw(t, url, w.appWriter, []byte{0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01}, false); code != http.StatusBadRequest {
		t.Fatalf("malformed protobuf: %d %s", code, body)
	}
	bomb := gzipped(t, func(zw io.Writer) {
		zeros := make([]byte, 1<<20)
		for range 256 { // 256 MiB inflated, 16 times the limit
			_, _ = zw.Write(zeros)
		}
	})
	if code, body := postRaw(t, url, w.appWriter, bomb, true); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("gzip bomb (%d bytes): %d %s", len(bomb), code, body)
	}
	huge := spanRequest(t, time.Now(), []*commonpb.KeyValue{str("big", strings.Repeat("x", 100<<20))})
	hugeBody, err := proto.Marshal(huge)
	if err != nil {
		t.Fatal(err)
	}
	if code, body := postRaw(t, url, w.appWriter, gzipped(t, func(zw io.Writer) { _, _ = zw.Write(hugeBody) }), true); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("a 100 MB attribute: %d %s", code, body)
	}

	many := make([]*commonpb.KeyValue, 10000)
	for i := range many {
		many[i] = str(fmt.Sprintf("k%05d", i), "v")
	}
	wide := spanRequest(t, time.Now(), many)
	future := spanRequest(t, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), nil)
	wide.ResourceSpans = append(wide.ResourceSpans, future.ResourceSpans...)
	body, err := proto.Marshal(wide)
	if err != nil {
		t.Fatal(err)
	}
	code, answer := postRaw(t, url, w.appWriter, body, false)
	var res coltracepb.ExportTraceServiceResponse
	if code != http.StatusOK || proto.Unmarshal(answer, &res) != nil {
		t.Fatalf("wide and future spans: %d %s", code, answer)
	}
	if ps := res.GetPartialSuccess(); ps.GetRejectedSpans() != 1 || !strings.Contains(ps.GetErrorMessage(), "9872 attributes") {
		t.Fatalf("partial success: %v", ps)
	}
	got, err := w.reads.GetTrace(t.Context(), &hearthv1.GetTraceRequest{Owner: "admin", Name: "app",
		TraceId: fmt.Sprintf("%x", wide.ResourceSpans[0].ScopeSpans[0].Spans[0].TraceId)})
	if err != nil || len(got.GetSpans()) != 1 || len(got.GetSpans()[0].GetAttributes()) != 128 {
		t.Fatalf("the wide span as stored: %v %v", got, err)
	}
	metrics := w.metricsText(t)
	for _, want := range []string{
		`hearth_observe_dropped_total{reason="attribute_dropped",signal="traces"} 9872`,
		`hearth_observe_dropped_total{reason="out_of_window",signal="traces"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// metricsText is the server's Prometheus metrics, read as the admin.
func (w *world) metricsText(t *testing.T) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, w.srv.URL+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+w.admin)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}
