package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"connectrpc.com/connect"
	"github.com/rs/zerolog"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// knownRunners are the runner kinds a Hello may name.
var knownRunners = map[string]bool{"process": true, "kubernetes": true, "fake": true}

// Why a stream ends. errClean ends it with OK.
var (
	errClean    = errors.New("stream ended")
	errReplaced = connect.NewError(connect.CodeAborted, errors.New("replaced by a newer stream of this agent"))
	errSendFail = connect.NewError(connect.CodeUnavailable, errors.New("sending to the agent failed"))
)

// Connect is an agent's session; see agent.proto. The handler goroutine
// receives and handles what the agent sends; one goroutine sends (every
// message goes through the stream's queue) and one keeps time (heartbeats,
// silence, maximum age) and claims jobs.
func (g *Gateway) Connect(ctx context.Context, conn *connect.BidiStream[agentv1.ConnectRequest, agentv1.ConnectResponse]) error {
	hooks, err := hooksFrom(ctx)
	if err != nil {
		return err
	}
	agent, err := g.authenticate(ctx, conn.RequestHeader())
	if err != nil {
		return err
	}
	hello, err := g.receiveHello(ctx, conn, hooks)
	if err != nil {
		return err
	}
	info, err := g.agentInfo(ctx, agent, hello)
	if err != nil {
		return err
	}
	maxAge := g.jitteredAge()
	s := newStream(ctx, g, conn, hooks, info)
	announced := hello.GetRunningJobIds()
	s.reported.Store(&announced)
	if err := g.register(s); err != nil {
		return err
	}
	defer g.deregister(s)
	// The call's context ends when the agent goes away or the server stops.
	unwatch := context.AfterFunc(ctx, func() {
		s.stop(connect.NewError(connect.CodeCanceled, errors.New("the call ended")))
	})
	defer unwatch()
	s.log.Info().Str(logfield.Runner, info.RunnerKind).Int(logfield.Capacity, info.Capacity).
		Int(logfield.Running, len(hello.GetRunningJobIds())).Str(logfield.AgentVersion, truncate(hello.GetAgentVersion())).
		Msg("agent connected")

	var wg sync.WaitGroup
	senderDone := make(chan struct{})
	go func() { defer close(senderDone); s.sendLoop() }()
	s.enqueue(&agentv1.ConnectResponse{Msg: &agentv1.ConnectResponse_Welcome{Welcome: &agentv1.Welcome{
		AgentId: info.ID.String(), HeartbeatInterval: durationpb.New(g.interval), MaxStreamAge: durationpb.New(maxAge),
		Epoch: g.newestEpoch(ctx, s),
	}}})
	s.touch()
	if s.reconcile(hello.GetRunningJobIds()) {
		s.wake()
		wg.Go(func() { s.controlLoop(maxAge) })
		s.receiveLoop()
	}

	s.stop(errClean) // no-op when something else ended it first
	select {
	case <-senderDone:
	case <-time.After(g.drainGrace):
		// The agent stopped reading and a Send waits for flow control.
		s.log.Warn().Msg("agent stopped reading; resetting its stream")
		hooks.abort()
		<-senderDone
	}
	wg.Wait()
	end := s.ended()
	s.log.Info().Str(logfield.Reason, end.Error()).Msg("agent disconnected")
	if errors.Is(end, errClean) {
		return nil
	}
	return end
}

