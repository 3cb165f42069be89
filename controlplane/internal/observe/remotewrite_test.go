package observe_test

import (
	"bytes"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/klauspost/compress/snappy"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
)

// writeRequest encodes a remote-write WriteRequest of one series.
func writeRequest(labels [][2]string, samples [][2]float64) []byte {
	var ts []byte
	for _, l := range labels {
		var lb []byte
		lb = protowire.AppendTag(lb, 1, protowire.BytesType)
		lb = protowire.AppendString(lb, l[0])
		lb = protowire.AppendTag(lb, 2, protowire.BytesType)
		lb = protowire.AppendString(lb, l[1])
		ts = protowire.AppendTag(ts, 1, protowire.BytesType)
		ts = protowire.AppendBytes(ts, lb)
	}
	for _, s := range samples {
		var sb []byte
		sb = protowire.AppendTag(sb, 1, protowire.Fixed64Type)
		sb = protowire.AppendFixed64(sb, math.Float64bits(s[1]))
		sb = protowire.AppendTag(sb, 2, protowire.VarintType)
		sb = protowire.AppendVarint(sb, uint64(int64(s[0])))
		ts = protowire.AppendTag(ts, 2, protowire.BytesType)
		ts = protowire.AppendBytes(ts, sb)
	}
	var req []byte
	req = protowire.AppendTag(req, 1, protowire.BytesType)
	return protowire.AppendBytes(req, ts)
}

// TestRemoteWrite: a Prometheus remote-write request (snappy protobuf)
// under a project token is stored as a counter, and its rate comes back
// from QueryMetrics; a body that is not snappy is refused with 400.
func TestRemoteWrite(t *testing.T) {
	w := newWorld(t)
	now := time.Now().Truncate(time.Second)
	var samples [][2]float64
	for i := range 6 { // +10 every 10 s: a rate of 1/s
		samples = append(samples, [2]float64{float64(now.Add(time.Duration(i-6) * 10 * time.Second).UnixMilli()), float64(100 + 10*i)})
	}
	body := snappy.Encode(nil, writeRequest([][2]string{{"__name__", "http_requests_total"}, {"job", "api"}, {"code", "200"}}, samples))
	post := func(b []byte) int {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, w.srv.URL+"/v1/prometheus/write", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/x-protobuf")
		req.Header.Set("Content-Encoding", "snappy")
		req.Header.Set("Authorization", "Bearer "+w.appWriter)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		return res.StatusCode
	}
	if code := post(body); code != http.StatusNoContent {
		t.Fatalf("remote write: %d", code)
	}
	if code := post([]byte("not snappy at all")); code != http.StatusBadRequest {
		t.Fatalf("garbage: %d", code)
	}
	list, err := w.reads.ListMetrics(t.Context(), &hearthv1.ListMetricsRequest{Owner: "admin", Name: "app", StartTime: timestamppb.New(now.Add(-time.Hour))})
	if err != nil || len(list.GetMetrics()) != 1 || list.GetMetrics()[0].GetKind() != "sum" {
		t.Fatalf("ListMetrics: %v %v", list, err)
	}
	res, err := w.reads.QueryMetrics(t.Context(), &hearthv1.QueryMetricsRequest{
		Owner: "admin", Name: "app", Metric: "http_requests_total", Aggregation: "rate", Labels: []string{"service=api"},
		StartTime: timestamppb.New(now.Add(-60 * time.Second)), EndTime: timestamppb.New(now), Step: durationpb.New(time.Minute),
		GroupBy: []string{"code"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.GetSeries()) != 1 || res.GetSeries()[0].GetLabels()["code"] != "200" || len(res.GetSeries()[0].GetPoints()) != 1 {
		t.Fatalf("series: %v", res.GetSeries())
	}
	// Five increases of 10 inside the minute: 50 / 60 s.
	if v := res.GetSeries()[0].GetPoints()[0].GetValue(); math.Abs(v-50.0/60) > 1e-9 {
		t.Fatalf("rate = %v, want %v", v, 50.0/60)
	}
}
