package gatewaytest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"

	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1/agentv1connect"
)

// JoinToken is the join token the server accepts unless Options say
// otherwise.
const JoinToken = "hjt_gatewaytest"

// Options configure a Server. Zero values take the defaults noted.
type Options struct {
	// JoinToken accepted by Register (JoinToken).
	JoinToken string
	// HeartbeatInterval sent in Welcome (1s).
	HeartbeatInterval time.Duration
	// MaxStreamAge sent in Welcome (1h); the server does not enforce it:
	// tests call Drain.
	MaxStreamAge time.Duration
}

// ChunkAction is what the server does with one LogChunk (SetChunkHook).
type ChunkAction int

// Chunk actions.
const (
	// Store follows the control plane's rules: store new bytes, ack the end.
	Store ChunkAction = iota
	// Refuse stores nothing but acks the stored end, as for a gap.
	Refuse
	// Ignore stores nothing and acks nothing, as a failed database write.
	Ignore
	// DropConnection drops every connection (Drop) instead of handling it.
	DropConnection
)

type jobStep struct {
	job  string
	step uint32
}

// Server is the fake control plane. Its methods are safe for concurrent
// use.
type Server struct {
	// URL is the base URL the agent dials (http://127.0.0.1:port).
	URL string

	opts Options
	ts   *httptest.Server

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every recorded change

	// registration
	registerCalls int
	registerFail  []connect.Code
	rotateCalls   int
	agents        map[string]*agentRecord // by agent id
	creds         map[string]string       // credential → agent id
	nextAgent     int

	// streams
	streams    []*stream
	connects   int
	hellos     []*agentv1.Hello
	heartbeats []*agentv1.Heartbeat
	silent     bool

	// jobs
	chunks      []*agentv1.LogChunk
	logs        map[jobStep][]byte
	statuses    []*agentv1.JobStatus
	ackStatuses bool
	ackDelay    time.Duration
	chunkHook   func(c *agentv1.LogChunk) ChunkAction
	artifacts   map[string][]byte // job id + "/" + name
	uploads     int
	uploadFail  []connect.Code
	violations  []string
	duplicates  int
	gaps        int
	statusAcks  int

	// telemetry (telemetry.go)
	exports       []Export
	exportSeen    map[exportKey]bool
	exportCalls   int
	exportRepeats int
	exportHook    func(*agentv1.ExportTelemetryRequest) connect.Code
}

type agentRecord struct {
	id, cluster string
	revoked     bool
}

// New starts a server on a loopback port; it stops when the test ends.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.JoinToken == "" {
		opts.JoinToken = JoinToken
	}
	if opts.HeartbeatInterval == 0 {
		opts.HeartbeatInterval = time.Second
	}
	if opts.MaxStreamAge == 0 {
		opts.MaxStreamAge = time.Hour
	}
	s := &Server{
		opts: opts, changed: make(chan struct{}),
		agents: map[string]*agentRecord{}, creds: map[string]string{},
		logs: map[jobStep][]byte{}, artifacts: map[string][]byte{}, ackStatuses: true,
		exportSeen: map[exportKey]bool{},
	}
	mux := http.NewServeMux()
	mux.Handle(agentv1connect.NewRegistrationServiceHandler(registration{s}))
	path, h := agentv1connect.NewAgentServiceHandler(agentService{s})
	mux.Handle(path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Closing the body makes a pending Receive fail, so the server can
		// end a stream from outside its handler (Drop, Revoke).
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), bodyKey{}, r.Body)))
	}))
	s.ts = httptest.NewUnstartedServer(mux)
	s.ts.Config.Protocols = new(http.Protocols)
	s.ts.Config.Protocols.SetHTTP1(true)
	s.ts.Config.Protocols.SetUnencryptedHTTP2(true)
	s.ts.Start()
	s.URL = s.ts.URL
	t.Cleanup(s.Close)
	return s
}

type bodyKey struct{}

