package store

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Every statement a feature runs goes through a DB or through the
// transaction InTx hands it; both map the driver's errors to the sentinels
// (mapError) once, so that features and sqlc's generated queries compare
// with errors.Is(err, ErrNotFound) and never map by hand. Build a feature's
// queries as db.New(theDB) and, in a transaction, q.WithTx(tx).

// Exec runs sql on the pool, its error mapped.
func (db *DB) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	tag, err := db.Pool.Exec(ctx, sql, args...)
	return tag, mapError(err)
}

// Query runs sql on the pool; its error, and its rows' errors, are mapped.
func (db *DB) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return mapRows(db.Pool.Query(ctx, sql, args...))
}

// QueryRow runs sql on the pool; Scan's error is mapped (no row:
// ErrNotFound).
func (db *DB) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return mappedRow{db.Pool.QueryRow(ctx, sql, args...)}
}

// CopyFrom copies rows into a table on the pool, its error mapped.
func (db *DB) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error) {
	n, err := db.Pool.CopyFrom(ctx, table, columns, src)
	return n, mapError(err)
}

// mappedTx is a transaction whose statements' errors are mapped (InTx hands
// one to its function). Savepoints it begins are mapped too.
type mappedTx struct{ pgx.Tx }

func (t mappedTx) Begin(ctx context.Context) (pgx.Tx, error) {
	tx, err := t.Tx.Begin(ctx)
	if err != nil {
		return nil, mapError(err)
	}
	return mappedTx{tx}, nil
}

func (t mappedTx) Commit(ctx context.Context) error { return mapError(t.Tx.Commit(ctx)) }

func (t mappedTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	tag, err := t.Tx.Exec(ctx, sql, args...)
	return tag, mapError(err)
}

func (t mappedTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return mapRows(t.Tx.Query(ctx, sql, args...))
}

func (t mappedTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return mappedRow{t.Tx.QueryRow(ctx, sql, args...)}
}

func (t mappedTx) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error) {
	n, err := t.Tx.CopyFrom(ctx, table, columns, src)
	return n, mapError(err)
}

type mappedRow struct{ row pgx.Row }

func (r mappedRow) Scan(dest ...any) error { return mapError(r.row.Scan(dest...)) }

// mappedRows maps the errors a query's failure surfaces through: Scan and
// Err (a statement's error arrives after its first rows, or at the end).
type mappedRows struct{ pgx.Rows }

func mapRows(rows pgx.Rows, err error) (pgx.Rows, error) {
	if err != nil {
		return rows, mapError(err)
	}
	return mappedRows{rows}, nil
}

func (r mappedRows) Scan(dest ...any) error { return mapError(r.Rows.Scan(dest...)) }

func (r mappedRows) Err() error { return mapError(r.Rows.Err()) }

// SendBatch sends b on the pool; its results' errors are mapped.
func (db *DB) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	return mappedBatch{BatchResults: db.Pool.SendBatch(ctx, b)}
}

// SendBatch sends b in the transaction; its results' errors are mapped.
func (t mappedTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	return mappedBatch{BatchResults: t.Tx.SendBatch(ctx, b)}
}

// mappedBatch maps the errors of a batch's results (the embedded
// BatchResults answers the rest).
type mappedBatch struct{ pgx.BatchResults }

func (b mappedBatch) Exec() (pgconn.CommandTag, error) {
	tag, err := b.BatchResults.Exec()
	return tag, mapError(err)
}

func (b mappedBatch) Query() (pgx.Rows, error) { return mapRows(b.BatchResults.Query()) }

func (b mappedBatch) QueryRow() pgx.Row { return mappedRow{b.BatchResults.QueryRow()} }

func (b mappedBatch) Close() error { return mapError(b.BatchResults.Close()) }
