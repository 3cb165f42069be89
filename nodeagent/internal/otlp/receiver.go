package otlp

import (
	"context"
	"errors"
	"net/http"
	"time"

	"connectrpc.com/connect"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/shared/logfield"
)

// Receiver defaults.
const (
	// DefaultMaxRequestBytes bounds one export, on the wire and after
	// decompression: forwarded with its token and batch id, it stays under
	// the control plane's 4 MiB message limit.
	DefaultMaxRequestBytes = 3 << 20
	// DefaultMaxConcurrent exports are read and decoded at once; more
	// wait up to DefaultBusyWait for a turn, then get 429 (or
	// RESOURCE_EXHAUSTED with RetryInfo). Memory is bounded by about
	// MaxConcurrent × MaxRequestBytes × a few (buffer, decoded message).
	DefaultMaxConcurrent = 8
	DefaultBusyWait      = 2 * time.Second
	// DefaultBodyTimeout: a sender holding a turn must finish its body
	// within it.
	DefaultBodyTimeout = 30 * time.Second
	// retryBusy and retryFailing are the Retry-After of 429 and 503.
	retryBusy    = time.Second
	retryFailing = 5 * time.Second
)

// Enqueuer stores accepted exports: the Queue. It must not wait for the
// network.
type Enqueuer interface {
	Enqueue(e Entry) error
}

// ReceiverConfig configures NewReceiver.
type ReceiverConfig struct {
	Queue Enqueuer
	// MaxRequestBytes (0: DefaultMaxRequestBytes), MaxConcurrent (0:
	// DefaultMaxConcurrent), BusyWait (0: DefaultBusyWait) and BodyTimeout
	// (0: DefaultBodyTimeout) bound what senders cost.
	MaxRequestBytes int64
	MaxConcurrent   int
	BusyWait        time.Duration
	BodyTimeout     time.Duration
	// Tenancy maps a request to its token (nil: BearerToken).
	Tenancy  Tenancy
	Counters *Counters
	Logger   zerolog.Logger
}

// Receiver is an http.Handler serving OTLP on one listener: OTLP/HTTP
// (POST /v1/traces, /v1/logs, /v1/metrics; protobuf or JSON, gzip or not)
// and OTLP/gRPC (the collector services' Export, through connect-go, which
// also serves Connect and gRPC-Web; gRPC needs HTTP/2, h2c on a plain
// listener: see Serve). An accepted export is in the queue, as protobuf,
// before it is answered.
type Receiver struct {
	q           Enqueuer
	limit       int64
	slots       chan struct{}
	busyWait    time.Duration
	bodyTimeout time.Duration
	tenancy     Tenancy
	c           *Counters
	log         zerolog.Logger
	errs        *connect.ErrorWriter
	routes      map[string]route
}

// route is one served path.
type route struct {
	signal Signal
	grpc   http.Handler // nil: OTLP/HTTP
}

