package notify

import (
	"context"
	"errors"
	"time"

	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/controlplane/internal/supervisor"
	"github.com/hearth-dev/hearth/shared/backoff"
	"github.com/hearth-dev/hearth/shared/logfield"
)

var listenBackoff = backoff.Policy{Min: 100 * time.Millisecond, Max: 10 * time.Second}

// idleCheck bounds how long a worker sleeps without a notification or a
// due row: the safety net for a notification lost while the listener was
// reconnecting (it also rings every worker when it reconnects).
const idleCheck = 5 * time.Minute

// Workers run on every replica; the queues are shared with SKIP LOCKED.
func (s *Service) Workers() []supervisor.Worker {
	return []supervisor.Worker{
		{Name: "notify-listener", Run: s.runListener},
		{Name: "notify-fanout", Run: s.loop(s.wake.outbox, func(ctx context.Context) (int, error) { return s.fanOut(ctx) }, nil)},
		{Name: "notify-email", Run: s.loop(s.wake.emails, s.sendEmails, s.q.NextEmailDue)},
		{Name: "notify-webhooks", Run: s.loop(s.wake.webhooks, s.deliver, s.q.NextDeliveryDue)},
	}
}

// loop runs work whenever bell rings, when the next row is due (nextDue,
// nil: none is ever due later) and at least every idleCheck.
func (s *Service) loop(bell chan struct{}, work func(context.Context) (int, error), nextDue func(context.Context) (time.Time, error)) func(context.Context) error {
	return func(ctx context.Context) error {
		for {
			if _, err := work(ctx); err != nil {
				return unlessStopped(ctx, err) // the supervisor restarts the worker with backoff
			}
			wait := idleCheck
			if nextDue != nil {
				due, err := nextDue(ctx)
				switch {
				case err == nil && !due.IsZero():
					wait = min(wait, max(due.Sub(s.now()), 10*time.Millisecond))
				case err != nil && !errors.Is(err, store.ErrNotFound) && ctx.Err() == nil:
					return err
				}
			}
			timer := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				timer.Stop()
				return nil
			case <-bell:
			case <-timer.C:
			}
			timer.Stop()
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

// runListener LISTENs on hearth_notify and rings the workers.
func (s *Service) runListener(ctx context.Context) error {
	for attempt := 0; ; attempt++ {
		start := time.Now()
		err := s.listen(ctx)
		if stopped(ctx) {
			return nil
		}
		if time.Since(start) > time.Minute {
			attempt = 0
		}
		s.log.Warn().Err(err).Msg("notification listener lost its connection; reconnecting")
		if !listenBackoff.Sleep(ctx, attempt) {
			return nil
		}
	}
}

func (s *Service) listen(ctx context.Context) error {
	pc, err := s.db.Pool.Acquire(ctx)
	if err != nil {
		return err
	}
	conn := pc.Hijack() // a LISTENing connection never goes back to the pool
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return err
	}
	s.wake.ringAll()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		switch n.Payload {
		case "outbox":
			ring(s.wake.outbox)
		case "emails":
			ring(s.wake.emails)
		case "webhooks":
			ring(s.wake.webhooks)
		default:
			s.log.Debug().Str(logfield.Payload, n.Payload).Msg("unknown notification payload")
		}
	}
}
