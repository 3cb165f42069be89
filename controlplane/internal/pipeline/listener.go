package pipeline

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/shared/backoff"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// listenerBackoff spaces reconnects of the listener.
var listenerBackoff = backoff.Policy{Min: 100 * time.Millisecond, Max: 10 * time.Second}

// listenerHealthy is how long a connection must have lasted for the next
// reconnect to start from the shortest delay again.
const listenerHealthy = time.Minute

// RunListener LISTENs on hearth_jobs on a dedicated connection and turns
// the notifications into calls on this replica's agent gateway: "queued"
// wakes every local agent stream, "cancel:<agent>:<job>[:<epoch>]" sends
// CancelJob (stamped with the epoch) if the agent's stream is here. After every (re)connect it wakes all
// streams once, since notifications sent while it was not listening are
// lost. A lost cancel notification is made up for by the heartbeat path
// (Heartbeat returns the agent's jobs whose cancellation was requested)
// and by Reconcile. It runs on every replica until ctx ends.
func (s *Service) RunListener(ctx context.Context, agents Agents) error {
	if agents == nil {
		return errors.New("pipeline: RunListener needs the agent gateway")
	}
	for attempt := 0; ; attempt++ {
		start := time.Now()
		err := s.listen(ctx, agents)
		if stopped(ctx) {
			return nil
		}
		if time.Since(start) > listenerHealthy {
			attempt = 0
		}
		s.log.Warn().Err(err).Msg("job queue listener lost its connection; reconnecting")
		if !listenerBackoff.Sleep(ctx, attempt) {
			return nil
		}
	}
}

// stopped reports whether the worker's context ended (its errors are then
// the stop's, not failures).
func stopped(ctx context.Context) bool { return ctx.Err() != nil }

// unlessStopped is err, or nil when the worker was stopped.
func unlessStopped(ctx context.Context, err error) error {
	if stopped(ctx) {
		return nil
	}
	return err
}

func (s *Service) listen(ctx context.Context, agents Agents) error {
	pc, err := s.db.Pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// Taken out of the pool for good: a LISTENing connection must not serve
	// other queries, nor go back listening.
	conn := pc.Hijack()
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return err
	}
	agents.WakeAll()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		s.dispatch(agents, n.Payload)
	}
}

func (s *Service) dispatch(agents Agents, payload string) {
	if payload == payloadQueued {
		agents.WakeAll()
		return
	}
	rest, ok := strings.CutPrefix(payload, payloadCancelPrefix)
	if !ok {
		s.log.Warn().Str(logfield.Payload, payload).Msg("unknown job queue notification")
		return
	}
	c, ok := parseCancel(rest)
	if !ok {
		s.log.Warn().Str(logfield.Payload, payload).Msg("malformed job queue notification")
		return
	}
	agents.Cancel(c.agent, c.job, msgCancelled, c.epoch)
}

// cancelPayload is c as a notification payload.
func cancelPayload(c cancelNote) string {
	p := payloadCancelPrefix + c.agent.String() + ":" + c.job.String()
	if c.epoch != 0 {
		p += ":" + strconv.FormatUint(c.epoch, 10)
	}
	return p
}

// parseCancel parses "<agent>:<job>[:<epoch>]" (cancelPayload without its
// prefix).
func parseCancel(s string) (cancelNote, bool) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return cancelNote{}, false
	}
	agentID, err1 := uuid.Parse(parts[0])
	jobID, err2 := uuid.Parse(parts[1])
	if err1 != nil || err2 != nil {
		return cancelNote{}, false
	}
	c := cancelNote{agent: agentID, job: jobID}
	if len(parts) == 3 {
		epoch, err := strconv.ParseUint(parts[2], 10, 64)
		if err != nil || epoch == 0 {
			return cancelNote{}, false
		}
		c.epoch = epoch
	}
	return c, true
}
