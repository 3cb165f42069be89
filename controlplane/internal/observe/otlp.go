package observe

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"strconv"
	"time"

	"connectrpc.com/connect"
	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetricspb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/hearth-dev/hearth/controlplane/internal/apicodec"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/otlpconv"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
	"github.com/hearth-dev/hearth/shared/otlpjson"
)

// otlpSignal is one OTLP collector service: its gRPC procedure, its
// OTLP/HTTP path and how its request becomes rows.
type otlpSignal[Req, Res any] struct {
	signal    record.Signal
	procedure string
	path      string
	convert   func(s *Service, t otlpconv.Tenant, req *Req, now time.Time) (*record.Batch, otlpconv.Drops)
	respond   func(a accepted) *Res
}

var tracesSignal = otlpSignal[coltracepb.ExportTraceServiceRequest, coltracepb.ExportTraceServiceResponse]{
	signal: record.Traces, procedure: "/opentelemetry.proto.collector.trace.v1.TraceService/Export", path: "/v1/traces",
	convert: func(s *Service, t otlpconv.Tenant, req *coltracepb.ExportTraceServiceRequest, now time.Time) (*record.Batch, otlpconv.Drops) {
		rows, d := otlpconv.Traces(t, req, now, s.d.Config.Limits)
		return &record.Batch{Project: t.Project, Spans: rows}, d
	},
	respond: func(a accepted) *coltracepb.ExportTraceServiceResponse {
		out := &coltracepb.ExportTraceServiceResponse{}
		if a.rejected > 0 || a.message != "" {
			out.PartialSuccess = &coltracepb.ExportTracePartialSuccess{RejectedSpans: a.rejected, ErrorMessage: a.message}
		}
		return out
	},
}

var logsSignal = otlpSignal[collogspb.ExportLogsServiceRequest, collogspb.ExportLogsServiceResponse]{
	signal: record.Logs, procedure: "/opentelemetry.proto.collector.logs.v1.LogsService/Export", path: "/v1/logs",
	convert: func(s *Service, t otlpconv.Tenant, req *collogspb.ExportLogsServiceRequest, now time.Time) (*record.Batch, otlpconv.Drops) {
		rows, d := otlpconv.Logs(t, req, now, s.d.Config.Limits)
		return &record.Batch{Project: t.Project, Logs: rows}, d
	},
	respond: func(a accepted) *collogspb.ExportLogsServiceResponse {
		out := &collogspb.ExportLogsServiceResponse{}
		if a.rejected > 0 || a.message != "" {
			out.PartialSuccess = &collogspb.ExportLogsPartialSuccess{RejectedLogRecords: a.rejected, ErrorMessage: a.message}
		}
		return out
	},
}

var metricsSignal = otlpSignal[colmetricspb.ExportMetricsServiceRequest, colmetricspb.ExportMetricsServiceResponse]{
	signal: record.Metrics, procedure: "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export", path: "/v1/metrics",
	convert: func(s *Service, t otlpconv.Tenant, req *colmetricspb.ExportMetricsServiceRequest, now time.Time) (*record.Batch, otlpconv.Drops) {
		rows, d := otlpconv.Metrics(t, req, now, s.d.Config.Limits)
		return &record.Batch{Project: t.Project, Metrics: rows}, d
	},
	respond: func(a accepted) *colmetricspb.ExportMetricsServiceResponse {
		out := &colmetricspb.ExportMetricsServiceResponse{}
		if a.rejected > 0 || a.message != "" {
			out.PartialSuccess = &colmetricspb.ExportMetricsPartialSuccess{RejectedDataPoints: a.rejected, ErrorMessage: a.message}
		}
		return out
	},
}

// mount serves the signal over OTLP/gRPC (and Connect) with connect-go,
// and over OTLP/HTTP, protobuf or JSON, gzip or not.
func (o otlpSignal[Req, Res]) mount(s *Service, mux *http.ServeMux) {
	limit := s.d.Config.MaxRequestBytes
	grpc := connect.NewUnaryHandler(o.procedure,
		func(ctx context.Context, req *connect.Request[Req]) (*connect.Response[Res], error) {
			a, err := s.ingest(ctx, o.signal, "", nil, func(t otlpconv.Tenant, now time.Time) (*record.Batch, otlpconv.Drops) {
				return o.convert(s, t, req.Msg, now)
			})
			if err != nil {
				return nil, s.connectError(err)
			}
			return connect.NewResponse(o.respond(a)), nil
		},
		connect.WithReadMaxBytes(int(limit)), apicodec.Compression(limit), connect.WithCompressMinBytes(1024),
	)
	mux.Handle(o.procedure, apicodec.LimitBodies(limit, grpc))
	mux.HandleFunc(o.path, func(w http.ResponseWriter, r *http.Request) { o.serveHTTP(s, w, r) })
}

