package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

func TestMain(m *testing.M) { testsvc.Main(m) }

func TestMigrateIsIdempotent(t *testing.T) {
	db := testsvc.NewDatabase(t) // already migrated from the template
	if err := store.Migrate(t.Context(), db, zerolog.Nop()); err != nil {
		t.Fatalf("second migration run: %v", err)
	}
	var fn string
	if err := db.Pool.QueryRow(t.Context(), `SELECT 'set_updated_at'::regproc::text`).Scan(&fn); err != nil || fn != "set_updated_at" {
		t.Fatalf("utility function missing: %v", err)
	}
}

func TestInTxRollsBackOnError(t *testing.T) {
	db := testsvc.NewDatabase(t)
	ctx := t.Context()
	if _, err := db.Pool.Exec(ctx, `CREATE TABLE t (v int)`); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := db.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO t VALUES (1)`); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
	var count int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM t`).Scan(&count); err != nil || count != 0 {
		t.Fatalf("rolled-back insert is visible: %d %v", count, err)
	}
}

func TestOpenReportsUnreachableAndMalformed(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := store.Open(ctx, store.Config{URL: "postgres://u:hunter2@127.0.0.1:1/db", ConnectTimeout: 2 * time.Second})
	if err == nil || !strings.HasPrefix(err.Error(), "database unreachable") || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("unreachable: %v", err)
	}
	_, err = store.Open(ctx, store.Config{URL: "postgres://u:hunter2@[::1/db"})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("malformed URL error must not echo the password: %v", err)
	}
}
