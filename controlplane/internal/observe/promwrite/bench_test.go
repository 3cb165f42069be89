package promwrite

import (
	"strconv"
	"testing"

	"github.com/klauspost/compress/snappy"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/otlpconv"
)

// BenchmarkDecodeToRows decodes and converts a 100-series request of the
// usual shape: seven labels and one sample per series.
func BenchmarkDecodeToRows(b *testing.B) {
	series := make([]Series, 100)
	for i := range series {
		series[i] = Series{
			Labels: labels("__name__", "http_requests_total", "code", "200", "handler", "/api/"+strconv.Itoa(i),
				"instance", "10.0.0.1:9090", "job", "api", "method", "GET", "namespace", "prod"),
			Samples: []Sample{{Value: float64(i), TimestampMs: nowMs}},
		}
	}
	body := snappy.Encode(nil, encRequest(series, nil))
	b.ReportAllocs()
	for b.Loop() {
		req, err := Decode(body, 1<<20)
		if err != nil {
			b.Fatal(err)
		}
		if rows, _ := ToRows(testTenant, req, testNow, otlpconv.DefaultLimits()); len(rows) != 100 {
			b.Fatal(len(rows))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100), "ns/sample")
}
