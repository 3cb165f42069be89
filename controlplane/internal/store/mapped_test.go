package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

// dbtx and things are what sqlc generates for a feature: queries over the
// interface db.New takes, and WithTx for a transaction.
type dbtx interface {
	Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
	Query(context.Context, string, ...any) (pgx.Rows, error)
	QueryRow(context.Context, string, ...any) pgx.Row
}

type things struct{ db dbtx }

func (q things) withTx(tx pgx.Tx) things { return things{db: tx} }

func (q things) insert(ctx context.Context, name string, n int, parent *string) error {
	_, err := q.db.Exec(ctx, `INSERT INTO things (name, n, parent) VALUES ($1, $2, $3)`, name, n, parent)
	return err
}

func (q things) get(ctx context.Context, name string) (int, error) {
	var n int
	err := q.db.QueryRow(ctx, `SELECT n FROM things WHERE name = $1`, name).Scan(&n)
	return n, err
}

// divide reads every thing's 100/n: a thing with n = 0 fails the
// statement after its first rows reached the client, in rows.Err.
func (q things) divide(ctx context.Context) ([]int, error) {
	rows, err := q.db.Query(ctx, `SELECT 100 / n FROM things ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func (q things) tooLong(ctx context.Context) ([]string, error) {
	rows, err := q.db.Query(ctx, `INSERT INTO things (name, n, label) VALUES ('t', 1, 'longer') RETURNING name`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func TestQueriesOverTheDBAndItsTransactionsComeBackAsSentinels(t *testing.T) {
	database := testsvc.NewDatabase(t)
	ctx := t.Context()
	if _, err := database.Exec(ctx, `CREATE TABLE things (
		name text PRIMARY KEY, n int NOT NULL CHECK (n >= 0), parent text REFERENCES things (name), label varchar(3))`); err != nil {
		t.Fatal(err)
	}
	q := things{db: database}
	if err := q.insert(ctx, "a", 1, nil); err != nil {
		t.Fatal(err)
	}
	nowhere := "nowhere"
	// Each case runs on the pool and again in a transaction of InTx.
	cases := []struct {
		name  string
		run   func(things) error
		want  error
		cause error // the driver's error stays in the chain (nil: a *pgconn.PgError)
	}{
		{"no row", func(q things) error { _, err := q.get(ctx, "zz"); return err }, store.ErrNotFound, pgx.ErrNoRows},
		{"unique violation", func(q things) error { return q.insert(ctx, "a", 2, nil) }, store.ErrConflict, nil},
		{"foreign key violation", func(q things) error { return q.insert(ctx, "b", 2, &nowhere) }, store.ErrConflict, nil},
		{"check violation", func(q things) error { return q.insert(ctx, "b", -1, nil) }, store.ErrInvalid, nil},
		{"not null violation", func(q things) error {
			_, err := q.db.Exec(ctx, `INSERT INTO things (name) VALUES ('b')`)
			return err
		}, store.ErrInvalid, nil},
		{"invalid text", func(q things) error {
			_, err := q.db.Exec(ctx, `SELECT 'x'::int`)
			return err
		}, store.ErrInvalid, nil},
		{"string too long, through rows", func(q things) error { _, err := q.tooLong(ctx); return err }, store.ErrInvalid, nil},
	}
	for _, c := range cases {
		check := func(where string, err error) {
			t.Helper()
			if !errors.Is(err, c.want) {
				t.Errorf("%s %s: got %v, want %v", c.name, where, err, c.want)
			}
			var pgErr *pgconn.PgError
			if c.cause == nil {
				if !errors.As(err, &pgErr) {
					t.Errorf("%s %s: the driver's error left the chain: %v", c.name, where, err)
				}
			} else if !errors.Is(err, c.cause) {
				t.Errorf("%s %s: %v not in the chain of %v", c.name, where, c.cause, err)
			}
		}
		check("on the pool", c.run(q))
		var inside error
		outside := database.InTx(ctx, func(tx pgx.Tx) error {
			inside = c.run(q.withTx(tx))
			return inside
		})
		check("in a transaction", inside)
		check("returned by InTx", outside)
	}

	// A statement failing after its first rows: the error surfaces in
	// rows.Err, mapped as well. Division by zero maps to nothing and
	// passes through as it was.
	if err := q.insert(ctx, "z", 0, nil); err != nil {
		t.Fatal(err)
	}
	_, err := q.divide(ctx)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "22012" || errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrNotFound) {
		t.Errorf("division by zero: %v", err)
	}
	// A savepoint within a transaction maps its statements too.
	err = database.InTx(ctx, func(tx pgx.Tx) error {
		sp, err := tx.Begin(ctx)
		if err != nil {
			return err
		}
		if err := q.withTx(sp).insert(ctx, "a", 3, nil); !errors.Is(err, store.ErrConflict) {
			t.Errorf("in a savepoint: %v, want ErrConflict", err)
		}
		return sp.Rollback(ctx)
	})
	if err != nil {
		t.Fatal(err)
	}
	// Mapping twice (a query's error returned by InTx) wraps once.
	err = database.InTx(ctx, func(tx pgx.Tx) error { _, err := q.withTx(tx).get(ctx, "zz"); return err })
	if got, want := err.Error(), "not found: no rows in result set"; got != want {
		t.Errorf("mapped twice: %q, want %q", got, want)
	}
	if _, err := database.Exec(ctx, `SELECT 1`); err != nil {
		t.Errorf("a statement that succeeds: %v", err)
	}
}
