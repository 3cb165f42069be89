package otlp

import (
	"fmt"

	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

// The messages: OTLP's TracesData, LogsData and MetricsData, which the
// specification keeps identical on the wire (and in JSON) to the
// collector services' Export*ServiceRequest ("when new fields are added
// into this message, the OTLP request MUST be updated as well"). The
// collector packages are not linked: they bring grpc-go and grpc-gateway,
// 12 MB of the agent's binary (deps_test.go keeps them out). Responses are
// empty (full success), which an Export*ServiceResponse without
// partial_success is on the wire.

// Signal is what an OTLP export holds: the protocol's enum, so a queue
// entry's signal is what the control plane is told.
type Signal = agentv1.TelemetrySignal

// The three signals.
const (
	Traces  = agentv1.TelemetrySignal_TELEMETRY_SIGNAL_TRACES
	Logs    = agentv1.TelemetrySignal_TELEMETRY_SIGNAL_LOGS
	Metrics = agentv1.TelemetrySignal_TELEMETRY_SIGNAL_METRICS
)

// OTLP/HTTP paths and OTLP/gRPC procedures.
const (
	TracesPath       = "/v1/traces"
	LogsPath         = "/v1/logs"
	MetricsPath      = "/v1/metrics"
	TracesProcedure  = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
	LogsProcedure    = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
	MetricsProcedure = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"
)

// signalName is a signal as people say it.
func signalName(s Signal) string {
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

func validSignal(s Signal) bool { return s == Traces || s == Logs || s == Metrics }

// newRequest returns an empty export request message of the signal.
func newRequest(s Signal) (proto.Message, error) {
	switch s {
	case Traces:
		return &tracepb.TracesData{}, nil
	case Logs:
		return &logspb.LogsData{}, nil
	case Metrics:
		return &metricspb.MetricsData{}, nil
	}
	return nil, fmt.Errorf("signal %d: want traces, logs or metrics", s)
}

// newResponse is the export response: empty, full success. The agent
// answers once the export is queued; what the control plane later
// rejects is counted, not reported to the sender.
func newResponse() proto.Message { return &emptypb.Empty{} }

// countItems is what OTLP's partial success counts: spans, log records or
// metric data points. Queue entries carry it so that dropping one can say
// how much telemetry was lost.
func countItems(m proto.Message) int64 {
	var n int64
	switch req := m.(type) {
	case *tracepb.TracesData:
		for _, rs := range req.GetResourceSpans() {
			for _, ss := range rs.GetScopeSpans() {
				n += int64(len(ss.GetSpans()))
			}
		}
	case *logspb.LogsData:
		for _, rl := range req.GetResourceLogs() {
			for _, sl := range rl.GetScopeLogs() {
				n += int64(len(sl.GetLogRecords()))
			}
		}
	case *metricspb.MetricsData:
		for _, rm := range req.GetResourceMetrics() {
			for _, sm := range rm.GetScopeMetrics() {
				for _, metric := range sm.GetMetrics() {
					n += dataPoints(metric)
				}
			}
		}
	}
	return n
}

func dataPoints(m *metricspb.Metric) int64 {
	switch d := m.GetData().(type) {
	case *metricspb.Metric_Gauge:
		return int64(len(d.Gauge.GetDataPoints()))
	case *metricspb.Metric_Sum:
		return int64(len(d.Sum.GetDataPoints()))
	case *metricspb.Metric_Histogram:
		return int64(len(d.Histogram.GetDataPoints()))
	case *metricspb.Metric_ExponentialHistogram:
		return int64(len(d.ExponentialHistogram.GetDataPoints()))
	case *metricspb.Metric_Summary:
		return int64(len(d.Summary.GetDataPoints()))
	}
	return 0
}
