// Package record defines the rows Hearth stores telemetry as: one row type
// per signal (spans, log records, metric points), shared by the ingest
// conversion, the write-ahead log's replay, the Parquet files and the
// query engine inside the observe feature. The struct tags are the Parquet
// schema (docs/observability.md documents it); a column is never renamed
// or reused, only added.
//
// Times are Unix nanoseconds (UTC). Attribute values are strings: OTLP's
// typed values are rendered once at ingest (numbers and booleans as
// written, arrays and maps as JSON), so attribute equality is a string
// comparison everywhere.
package record

// Signal names one kind of telemetry. Its string is the first element of
// a Parquet file's object key.
type Signal uint8

// Signals.
const (
	Traces Signal = iota + 1
	Logs
	Metrics
)

func (s Signal) String() string {
	switch s {
	case Traces:
		return "traces"
	case Logs:
		return "logs"
	case Metrics:
		return "metrics"
	}
	return "unknown"
}

// Signals lists every signal.
var Signals = []Signal{Traces, Logs, Metrics}

// Span is one span.
type Span struct {
	// Project is the tenant: the project of the token that sent it.
	Project string `parquet:"project,dict"`
	// Service is the resource's service.name ("unknown_service" when absent).
	Service       string            `parquet:"service,dict"`
	TraceID       []byte            `parquet:"trace_id"`
	SpanID        []byte            `parquet:"span_id"`
	ParentSpanID  []byte            `parquet:"parent_span_id,optional"`
	Name          string            `parquet:"name,dict"`
	Kind          int32             `parquet:"kind"`
	StatusCode    int32             `parquet:"status_code"`
	StatusMessage string            `parquet:"status_message,optional"`
	StartNano     int64             `parquet:"start_unix_nano"`
	DurationNano  int64             `parquet:"duration_nano"`
	Resource      map[string]string `parquet:"resource_attributes"`
	Attributes    map[string]string `parquet:"attributes"`
	Events        []SpanEvent       `parquet:"events,list"`
	// DroppedAttributes counts attributes the sender or ingest dropped.
	DroppedAttributes uint32 `parquet:"dropped_attributes_count"`
}

// SpanEvent is a timed annotation of a span.
type SpanEvent struct {
	TimeNano   int64             `parquet:"time_unix_nano"`
	Name       string            `parquet:"name"`
	Attributes map[string]string `parquet:"attributes"`
}

// Log is one log record.
type Log struct {
	Project      string            `parquet:"project,dict"`
	Service      string            `parquet:"service,dict"`
	TimeNano     int64             `parquet:"time_unix_nano"`
	ObservedNano int64             `parquet:"observed_time_unix_nano"`
	Severity     int32             `parquet:"severity_number"`
	SeverityText string            `parquet:"severity_text,dict"`
	Body         string            `parquet:"body"`
	TraceID      []byte            `parquet:"trace_id,optional"`
	SpanID       []byte            `parquet:"span_id,optional"`
	Resource     map[string]string `parquet:"resource_attributes"`
	Attributes   map[string]string `parquet:"attributes"`
	// DroppedAttributes counts attributes the sender or ingest dropped.
	DroppedAttributes uint32 `parquet:"dropped_attributes_count"`
}

// MetricKind is the type of a metric point.
type MetricKind int32

// Metric kinds.
const (
	Gauge MetricKind = iota + 1
	Sum
	Histogram
)

// Metric is one metric data point.
type Metric struct {
	Project string     `parquet:"project,dict"`
	Service string     `parquet:"service,dict"`
	Name    string     `parquet:"name,dict"`
	Kind    MetricKind `parquet:"kind"`
	Unit    string     `parquet:"unit,dict"`
	// TimeNano is the point's time; StartNano the start of its
	// cumulative or delta interval (0 when unknown).
	TimeNano  int64 `parquet:"time_unix_nano"`
	StartNano int64 `parquet:"start_time_unix_nano"`
	// Labels are the point's attributes.
	Labels   map[string]string `parquet:"labels"`
	Resource map[string]string `parquet:"resource_attributes"`
	// Value is a gauge's or a sum's value.
	Value float64 `parquet:"value"`
	// Monotonic and Delta describe a sum (Delta false: cumulative).
	Monotonic bool `parquet:"monotonic"`
	Delta     bool `parquet:"delta"`
	// Count, HistSum, Bounds and BucketCounts describe a histogram:
	// BucketCounts has len(Bounds)+1 entries, the last for +Inf.
	Count        uint64     `parquet:"count"`
	HistSum      float64    `parquet:"sum"`
	Bounds       []float64  `parquet:"explicit_bounds,list"`
	BucketCounts []uint64   `parquet:"bucket_counts,list"`
	Exemplars    []Exemplar `parquet:"exemplars,list"`
}

// Exemplar is a sample measurement kept with a metric point.
type Exemplar struct {
	TimeNano   int64             `parquet:"time_unix_nano"`
	Value      float64           `parquet:"value"`
	TraceID    []byte            `parquet:"trace_id,optional"`
	SpanID     []byte            `parquet:"span_id,optional"`
	Attributes map[string]string `parquet:"filtered_attributes"`
}

// Batch is what one ingest request (or one replayed WAL entry) becomes:
// the rows of every signal for one project.
type Batch struct {
	Project string
	Spans   []Span
	Logs    []Log
	Metrics []Metric
}

// Len is the number of rows in b.
func (b *Batch) Len() int { return len(b.Spans) + len(b.Logs) + len(b.Metrics) }
