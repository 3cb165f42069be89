package cluster

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/jobs"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1/agentv1connect"
)

// Gateway defaults.
const (
	DefaultHeartbeatInterval = 10 * time.Second
	DefaultMaxStreamAge      = 30 * time.Minute
	DefaultStreamAgeJitter   = 0.2
	DefaultHelloTimeout      = 10 * time.Second
	DefaultDrainGrace        = 5 * time.Second

	// silentIntervals: a stream that heard nothing for this many heartbeat
	// intervals ends (agent.proto, step 4).
	silentIntervals = 3
	maxCapacity     = 1000
	// maxRunningIDs bounds the job ids a Hello may carry.
	maxRunningIDs = 10000
	// maxLogChunk is LogChunk.data's documented bound.
	maxLogChunk = 1 << 20
)

// AgentInfo describes a connected agent to the job queue.
type AgentInfo = jobs.Agent

// Jobs is what the gateway needs of the job queue (implemented by
// *pipeline.Service). It speaks the queue's types; the gateway converts
// them to and from the agent protocol (gateway_convert.go).
type Jobs interface {
	// Claim assigns queued jobs the agent can take and returns them to
	// send.
	Claim(ctx context.Context, a AgentInfo) ([]jobs.Run, error)
	// Reconcile runs after Hello with the job ids the agent reports
	// (agent.proto, step 3). Ids are as the agent sent them: unknown or
	// malformed ones are the pipeline's to cancel.
	Reconcile(ctx context.Context, a AgentInfo, running []string) (resend []jobs.Run, cancel []jobs.Cancel, err error)
	// Heartbeat refreshes liveness of the agent's running jobs and returns
	// what the agent may have missed, for the gateway to send: a cancel
	// for its jobs whose cancellation was requested, the run again for
	// jobs assigned to it that it has neither confirmed nor reported.
	Heartbeat(ctx context.Context, agentID uuid.UUID, running []string) ([]jobs.Cancel, []jobs.Run, error)
	// Status stores a job status. apperr NotFound: not a job of this
	// agent. Other errors: not stored.
	Status(ctx context.Context, agentID uuid.UUID, s jobs.Status) error
	// AppendLog stores the chunk's new bytes and returns the stored end
	// offset of (job, step). apperr NotFound: not a job of this agent.
	AppendLog(ctx context.Context, agentID uuid.UUID, c jobs.LogChunk) (uint64, error)
	// UploadArtifact stores an artifact of a job assigned to agentID.
	UploadArtifact(ctx context.Context, agentID, jobID uuid.UUID, name string, r io.Reader) (jobs.Artifact, error)
}

// AgentDirectory is what the gateway needs of the Service (which
// implements it).
type AgentDirectory interface {
	AuthenticateAgent(ctx context.Context, credential string) (Agent, error)
	GetCluster(ctx context.Context, id uuid.UUID) (Cluster, error)
	TouchAgent(ctx context.Context, id uuid.UUID) error
}

// GatewayDeps is what the gateway needs. Zero durations take the defaults.
type GatewayDeps struct {
	Service AgentDirectory
	Jobs    Jobs
	Logger  zerolog.Logger
	// HeartbeatInterval is sent in Welcome; both sides heartbeat at it.
	HeartbeatInterval time.Duration
	// MaxStreamAge: a stream gets Drain at this age, ± StreamAgeJitter
	// (a fraction in [0, 1)), so agents spread over replicas over time.
	MaxStreamAge    time.Duration
	StreamAgeJitter float64
	// HelloTimeout bounds the wait for the first message.
	HelloTimeout time.Duration
	// DrainGrace: after Drain the stream ends this much later at the
	// latest (the agent normally hangs up first). It also bounds how long
	// an ending stream waits for a send stuck on a peer that stopped
	// reading before it resets the HTTP/2 stream.
	DrainGrace time.Duration
	// Epochs gives the newest leadership epoch, sent in Welcome so that an
	// agent drops commands of a leader deposed before it connected
	// (*store.DB). Nil: Welcome carries none.
	Epochs Epochs
	// Telemetry stores forwarded OTLP exports; nil: ExportTelemetry is
	// unimplemented.
	Telemetry Telemetry
}