// receiveHello reads the first message, which must be a Hello.
func (g *Gateway) receiveHello(ctx context.Context, conn *connect.BidiStream[agentv1.ConnectRequest, agentv1.ConnectResponse], hooks *callHooks) (*agentv1.Hello, error) {
	timer := time.AfterFunc(g.helloTimeout, hooks.closeBody)
	unwatch := context.AfterFunc(ctx, hooks.closeBody) // the agent left or the server is stopping
	msg, err := conn.Receive()
	unwatch()
	if ctx.Err() != nil {
		timer.Stop()
		return nil, connect.NewError(connect.CodeUnavailable, errors.New("the call ended before Hello"))
	}
	if !timer.Stop() {
		return nil, connect.NewError(connect.CodeDeadlineExceeded, fmt.Errorf("no Hello within %s", g.helloTimeout))
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, connect.NewError(connect.CodeInvalidArgument, errors.New("the stream ended before Hello"))
		}
		return nil, err
	}
	hello := msg.GetHello()
	if hello == nil {
		return nil, connect.NewError(connect.CodeInvalidArgument, errors.New("the first message must be Hello"))
	}
	if hello.GetProtocolVersion() != ProtocolVersion {
		return nil, connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf(
			"agent protocol version %d is not supported: this control plane speaks version %d", hello.GetProtocolVersion(), ProtocolVersion))
	}
	if c := hello.GetCapacity(); c < 1 || c > maxCapacity {
		return nil, connect.NewError(connect.CodeInvalidArgument, fmt.Errorf("the Hello's capacity %d: use 1-%d", c, maxCapacity))
	}
	if !knownRunners[hello.GetRunnerKind()] {
		return nil, connect.NewError(connect.CodeInvalidArgument, fmt.Errorf("the Hello's runner kind %q is unknown: use process, kubernetes or fake", truncate(hello.GetRunnerKind())))
	}
	if err := ValidateLabels(hello.GetLabels()); err != nil {
		return nil, connect.NewError(connect.CodeInvalidArgument, fmt.Errorf("the Hello's labels: %s", err.Error()))
	}
	if n := len(hello.GetRunningJobIds()); n > maxRunningIDs {
		return nil, connect.NewError(connect.CodeInvalidArgument, fmt.Errorf("the Hello lists %d running jobs: at most %d", n, maxRunningIDs))
	}
	return hello, nil
}

// agentInfo merges the cluster's labels with the Hello's. The cluster's
// win: they are set by an admin, the Hello's by whoever holds the agent's
// credential, who must not be able to take another placement's jobs (say
// env=prod) by claiming its labels.
func (g *Gateway) agentInfo(ctx context.Context, a Agent, hello *agentv1.Hello) (AgentInfo, error) {
	c, err := g.dir.GetCluster(ctx, a.ClusterID)
	if err != nil {
		return AgentInfo{}, err
	}
	labels := maps.Clone(hello.GetLabels())
	if labels == nil {
		labels = map[string]string{}
	}
	var overridden []string
	for k, v := range c.Labels {
		if hv, ok := labels[k]; ok && hv != v {
			overridden = append(overridden, k)
		}
		labels[k] = v
	}
	if len(overridden) > 0 {
		slices.Sort(overridden)
		g.log.Warn().Str(logfield.AgentID, a.ID.String()).Str(logfield.ClusterID, a.ClusterID.String()).Strs(logfield.Labels, overridden).
			Msg("the agent's Hello sets labels its cluster sets; the cluster's values apply")
	}
	return AgentInfo{
		ID: a.ID, ClusterID: a.ClusterID, Labels: labels,
		Capacity: int(hello.GetCapacity()), RunnerKind: hello.GetRunnerKind(),
	}, nil
}

// jitteredAge is MaxStreamAge ± jitter.
func (g *Gateway) jitteredAge() time.Duration {
	f := 1 + g.jitter*(2*rand.Float64()-1) //nolint:gosec // G404: jitter needs no cryptographic randomness.
	return time.Duration(float64(g.maxAge) * f)
}

// stream is one agent's Connect call.
type stream struct {
	g     *Gateway
	info  AgentInfo
	log   zerolog.Logger
	conn  *connect.BidiStream[agentv1.ConnectRequest, agentv1.ConnectResponse]
	hooks *callHooks
	// ctx ends when the stream does; Jobs calls run under it.
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	queue    []*agentv1.ConnectResponse
	hbQueued bool // a Heartbeat waits in queue: the next one is skipped
	end      error

	pending   chan struct{} // the queue is not empty
	claim     chan struct{} // a Claim is pending
	drain     chan string   // Drain was requested, with this reason
	lastHeard atomic.Int64  // unix nanoseconds

	// reported: the job ids the agent last said it runs (Hello, heartbeats).
	reported atomic.Pointer[[]string]

	// Owned by the handler goroutine.
	lastTouch time.Time
	cancelled map[string]bool // CancelJob sent for a foreign job's log chunk
}

