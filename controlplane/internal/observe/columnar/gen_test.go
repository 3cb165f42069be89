package columnar

import (
	"fmt"
	"math/rand/v2"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

// baseTime is 2026-01-01T10:00:00Z: generated rows fall in one hour.
const baseTime = int64(1767261600) * 1e9

var (
	genServices = []string{"api", "auth", "billing", "cart", "checkout", "email", "frontend", "inventory", "search", "worker"}
	genMessages = []string{
		"GET /api/v1/projects/%d/pipelines 200 in %dms",
		"cache miss for key project:%d:settings after %dms",
		"job %d finished with exit code 0 after %dms",
		"connection reset by peer (attempt %d, backoff %dms)",
		"user %d signed in via password in %dms",
		"payment %d authorised in %dms",
	}
	genSeverities = []struct {
		num  int32
		text string
	}{{5, "DEBUG"}, {9, "INFO"}, {9, "INFO"}, {9, "INFO"}, {13, "WARN"}, {17, "ERROR"}}
)

// genLogs makes n log rows of one project across the services, spread
// over one hour, in arrival order (not sorted), like an ingest batch.
// Two in three carry a trace id shared by a handful of rows. Attribute
// maps come from pools (a map per pod, per user): a million rows then fit
// in memory, and the writer cannot tell.
func genLogs(seed uint64, n int) []record.Log {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	resources := map[string]map[string]string{}
	attrs := map[string]map[string]string{}
	rows := make([]record.Log, n)
	var trace []byte
	for i := range rows {
		svc := genServices[rng.IntN(len(genServices))]
		sev := genSeverities[rng.IntN(len(genSeverities))]
		t := baseTime + int64(i)*int64(3600e9)/int64(n) + rng.Int64N(1e6)
		if i%4 == 0 {
			trace = randBytes(rng, 16)
		}
		host, pod := fmt.Sprintf("node-%d", rng.IntN(8)), fmt.Sprintf("%s-7d9f8b-%d", svc, rng.IntN(4))
		res := resources[host+pod]
		if res == nil {
			res = map[string]string{"service.name": svc, "host.name": host, "k8s.pod.name": pod, "k8s.namespace": "prod"}
			resources[host+pod] = res
		}
		method, user := []string{"GET", "POST", "PUT"}[rng.IntN(3)], fmt.Sprint(rng.IntN(10000))
		attr := attrs[method+user]
		if attr == nil {
			attr = map[string]string{"http.method": method, "user.id": user}
			attrs[method+user] = attr
		}
		l := record.Log{
			Project:      "p-0192d1c2",
			Service:      svc,
			TimeNano:     t,
			ObservedNano: t + rng.Int64N(5e6),
			Severity:     sev.num,
			SeverityText: sev.text,
			Body:         fmt.Sprintf(genMessages[rng.IntN(len(genMessages))], rng.IntN(5000), rng.IntN(900)),
			Resource:     res,
			Attributes:   attr,
		}
		if rng.IntN(3) > 0 {
			l.TraceID = trace
			l.SpanID = []byte{byte(i), byte(i >> 8), byte(i >> 16), 1, 2, 3, 4, 5}
		}
		rows[i] = l
	}
	return rows
}

func randBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// genSpans makes n spans of one project: traces of a few spans each,
// spread over one hour, with varied names, durations and statuses.
func genSpans(seed uint64, n int) []record.Span {
	rng := rand.New(rand.NewPCG(seed, seed^0x243f6a8885a308d3))
	names := []string{"GET /api/v1/projects", "POST /api/v1/pipelines", "db.query", "cache.get", "render"}
	rows := make([]record.Span, n)
	var trace []byte
	for i := range rows {
		if i%5 == 0 {
			trace = randBytes(rng, 16)
		}
		svc := genServices[rng.IntN(len(genServices))]
		s := record.Span{
			Project:      "p-0192d1c2",
			Service:      svc,
			TraceID:      trace,
			SpanID:       randBytes(rng, 8),
			Name:         names[rng.IntN(len(names))],
			Kind:         int32(rng.IntN(5)),
			StatusCode:   int32(rng.IntN(3)),
			StartNano:    baseTime + int64(i)*int64(3600e9)/int64(n) + rng.Int64N(1e6),
			DurationNano: rng.Int64N(2e9),
			Resource:     map[string]string{"service.name": svc, "k8s.pod.name": fmt.Sprintf("%s-%d", svc, rng.IntN(4))},
			Attributes:   map[string]string{"http.status_code": fmt.Sprint(200 + 100*rng.IntN(4)), "user.id": fmt.Sprint(rng.IntN(1000))},
		}
		if i%5 != 0 {
			s.ParentSpanID = randBytes(rng, 8)
		}
		if s.StatusCode == 2 {
			s.StatusMessage = "upstream timed out"
		}
		if rng.IntN(4) == 0 {
			s.Events = []record.SpanEvent{{TimeNano: s.StartNano + 10, Name: "exception", Attributes: map[string]string{"exception.type": "Timeout"}}}
		}
		rows[i] = s
	}
	return rows
}

// genMetrics makes n points of one project: gauges, sums and histograms
// of a few metrics across services.
func genMetrics(seed uint64, n int) []record.Metric {
	rng := rand.New(rand.NewPCG(seed, seed^0x13198a2e03707344))
	names := []string{"http.server.duration", "process.cpu.time", "queue.depth", "jobs.finished"}
	rows := make([]record.Metric, n)
	for i := range rows {
		svc := genServices[rng.IntN(len(genServices))]
		m := record.Metric{
			Project:   "p-0192d1c2",
			Service:   svc,
			Name:      names[rng.IntN(len(names))],
			Unit:      "ms",
			TimeNano:  baseTime + int64(i)*int64(3600e9)/int64(n),
			StartNano: baseTime,
			Labels:    map[string]string{"route": fmt.Sprintf("/r/%d", rng.IntN(6)), "method": []string{"GET", "POST"}[rng.IntN(2)]},
			Resource:  map[string]string{"service.name": svc, "host.name": fmt.Sprintf("node-%d", rng.IntN(8))},
		}
		switch rng.IntN(3) {
		case 0:
			m.Kind, m.Value = record.Gauge, rng.Float64()*100
		case 1:
			m.Kind, m.Value, m.Monotonic, m.Delta = record.Sum, float64(rng.IntN(1e6)), true, rng.IntN(2) == 0
		default:
			m.Kind, m.Count, m.HistSum = record.Histogram, 10, rng.Float64()*1000
			m.Bounds = []float64{5, 10, 50, 100}
			m.BucketCounts = []uint64{1, 2, 3, 3, 1}
			m.Exemplars = []record.Exemplar{{TimeNano: m.TimeNano, Value: 42, TraceID: randBytes(rng, 16), SpanID: randBytes(rng, 8),
				Attributes: map[string]string{"user.id": "7"}}}
		}
		rows[i] = m
	}
	return rows
}
