package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Config sizes and times the pool. Zero values take the defaults below.
type Config struct {
	URL             string
	MaxConns        int32
	MinConns        int32
	ConnectTimeout  time.Duration
	MaxConnLifetime time.Duration
	MaxConnIdleTime time.Duration
	// StatementTimeout bounds every statement server-side (0: no limit).
	StatementTimeout time.Duration
}

// Defaults used for zero Config fields.
const (
	DefaultMaxConns        = 20
	DefaultConnectTimeout  = 5 * time.Second
	DefaultMaxConnLifetime = time.Hour
	DefaultMaxConnIdleTime = 10 * time.Minute
)

// DB is the control plane's connection pool.
type DB struct {
	Pool *pgxpool.Pool
}

// Open connects a pool and checks that the server answers within the
// connect timeout, so a wrong URL fails at start rather than on first use.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	pc, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", errors.Unwrap(err))
	}
	pc.MaxConns = orDefault(cfg.MaxConns, DefaultMaxConns)
	pc.MinConns = cfg.MinConns
	pc.MaxConnLifetime = orDefault(cfg.MaxConnLifetime, DefaultMaxConnLifetime)
	pc.MaxConnIdleTime = orDefault(cfg.MaxConnIdleTime, DefaultMaxConnIdleTime)
	pc.ConnConfig.ConnectTimeout = orDefault(cfg.ConnectTimeout, DefaultConnectTimeout)
	if cfg.StatementTimeout > 0 {
		pc.ConnConfig.RuntimeParams["statement_timeout"] = fmt.Sprint(cfg.StatementTimeout.Milliseconds())
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, pc.ConnConfig.ConnectTimeout)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("database unreachable: %w", ConnectError(err))
	}
	return &DB{Pool: pool}, nil
}

// Close releases every connection.
func (db *DB) Close() { db.Pool.Close() }

// Ping reports whether the database answers (for readiness probes).
func (db *DB) Ping(ctx context.Context) error { return db.Pool.Ping(ctx) }

// InTx runs fn in a transaction, committing when fn returns nil and rolling
// back otherwise. The transaction fn gets maps its statements' errors to
// the sentinels (see mappedTx), and so does InTx's result. A transaction run
// under a context carrying a leadership epoch (a leader-only worker's) is
// fenced first (see Fence): a deposed leader's transaction fails with
// ErrFenced before fn runs.
func (db *DB) InTx(ctx context.Context, fn func(pgx.Tx) error) error {
	err := pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		if err := Fence(ctx, tx); err != nil {
			return err
		}
		return fn(mappedTx{tx})
	})
	return mapError(err)
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
