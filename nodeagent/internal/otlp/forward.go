package otlp

import (
	"context"
	"errors"
	"time"

	"connectrpc.com/connect"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/shared/backoff"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// Forwarder defaults.
const (
	// DefaultCallTimeout bounds one ExportTelemetry call (a call that
	// times out is retried): long enough for a 3 MiB export over a slow
	// link, which would otherwise time out on every attempt.
	DefaultCallTimeout = 2 * time.Minute
	// maxReasons bounds the remembered refusal reasons (each is logged
	// once); past it the memory starts over.
	maxReasons = 256
)

// Exporter is what the forwarder needs of the control plane: the
// session's agentv1connect.AgentServiceClient, which carries the agent's
// credential over its HTTP/2 connection.
type Exporter interface {
	ExportTelemetry(ctx context.Context, req *agentv1.ExportTelemetryRequest) (*agentv1.ExportTelemetryResponse, error)
}

// Forwarder delivers the queue to the control plane, in order, one entry
// at a time: an entry is acknowledged in the queue only once the control
// plane stored it (or said it had before: duplicate) or refused it for
// good. One at a time keeps the order of the queue and costs one round
// trip per export (measured in forward_test.go's benchmark).
type Forwarder struct {
	Queue  *Queue
	Client Exporter
	// Backoff paces retries of an entry the control plane could not take
	// (zero: backoff.Default, 100ms to 30s, jittered).
	Backoff backoff.Policy
	// CallTimeout bounds each call (0: DefaultCallTimeout).
	CallTimeout time.Duration
	Counters    *Counters
	Logger      zerolog.Logger
}

// Run forwards until ctx ends or the queue is closed. It returns an error
// only when it cannot start; a failing disk is retried with backoff.
func (f *Forwarder) Run(ctx context.Context) error {
	if f.Queue == nil || f.Client == nil {
		return errors.New("otlp forwarder: a queue and a client are required")
	}
	if f.Backoff.Min <= 0 {
		f.Backoff = backoff.Default
	}
	if f.CallTimeout <= 0 {
		f.CallTimeout = DefaultCallTimeout
	}
	if f.Counters == nil {
		f.Counters = &Counters{}
	}
	reasons := map[string]bool{}
	failures := 0
	for {
		it, err := f.Queue.Peek(ctx)
		switch {
		case ctx.Err() != nil || errors.Is(err, ErrQueueClosed):
			return nil //nolint:nilerr // an ended ctx or a closed queue is how Run is stopped
		case err != nil:
			// The disk failed to give the entry back: try again later
			// rather than stop forwarding for good.
			if failures == 0 {
				f.Logger.Error().Err(err).Msg("reading the telemetry queue failed; retrying")
			}
			if !f.Backoff.Sleep(ctx, failures) {
				return nil
			}
			failures++
			continue
		}
		failures = 0
		if !f.deliver(ctx, it, reasons) {
			return nil
		}
		if err := f.Queue.Ack(it); err != nil {
			// Only a closed queue fails an Ack (a cursor that could not
			// be written is logged by the queue).
			return nil //nolint:nilerr // a closed queue is how Run is stopped
		}
	}
}

// deliver sends it until the control plane answered for good; false when
// ctx ended first.
func (f *Forwarder) deliver(ctx context.Context, it Item, reasons map[string]bool) bool {
	req := &agentv1.ExportTelemetryRequest{Signal: it.Signal, Payload: it.Payload, Token: it.Token, BatchId: it.BatchID}
	for attempt := 0; ; attempt++ {
		cctx, cancel := context.WithTimeout(ctx, f.CallTimeout)
		res, err := f.Client.ExportTelemetry(cctx, req)
		cancel()
		if ctx.Err() != nil {
			return false
		}
		if err == nil {
			f.delivered(it, res, reasons)
			if attempt > 0 {
				f.Logger.Info().Int(logfield.Attempt, attempt+1).Msg("forwarding telemetry to the control plane works again")
			}
			return true
		}
		if retryable(err) {
			f.Counters.retries.Add(1)
			// One warning per outage; the retries at debug level.
			lvl := zerolog.DebugLevel
			if attempt == 0 {
				lvl = zerolog.WarnLevel
			}
			f.Logger.WithLevel(lvl).Err(err).Int(logfield.Attempt, attempt+1).Msg("forwarding telemetry failed; retrying it (the queue keeps it meanwhile)")
			if !f.Backoff.Sleep(ctx, attempt) {
				return false
			}
			continue
		}
		f.refused(it, err, reasons)
		return true
	}
}

// retryable: the control plane is down, overloaded or slow (or the call
// never reached it): the entry may still be stored.
func retryable(err error) bool {
	switch connect.CodeOf(err) {
	case connect.CodeUnavailable, connect.CodeResourceExhausted, connect.CodeDeadlineExceeded,
		connect.CodeUnknown, connect.CodeAborted, connect.CodeCanceled:
		// Canceled with the forwarder's context alive: the connection or
		// stream was reset under the call.
		return true
	}
	return false
}

func (f *Forwarder) delivered(it Item, res *agentv1.ExportTelemetryResponse, reasons map[string]bool) {
	f.Counters.forwarded.Add(1)
	f.Counters.forwardedItems.Add(it.Items)
	if res.GetDuplicate() {
		f.Counters.duplicates.Add(1)
	}
	if n := res.GetRejected(); n > 0 {
		f.Counters.rejectedItems.Add(n)
		if f.firstTime(reasons, "rejected: "+res.GetErrorMessage()) {
			f.Logger.Warn().Int64(logfield.Count, n).Str(logfield.Reason, res.GetErrorMessage()).
				Msg("the control plane stored a forwarded export only in part (logged once per reason)")
		}
	}
}

// refused counts an entry the control plane will never store: invalid,
// its token unknown or without observe:write. It is acknowledged (kept,
// it would block the queue for good).
func (f *Forwarder) refused(it Item, err error, reasons map[string]bool) {
	f.Counters.refused.Add(1)
	f.Counters.refusedItems.Add(it.Items)
	code := connect.CodeOf(err)
	msg := err.Error()
	var ce *connect.Error
	if errors.As(err, &ce) {
		msg = ce.Message()
	}
	if f.firstTime(reasons, code.String()+": "+msg) {
		// The token is never logged; the control plane's message does not
		// hold it either.
		f.Logger.Warn().Str(logfield.Code, code.String()).Str(logfield.Reason, msg).Int64(logfield.Count, it.Items).
			Msg("the control plane refused forwarded telemetry; dropped it (logged once per reason)")
	}
}

func (f *Forwarder) firstTime(reasons map[string]bool, reason string) bool {
	if reasons[reason] {
		return false
	}
	if len(reasons) >= maxReasons {
		clear(reasons)
	}
	reasons[reason] = true
	return true
}
