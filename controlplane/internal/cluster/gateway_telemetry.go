package cluster

import (
	"context"
	"errors"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

// Telemetry is what the gateway needs of observability: store one OTLP
// export an agent forwarded, under the workload's own token (implemented
// by the observe feature, adapted in the server's wiring).
type Telemetry interface {
	IngestForwarded(ctx context.Context, f ForwardedExport) (ForwardResult, error)
}

// ForwardedExport is one forwarded export: who forwarded it, the OTLP
// request bytes, and the workload's credential.
type ForwardedExport struct {
	Cluster string
	AgentID uuid.UUID
	// Signal is traces, logs or metrics.
	Signal  string
	Payload []byte
	Token   string
	BatchID string
}

// ForwardResult is OTLP's partial success, and whether the batch had
// been stored by an earlier attempt.
type ForwardResult struct {
	Rejected  int64
	Message   string
	Duplicate bool
}

var signalNames = map[agentv1.TelemetrySignal]string{
	agentv1.TelemetrySignal_TELEMETRY_SIGNAL_TRACES:  "traces",
	agentv1.TelemetrySignal_TELEMETRY_SIGNAL_LOGS:    "logs",
	agentv1.TelemetrySignal_TELEMETRY_SIGNAL_METRICS: "metrics",
}

// ExportTelemetry stores a forwarded export: the agent authenticates with
// its credential (its cluster is stamped on the data), the workload's
// token decides the tenant.
func (g *Gateway) ExportTelemetry(ctx context.Context, msg *agentv1.ExportTelemetryRequest) (*agentv1.ExportTelemetryResponse, error) {
	call, ok := connect.CallInfoForHandlerContext(ctx)
	if !ok {
		return nil, connect.NewError(connect.CodeInternal, errors.New("no call information"))
	}
	agent, err := g.authenticate(ctx, call.RequestHeader())
	if err != nil {
		return nil, err
	}
	if g.telemetry == nil {
		return nil, connect.NewError(connect.CodeUnimplemented, errors.New("this control plane does not take telemetry"))
	}
	signal, ok := signalNames[msg.GetSignal()]
	if !ok {
		return nil, connect.NewError(connect.CodeInvalidArgument, errors.New("signal must be traces, logs or metrics"))
	}
	if n := len(msg.GetBatchId()); n == 0 || n > 100 {
		return nil, connect.NewError(connect.CodeInvalidArgument, errors.New("batch_id must be 1-100 characters"))
	}
	if msg.GetToken() == "" {
		return nil, connect.NewError(connect.CodeUnauthenticated, errors.New("the workload's token is missing"))
	}
	cluster, err := g.clusterName(ctx, agent.ClusterID)
	if err != nil {
		return nil, err
	}
	res, err := g.telemetry.IngestForwarded(ctx, ForwardedExport{
		Cluster: cluster, AgentID: agent.ID, Signal: signal, Payload: msg.GetPayload(), Token: msg.GetToken(), BatchID: agent.ID.String() + "/" + msg.GetBatchId(),
	})
	if err != nil {
		return nil, err
	}
	return &agentv1.ExportTelemetryResponse{Rejected: res.Rejected, ErrorMessage: res.Message, Duplicate: res.Duplicate}, nil
}

// clusterName is a cluster's name, remembered: it never changes.
func (g *Gateway) clusterName(ctx context.Context, id uuid.UUID) (string, error) {
	g.mu.Lock()
	name, ok := g.clusterNames[id]
	g.mu.Unlock()
	if ok {
		return name, nil
	}
	c, err := g.dir.GetCluster(ctx, id)
	if err != nil {
		return "", err
	}
	g.mu.Lock()
	g.clusterNames[id] = c.Name
	g.mu.Unlock()
	return c.Name, nil
}