// serveHTTP is OTLP/HTTP: a POST of one request message, answered in the
// request's encoding; errors carry a google.rpc.Status, and the retryable
// ones (429, 503) a Retry-After.
func (o otlpSignal[Req, Res]) serveHTTP(s *Service, w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeStatus(w, false, http.StatusMethodNotAllowed, "OTLP/HTTP takes POST", 0)
		return
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	asJSON := ct == "application/json"
	if !asJSON && ct != "application/x-protobuf" {
		writeStatus(w, false, http.StatusUnsupportedMediaType, "Content-Type must be application/x-protobuf or application/json", 0)
		return
	}
	body, err := apicodec.ReadWholeBody(w, r, s.d.Config.MaxRequestBytes)
	if err != nil {
		code, msg := apicodec.BodyErrorStatus(err, s.d.Config.MaxRequestBytes)
		writeStatus(w, asJSON, code, msg, 0)
		return
	}
	req := new(Req)
	msg, _ := any(req).(proto.Message)
	if asJSON {
		err = otlpjson.Unmarshal(body, msg)
	} else {
		err = proto.Unmarshal(body, msg)
	}
	if err != nil {
		writeStatus(w, asJSON, http.StatusBadRequest, "the request is not a valid OTLP "+o.signal.String()+" export: "+err.Error(), 0)
		return
	}
	a, err := s.ingest(r.Context(), o.signal, "", nil, func(t otlpconv.Tenant, now time.Time) (*record.Batch, otlpconv.Drops) {
		return o.convert(s, t, req, now)
	})
	if err != nil {
		code, msg, after := s.httpError(err)
		writeStatus(w, asJSON, code, msg, after)
		return
	}
	res, _ := any(o.respond(a)).(proto.Message)
	writeMessage(w, asJSON, http.StatusOK, res)
}

// connectError answers an ingest error over gRPC: a rate refusal is
// RESOURCE_EXHAUSTED with RetryInfo (the only form OTLP exporters retry),
// a WAL failure UNAVAILABLE (retried); the rest as everywhere.
func (s *Service) connectError(err error) error {
	if t, ok := isThrottled(err); ok {
		ce := connect.NewError(connect.CodeResourceExhausted, errors.New(t.Error()))
		if t.after > 0 {
			if d, derr := connect.NewErrorDetail(&errdetails.RetryInfo{RetryDelay: durationpb.New(t.after)}); derr == nil {
				ce.AddDetail(d)
			}
		}
		return ce
	}
	if errors.Is(err, ErrUnavailable) {
		return connect.NewError(connect.CodeUnavailable, err)
	}
	c := apperr.Classify(err)
	if c.Internal() {
		s.log.Error().Err(c.Log).Msg("telemetry ingest failed")
	}
	return connect.NewError(c.Code, errors.New(c.Message))
}

// httpError is connectError for OTLP/HTTP: status, message, Retry-After.
func (s *Service) httpError(err error) (int, string, time.Duration) {
	if t, ok := isThrottled(err); ok {
		if t.after == 0 {
			return http.StatusRequestEntityTooLarge, t.Error(), 0
		}
		return http.StatusTooManyRequests, t.Error(), t.after
	}
	if errors.Is(err, ErrUnavailable) {
		return http.StatusServiceUnavailable, err.Error(), time.Second
	}
	c := apperr.Classify(err)
	if c.Internal() {
		s.log.Error().Err(c.Log).Msg("telemetry ingest failed")
	}
	return c.Status, c.Message, 0
}

// writeStatus answers an OTLP/HTTP error with a google.rpc.Status body.
func writeStatus(w http.ResponseWriter, asJSON bool, code int, msg string, retryAfter time.Duration) {
	if retryAfter > 0 {
		secs := int64((retryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	}
	writeMessage(w, asJSON, code, &status.Status{Code: int32(grpcCodeOf(code)), Message: msg}) //nolint:gosec // G115: gRPC codes are 0-16
}

func writeMessage(w http.ResponseWriter, asJSON bool, code int, m proto.Message) {
	var b []byte
	var err error
	if asJSON {
		w.Header().Set("Content-Type", "application/json")
		b, err = protojson.Marshal(m)
	} else {
		w.Header().Set("Content-Type", "application/x-protobuf")
		b, err = proto.Marshal(m)
	}
	if err != nil {
		http.Error(w, "encoding the answer failed", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

// grpcCodeOf is the gRPC code an OTLP/HTTP status stands for.
func grpcCodeOf(httpStatus int) connect.Code {
	switch httpStatus {
	case http.StatusUnauthorized:
		return connect.CodeUnauthenticated
	case http.StatusForbidden:
		return connect.CodePermissionDenied
	case http.StatusNotFound:
		return connect.CodeNotFound
	case http.StatusTooManyRequests, http.StatusRequestEntityTooLarge:
		return connect.CodeResourceExhausted
	case http.StatusServiceUnavailable:
		return connect.CodeUnavailable
	case http.StatusInternalServerError:
		return connect.CodeInternal
	}
	return connect.CodeInvalidArgument
}