func newStream(ctx context.Context, g *Gateway, conn *connect.BidiStream[agentv1.ConnectRequest, agentv1.ConnectResponse], hooks *callHooks, info AgentInfo) *stream {
	s := &stream{
		g: g, info: info, conn: conn, hooks: hooks,
		log:     g.log.With().Str(logfield.AgentID, info.ID.String()).Str(logfield.ClusterID, info.ClusterID.String()).Logger(),
		pending: make(chan struct{}, 1), claim: make(chan struct{}, 1), drain: make(chan string, 1),
		cancelled: map[string]bool{},
	}
	s.ctx, s.cancel = context.WithCancel(ctx)
	s.lastHeard.Store(time.Now().UnixNano())
	return s
}

// stop ends the stream for why; the first reason wins. It unblocks the
// handler's Receive and tells the other goroutines to finish.
func (s *stream) stop(why error) {
	s.mu.Lock()
	first := s.end == nil
	if first {
		s.end = why
		s.queue = nil
	}
	s.mu.Unlock()
	if first {
		s.cancel()
		s.hooks.closeBody()
	}
}

func (s *stream) ended() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.end
}

// enqueue hands msg to the sender; false when the stream has ended.
func (s *stream) enqueue(msgs ...*agentv1.ConnectResponse) bool {
	s.mu.Lock()
	if s.end != nil {
		s.mu.Unlock()
		return false
	}
	s.queue = append(s.queue, msgs...)
	s.mu.Unlock()
	select {
	case s.pending <- struct{}{}:
	default:
	}
	return true
}

// enqueueHeartbeat queues a Heartbeat unless one still waits.
func (s *stream) enqueueHeartbeat() {
	s.mu.Lock()
	if s.hbQueued {
		s.mu.Unlock()
		return
	}
	s.hbQueued = true
	s.mu.Unlock()
	s.enqueue(&agentv1.ConnectResponse{Msg: &agentv1.ConnectResponse_Heartbeat{Heartbeat: &agentv1.Heartbeat{SentAt: timestamppb.Now()}}})
}

func (s *stream) take() []*agentv1.ConnectResponse {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queue
	s.queue = nil
	for _, m := range q {
		if m.GetHeartbeat() != nil {
			s.hbQueued = false
		}
	}
	return q
}

// wake asks for a Claim; one pending Claim covers any number of wakes.
func (s *stream) wake() {
	select {
	case s.claim <- struct{}{}:
	default:
	}
}

func (s *stream) requestDrain(reason string) {
	select {
	case s.drain <- reason:
	default:
	}
}

// sendLoop is the only goroutine that sends on the stream.
func (s *stream) sendLoop() {
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.pending:
		}
		for _, m := range s.take() {
			if s.ctx.Err() != nil {
				return
			}
			if err := s.conn.Send(m); err != nil {
				s.log.Debug().Err(err).Msg("send to agent failed")
				s.stop(errSendFail)
				return
			}
		}
	}
}

// controlLoop keeps the stream's time and claims jobs.
func (s *stream) controlLoop(maxAge time.Duration) {
	interval := s.g.interval
	beat := time.NewTicker(interval)
	defer beat.Stop()
	age := time.NewTimer(maxAge)
	defer age.Stop()
	// grace runs from Drain to the stream's end (stopped until then).
	grace := time.NewTimer(time.Hour)
	grace.Stop()
	defer grace.Stop()
	draining, claimFailed := false, false
	startDrain := func(reason string) {
		if draining {
			return
		}
		draining = true
		s.log.Info().Str(logfield.Reason, reason).Msg("draining agent stream")
		s.enqueue(&agentv1.ConnectResponse{Msg: &agentv1.ConnectResponse_Drain{Drain: &agentv1.Drain{Reason: reason}}})
		grace.Reset(s.g.drainGrace)
	}
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-beat.C:
			if silent := time.Since(time.Unix(0, s.lastHeard.Load())); silent >= silentIntervals*interval {
				s.stop(connect.NewError(connect.CodeDeadlineExceeded, fmt.Errorf("nothing heard from the agent for %s", silent.Round(time.Millisecond))))
				return
			}
			s.enqueueHeartbeat()
			if claimFailed {
				s.wake()
			}
		case <-s.claim:
			if !draining {
				claimFailed = !s.claimJobs()
			}
		case <-age.C:
			startDrain("the stream reached its maximum age")
		case reason := <-s.drain:
			startDrain(reason)
		case <-grace.C:
			s.stop(errClean)
			return
		}
	}
}