// Close ends every stream and stops the server.
func (s *Server) Close() {
	s.endStreams(connect.NewError(connect.CodeUnavailable, errors.New("the server is stopping")))
	s.ts.CloseClientConnections()
	s.ts.Close()
}

// notifyLocked wakes Wait callers; s.mu must be held.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) violation(format string, args ...any) {
	s.violations = append(s.violations, fmt.Sprintf(format, args...))
}

// Wait blocks until cond (called with no lock held) is true, re-checking
// whenever the server records something and at least every 10ms (for
// conditions on the agent's side), failing the test after timeout.
func (s *Server) Wait(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("gatewaytest: timed out after %v waiting for %s", timeout, what)
		}
	}
}

func newSecret(prefix string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// registration implements RegistrationService.
type registration struct{ s *Server }

func (r registration) Register(_ context.Context, req *agentv1.RegisterRequest) (*agentv1.RegisterResponse, error) {
	s := r.s
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.notifyLocked()
	s.registerCalls++
	if len(s.registerFail) > 0 {
		code := s.registerFail[0]
		s.registerFail = s.registerFail[1:]
		return nil, connect.NewError(code, errors.New("gatewaytest: Register failure requested by the test"))
	}
	if req.GetJoinToken() != s.opts.JoinToken {
		return nil, connect.NewError(connect.CodeUnauthenticated, errors.New("unknown join token"))
	}
	if req.GetProtocolVersion() != 1 {
		return nil, connect.NewError(connect.CodeFailedPrecondition, errors.New("unsupported protocol version"))
	}
	s.nextAgent++
	a := &agentRecord{id: fmt.Sprintf("00000000-0000-7000-8000-%012d", s.nextAgent), cluster: "00000000-0000-7000-8000-c00000000001"}
	s.agents[a.id] = a
	cred := newSecret("hac_")
	s.creds[cred] = a.id
	return &agentv1.RegisterResponse{AgentId: a.id, ClusterId: a.cluster, Credential: cred}, nil
}

func (r registration) RotateCredential(ctx context.Context, _ *agentv1.RotateCredentialRequest) (*agentv1.RotateCredentialResponse, error) {
	s := r.s
	cred := bearer(connect.CallInfoForHandlerContext(ctx))
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.notifyLocked()
	s.rotateCalls++
	a, err := s.authLocked(cred)
	if err != nil {
		return nil, err
	}
	// The presented credential and the new one stay valid; every other
	// credential of the agent stops working.
	for c, id := range s.creds {
		if id == a.id && c != cred {
			delete(s.creds, c)
		}
	}
	next := newSecret("hac_")
	s.creds[next] = a.id
	return &agentv1.RotateCredentialResponse{Credential: next}, nil
}

func bearer(ci connect.CallInfo, ok bool) string {
	if !ok {
		return ""
	}
	return bearerHeader(ci.RequestHeader())
}

func bearerHeader(h http.Header) string {
	scheme, cred, _ := strings.Cut(h.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return cred
}

func (s *Server) authLocked(cred string) (*agentRecord, error) {
	id, ok := s.creds[cred]
	if !ok || s.agents[id].revoked {
		return nil, connect.NewError(connect.CodeUnauthenticated, errors.New("unknown or revoked agent credential"))
	}
	return s.agents[id], nil
}

// agentService implements AgentService.
type agentService struct{ s *Server }

func (a agentService) Connect(ctx context.Context, conn *connect.BidiStream[agentv1.ConnectRequest, agentv1.ConnectResponse]) error {
	return a.s.connect(ctx, conn)
}

func (a agentService) UploadArtifact(ctx context.Context, cs *connect.ClientStream[agentv1.UploadArtifactRequest]) (*agentv1.UploadArtifactResponse, error) {
	return a.s.upload(ctx, cs)
}

func closeBody(ctx context.Context) {
	if b, ok := ctx.Value(bodyKey{}).(io.Closer); ok {
		_ = b.Close()
	}
}