// Epochs is what the gateway needs to stamp Welcome.
type Epochs interface {
	// NewestEpoch is the newest leadership epoch recorded (the number
	// CancelJob.epoch is compared with), 0 when none is.
	NewestEpoch(ctx context.Context) (uint64, error)
}

// Gateway serves AgentService: it holds the agent streams connected to
// this replica. It implements agentv1connect.AgentServiceHandler; serve it
// only through Handler, which gives each call the means to end it.
type Gateway struct {
	dir          AgentDirectory
	jobs         Jobs
	log          zerolog.Logger
	interval     time.Duration
	maxAge       time.Duration
	jitter       float64
	helloTimeout time.Duration
	drainGrace   time.Duration
	epochs       Epochs
	telemetry    Telemetry

	mu       sync.Mutex
	streams  map[uuid.UUID]*stream
	draining bool
	// clusterNames caches the names stamped on forwarded telemetry.
	clusterNames map[uuid.UUID]string
}

var _ agentv1connect.AgentServiceHandler = (*Gateway)(nil)

// NewGateway builds the gateway.
func NewGateway(d GatewayDeps) (*Gateway, error) {
	if d.Service == nil || d.Jobs == nil {
		return nil, errors.New("cluster gateway: Service and Jobs are required")
	}
	if d.HeartbeatInterval < 0 || d.MaxStreamAge < 0 || d.HelloTimeout < 0 || d.DrainGrace < 0 {
		return nil, errors.New("cluster gateway: durations must not be negative")
	}
	if d.StreamAgeJitter < 0 || d.StreamAgeJitter >= 1 {
		return nil, errors.New("cluster gateway: StreamAgeJitter must be in [0, 1)")
	}
	g := &Gateway{
		dir: d.Service, jobs: d.Jobs, log: d.Logger,
		interval: orDefault(d.HeartbeatInterval, DefaultHeartbeatInterval),
		maxAge:   orDefault(d.MaxStreamAge, DefaultMaxStreamAge),
		jitter:   d.StreamAgeJitter, helloTimeout: orDefault(d.HelloTimeout, DefaultHelloTimeout),
		drainGrace: orDefault(d.DrainGrace, DefaultDrainGrace),
		epochs:     d.Epochs, telemetry: d.Telemetry,
		streams: map[uuid.UUID]*stream{}, clusterNames: map[uuid.UUID]string{},
	}
	if g.jitter == 0 {
		g.jitter = DefaultStreamAgeJitter
	}
	return g, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// Handler returns the Connect handler and its path prefix. The handler
// puts the request body and response writer in the call's context: a
// stream blocked receiving can only be ended by closing its body, and one
// blocked sending to a peer that stopped reading only by resetting it.
func (g *Gateway) Handler(opts ...connect.HandlerOption) (string, http.Handler) {
	path, h := agentv1connect.NewAgentServiceHandler(g, opts...)
	return path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hooks := &callHooks{body: r.Body, rc: http.NewResponseController(w)}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callHooksKey{}, hooks)))
	})
}

// Rules declares the RPCs Public: they are not open to anyone. Their
// caller is a node agent, not a user, and each handler authenticates the
// agent credential (Authorization: Bearer hac_…) itself, with
// AuthenticateAgent, before reading any message. The server's
// authenticator knows only user credentials: it continues anonymously for
// a hac_ Bearer, which authorization lets through only for Public rules.
func (g *Gateway) Rules() access.Rules {
	return access.Rules{
		agentv1connect.AgentServiceConnectProcedure:        {Public: true},
		agentv1connect.AgentServiceUploadArtifactProcedure: {Public: true},
		// The workload's token in the message is then authenticated and
		// authorized (observe:write on its project) by the one authorizer.
		agentv1connect.AgentServiceExportTelemetryProcedure: {Public: true},
	}
}