// NewReceiver returns a Receiver taking exports into c.Queue.
func NewReceiver(c ReceiverConfig) (*Receiver, error) {
	if c.Queue == nil {
		return nil, errors.New("otlp receiver: a queue is required")
	}
	if c.MaxRequestBytes <= 0 {
		c.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if c.MaxConcurrent <= 0 {
		c.MaxConcurrent = DefaultMaxConcurrent
	}
	if c.BusyWait <= 0 {
		c.BusyWait = DefaultBusyWait
	}
	if c.BodyTimeout <= 0 {
		c.BodyTimeout = DefaultBodyTimeout
	}
	if c.Tenancy == nil {
		c.Tenancy = BearerToken
	}
	if c.Counters == nil {
		c.Counters = &Counters{}
	}
	rc := &Receiver{
		q: c.Queue, limit: c.MaxRequestBytes, slots: make(chan struct{}, c.MaxConcurrent),
		busyWait: c.BusyWait, bodyTimeout: c.BodyTimeout, tenancy: c.Tenancy, c: c.Counters,
		log: c.Logger, errs: connect.NewErrorWriter(),
	}
	rc.routes = map[string]route{
		TracesPath:       {signal: Traces},
		LogsPath:         {signal: Logs},
		MetricsPath:      {signal: Metrics},
		TracesProcedure:  {signal: Traces, grpc: rc.tracesHandler()},
		LogsProcedure:    {signal: Logs, grpc: rc.logsHandler()},
		MetricsProcedure: {signal: Metrics, grpc: rc.metricsHandler()},
	}
	return rc, nil
}

// tokenKey carries the request's token from ServeHTTP to the gRPC
// handlers.
type tokenKey struct{}

// ServeHTTP decides the tenant and waits for a turn before any of the
// body is read, so a request without a token or beyond the concurrency
// bound costs nothing.
func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt, ok := rc.routes[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	asJSON := false
	if rt.grpc == nil {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeRefusal(w, false, &refusal{httpStatus: http.StatusMethodNotAllowed, code: connect.CodeUnimplemented, msg: "OTLP/HTTP takes POST"})
			return
		}
		var f *refusal
		if asJSON, f = contentType(r); f != nil {
			rc.c.unsupported.Add(1)
			writeRefusal(w, asJSON, f)
			return
		}
	}
	refuse := func(f *refusal) {
		if rt.grpc != nil {
			_ = rc.errs.Write(w, r, f.connectError())
			return
		}
		writeRefusal(w, asJSON, f)
	}
	token, ok := rc.tenancy(r)
	if !ok {
		rc.c.unmapped.Add(1)
		rc.log.Debug().Str(logfield.RemoteAddr, r.RemoteAddr).Str(logfield.Path, r.URL.Path).
			Msg("refused an OTLP export without a usable bearer token")
		refuse(&refusal{httpStatus: http.StatusUnauthorized, code: connect.CodeUnauthenticated,
			msg: "an OTLP export needs the workload's token: Authorization: Bearer <token>"})
		return
	}
	if !rc.acquire(r.Context()) {
		rc.c.busy.Add(1)
		refuse(&refusal{httpStatus: http.StatusTooManyRequests, code: connect.CodeResourceExhausted,
			msg: "the agent's OTLP receiver is busy: retry later", retryAfter: retryBusy})
		return
	}
	defer func() { <-rc.slots }()
	// Bounds how long a turn is held by a slow body (HTTP/1 and HTTP/2
	// support it; other connections keep the server's own timeouts).
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(rc.bodyTimeout))
	ctx := context.WithValue(r.Context(), tokenKey{}, token)
	if rt.grpc != nil {
		r2 := r.WithContext(ctx)
		// One unary message and its 5-byte envelope, plus slack for a
		// trailer: connect-go would otherwise read (to discard) any length
		// an envelope declares.
		r2.Body = http.MaxBytesReader(w, r.Body, rc.limit+64)
		rt.grpc.ServeHTTP(w, r2)
		return
	}
	rc.serveHTTP(w, r.WithContext(ctx), rt.signal, asJSON, token)
}

// acquire waits for a turn, up to busyWait.
func (rc *Receiver) acquire(ctx context.Context) bool {
	select {
	case rc.slots <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(rc.busyWait)
	defer t.Stop()
	select {
	case rc.slots <- struct{}{}:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	return false
}

// accept queues one decoded export: payload is its protobuf encoding.
func (rc *Receiver) accept(signal Signal, token string, payload []byte, items int64) *refusal {
	if int64(len(payload)) > rc.limit {
		// OTLP/JSON re-encoded as protobuf can grow (a double is 8 bytes,
		// "0" one character).
		rc.c.tooLarge.Add(1)
		return &refusal{httpStatus: http.StatusRequestEntityTooLarge, code: connect.CodeResourceExhausted, msg: tooLargeMessage(rc.limit)}
	}
	err := rc.q.Enqueue(Entry{Signal: signal, Token: token, Payload: payload, Items: items})
	switch {
	case err == nil:
		rc.c.received.Add(1)
		rc.c.receivedItems.Add(items)
		return nil
	case errors.Is(err, ErrEntryTooLarge):
		rc.c.tooLarge.Add(1)
		return &refusal{httpStatus: http.StatusRequestEntityTooLarge, code: connect.CodeResourceExhausted, msg: tooLargeMessage(rc.limit)}
	case errors.Is(err, ErrQueueClosed):
		rc.c.failed.Add(1)
		return &refusal{httpStatus: http.StatusServiceUnavailable, code: connect.CodeUnavailable, msg: "the agent is stopping: retry later", retryAfter: retryFailing}
	}
	rc.c.failed.Add(1)
	rc.log.Error().Err(err).Msg("queueing an OTLP export failed")
	return &refusal{httpStatus: http.StatusServiceUnavailable, code: connect.CodeUnavailable, msg: "the agent could not store the export: retry later", retryAfter: retryFailing}
}
