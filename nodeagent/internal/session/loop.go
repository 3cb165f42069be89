package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hearth-dev/hearth/nodeagent/internal/identity"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
	"github.com/hearth-dev/hearth/shared/logfield"
)

type eventKind int

const (
	evJobDone eventKind = iota + 1
	evUploaded
)

// event is news for Run's goroutine from a helper goroutine.
type event struct {
	kind  eventKind
	jobID string
	err   error
}

// send delivers ev unless ctx ended.
func (s *Session) send(ctx context.Context, ev event) {
	select {
	case s.events <- ev:
	case <-ctx.Done():
	}
}

type dialResult struct {
	st  *stream
	err error
}

// loop is Run's goroutine: it alone owns the jobs and the current stream.
func (s *Session) loop(ctx context.Context) error {
	var (
		dialing  chan dialResult // non-nil while a dial runs
		retry    *time.Timer
		retryC   <-chan time.Time
		attempt  int
		startDia = func() {
			ch := make(chan dialResult, 1)
			dialing = ch
			running := s.runningIDs()
			s.wg.Go(func() {
				st, err := s.dial(ctx, running)
				ch <- dialResult{st, err}
			})
		}
		scheduleRetry = func() {
			d := s.t.Backoff.Delay(attempt)
			attempt++
			s.log.Info().Dur(logfield.Backoff, d).Int(logfield.Attempt, attempt).Msg("reconnecting after a pause")
			retry = time.NewTimer(d)
			retryC = retry.C
		}
	)
	s.pollTimer = time.NewTimer(time.Hour)
	s.pollTimer.Stop()
	defer s.pollTimer.Stop()
	ctx, cancel := context.WithCancel(ctx)
	defer func() {
		cancel() // ends a dial under way
		if retry != nil {
			retry.Stop()
		}
		if dialing != nil {
			if r := <-dialing; r.st != nil {
				r.st.close()
			}
		}
	}()
	s.armPoll()
	startDia()
	for {
		var (
			in    <-chan *agentv1.ConnectResponse
			done  <-chan struct{}
			hb    <-chan time.Time
			out   chan<- *agentv1.ConnectRequest
			head  *agentv1.ConnectRequest
			fromQ *[]*agentv1.ConnectRequest
		)
		if st := s.cur; st != nil {
			in, done, hb = st.in, st.done, st.hb.C
			switch {
			case len(st.control) > 0:
				out, head, fromQ = st.out, st.control[0], &st.control
			case len(st.chunks) > 0:
				out, head, fromQ = st.out, st.chunks[0], &st.chunks
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case err := <-s.fatal:
			return err
		case r := <-dialing:
			dialing = nil
			if r.err != nil {
				if err := s.finalError(r.err, false); err != nil {
					return err
				}
				s.log.Warn().Err(r.err).Msg("connecting to the control plane failed")
				scheduleRetry()
				continue
			}
			s.connected(r.st)
		case <-retryC:
			retryC = nil
			startDia()
		case out <- head:
			(*fromQ)[0] = nil
			*fromQ = (*fromQ)[1:]
		case m := <-in:
			s.cur.lastHeard = time.Now()
			s.handle(ctx, m)
			if s.cur.drained {
				s.log.Info().Msg("the control plane asked to reconnect (drain)")
				s.cur.close()
				s.cur = nil
				attempt = 0
				startDia()
			}
		case <-done:
			st := s.cur
			st.close()
			s.cur = nil
			if err := s.finalError(st.err, true); err != nil {
				return err
			}
			if time.Since(st.started) >= s.t.StableAfter {
				attempt = 0
			}
			s.log.Warn().Err(st.err).Dur(logfield.Lived, time.Since(st.started)).Msg("the stream to the control plane ended")
			scheduleRetry()
		case <-hb:
			s.heartbeat()
		case ev := <-s.events:
			switch ev.kind {
			case evJobDone:
				s.jobDone(ctx, ev.jobID)
			case evUploaded:
				s.uploaded(ev.jobID, ev.err)
			}
		case <-s.pollC:
			s.pollC = nil
			s.poll(time.Now())
			s.armPoll()
		}
	}
}

// finalError returns the error that must stop the agent, or nil when the
// failure is worth a retry. UNAUTHENTICATED always is; a refused Hello
// (FAILED_PRECONDITION, INVALID_ARGUMENT) only before Welcome.
func (s *Session) finalError(err error, welcomed bool) error {
	switch connect.CodeOf(err) {
	case connect.CodeUnauthenticated:
		return fmt.Errorf("the control plane refused the agent's credential (revoked or expired; register again with a new join token): %w", errors.Join(identity.ErrUnauthenticated, err))
	case connect.CodeFailedPrecondition, connect.CodeInvalidArgument:
		if !welcomed {
			return fmt.Errorf("the control plane refused the agent's Hello: %w", err)
		}
	}
	return nil
}

// connected makes st the current stream and sends what waits for one:
// every unacknowledged status, and logs from the acknowledged offsets.
func (s *Session) connected(st *stream) {
	s.cur = st
	s.fresh(st.welcome.GetEpoch())
	s.log.Info().Dur(logfield.HeartbeatInterval, st.interval).Int(logfield.Jobs, len(s.byID)).Msg("connected to the control plane")
	for _, j := range s.byID {
		for _, l := range j.logs {
			l.sent, l.rewoundTo, l.waiting = l.acked, nil, time.Time{}
		}
		j.statusSent = time.Time{}
		s.queueStatus(j)
	}
	s.fill(time.Now())
}

// heartbeat sends a Heartbeat and ends a stream that has been silent for
// three intervals.
func (s *Session) heartbeat() {
	st := s.cur
	if silent := time.Since(st.lastHeard); silent >= 3*st.interval {
		st.end(fmt.Errorf("nothing heard from the control plane for %s", silent.Round(time.Millisecond)))
		return
	}
	for _, m := range st.control {
		if m.GetHeartbeat() != nil {
			return // one queued is enough
		}
	}
	st.control = append(st.control, &agentv1.ConnectRequest{Msg: &agentv1.ConnectRequest_Heartbeat{Heartbeat: &agentv1.Heartbeat{
		SentAt: timestamppb.Now(), RunningJobIds: s.runningIDs(),
	}}})
}

// handle handles one message from the control plane.
func (s *Session) handle(ctx context.Context, m *agentv1.ConnectResponse) {
	switch msg := m.GetMsg().(type) {
	case *agentv1.ConnectResponse_Heartbeat:
	case *agentv1.ConnectResponse_RunJob:
		s.runJob(ctx, msg.RunJob)
	case *agentv1.ConnectResponse_CancelJob:
		s.cancelJob(msg.CancelJob)
	case *agentv1.ConnectResponse_LogAck:
		s.logAck(msg.LogAck, time.Now())
	case *agentv1.ConnectResponse_JobStatusAck:
		s.statusAck(msg.JobStatusAck)
	case *agentv1.ConnectResponse_Drain:
		s.cur.drained = true
	case *agentv1.ConnectResponse_Welcome:
		s.log.Warn().Msg("ignoring a second Welcome")
	default:
		s.log.Warn().Msg("ignoring an empty or unknown message from the control plane")
	}
}

// armPoll schedules the next log poll while any job needs one.
func (s *Session) armPoll() {
	if s.pollC != nil {
		return
	}
	need := false
	for _, j := range s.byID {
		if j.shipping() || (j.status != nil && !j.statusAcked) {
			need = true
			break
		}
	}
	if !need {
		return
	}
	s.pollTimer.Reset(s.t.PollInterval)
	s.pollC = s.pollTimer.C
}
