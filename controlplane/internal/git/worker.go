package git

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/git/internal/db"
	"github.com/hearth-dev/hearth/shared/backoff"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// PushConsumer turns one pushed ref into pipelines (the pipeline feature).
// e holds exactly one ref. key names the (event, ref) delivery: the worker
// delivers it again if it stopped before marking the ref consumed, so the
// consumer creates what it creates at most once per key.
type PushConsumer interface {
	PushRef(ctx context.Context, key string, e PushEvent) error
}

// PushRefresher refreshes what follows a ref (merge requests) after its
// pipelines were triggered. It must be idempotent: a delivery that failed,
// or that a crash cut short, is made again.
type PushRefresher interface {
	RefsMoved(ctx context.Context, e PushEvent) error
}

// PushWorkerDeps are what the PushWorker consumes the outbox into.
type PushWorkerDeps struct {
	Store         *PGStore
	Pipelines     PushConsumer
	MergeRequests PushRefresher
	Logger        zerolog.Logger
	// Sweep is the safety net's period: the worker looks for pending rows
	// this often even without a notification (0: 10s).
	Sweep time.Duration
}

// PushWorker consumes the push outbox: each pending (event, ref) row,
// locked FOR UPDATE SKIP LOCKED so replicas share the work, becomes a
// pipeline trigger (idempotent by key) and a merge-request refresh, and
// is marked consumed in the transaction that locked it. It wakes on
// NOTIFY hearth_push_events (sent by PGStore.Trigger) and sweeps
// periodically for notifications lost while it was not listening and for
// deliveries deferred after an error. It runs on every replica.
type PushWorker struct {
	d   PushWorkerDeps
	log zerolog.Logger
}

const (
	pushNotifyChannel = "hearth_push_events"
	// pushBatch is how many rows one transaction locks and consumes.
	pushBatch = 16
	// pushMaxAttempts bounds deliveries of a ref whose consumer keeps
	// failing; the last error stays on the row.
	pushMaxAttempts = 10
	pushRefTimeout  = 2 * time.Minute
	maxErrorText    = 2048
)

var (
	pushRetry    = backoff.Policy{Min: time.Second, Max: 5 * time.Minute}
	pushListenBo = backoff.Policy{Min: 100 * time.Millisecond, Max: 10 * time.Second}
)

// NewPushWorker checks d.
func NewPushWorker(d PushWorkerDeps) (*PushWorker, error) {
	if d.Store == nil || d.Pipelines == nil {
		return nil, errors.New("git: the push worker needs the store and a pipeline consumer")
	}
	if d.Sweep <= 0 {
		d.Sweep = 10 * time.Second
	}
	return &PushWorker{d: d, log: d.Logger}, nil
}

// Run consumes the outbox until ctx ends.
func (w *PushWorker) Run(ctx context.Context) error {
	wake := make(chan struct{}, 1)
	var wg sync.WaitGroup
	wg.Go(func() { w.listen(ctx, wake) })
	defer wg.Wait()
	sweep := time.NewTicker(w.d.Sweep)
	defer sweep.Stop()
	for {
		w.drain(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-sweep.C:
		}
	}
}

// Drain consumes every row due now and returns how many it consumed or
// deferred (tests drive a worker with it instead of Run).
func (w *PushWorker) Drain(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := w.consumeBatch(ctx)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

func (w *PushWorker) drain(ctx context.Context) {
	if _, err := w.Drain(ctx); err != nil && ctx.Err() == nil {
		w.log.Warn().Err(err).Msg("push worker: consuming the outbox failed; retrying on the next wake-up")
	}
}

// consumeBatch locks up to pushBatch due rows and delivers them, in one
// transaction. If it does not commit (a crash, a lost connection) the rows
// stay pending and are delivered again: the consumer's key keeps that
// from doubling pipelines.
func (w *PushWorker) consumeBatch(ctx context.Context) (int, error) {
	n := 0
	err := w.d.Store.db.InTx(ctx, func(tx pgx.Tx) error {
		q := w.d.Store.q.WithTx(tx)
		rows, err := q.ClaimPushRefs(ctx, pushBatch)
		if err != nil {
			return err
		}
		n = len(rows)
		for _, r := range rows {
			if err := w.deliver(ctx, q, r); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

func (w *PushWorker) deliver(ctx context.Context, q *db.Queries, r db.ClaimPushRefsRow) error {
	e := PushEvent{ID: r.EventID, ProjectID: r.ProjectID, Refs: []RefUpdate{{Ref: r.Ref, Old: r.OldSha, New: r.NewSha}}}
	rctx, cancel := context.WithTimeout(ctx, pushRefTimeout)
	if r.PusherID != nil {
		e.PusherID = *r.PusherID
		// What the consumers create (and audit) is the pusher's doing, as
		// when it was created in their request.
		rctx = access.WithPrincipal(rctx, access.Principal{Kind: access.User, UserID: e.PusherID, Username: r.PusherName})
	}
	// Both consumers are idempotent: a retry makes both again, and what
	// one of them already did is not done twice.
	err := w.d.Pipelines.PushRef(rctx, r.EventID.String(), e)
	if w.d.MergeRequests != nil {
		err = errors.Join(err, w.d.MergeRequests.RefsMoved(rctx, e))
	}
	cancel()
	if ctx.Err() != nil {
		return ctx.Err() // stopping: leave the row pending
	}
	attempt := int(r.Attempts) + 1
	if err != nil && attempt < pushMaxAttempts {
		w.log.Warn().Err(err).Str(logfield.ProjectID, r.ProjectID.String()).Str(logfield.Ref, r.Ref).Int(logfield.Attempt, attempt).
			Msg("push worker: a push's pipelines or merge request refresh failed; will retry")
		return q.DeferPushRef(ctx, db.DeferPushRefParams{
			EventID: r.EventID, Position: r.Position, NextAttemptAt: time.Now().Add(pushRetry.Delay(attempt)), LastError: errorText(err),
		})
	}
	if err != nil {
		w.log.Error().Err(err).Str(logfield.ProjectID, r.ProjectID.String()).Str(logfield.Ref, r.Ref).Int(logfield.Attempt, attempt).
			Msg("push worker: giving up on a push's pipelines or merge request refresh")
	}
	return q.MarkPushRefConsumed(ctx, db.MarkPushRefConsumedParams{EventID: r.EventID, Position: r.Position, LastError: errorText(err)})
}

func errorText(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	if len(s) > maxErrorText {
		s = s[:maxErrorText]
	}
	return s
}

// listen LISTENs on its own connection and wakes Run on every
// notification, and once after every (re)connect (notifications sent
// while it was not listening are lost).
func (w *PushWorker) listen(ctx context.Context, wake chan<- struct{}) {
	for attempt := 0; ; attempt++ {
		start := time.Now()
		err := w.listenOnce(ctx, wake)
		if ctx.Err() != nil {
			return
		}
		if time.Since(start) > time.Minute {
			attempt = 0
		}
		w.log.Warn().Err(err).Msg("push worker: listener lost its connection; reconnecting")
		if !pushListenBo.Sleep(ctx, attempt) {
			return
		}
	}
}

func (w *PushWorker) listenOnce(ctx context.Context, wake chan<- struct{}) error {
	pc, err := w.d.Store.db.Pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// Taken out of the pool for good: a LISTENing connection serves
	// nothing else.
	conn := pc.Hijack()
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pushNotifyChannel); err != nil {
		return err
	}
	for {
		select {
		case wake <- struct{}{}:
		default: // a wake-up is already pending
		}
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
	}
}
