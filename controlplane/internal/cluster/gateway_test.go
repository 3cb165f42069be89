package cluster_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"go.uber.org/goleak"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/cluster"
	"github.com/hearth-dev/hearth/controlplane/internal/jobs"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1/agentv1connect"
)

// waitFor is how long a test waits for a condition.
const waitFor = 10 * time.Second

// fakeJobs records the gateway's calls and answers them from its fields.
type fakeJobs struct {
	mu         sync.Mutex
	claims     []cluster.AgentInfo
	toClaim    map[uuid.UUID][]jobs.Run // handed out by the agent's next Claim
	reconciled [][]string
	resend     []jobs.Run
	cancel     []jobs.Cancel
	heartbeats [][]string
	hbCancel   []jobs.Cancel // answered to every heartbeat
	hbResend   []jobs.Run    // answered to every heartbeat
	statuses   []jobs.Status
	chunks     int
	ends       map[string]uint64 // "job/step" → stored end
	foreign    map[string]bool   // job ids that are not the agent's: NotFound
	broken     map[string]bool   // job ids whose storage fails
	uploads    []upload
	uploadRead atomic.Int64 // bytes the running upload has read so far
	failClaim  bool
}

type upload struct {
	agentID, jobID uuid.UUID
	name           string
	data           []byte
}

func newFakeJobs() *fakeJobs {
	return &fakeJobs{
		toClaim: map[uuid.UUID][]jobs.Run{}, ends: map[string]uint64{},
		foreign: map[string]bool{}, broken: map[string]bool{},
	}
}

func (j *fakeJobs) Claim(_ context.Context, a cluster.AgentInfo) ([]jobs.Run, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.claims = append(j.claims, a)
	if j.failClaim {
		return nil, errors.New("database is down")
	}
	out := j.toClaim[a.ID]
	delete(j.toClaim, a.ID)
	return out, nil
}

func (j *fakeJobs) Reconcile(_ context.Context, _ cluster.AgentInfo, running []string) ([]jobs.Run, []jobs.Cancel, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.reconciled = append(j.reconciled, running)
	return j.resend, j.cancel, nil
}

func (j *fakeJobs) Heartbeat(_ context.Context, _ uuid.UUID, running []string) ([]jobs.Cancel, []jobs.Run, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.heartbeats = append(j.heartbeats, running)
	return j.hbCancel, j.hbResend, nil
}

func (j *fakeJobs) Status(_ context.Context, _ uuid.UUID, s jobs.Status) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	switch {
	case j.foreign[s.JobID]:
		return apperr.NotFound("job not found")
	case j.broken[s.JobID]:
		return errors.New("database is down")
	}
	j.statuses = append(j.statuses, s)
	return nil
}

// AppendLog keeps contiguous bytes only, like the real store.
func (j *fakeJobs) AppendLog(_ context.Context, _ uuid.UUID, c jobs.LogChunk) (uint64, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	switch {
	case j.foreign[c.JobID]:
		return 0, apperr.NotFound("job not found")
	case j.broken[c.JobID]:
		return 0, errors.New("database is down")
	}
	j.chunks++
	key := fmt.Sprintf("%s/%d", c.JobID, c.Step)
	end, top := j.ends[key], c.Offset+uint64(len(c.Data))
	if c.Offset <= end && top > end {
		j.ends[key] = top
	}
	return j.ends[key], nil
}

func (j *fakeJobs) UploadArtifact(_ context.Context, agentID, jobID uuid.UUID, name string, r io.Reader) (jobs.Artifact, error) {
	if j.foreign[jobID.String()] {
		return jobs.Artifact{}, apperr.NotFound("job not found")
	}
	j.uploadRead.Store(0)
	var buf bytes.Buffer
	p := make([]byte, 1024)
	for {
		n, err := r.Read(p)
		buf.Write(p[:n])
		j.uploadRead.Add(int64(n))
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return jobs.Artifact{}, err
		}
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.uploads = append(j.uploads, upload{agentID: agentID, jobID: jobID, name: name, data: buf.Bytes()})
	return jobs.Artifact{ID: uuid.New(), Size: uint64(buf.Len())}, nil
}

func (j *fakeJobs) claimCount(agentID uuid.UUID) int {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := 0
	for _, a := range j.claims {
		if a.ID == agentID {
			n++
		}
	}
	return n
}

func (j *fakeJobs) locked(f func()) {
	j.mu.Lock()
	defer j.mu.Unlock()
	f()
}

// gatewayEnv is a gateway served over h2c with a registered agent.
type gatewayEnv struct {
	f       fixture
	jobs    *fakeJobs
	gw      *cluster.Gateway
	url     string
	client  *http.Client
	cluster cluster.Cluster
	secret  string // join token (unlimited uses)
	agent   cluster.Agent
	cred    string
}

type envOptions struct {
	deps cluster.GatewayDeps
	// base is the server's context (nil: background).
	base context.Context
}

func newGatewayEnv(t *testing.T, o envOptions) *gatewayEnv {
	t.Helper()
	f := newFixture(t)
	c := f.cluster(t, "prod") // labels: region=eu-west-1
	_, secret := f.token(t, c.ID, 0, time.Hour)
	a, cred, err := f.svc.Register(t.Context(), registration(secret))
	if err != nil {
		t.Fatal(err)
	}
	// Everything started from here on must be gone when the test ends.
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })

	queue := newFakeJobs()
	d := o.deps
	d.Service, d.Jobs, d.Logger = f.svc, queue, testsvc.Logger(t)
	if d.HeartbeatInterval == 0 {
		d.HeartbeatInterval = time.Minute // no heartbeat or silence unless a test wants them
	}
	gw, err := cluster.NewGateway(d)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(gw.Handler())
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	if o.base != nil {
		srv.Config.BaseContext = func(net.Listener) context.Context { return o.base }
	}
	srv.Start()
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		tr.CloseIdleConnections()
	})
	return &gatewayEnv{
		f: f, jobs: queue, gw: gw, url: srv.URL, client: &http.Client{Transport: tr},
		cluster: c, secret: secret, agent: a, cred: cred,
	}
}