// claimJobs asks the queue for work and sends it; false when it failed.
func (s *stream) claimJobs() bool {
	info := s.info
	if r := s.reported.Load(); r != nil {
		info.Running = *r
	}
	runs, err := s.g.jobs.Claim(s.ctx, info)
	if err != nil {
		if s.ctx.Err() == nil {
			s.log.Error().Err(err).Msg("claiming jobs failed; retrying at the next heartbeat")
		}
		return false
	}
	for _, j := range runs {
		// A job claimed for a stream that ends before sending is assigned
		// but unacknowledged: Reconcile sends it again on the next stream.
		s.enqueue(runJobMessage(j))
	}
	return true
}

// reconcile sends what Jobs.Reconcile decides; false ends the stream.
func (s *stream) reconcile(running []string) bool {
	resend, cancel, err := s.g.jobs.Reconcile(s.ctx, s.info, running)
	if err != nil {
		if s.ctx.Err() == nil {
			s.log.Error().Err(err).Msg("reconciling the agent's jobs failed")
		}
		s.stop(connect.NewError(connect.CodeUnavailable, errors.New("the control plane could not reconcile the agent's jobs; connect again")))
		return false
	}
	msgs := make([]*agentv1.ConnectResponse, 0, len(resend)+len(cancel))
	for _, j := range resend {
		msgs = append(msgs, runJobMessage(j))
	}
	for _, c := range cancel {
		msgs = append(msgs, cancelJobMessage(c))
	}
	s.enqueue(msgs...)
	return true
}

// receiveLoop handles what the agent sends until the stream ends.
func (s *stream) receiveLoop() {
	for {
		msg, err := s.conn.Receive()
		if err != nil {
			switch {
			case s.ended() != nil: // we closed the body
			case errors.Is(err, io.EOF):
				s.stop(errClean) // the agent hung up
			default:
				s.stop(err)
			}
			return
		}
		s.lastHeard.Store(time.Now().UnixNano())
		if err := s.handle(msg); err != nil {
			s.stop(err)
			return
		}
	}
}

// handle handles one message; an error ends the stream with it.
func (s *stream) handle(msg *agentv1.ConnectRequest) error {
	switch m := msg.GetMsg().(type) {
	case *agentv1.ConnectRequest_Heartbeat:
		s.heartbeat(m.Heartbeat)
	case *agentv1.ConnectRequest_JobStatus:
		s.status(m.JobStatus)
	case *agentv1.ConnectRequest_LogChunk:
		if len(m.LogChunk.GetData()) > maxLogChunk {
			return connect.NewError(connect.CodeInvalidArgument, fmt.Errorf("a log chunk of %d bytes: at most %d", len(m.LogChunk.GetData()), maxLogChunk))
		}
		s.logChunk(m.LogChunk)
	case *agentv1.ConnectRequest_Hello:
		return connect.NewError(connect.CodeInvalidArgument, errors.New("a second Hello: it is only the first message"))
	default:
		// A message this version does not know: the agent speaks the same
		// protocol version, so this is a bug on its side; ignore it.
		s.log.Warn().Msg("ignoring an empty or unknown message from the agent")
	}
	return nil
}

// heartbeat records the agent's heartbeat and sends again what it may
// have missed: CancelJob for its jobs whose cancellation was requested
// (the first went out once, to whichever stream held the agent then) and
// RunJob for jobs it never confirmed (sent down a stream that died).
func (s *stream) heartbeat(hb *agentv1.Heartbeat) {
	running := hb.GetRunningJobIds()
	s.reported.Store(&running)
	cancel, resend, err := s.g.jobs.Heartbeat(s.ctx, s.info.ID, running)
	if err != nil && s.ctx.Err() == nil {
		s.log.Error().Err(err).Msg("recording the agent's heartbeat failed")
	}
	msgs := make([]*agentv1.ConnectResponse, 0, len(cancel)+len(resend))
	for _, c := range cancel {
		msgs = append(msgs, cancelJobMessage(c))
	}
	for _, r := range resend {
		msgs = append(msgs, runJobMessage(r))
	}
	if len(msgs) > 0 {
		s.enqueue(msgs...)
	}
	if time.Since(s.lastTouch) >= s.g.interval {
		s.touch()
	}
}

