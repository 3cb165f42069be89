package gatewaytest

import (
	"context"
	"errors"
	"sync"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

// stream is one open Connect call.
type stream struct {
	agentID string
	out     chan outMsg
	stop    chan struct{} // closed by end
	once    sync.Once
	cause   error
	ctx     context.Context
}

type outMsg struct {
	msg *agentv1.ConnectResponse
	due time.Time
}

// end ends the stream with cause (returned by the handler).
func (st *stream) end(cause error) {
	st.once.Do(func() {
		st.cause = cause
		close(st.stop)
		closeBody(st.ctx)
	})
}

// enqueue queues msg for sending after delay; false if the stream ended.
func (st *stream) enqueue(msg *agentv1.ConnectResponse, delay time.Duration) bool {
	m := outMsg{msg: msg}
	if delay > 0 {
		m.due = time.Now().Add(delay)
	}
	select {
	case st.out <- m:
		return true
	case <-st.stop:
		return false
	}
}

func (s *Server) connect(ctx context.Context, conn *connect.BidiStream[agentv1.ConnectRequest, agentv1.ConnectResponse]) error {
	cred := bearerHeader(conn.RequestHeader())
	s.mu.Lock()
	a, err := s.authLocked(cred)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	first, err := conn.Receive()
	if err != nil {
		return err
	}
	hello := first.GetHello()
	s.mu.Lock()
	if hello == nil {
		s.violation("the first message of a stream is %T, not Hello", first.GetMsg())
	}
	s.hellos = append(s.hellos, proto.CloneOf(hello))
	s.notifyLocked()
	s.mu.Unlock()
	if hello == nil {
		return connect.NewError(connect.CodeInvalidArgument, errors.New("the first message must be Hello"))
	}
	if hello.GetProtocolVersion() != 1 {
		return connect.NewError(connect.CodeFailedPrecondition, errors.New("unsupported protocol version"))
	}
	if c := hello.GetCapacity(); c < 1 || c > 1000 {
		return connect.NewError(connect.CodeInvalidArgument, errors.New("capacity must be 1-1000"))
	}

	st := &stream{agentID: a.id, out: make(chan outMsg, 4096), stop: make(chan struct{}), ctx: ctx}
	// Welcome is queued before the stream is visible to Send, so it is
	// always the first message.
	st.enqueue(&agentv1.ConnectResponse{Msg: &agentv1.ConnectResponse_Welcome{Welcome: &agentv1.Welcome{
		AgentId: a.id, HeartbeatInterval: durationpb.New(s.opts.HeartbeatInterval),
		MaxStreamAge: durationpb.New(s.opts.MaxStreamAge),
	}}}, 0)
	s.mu.Lock()
	s.streams = append(s.streams, st)
	s.connects++
	s.notifyLocked()
	s.mu.Unlock()
	defer s.removeStream(st)

	var wg sync.WaitGroup
	wg.Go(func() { s.sendLoop(conn, st) })
	wg.Go(func() { s.heartbeatLoop(st) })
	for {
		msg, err := conn.Receive()
		if err != nil {
			st.end(err)
			break
		}
		if !s.handle(st, msg) {
			break
		}
	}
	wg.Wait()
	var ce *connect.Error
	if errors.As(st.cause, &ce) {
		return ce
	}
	return nil
}

func (s *Server) removeStream(st *stream) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.streams {
		if x == st {
			s.streams = append(s.streams[:i], s.streams[i+1:]...)
			break
		}
	}
	s.notifyLocked()
}

func (s *Server) sendLoop(conn *connect.BidiStream[agentv1.ConnectRequest, agentv1.ConnectResponse], st *stream) {
	for {
		select {
		case <-st.stop:
			return
		case m := <-st.out:
			if !m.due.IsZero() {
				t := time.NewTimer(time.Until(m.due))
				select {
				case <-st.stop:
					t.Stop()
					return
				case <-t.C:
				}
			}
			if err := conn.Send(m.msg); err != nil {
				st.end(err)
				return
			}
		}
	}
}

func (s *Server) heartbeatLoop(st *stream) {
	t := time.NewTicker(s.opts.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-st.stop:
			return
		case <-t.C:
			s.mu.Lock()
			silent := s.silent
			s.mu.Unlock()
			if !silent {
				st.enqueue(&agentv1.ConnectResponse{Msg: &agentv1.ConnectResponse_Heartbeat{Heartbeat: &agentv1.Heartbeat{SentAt: timestamppb.Now()}}}, 0)
			}
		}
	}
}

