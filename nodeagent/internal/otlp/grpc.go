package otlp

import (
	"context"
	"errors"
	"net/http"

	"connectrpc.com/connect"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
)

func (rc *Receiver) tracesHandler() http.Handler {
	return exportHandler[tracepb.TracesData](rc, Traces, TracesProcedure)
}

func (rc *Receiver) logsHandler() http.Handler {
	return exportHandler[logspb.LogsData](rc, Logs, LogsProcedure)
}

func (rc *Receiver) metricsHandler() http.Handler {
	return exportHandler[metricspb.MetricsData](rc, Metrics, MetricsProcedure)
}

// exportHandler serves one collector service's Export over gRPC (and
// Connect, gRPC-Web): connect-go decodes the message (Req is the
// wire-identical *Data message, see signal.go), bounded by the request
// limit before and after gzip; it is queued re-encoded as protobuf.
// ServeHTTP has decided the token already.
func exportHandler[Req any](rc *Receiver, signal Signal, procedure string) http.Handler {
	return connect.NewUnaryHandler(procedure,
		func(ctx context.Context, req *connect.Request[Req]) (*connect.Response[emptypb.Empty], error) {
			token, _ := ctx.Value(tokenKey{}).(string)
			if token == "" {
				return nil, connect.NewError(connect.CodeInternal, errors.New("served without the receiver's tenancy"))
			}
			msg, ok := any(req.Msg).(proto.Message)
			if !ok {
				return nil, connect.NewError(connect.CodeInternal, errors.New("not a protobuf message"))
			}
			payload, err := proto.Marshal(msg)
			if err != nil {
				rc.c.badRequests.Add(1)
				return nil, connect.NewError(connect.CodeInvalidArgument, err)
			}
			if f := rc.accept(signal, token, payload, countItems(msg)); f != nil {
				return nil, f.connectError()
			}
			return connect.NewResponse(&emptypb.Empty{}), nil
		},
		connect.WithReadMaxBytes(int(rc.limit)), gzipOption(rc.limit),
	)
}