// register adds another agent to the cluster.
func (e *gatewayEnv) register(t *testing.T, name string) (cluster.Agent, string) {
	t.Helper()
	r := registration(e.secret)
	r.Name = name
	a, cred, err := e.f.svc.Register(t.Context(), r)
	if err != nil {
		t.Fatal(err)
	}
	return a, cred
}

// agentStream is the agent's end of a Connect stream; a goroutine
// receives into msgs until the stream ends.
type agentStream struct {
	t      *testing.T
	s      *connect.BidiStreamForClientSimple[agentv1.ConnectRequest, agentv1.ConnectResponse]
	msgs   chan *agentv1.ConnectResponse
	done   chan struct{}
	err    error // why the stream ended (io.EOF: OK); read after done
	cancel context.CancelFunc
}

func (e *gatewayEnv) open(t *testing.T, credential string, opts ...connect.ClientOption) *agentStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ctx = withCredential(ctx, credential)
	s, err := agentv1connect.NewAgentServiceClient(e.client, e.url, opts...).Connect(ctx)
	if err != nil {
		cancel()
		t.Fatalf("opening the stream: %v", err)
	}
	a := &agentStream{t: t, s: s, msgs: make(chan *agentv1.ConnectResponse, 1000), done: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(a.done)
		for {
			m, err := s.Receive()
			if err != nil {
				a.err = err
				_ = s.CloseResponse()
				return
			}
			a.msgs <- m
		}
	}()
	// Cancelling alone does not end a client's Receive while its request
	// side is open and idle (Go's HTTP/2 transport notices the context only
	// between request body reads); closing the request side does.
	t.Cleanup(func() { cancel(); _ = s.CloseRequest(); <-a.done })
	return a
}

// connect opens a stream and sends a Hello.
func (e *gatewayEnv) connect(t *testing.T, credential string, hello *agentv1.Hello) *agentStream {
	t.Helper()
	a := e.open(t, credential)
	a.send(&agentv1.ConnectRequest{Msg: &agentv1.ConnectRequest_Hello{Hello: hello}})
	return a
}

// withCredential puts the agent credential in ctx's request headers.
func withCredential(ctx context.Context, credential string) context.Context {
	ctx, ci := connect.NewClientContext(ctx)
	if credential != "" {
		ci.RequestHeader().Set("Authorization", "Bearer "+credential)
	}
	return ctx
}

func goodHello(running ...string) *agentv1.Hello {
	return &agentv1.Hello{
		ProtocolVersion: 1, Capacity: 2, RunnerKind: "process", AgentVersion: "test",
		Labels: map[string]string{"arch": "amd64", "region": "us-east-1"}, RunningJobIds: running,
	}
}

func (a *agentStream) send(m *agentv1.ConnectRequest) {
	a.t.Helper()
	// An error here means the server ended the stream; the test sees why
	// through next or ended.
	_ = a.s.Send(m)
}

func (a *agentStream) heartbeat(running ...string) {
	a.send(&agentv1.ConnectRequest{Msg: &agentv1.ConnectRequest_Heartbeat{Heartbeat: &agentv1.Heartbeat{RunningJobIds: running}}})
}

func (a *agentStream) status(job string, state agentv1.JobState) {
	a.send(&agentv1.ConnectRequest{Msg: &agentv1.ConnectRequest_JobStatus{JobStatus: &agentv1.JobStatus{JobId: job, State: state}}})
}

func (a *agentStream) chunk(job string, step uint32, offset uint64, data string) {
	a.send(&agentv1.ConnectRequest{Msg: &agentv1.ConnectRequest_LogChunk{LogChunk: &agentv1.LogChunk{JobId: job, Step: step, Offset: offset, Data: []byte(data)}}})
}

// next returns the next message; heartbeats are skipped unless asked for.
func (a *agentStream) next(heartbeats bool) *agentv1.ConnectResponse {
	a.t.Helper()
	deadline := time.After(waitFor)
	for {
		select {
		case m := <-a.msgs:
			if m.GetHeartbeat() != nil && !heartbeats {
				continue
			}
			return m
		case <-a.done:
			select {
			case m := <-a.msgs:
				if m.GetHeartbeat() != nil && !heartbeats {
					continue
				}
				return m
			default:
			}
			a.t.Fatalf("stream ended (%v) while a message was expected", a.err)
		case <-deadline:
			a.t.Fatal("no message from the gateway")
		}
	}
}

// ended waits for the stream's end and returns its Connect code (0: OK).
func (a *agentStream) ended() connect.Code {
	a.t.Helper()
	select {
	case <-a.done:
	case <-time.After(waitFor):
		a.t.Fatal("the stream did not end")
	}
	if errors.Is(a.err, io.EOF) {
		return 0
	}
	return connect.CodeOf(a.err)
}