// touch records the agent as seen (last_seen_at) and checks its
// credential again, so that revoking the agent, or the end of a rotated
// credential's overlap, ends an open stream within a heartbeat interval.
func (s *stream) touch() {
	s.lastTouch = time.Now()
	if _, err := s.g.authenticate(s.ctx, s.conn.RequestHeader()); err != nil {
		if connect.CodeOf(err) == connect.CodeUnauthenticated {
			s.log.Warn().Msg("agent credential no longer valid; ending its stream")
			s.stop(err)
			return
		}
		if s.ctx.Err() == nil {
			s.log.Warn().Err(err).Msg("re-checking the agent credential failed")
		}
	}
	if err := s.g.dir.TouchAgent(s.ctx, s.info.ID); err != nil && s.ctx.Err() == nil {
		s.log.Warn().Err(err).Msg("recording when the agent was last seen failed")
	}
}

func (s *stream) status(st *agentv1.JobStatus) {
	err := s.g.jobs.Status(s.ctx, s.info.ID, jobStatus(st))
	foreign := apperr.KindOf(err) == apperr.KindNotFound
	if err != nil && !foreign {
		// Not stored, so not acknowledged: the agent keeps the status and
		// resends it after reconnecting.
		if s.ctx.Err() == nil {
			s.log.Error().Err(err).Str(logfield.JobID, truncate(st.GetJobId())).Msg("storing a job status failed")
		}
		return
	}
	msgs := []*agentv1.ConnectResponse{{Msg: &agentv1.ConnectResponse_JobStatusAck{
		JobStatusAck: &agentv1.JobStatusAck{JobId: st.GetJobId(), State: st.GetState()},
	}}}
	if foreign {
		// Acknowledged so the agent stops resending it; cancelled because
		// it is not this agent's job (any more).
		msgs = append(msgs, cancelForeign(st.GetJobId()))
	}
	s.enqueue(msgs...)
	if isFinal(st.GetState()) {
		s.wake() // a slot is free
	}
}

func (s *stream) logChunk(c *agentv1.LogChunk) {
	end, err := s.g.jobs.AppendLog(s.ctx, s.info.ID, logChunk(c))
	foreign := apperr.KindOf(err) == apperr.KindNotFound
	if err != nil && !foreign {
		if s.ctx.Err() == nil {
			s.log.Error().Err(err).Str(logfield.JobID, truncate(c.GetJobId())).Msg("storing a log chunk failed")
		}
		return
	}
	if foreign {
		// Not this agent's job: the bytes are dropped but acknowledged, so
		// the agent is not stuck resending them and can finish the job
		// (its final status waits for every log byte to be acknowledged).
		end = c.GetOffset() + uint64(len(c.GetData()))
	}
	msgs := []*agentv1.ConnectResponse{{Msg: &agentv1.ConnectResponse_LogAck{
		LogAck: &agentv1.LogAck{JobId: c.GetJobId(), Step: c.GetStep(), Offset: end},
	}}}
	// One CancelJob per foreign job and stream, not one per chunk.
	if foreign && !s.cancelled[c.GetJobId()] && len(s.cancelled) < maxRunningIDs {
		s.cancelled[c.GetJobId()] = true
		msgs = append(msgs, cancelForeign(c.GetJobId()))
	}
	s.enqueue(msgs...)
}

// newestEpoch is the epoch Welcome carries; 0 (none) when it cannot be
// read: the agent then learns it from the next stamped command.
func (g *Gateway) newestEpoch(ctx context.Context, s *stream) uint64 {
	if g.epochs == nil {
		return 0
	}
	epoch, err := g.epochs.NewestEpoch(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn().Err(err).Msg("could not read the newest leadership epoch; Welcome carries none")
		}
		return 0
	}
	return epoch
}

func cancelForeign(jobID string) *agentv1.ConnectResponse {
	return &agentv1.ConnectResponse{Msg: &agentv1.ConnectResponse_CancelJob{CancelJob: &agentv1.CancelJob{
		JobId: jobID, Reason: "the job is not assigned to this agent",
	}}}
}

func isFinal(s agentv1.JobState) bool {
	switch s {
	case agentv1.JobState_JOB_STATE_SUCCESS, agentv1.JobState_JOB_STATE_FAILURE,
		agentv1.JobState_JOB_STATE_CANCELLED, agentv1.JobState_JOB_STATE_TIMED_OUT:
		return true
	}
	return false
}