// WakeAll asks every stream held here to Claim queued work. It never
// blocks; a stream with a Claim already pending does not queue another.
func (g *Gateway) WakeAll() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, s := range g.streams {
		s.wake()
	}
}

// Cancel queues CancelJob, stamped with epoch (the leadership epoch it was
// issued under, 0: unstamped), on agentID's stream if this replica holds
// it, and reports whether it did.
func (g *Gateway) Cancel(agentID, jobID uuid.UUID, reason string, epoch uint64) bool {
	g.mu.Lock()
	s := g.streams[agentID]
	g.mu.Unlock()
	if s == nil {
		return false
	}
	return s.enqueue(&agentv1.ConnectResponse{Msg: &agentv1.ConnectResponse_CancelJob{
		CancelJob: &agentv1.CancelJob{JobId: jobID.String(), Reason: reason, Epoch: epoch},
	}})
}

// DrainAll sends Drain to every stream held here (each ends after
// DrainGrace, its agent reconnecting to another replica) and refuses new
// streams. Call it when the replica stops (http.Server.RegisterOnShutdown):
// Shutdown waits for open streams, which would otherwise last until their
// maximum age.
func (g *Gateway) DrainAll() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.draining = true
	for _, s := range g.streams {
		s.requestDrain("the control plane replica is stopping")
	}
}

// Connected lists the agents whose stream this replica holds.
func (g *Gateway) Connected() []uuid.UUID {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]uuid.UUID, 0, len(g.streams))
	for id := range g.streams {
		out = append(out, id)
	}
	return out
}

// register makes s the agent's stream; an older one is ended.
func (g *Gateway) register(s *stream) error {
	g.mu.Lock()
	if g.draining {
		g.mu.Unlock()
		return connect.NewError(connect.CodeUnavailable, errors.New("the control plane replica is stopping; connect again"))
	}
	old := g.streams[s.info.ID]
	g.streams[s.info.ID] = s
	g.mu.Unlock()
	if old != nil {
		old.stop(errReplaced)
	}
	return nil
}

func (g *Gateway) deregister(s *stream) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.streams[s.info.ID] == s {
		delete(g.streams, s.info.ID)
	}
}

// authenticate checks the call's agent credential.
func (g *Gateway) authenticate(ctx context.Context, h http.Header) (Agent, error) {
	credential, err := parseAgentAuthorization(h.Values("Authorization"))
	if err == nil {
		var a Agent
		if a, err = g.dir.AuthenticateAgent(ctx, credential); err == nil {
			return a, nil
		}
	}
	if e, ok := apperr.As(err); ok && e.Kind == apperr.KindUnauthenticated {
		return Agent{}, connect.NewError(connect.CodeUnauthenticated, errors.New(e.Message))
	}
	return Agent{}, err
}

// callHooks end a call from outside its handler goroutine.
type callHooks struct {
	body io.Closer
	rc   *http.ResponseController
}

type callHooksKey struct{}

func hooksFrom(ctx context.Context) (*callHooks, error) {
	h, ok := ctx.Value(callHooksKey{}).(*callHooks)
	if !ok {
		// A wiring mistake: the generated handler was mounted instead of
		// Gateway.Handler.
		return nil, errors.New("cluster gateway: served without Gateway.Handler")
	}
	return h, nil
}

// closeBody makes a pending and every later Receive fail.
func (h *callHooks) closeBody() { _ = h.body.Close() }

// abort resets the HTTP/2 stream: a Send blocked on a peer that stopped
// reading fails at once.
func (h *callHooks) abort() { _ = h.rc.SetWriteDeadline(time.Unix(1, 0)) }
