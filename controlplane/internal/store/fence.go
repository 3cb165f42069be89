package store

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ErrFenced means the transaction ran for a leadership epoch older than the
// newest one recorded (a deposed leader's write), and the database refused
// it. A leader-only worker seeing it should stop: its term is over.
var ErrFenced = errors.New("fenced: a newer leader has taken over")

// codeFenced is the SQLSTATE hearth_fence raises (migration *_fencing).
const codeFenced = "HF001"

// Epoch is a leadership term as a fencing token: the Raft term in which a
// leader took over, and the Raft cluster it leads (terms of different
// clusters are not comparable).
type Epoch struct {
	Cluster string
	Term    uint64
	// Takeover is set by RecordEpoch: it numbers the takeovers of every
	// cluster sharing the database in order, and is the epoch stamped on
	// commands sent to node agents (see CommandEpoch).
	Takeover uint64
}

type epochKey struct{}

// WithEpoch returns ctx carrying e: every transaction InTx runs under the
// returned context is fenced with e (see Fence). The leader package gives
// its workers such a context.
func WithEpoch(ctx context.Context, e Epoch) context.Context {
	return context.WithValue(ctx, epochKey{}, e)
}

// EpochFrom returns the epoch ctx carries, if any.
func EpochFrom(ctx context.Context) (Epoch, bool) {
	e, ok := ctx.Value(epochKey{}).(Epoch)
	return e, ok
}

// Fence makes tx fail unless the epoch ctx carries is still the newest
// recorded for its cluster; it does nothing when ctx carries no epoch (work
// that is not leader-only). Call it first in a leader-only transaction (InTx
// does): it holds a share lock on the epoch's row until tx ends, so a new
// leader's RecordEpoch waits for tx, and every later transaction of the old
// epoch fails with ErrFenced.
func Fence(ctx context.Context, tx pgx.Tx) error {
	e, ok := EpochFrom(ctx)
	if !ok {
		return nil
	}
	term, err := e.term()
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `SELECT hearth_fence($1, $2)`, e.Cluster, term)
	return fenceError(err)
}

// RecordEpoch records e as the newest epoch of its cluster and returns it
// with its Takeover number. It waits for the transactions fenced with an
// older epoch that are still running, and fails with ErrFenced when a
// newer epoch is already recorded (this leader was deposed before it could
// take over). Recording the same epoch again succeeds and keeps its
// Takeover.
func (db *DB) RecordEpoch(ctx context.Context, e Epoch) (Epoch, error) {
	term, err := e.term()
	if err != nil {
		return e, err
	}
	var takeover int64
	err = db.QueryRow(ctx, `
		INSERT INTO leader_epochs AS l (cluster_id, epoch) VALUES ($1, $2)
		ON CONFLICT (cluster_id) DO UPDATE SET epoch = EXCLUDED.epoch, recorded_at = now(),
		       takeover = CASE WHEN l.epoch < EXCLUDED.epoch THEN nextval('leader_takeovers') ELSE l.takeover END
		 WHERE l.epoch <= EXCLUDED.epoch
		RETURNING takeover`, e.Cluster, term).Scan(&takeover)
	if errors.Is(err, pgx.ErrNoRows) {
		return e, fmt.Errorf("%w: epoch %d of raft cluster %s is older than the one recorded", ErrFenced, e.Term, e.Cluster)
	}
	if err != nil {
		return e, fmt.Errorf("record leadership epoch: %w", err)
	}
	e.Takeover = uint64(takeover) //nolint:gosec // G115: a sequence value, positive.
	return e, nil
}

// Querier runs a query (a pool or a transaction).
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// CommandEpoch is the epoch to stamp on a command for a node agent: the
// Takeover of the leader term ctx belongs to (leader-only work), or else
// the newest takeover recorded (work any replica does, such as a user's
// cancel). 0 when no leader has taken over yet (unstamped).
func CommandEpoch(ctx context.Context, q Querier) (uint64, error) {
	if e, ok := EpochFrom(ctx); ok && e.Takeover != 0 {
		return e.Takeover, nil
	}
	return newestTakeover(ctx, q)
}

func newestTakeover(ctx context.Context, q Querier) (uint64, error) {
	var newest int64
	if err := q.QueryRow(ctx, `SELECT coalesce(max(takeover), 0) FROM leader_epochs`).Scan(&newest); err != nil {
		return 0, fmt.Errorf("newest leadership epoch: %w", err)
	}
	return uint64(newest), nil //nolint:gosec // G115: a sequence value, non-negative.
}

// NewestEpoch is CommandEpoch for work of no leader term: the newest
// takeover recorded, 0 when none is.
func (db *DB) NewestEpoch(ctx context.Context) (uint64, error) {
	return newestTakeover(ctx, db)
}

func (e Epoch) term() (int64, error) {
	if e.Cluster == "" || e.Term == 0 || e.Term > math.MaxInt64 {
		return 0, fmt.Errorf("store: invalid leadership epoch %d of raft cluster %q", e.Term, e.Cluster)
	}
	return int64(e.Term), nil
}

// fenceError marks hearth_fence's refusal with ErrFenced.
func fenceError(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == codeFenced {
		return fmt.Errorf("%w: %s", ErrFenced, pgErr.Message)
	}
	return err
}
