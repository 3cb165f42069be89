package gatewaytest

import (
	"context"
	"errors"

	"connectrpc.com/connect"

	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

// Export is one forwarded OTLP export the server stored.
type Export struct {
	AgentID string
	Signal  agentv1.TelemetrySignal
	Payload []byte
	Token   string
	BatchID string
}

type exportKey struct{ agent, batch string }

// ExportTelemetry follows the control plane's rules: the agent's
// credential, a known signal, a batch id of 1-100 characters and a token;
// a batch the agent forwarded before is answered duplicate and not stored
// again.
func (a agentService) ExportTelemetry(ctx context.Context, req *agentv1.ExportTelemetryRequest) (*agentv1.ExportTelemetryResponse, error) {
	s := a.s
	cred := bearer(connect.CallInfoForHandlerContext(ctx))
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.notifyLocked()
	s.exportCalls++
	ag, err := s.authLocked(cred)
	if err != nil {
		return nil, err
	}
	if s.exportHook != nil {
		if code := s.exportHook(req); code != 0 {
			return nil, connect.NewError(code, errors.New("gatewaytest: export failure requested by the test"))
		}
	}
	switch req.GetSignal() {
	case agentv1.TelemetrySignal_TELEMETRY_SIGNAL_TRACES, agentv1.TelemetrySignal_TELEMETRY_SIGNAL_LOGS, agentv1.TelemetrySignal_TELEMETRY_SIGNAL_METRICS:
	default:
		return nil, connect.NewError(connect.CodeInvalidArgument, errors.New("signal must be traces, logs or metrics"))
	}
	if n := len(req.GetBatchId()); n == 0 || n > 100 {
		return nil, connect.NewError(connect.CodeInvalidArgument, errors.New("batch_id must be 1-100 characters"))
	}
	if req.GetToken() == "" {
		return nil, connect.NewError(connect.CodeUnauthenticated, errors.New("the workload's token is missing"))
	}
	key := exportKey{ag.id, req.GetBatchId()}
	if s.exportSeen[key] {
		s.exportRepeats++
		return &agentv1.ExportTelemetryResponse{Duplicate: true}, nil
	}
	s.exportSeen[key] = true
	s.exports = append(s.exports, Export{
		AgentID: ag.id, Signal: req.GetSignal(), Payload: append([]byte(nil), req.GetPayload()...),
		Token: req.GetToken(), BatchID: req.GetBatchId(),
	})
	return &agentv1.ExportTelemetryResponse{}, nil
}

// Exports returns the exports stored so far, in the order they arrived
// (each batch once).
func (s *Server) Exports() []Export {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Export(nil), s.exports...)
}

// ExportCalls is how many ExportTelemetry calls arrived.
func (s *Server) ExportCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.exportCalls
}

// ExportRepeats is how many ExportTelemetry calls carried a batch already
// stored (see ExportCalls).
func (s *Server) ExportRepeats() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.exportRepeats
}

// SetExportHook makes every later authenticated ExportTelemetry call ask
// hook first: a non-zero code fails the call with it (nothing stored).
// nil removes the hook.
func (s *Server) SetExportHook(hook func(*agentv1.ExportTelemetryRequest) connect.Code) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.exportHook = hook
}