// handle handles one message from the agent; false ends the stream.
func (s *Server) handle(st *stream, msg *agentv1.ConnectRequest) bool {
	switch m := msg.GetMsg().(type) {
	case *agentv1.ConnectRequest_Heartbeat:
		s.mu.Lock()
		s.heartbeats = append(s.heartbeats, proto.CloneOf(m.Heartbeat))
		s.notifyLocked()
		s.mu.Unlock()
	case *agentv1.ConnectRequest_JobStatus:
		s.status(st, m.JobStatus)
	case *agentv1.ConnectRequest_LogChunk:
		return s.chunk(st, m.LogChunk)
	case *agentv1.ConnectRequest_Hello:
		s.mu.Lock()
		s.violation("a second Hello on one stream")
		s.mu.Unlock()
		st.end(connect.NewError(connect.CodeInvalidArgument, errors.New("a Hello is only the first message")))
		return false
	default:
		s.mu.Lock()
		s.violation("an empty or unknown message %T", msg.GetMsg())
		s.mu.Unlock()
	}
	return true
}

func (s *Server) status(st *stream, js *agentv1.JobStatus) {
	s.mu.Lock()
	s.statuses = append(s.statuses, proto.CloneOf(js))
	if isFinal(js.GetState()) {
		// The agent must have had every byte stored before a final status.
		for step, n := range js.GetLogLengths() {
			if got := uint64(len(s.logs[jobStep{js.GetJobId(), uint32(step)}])); got != n {
				s.violation("final status of job %s: step %d has %d bytes stored, log_lengths says %d", js.GetJobId(), step, got, n)
			}
		}
		for k, b := range s.logs {
			if k.job == js.GetJobId() && int(k.step) >= len(js.GetLogLengths()) && len(b) > 0 {
				s.violation("final status of job %s has no log length for step %d (%d bytes stored)", js.GetJobId(), k.step, len(b))
			}
		}
	}
	ack := s.ackStatuses
	if ack {
		s.statusAcks++
	}
	delay := s.ackDelay
	s.notifyLocked()
	s.mu.Unlock()
	if ack {
		st.enqueue(&agentv1.ConnectResponse{Msg: &agentv1.ConnectResponse_JobStatusAck{
			JobStatusAck: &agentv1.JobStatusAck{JobId: js.GetJobId(), State: js.GetState()},
		}}, delay)
	}
}

func (s *Server) chunk(st *stream, c *agentv1.LogChunk) bool {
	s.mu.Lock()
	hook := s.chunkHook
	s.mu.Unlock()
	action := Store
	if hook != nil {
		action = hook(c) // without the lock: the hook may call Server methods
	}
	if action == DropConnection {
		s.Drop()
		return false
	}
	s.mu.Lock()
	s.chunks = append(s.chunks, proto.CloneOf(c))
	if len(c.GetData()) > 1<<20 {
		s.violation("a log chunk of %d bytes (at most 1 MiB)", len(c.GetData()))
	}
	k := jobStep{c.GetJobId(), c.GetStep()}
	stored := s.logs[k]
	end := uint64(len(stored))
	off, n := c.GetOffset(), uint64(len(c.GetData()))
	switch {
	case action == Ignore:
		s.notifyLocked()
		s.mu.Unlock()
		return true
	case action == Refuse:
	case off+n <= end:
		s.duplicates++
	case off <= end:
		s.logs[k] = append(stored, c.GetData()[end-off:]...)
		end = off + n
	default:
		s.gaps++
	}
	delay := s.ackDelay
	s.notifyLocked()
	s.mu.Unlock()
	st.enqueue(&agentv1.ConnectResponse{Msg: &agentv1.ConnectResponse_LogAck{
		LogAck: &agentv1.LogAck{JobId: c.GetJobId(), Step: c.GetStep(), Offset: end},
	}}, delay)
	return true
}

func isFinal(s agentv1.JobState) bool {
	switch s {
	case agentv1.JobState_JOB_STATE_SUCCESS, agentv1.JobState_JOB_STATE_FAILURE,
		agentv1.JobState_JOB_STATE_CANCELLED, agentv1.JobState_JOB_STATE_TIMED_OUT:
		return true
	}
	return false
}