func (a *agentStream) welcome() *agentv1.Welcome {
	a.t.Helper()
	m := a.next(false)
	if m.GetWelcome() == nil {
		a.t.Fatalf("got %v, want Welcome", m)
	}
	return m.GetWelcome()
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestNewGatewayChecksDeps(t *testing.T) {
	f := newFixture(t)
	for _, d := range []cluster.GatewayDeps{
		{Jobs: newFakeJobs()},
		{Service: f.svc},
		{Service: f.svc, Jobs: newFakeJobs(), StreamAgeJitter: 1},
		{Service: f.svc, Jobs: newFakeJobs(), StreamAgeJitter: -0.1},
		{Service: f.svc, Jobs: newFakeJobs(), HeartbeatInterval: -time.Second},
	} {
		if _, err := cluster.NewGateway(d); err == nil {
			t.Fatalf("NewGateway(%+v) accepted", d)
		}
	}
	gw, err := cluster.NewGateway(cluster.GatewayDeps{Service: f.svc, Jobs: newFakeJobs()})
	if err != nil {
		t.Fatal(err)
	}
	rules := gw.Rules()
	path, _ := gw.Handler()
	if path != "/hearth.agent.v1.AgentService/" || len(rules) != 3 ||
		!rules[agentv1connect.AgentServiceConnectProcedure].Public || !rules[agentv1connect.AgentServiceUploadArtifactProcedure].Public ||
		!rules[agentv1connect.AgentServiceExportTelemetryProcedure].Public {
		t.Fatalf("path %s, rules %+v", path, rules)
	}
}

func TestGatewayRefusesBadCredentials(t *testing.T) {
	e := newGatewayEnv(t, envOptions{})
	ctx := t.Context()
	rotated, err := e.f.svc.RotateCredential(ctx, e.cred)
	if err != nil {
		t.Fatal(err)
	}
	revokedAgent, revoked := e.register(t, "node-2")
	if _, err := e.f.svc.RevokeAgent(ctx, e.cluster.ID, revokedAgent.ID); err != nil {
		t.Fatal(err)
	}
	e.f.clock.Advance(overlap) // e.cred has expired; rotated works
	forged := cluster.CredentialPrefix + strings.Repeat("A", 43)
	for name, cred := range map[string]string{
		"none": "", "forged": forged, "malformed": "hac_x", "join token": e.secret, "expired": e.cred, "revoked": revoked,
	} {
		// Nothing is sent: the credential is refused before any message.
		a := e.open(t, cred)
		if code := a.ended(); code != connect.CodeUnauthenticated {
			t.Fatalf("%s credential: code %v (%v), want unauthenticated", name, code, a.err)
		}
		up, err := agentv1connect.NewAgentServiceClient(e.client, e.url).UploadArtifact(withCredential(ctx, cred))
		if err != nil {
			t.Fatal(err)
		}
		_ = up.Send(&agentv1.UploadArtifactRequest{Msg: &agentv1.UploadArtifactRequest_Header{Header: &agentv1.ArtifactHeader{JobId: uuid.NewString()}}})
		if _, err := up.CloseAndReceive(); connect.CodeOf(err) != connect.CodeUnauthenticated {
			t.Fatalf("%s credential, upload: %v", name, err)
		}
	}
	e.jobs.locked(func() {
		if len(e.jobs.reconciled) != 0 || len(e.jobs.uploads) != 0 {
			t.Fatal("Jobs called for a refused agent")
		}
	})
	a := e.connect(t, rotated, goodHello())
	if w := a.welcome(); w.GetAgentId() != e.agent.ID.String() {
		t.Fatalf("welcome %v", w)
	}
}

func TestGatewayRefusesBadHellos(t *testing.T) {
	e := newGatewayEnv(t, envOptions{deps: cluster.GatewayDeps{HelloTimeout: 300 * time.Millisecond}})
	hello := func(f func(h *agentv1.Hello)) *agentv1.ConnectRequest {
		h := goodHello()
		f(h)
		return &agentv1.ConnectRequest{Msg: &agentv1.ConnectRequest_Hello{Hello: h}}
	}
	cases := []struct {
		name  string
		first *agentv1.ConnectRequest // nil: hang up without sending
		want  connect.Code
	}{
		{"protocol version 2", hello(func(h *agentv1.Hello) { h.ProtocolVersion = 2 }), connect.CodeFailedPrecondition},
		{"protocol version 0", hello(func(h *agentv1.Hello) { h.ProtocolVersion = 0 }), connect.CodeFailedPrecondition},
		{"capacity 0", hello(func(h *agentv1.Hello) { h.Capacity = 0 }), connect.CodeInvalidArgument},
		{"capacity 1001", hello(func(h *agentv1.Hello) { h.Capacity = 1001 }), connect.CodeInvalidArgument},
		{"bad label", hello(func(h *agentv1.Hello) { h.Labels = map[string]string{"-x": "y"} }), connect.CodeInvalidArgument},
		{"bad label value", hello(func(h *agentv1.Hello) { h.Labels = map[string]string{"x": "a b"} }), connect.CodeInvalidArgument},
		{"unknown runner", hello(func(h *agentv1.Hello) { h.RunnerKind = "docker" }), connect.CodeInvalidArgument},
		{"no runner", hello(func(h *agentv1.Hello) { h.RunnerKind = "" }), connect.CodeInvalidArgument},
		{"heartbeat first", &agentv1.ConnectRequest{Msg: &agentv1.ConnectRequest_Heartbeat{Heartbeat: &agentv1.Heartbeat{}}}, connect.CodeInvalidArgument},
		{"empty message first", &agentv1.ConnectRequest{}, connect.CodeInvalidArgument},
		{"hang up first", nil, connect.CodeInvalidArgument},
	}
	for _, c := range cases {
		a := e.open(t, e.cred)
		if c.first != nil {
			a.send(c.first)
		} else {
			_ = a.s.CloseRequest()
		}
		if code := a.ended(); code != c.want {
			t.Fatalf("%s: code %v (%v), want %v", c.name, code, a.err, c.want)
		}
		t.Logf("%s: %v", c.name, a.err)
	}
	// Silence instead of Hello.
	a := e.open(t, e.cred)
	if code := a.ended(); code != connect.CodeDeadlineExceeded {
		t.Fatalf("no Hello: %v", a.err)
	}
	// A second Hello later.
	a = e.connect(t, e.cred, goodHello())
	a.welcome()
	a.send(&agentv1.ConnectRequest{Msg: &agentv1.ConnectRequest_Hello{Hello: goodHello()}})
	if code := a.ended(); code != connect.CodeInvalidArgument {
		t.Fatalf("second Hello: %v", a.err)
	}
	if len(e.gw.Connected()) != 0 {
		t.Fatal("a refused stream is registered")
	}
}

func TestGatewayWelcomeReconcileClaim(t *testing.T) {
	for _, proto := range []string{"connect", "grpc"} {
		t.Run(proto, func(t *testing.T) {
			e := newGatewayEnv(t, envOptions{deps: cluster.GatewayDeps{MaxStreamAge: time.Hour}})
			jobA, jobB, jobC := uuid.NewString(), uuid.NewString(), uuid.NewString()
			e.jobs.locked(func() {
				e.jobs.resend = []jobs.Run{{JobID: uuid.MustParse(jobA)}}
				e.jobs.cancel = []jobs.Cancel{{JobID: jobB, Reason: "cancelled"}}
				e.jobs.toClaim[e.agent.ID] = []jobs.Run{{JobID: uuid.MustParse(jobC), Name: "build"}}
			})
			var opts []connect.ClientOption
			if proto == "grpc" {
				opts = append(opts, connect.WithGRPC())
			}
			a := e.open(t, e.cred, opts...)
			a.send(&agentv1.ConnectRequest{Msg: &agentv1.ConnectRequest_Hello{Hello: goodHello(jobA, jobB)}})

			w := a.welcome()
			if w.GetAgentId() != e.agent.ID.String() || w.GetHeartbeatInterval().AsDuration() != time.Minute {
				t.Fatalf("welcome %v", w)
			}
			if age := w.GetMaxStreamAge().AsDuration(); age < 48*time.Minute || age > 72*time.Minute {
				t.Fatalf("max stream age %s: want an hour ± 20%%", age)
			}
			if m := a.next(false); m.GetRunJob().GetJobId() != jobA {
				t.Fatalf("got %v, want the resent RunJob", m)
			}
			if m := a.next(false); m.GetCancelJob().GetJobId() != jobB {
				t.Fatalf("got %v, want CancelJob", m)
			}
			if m := a.next(false); m.GetRunJob().GetJobId() != jobC || m.GetRunJob().GetName() != "build" {
				t.Fatalf("got %v, want the claimed RunJob", m)
			}
			e.jobs.locked(func() {
				if len(e.jobs.reconciled) != 1 || !slices.Equal(e.jobs.reconciled[0], []string{jobA, jobB}) {
					t.Fatalf("reconciled %v", e.jobs.reconciled)
				}
				got := e.jobs.claims[0]
				// The Hello adds arch but cannot override the cluster's
				// region (an agent must not take another placement's jobs).
				if got.ID != e.agent.ID || got.ClusterID != e.cluster.ID || got.Capacity != 2 || got.RunnerKind != "process" ||
					len(got.Labels) != 2 || got.Labels["region"] != "eu-west-1" || got.Labels["arch"] != "amd64" {
					t.Fatalf("claimed as %+v: want the cluster's labels plus the Hello's other keys", got)
				}
				// What the agent runs takes capacity in the claim.
				if !slices.Equal(got.Running, []string{jobA, jobB}) {
					t.Fatalf("claimed with running %v, want the Hello's", got.Running)
				}
			})
			agents, err := e.f.svc.ListAgents(t.Context(), e.cluster.ID)
			if err != nil || agents[0].LastSeenAt == nil {
				t.Fatalf("last seen not recorded: %+v %v", agents, err)
			}
			if !slices.Equal(e.gw.Connected(), []uuid.UUID{e.agent.ID}) {
				t.Fatalf("connected %v", e.gw.Connected())
			}
			// The agent hangs up: the stream ends OK and is forgotten.
			_ = a.s.CloseRequest()
			if code := a.ended(); code != 0 {
				t.Fatalf("hang up: %v", a.err)
			}
			eventually(t, "the stream to be forgotten", func() bool { return len(e.gw.Connected()) == 0 })
			if e.gw.Cancel(e.agent.ID, uuid.New(), "x", 0) {
				t.Fatal("Cancel on an ended stream")
			}
		})
	}
}

func TestGatewayStatusesAndLogs(t *testing.T) {
	e := newGatewayEnv(t, envOptions{})
	job, foreign, broken := uuid.NewString(), uuid.NewString(), uuid.NewString()
	e.jobs.locked(func() { e.jobs.foreign[foreign] = true; e.jobs.broken[broken] = true })
	a := e.connect(t, e.cred, goodHello())
	a.welcome()
	eventually(t, "the first claim", func() bool { return e.jobs.claimCount(e.agent.ID) == 1 })

	a.status(job, agentv1.JobState_JOB_STATE_RUNNING)
	if ack := a.next(false).GetJobStatusAck(); ack.GetJobId() != job || ack.GetState() != agentv1.JobState_JOB_STATE_RUNNING {
		t.Fatalf("ack %v", ack)
	}
	// Logs: stored end acknowledged; a duplicate and a gap change nothing.
	for _, c := range []struct {
		offset uint64
		data   string
		want   uint64
	}{{0, "hello ", 6}, {0, "hello ", 6}, {3, "lo world", 11}, {100, "gap", 11}, {11, "!", 12}} {
		a.chunk(job, 1, c.offset, c.data)
		if ack := a.next(false).GetLogAck(); ack.GetJobId() != job || ack.GetStep() != 1 || ack.GetOffset() != c.want {
			t.Fatalf("chunk at %d: ack %v, want offset %d", c.offset, ack, c.want)
		}
	}
	// A storage failure is not acknowledged (the agent resends later); the
	// stream goes on.
	a.status(broken, agentv1.JobState_JOB_STATE_RUNNING)
	a.chunk(broken, 0, 0, "x")
	a.status(job, agentv1.JobState_JOB_STATE_SUCCESS)
	if ack := a.next(false).GetJobStatusAck(); ack.GetJobId() != job || ack.GetState() != agentv1.JobState_JOB_STATE_SUCCESS {
		t.Fatalf("got %v, want only the ack of the stored final status", ack)
	}
	// A final status frees a slot: Claim again.
	eventually(t, "a claim after the final status", func() bool { return e.jobs.claimCount(e.agent.ID) == 2 })

	// Not the agent's job: acknowledged and cancelled, once per job for logs.
	a.status(foreign, agentv1.JobState_JOB_STATE_RUNNING)
	if ack := a.next(false).GetJobStatusAck(); ack.GetJobId() != foreign {
		t.Fatalf("foreign status: %v", ack)
	}
	if c := a.next(false).GetCancelJob(); c.GetJobId() != foreign || c.GetReason() == "" {
		t.Fatalf("foreign status: %v, want CancelJob", c)
	}
	a.chunk(foreign, 2, 5, "abc")
	if ack := a.next(false).GetLogAck(); ack.GetJobId() != foreign || ack.GetStep() != 2 || ack.GetOffset() != 8 {
		t.Fatalf("foreign chunk: %v", ack)
	}
	if c := a.next(false).GetCancelJob(); c.GetJobId() != foreign {
		t.Fatalf("foreign chunk: %v, want CancelJob", c)
	}
	a.chunk(foreign, 2, 8, "def")
	a.status(job, agentv1.JobState_JOB_STATE_SUCCESS) // a marker
	if ack := a.next(false).GetLogAck(); ack.GetOffset() != 11 {
		t.Fatalf("second foreign chunk: %v", ack)
	}
	if m := a.next(false); m.GetJobStatusAck().GetJobId() != job {
		t.Fatalf("got %v: one CancelJob per foreign job", m)
	}
	e.jobs.locked(func() {
		if len(e.jobs.statuses) != 3 || e.jobs.chunks != 5 {
			t.Fatalf("%d statuses, %d chunks stored", len(e.jobs.statuses), e.jobs.chunks)
		}
	})
	// An oversized chunk breaks the protocol.
	a.chunk(job, 1, 12, strings.Repeat("x", 1<<20+1))
	if code := a.ended(); code != connect.CodeInvalidArgument {
		t.Fatalf("oversized chunk: %v", a.err)
	}
}

// The gateway sends the CancelJobs Jobs.Heartbeat returns: a
// cancellation's first CancelJob may have reached no stream of the agent.
func TestGatewayHeartbeatSendsRequestedCancels(t *testing.T) {
	e := newGatewayEnv(t, envOptions{})
	job, marker := uuid.NewString(), uuid.NewString()
	a := e.connect(t, e.cred, goodHello(job))
	a.welcome()
	// No cancellation requested: a heartbeat is answered with nothing.
	a.heartbeat(job)
	a.status(marker, agentv1.JobState_JOB_STATE_RUNNING)
	if m := a.next(false); m.GetJobStatusAck().GetJobId() != marker {
		t.Fatalf("got %v, want only the marker's ack", m)
	}
	e.jobs.locked(func() { e.jobs.hbCancel = []jobs.Cancel{{JobID: job, Reason: "cancelled by a user"}} })
	for range 2 { // again at every heartbeat until the job ends
		a.heartbeat(job)
		if c := a.next(false).GetCancelJob(); c.GetJobId() != job || c.GetReason() != "cancelled by a user" {
			t.Fatalf("got %v, want CancelJob", c)
		}
	}
	e.jobs.locked(func() {
		if len(e.jobs.heartbeats) != 3 || !slices.Equal(e.jobs.heartbeats[2], []string{job}) {
			t.Fatalf("heartbeats %v", e.jobs.heartbeats)
		}
	})
	// A job the agent never confirmed is sent again with the heartbeat's
	// answer.
	lost := uuid.NewString()
	e.jobs.locked(func() {
		e.jobs.hbCancel = nil
		e.jobs.hbResend = []jobs.Run{{JobID: uuid.MustParse(lost), Name: "build"}}
	})
	a.heartbeat(job)
	if r := a.next(false).GetRunJob(); r.GetJobId() != lost {
		t.Fatalf("got %v, want the RunJob sent again", r)
	}
}

func TestGatewayHeartbeatsAndSilence(t *testing.T) {
	const interval = 100 * time.Millisecond
	e := newGatewayEnv(t, envOptions{deps: cluster.GatewayDeps{HeartbeatInterval: interval}})
	a := e.connect(t, e.cred, goodHello())
	a.welcome()
	// The connection's last-seen time is recorded beside the stream, not
	// before Welcome: wait for it.
	var first []cluster.Agent
	deadline := time.Now().Add(5 * time.Second)
	for {
		var err error
		first, err = e.f.svc.ListAgents(t.Context(), e.cluster.ID)
		if err == nil && len(first) == 1 && first[0].LastSeenAt != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(first, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.f.clock.Advance(time.Minute)
	// The agent heartbeats for ten intervals: the stream stays, the
	// gateway heartbeats too and records the agent's.
	gatewayBeats := 0
	for range 20 {
		a.heartbeat("job-1")
		time.Sleep(interval / 2) // the agent's pace, not synchronisation
		for drained := false; !drained; {
			select {
			case m := <-a.msgs:
				if m.GetHeartbeat() == nil || m.GetHeartbeat().GetSentAt() == nil {
					t.Fatalf("got %v, want only heartbeats", m)
				}
				gatewayBeats++
			default:
				drained = true
			}
		}
	}
	select {
	case <-a.done:
		t.Fatalf("a heartbeating agent's stream ended: %v", a.err)
	default:
	}
	if gatewayBeats < 5 {
		t.Fatalf("%d heartbeats from the gateway in ten intervals", gatewayBeats)
	}
	e.jobs.locked(func() {
		if len(e.jobs.heartbeats) != 20 || !slices.Equal(e.jobs.heartbeats[19], []string{"job-1"}) {
			t.Fatalf("heartbeats recorded: %v", e.jobs.heartbeats)
		}
	})
	later, err := e.f.svc.ListAgents(t.Context(), e.cluster.ID)
	if err != nil || !later[0].LastSeenAt.After(*first[0].LastSeenAt) {
		t.Fatalf("last seen not refreshed by heartbeats: %v %v", later[0].LastSeenAt, err)
	}
	// Silence: the gateway ends the stream after three intervals.
	start := time.Now()
	if code := a.ended(); code != connect.CodeDeadlineExceeded {
		t.Fatalf("silent agent: %v", a.err)
	}
	if d := time.Since(start); d < 2*interval {
		t.Fatalf("ended %s after the last heartbeat", d)
	}
	eventually(t, "the stream to be forgotten", func() bool { return len(e.gw.Connected()) == 0 })
}

func TestGatewayDrainsAtMaxStreamAge(t *testing.T) {
	const maxAge, grace = 400 * time.Millisecond, 300 * time.Millisecond
	e := newGatewayEnv(t, envOptions{deps: cluster.GatewayDeps{MaxStreamAge: maxAge, DrainGrace: grace}})
	start := time.Now()
	a := e.connect(t, e.cred, goodHello())
	w := a.welcome()
	if age := w.GetMaxStreamAge().AsDuration(); age < maxAge*8/10 || age > maxAge*12/10 {
		t.Fatalf("max stream age %s", age)
	}
	d := a.next(false).GetDrain()
	if d == nil || !strings.Contains(d.GetReason(), "maximum age") {
		t.Fatalf("got %v, want Drain", d)
	}
	drainedAt := time.Since(start)
	// The agent does not hang up: the gateway ends the stream after the grace.
	if code := a.ended(); code != 0 {
		t.Fatalf("drained stream: %v", a.err)
	}
	if took := time.Since(start); drainedAt < maxAge*8/10 || took < drainedAt+grace/2 {
		t.Fatalf("Drain after %s, end after %s", drainedAt, took)
	}
	// After Drain no more claims are made.
	if n := e.jobs.claimCount(e.agent.ID); n != 1 {
		t.Fatalf("%d claims", n)
	}
}

func TestGatewayNewerStreamReplacesOlder(t *testing.T) {
	e := newGatewayEnv(t, envOptions{})
	old := e.connect(t, e.cred, goodHello())
	old.welcome()
	newer := e.connect(t, e.cred, goodHello())
	newer.welcome()
	if code := old.ended(); code != connect.CodeAborted {
		t.Fatalf("replaced stream: %v", old.err)
	}
	job := uuid.New()
	if !e.gw.Cancel(e.agent.ID, job, "stop it", 0) {
		t.Fatal("Cancel found no stream")
	}
	if c := newer.next(false).GetCancelJob(); c.GetJobId() != job.String() || c.GetReason() != "stop it" {
		t.Fatalf("cancel %v", c)
	}
	if !slices.Equal(e.gw.Connected(), []uuid.UUID{e.agent.ID}) {
		t.Fatalf("connected %v", e.gw.Connected())
	}
}

func TestGatewayWakeAllAndCancel(t *testing.T) {
	e := newGatewayEnv(t, envOptions{})
	second, cred2 := e.register(t, "node-2")
	a1 := e.connect(t, e.cred, goodHello())
	a1.welcome()
	a2 := e.connect(t, cred2, goodHello())
	a2.welcome()
	eventually(t, "the first claims", func() bool {
		return e.jobs.claimCount(e.agent.ID) == 1 && e.jobs.claimCount(second.ID) == 1
	})

	j1, j2 := uuid.NewString(), uuid.NewString()
	e.jobs.locked(func() {
		e.jobs.toClaim[e.agent.ID] = []jobs.Run{{JobID: uuid.MustParse(j1)}}
		e.jobs.toClaim[second.ID] = []jobs.Run{{JobID: uuid.MustParse(j2)}}
	})
	e.gw.WakeAll()
	if m := a1.next(false); m.GetRunJob().GetJobId() != j1 {
		t.Fatalf("agent 1 got %v", m)
	}
	if m := a2.next(false); m.GetRunJob().GetJobId() != j2 {
		t.Fatalf("agent 2 got %v", m)
	}
	// Wakes while a claim is pending coalesce: never more claims than wakes.
	for range 50 {
		e.gw.WakeAll()
	}
	eventually(t, "claims after the wakes", func() bool { return e.jobs.claimCount(e.agent.ID) >= 3 })
	if n := e.jobs.claimCount(e.agent.ID); n > 52 {
		t.Fatalf("%d claims for 51 wakes", n)
	}

	cancelled := uuid.New()
	if !e.gw.Cancel(second.ID, cancelled, "pipeline cancelled", 7) {
		t.Fatal("Cancel found no stream")
	}
	if c := a2.next(false).GetCancelJob(); c.GetJobId() != cancelled.String() || c.GetEpoch() != 7 {
		t.Fatalf("agent 2 got %v", c)
	}
	if e.gw.Cancel(uuid.New(), cancelled, "x", 0) {
		t.Fatal("Cancel for an unknown agent")
	}
	// Agent 1 got nothing but what it claimed.
	a1.status(j1, agentv1.JobState_JOB_STATE_RUNNING)
	for {
		m := a1.next(false)
		if m.GetCancelJob() != nil {
			t.Fatalf("agent 1 got %v", m)
		}
		if m.GetJobStatusAck() != nil {
			break
		}
	}
}

func TestGatewayRetriesFailedClaimAtHeartbeat(t *testing.T) {
	e := newGatewayEnv(t, envOptions{deps: cluster.GatewayDeps{HeartbeatInterval: 100 * time.Millisecond}})
	job := uuid.NewString()
	e.jobs.locked(func() { e.jobs.failClaim = true; e.jobs.toClaim[e.agent.ID] = []jobs.Run{{JobID: uuid.MustParse(job)}} })
	a := e.connect(t, e.cred, goodHello())
	a.welcome()
	eventually(t, "a failed claim", func() bool { return e.jobs.claimCount(e.agent.ID) >= 1 })
	e.jobs.locked(func() { e.jobs.failClaim = false })
	a.heartbeat()
	if m := a.next(false); m.GetRunJob().GetJobId() != job {
		t.Fatalf("got %v, want the job claimed on retry", m)
	}
}

func TestGatewayDrainAll(t *testing.T) {
	e := newGatewayEnv(t, envOptions{deps: cluster.GatewayDeps{DrainGrace: 200 * time.Millisecond}})
	_, cred2 := e.register(t, "node-2")
	a1 := e.connect(t, e.cred, goodHello())
	a1.welcome()
	a2 := e.connect(t, cred2, goodHello())
	a2.welcome()
	e.gw.DrainAll()
	for _, a := range []*agentStream{a1, a2} {
		if d := a.next(false).GetDrain(); d == nil || !strings.Contains(d.GetReason(), "stopping") {
			t.Fatalf("got %v, want Drain", d)
		}
	}
	_ = a1.s.CloseRequest() // agent 1 hangs up at once, agent 2 waits for the end
	for _, a := range []*agentStream{a1, a2} {
		if code := a.ended(); code != 0 {
			t.Fatalf("drained: %v", a.err)
		}
	}
	a := e.connect(t, e.cred, goodHello())
	if code := a.ended(); code != connect.CodeUnavailable {
		t.Fatalf("connect while draining: %v", a.err)
	}
}

func TestGatewayEndsWithTheServerContext(t *testing.T) {
	base, stop := context.WithCancel(context.Background())
	defer stop()
	e := newGatewayEnv(t, envOptions{base: base})
	a := e.connect(t, e.cred, goodHello())
	a.welcome()
	pending := e.open(t, e.cred) // waiting for its Hello
	stop()
	for _, s := range []*agentStream{a, pending} {
		if code := s.ended(); code == 0 {
			t.Fatal("a stream outlived the server's context")
		}
	}
	eventually(t, "the stream to be forgotten", func() bool { return len(e.gw.Connected()) == 0 })
}

func TestGatewayUploadArtifact(t *testing.T) {
	e := newGatewayEnv(t, envOptions{})
	ctx := t.Context()
	client := agentv1connect.NewAgentServiceClient(e.client, e.url)
	open := func() *connect.ClientStreamForClientSimple[agentv1.UploadArtifactRequest, agentv1.UploadArtifactResponse] {
		up, err := client.UploadArtifact(withCredential(ctx, e.cred))
		if err != nil {
			t.Fatal(err)
		}
		return up
	}
	header := func(job, name string) *agentv1.UploadArtifactRequest {
		return &agentv1.UploadArtifactRequest{Msg: &agentv1.UploadArtifactRequest_Header{Header: &agentv1.ArtifactHeader{JobId: job, Name: name}}}
	}
	data := func(b []byte) *agentv1.UploadArtifactRequest {
		return &agentv1.UploadArtifactRequest{Msg: &agentv1.UploadArtifactRequest_Data{Data: b}}
	}

	// Streamed: Jobs reads the first part before the second is sent.
	job := uuid.New()
	part1, part2 := bytes.Repeat([]byte("a"), 100_000), bytes.Repeat([]byte("b"), 50_000)
	up := open()
	if err := up.Send(header(job.String(), "")); err != nil {
		t.Fatal(err)
	}
	if err := up.Send(data(part1)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "Jobs to read the first part", func() bool { return e.jobs.uploadRead.Load() == int64(len(part1)) })
	if err := up.Send(data(part2)); err != nil {
		t.Fatal(err)
	}
	res, err := up.CloseAndReceive()
	if err != nil || res.GetSizeBytes() != uint64(len(part1)+len(part2)) {
		t.Fatalf("upload: %v %v", res, err)
	}
	e.jobs.locked(func() {
		u := e.jobs.uploads[0]
		if u.agentID != e.agent.ID || u.jobID != job || u.name != cluster.DefaultArtifactName || !bytes.Equal(u.data, append(part1, part2...)) {
			t.Fatalf("uploaded %v %v %s %d bytes", u.agentID, u.jobID, u.name, len(u.data))
		}
	})
	// A named, empty artifact.
	up = open()
	_ = up.Send(header(job.String(), "coverage.out"))
	if res, err := up.CloseAndReceive(); err != nil || res.GetSizeBytes() != 0 {
		t.Fatalf("empty upload: %v %v", res, err)
	}

	bad := []struct {
		name string
		msgs []*agentv1.UploadArtifactRequest
		want connect.Code
	}{
		{"nothing", nil, connect.CodeInvalidArgument},
		{"data first", []*agentv1.UploadArtifactRequest{data([]byte("x"))}, connect.CodeInvalidArgument},
		{"bad job id", []*agentv1.UploadArtifactRequest{header("nope", "")}, connect.CodeInvalidArgument},
		{"bad name", []*agentv1.UploadArtifactRequest{header(job.String(), "../x")}, connect.CodeInvalidArgument},
		{"dots", []*agentv1.UploadArtifactRequest{header(job.String(), "..")}, connect.CodeInvalidArgument},
		{"second header", []*agentv1.UploadArtifactRequest{header(job.String(), ""), data([]byte("x")), header(job.String(), "")}, connect.CodeInvalidArgument},
	}
	for _, b := range bad {
		up := open()
		for _, m := range b.msgs {
			_ = up.Send(m)
		}
		if _, err := up.CloseAndReceive(); connect.CodeOf(err) != b.want {
			t.Fatalf("%s: %v", b.name, err)
		}
	}
	// Jobs' own errors come back (the server's interceptor maps them).
	foreign := uuid.New()
	e.jobs.locked(func() { e.jobs.foreign[foreign.String()] = true })
	up = open()
	_ = up.Send(header(foreign.String(), ""))
	_ = up.Send(data([]byte("x")))
	if _, err := up.CloseAndReceive(); err == nil || !strings.Contains(err.Error(), "job not found") {
		t.Fatalf("foreign job: %v", err)
	}
	e.jobs.locked(func() {
		if len(e.jobs.uploads) != 2 {
			t.Fatalf("%d uploads stored", len(e.jobs.uploads))
		}
	})
}

func TestGatewayRequiresItsHandler(t *testing.T) {
	f := newFixture(t)
	gw, err := cluster.NewGateway(cluster.GatewayDeps{Service: f.svc, Jobs: newFakeJobs()})
	if err != nil {
		t.Fatal(err)
	}
	// Mounted without Gateway.Handler: refused, not served half-working.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, h := agentv1connect.NewAgentServiceHandler(gw)
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	up, err := agentv1connect.NewAgentServiceClient(srv.Client(), srv.URL).UploadArtifact(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := up.CloseAndReceive(); err == nil {
		t.Fatal("served without its handler")
	}
}

func TestGatewayResetsAStreamThatStopsReading(t *testing.T) {
	e := newGatewayEnv(t, envOptions{deps: cluster.GatewayDeps{HeartbeatInterval: 300 * time.Millisecond, DrainGrace: 200 * time.Millisecond}})
	ctx, cancel := context.WithCancel(withCredential(context.Background(), e.cred))
	defer cancel()
	// Uncompressed, so the gateway's sends are quick and fill the windows.
	noGzip := connect.WithAcceptCompression("gzip", nil, nil)
	s, err := agentv1connect.NewAgentServiceClient(e.client, e.url, noGzip).Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.CloseRequest(); _ = s.CloseResponse() }()
	if err := s.Send(&agentv1.ConnectRequest{Msg: &agentv1.ConnectRequest_Hello{Hello: goodHello()}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the stream to be held", func() bool { return len(e.gw.Connected()) == 1 })
	// The agent neither reads nor speaks: far more than HTTP/2 flow control
	// and socket buffers take is queued, so a Send blocks; silence then
	// ends the stream and the blocked Send is reset.
	reason := strings.Repeat("r", 64<<10)
	for range 400 {
		if !e.gw.Cancel(e.agent.ID, uuid.New(), reason, 0) {
			t.Fatal("the stream ended too early")
		}
	}
	eventually(t, "the stream to end", func() bool { return len(e.gw.Connected()) == 0 })
}

// TestGatewayEndsTheStreamOfARevokedAgent: revoking an agent ends its open
// stream at the next heartbeat, with UNAUTHENTICATED.
func TestGatewayEndsTheStreamOfARevokedAgent(t *testing.T) {
	const interval = 100 * time.Millisecond
	e := newGatewayEnv(t, envOptions{deps: cluster.GatewayDeps{HeartbeatInterval: interval}})
	agents, err := e.f.svc.ListAgents(t.Context(), e.cluster.ID)
	if err != nil || len(agents) != 1 {
		t.Fatal(agents, err)
	}
	a := e.connect(t, e.cred, goodHello())
	a.welcome()
	if _, err := e.f.svc.RevokeAgent(t.Context(), e.cluster.ID, agents[0].ID); err != nil {
		t.Fatal(err)
	}
	e.f.clock.Advance(time.Minute)
	stop := make(chan struct{})
	defer close(stop)
	go func() { // the agent keeps heartbeating: only the revocation may end it
		for {
			select {
			case <-stop:
				return
			case <-a.done:
				return
			case <-time.After(interval / 2):
				a.heartbeat()
			}
		}
	}()
	if code := a.ended(); code != connect.CodeUnauthenticated {
		t.Fatalf("revoked agent's stream: %v", a.err)
	}
}
