package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

// TestDeposedLeadersWritesAreRefusedByTheDatabase: two leaders of one Raft
// cluster, terms 5 and 6. Once 6 is recorded, a transaction of 5 fails in
// PostgreSQL with ErrFenced and writes nothing, whatever 5 believes; 5
// cannot record itself again; another Raft cluster's epochs are apart.
func TestDeposedLeadersWritesAreRefusedByTheDatabase(t *testing.T) {
	db := testsvc.NewDatabase(t)
	ctx := t.Context()
	if _, err := db.Pool.Exec(ctx, `CREATE TABLE writes (by bigint)`); err != nil {
		t.Fatal(err)
	}
	old := store.Epoch{Cluster: "raft-a", Term: 5}
	newer := store.Epoch{Cluster: "raft-a", Term: 6}
	write := func(e store.Epoch) error {
		return db.InTx(store.WithEpoch(ctx, e), func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO writes VALUES ($1)`, int64(e.Term))
			return err
		})
	}
	count := func(term uint64) int {
		var n int
		if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM writes WHERE by = $1`, int64(term)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	if err := write(old); !errors.Is(err, store.ErrFenced) {
		t.Fatalf("a write before any epoch was recorded: %v, want ErrFenced", err)
	}
	if _, err := db.RecordEpoch(ctx, old); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RecordEpoch(ctx, old); err != nil {
		t.Fatalf("recording the same epoch again: %v", err)
	}
	if err := write(old); err != nil {
		t.Fatalf("the current leader's write: %v", err)
	}
	first, err := store.CommandEpoch(ctx, db.Pool)
	if err != nil || first == 0 {
		t.Fatalf("command epoch after the first takeover: %d (%v)", first, err)
	}
	recorded, err := db.RecordEpoch(ctx, newer)
	if err != nil {
		t.Fatal(err)
	}
	// Commands carry takeover numbers, which grow with every takeover.
	if now, err := store.CommandEpoch(ctx, db.Pool); err != nil || now <= first || now != recorded.Takeover {
		t.Fatalf("command epoch after the second takeover: %d (%v), want %d > %d", now, err, recorded.Takeover, first)
	}
	if c, err := store.CommandEpoch(store.WithEpoch(ctx, store.Epoch{Cluster: "raft-a", Term: 5, Takeover: first}), db.Pool); err != nil || c != first {
		t.Fatalf("a leader term's command epoch: %d (%v), want its own takeover %d", c, err, first)
	}
	err = write(old)
	if !errors.Is(err, store.ErrFenced) {
		t.Fatalf("the deposed leader's write: %v, want ErrFenced", err)
	}
	t.Logf("refused with: %v", err)
	if count(old.Term) != 1 {
		t.Fatalf("the deposed leader wrote %d rows, want only the one from before", count(old.Term))
	}
	if _, err := db.RecordEpoch(ctx, old); !errors.Is(err, store.ErrFenced) {
		t.Fatalf("the deposed leader recording its epoch again: %v, want ErrFenced", err)
	}
	if err := write(newer); err != nil || count(newer.Term) != 1 {
		t.Fatalf("the new leader's write: %v", err)
	}
	// Writes without an epoch (not leader-only work) are not fenced.
	if err := db.InTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO writes VALUES (0)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// Another Raft cluster (lost Raft state, or replicas not joined) starts
	// over at low terms without being fenced by this one's.
	other := store.Epoch{Cluster: "raft-b", Term: 2}
	if _, err := db.RecordEpoch(ctx, other); err != nil {
		t.Fatal(err)
	}
	if err := write(other); err != nil {
		t.Fatalf("another cluster's leader: %v", err)
	}
}

// TestTakeoverWaitsForTheDeposedLeadersTransaction: a transaction of the
// old epoch that passed the fence holds the new leader's takeover until it
// ends, so no write of the old epoch commits after the new one is recorded.
func TestTakeoverWaitsForTheDeposedLeadersTransaction(t *testing.T) {
	db := testsvc.NewDatabase(t)
	ctx := t.Context()
	old := store.Epoch{Cluster: "raft-a", Term: 5}
	if _, err := db.RecordEpoch(ctx, old); err != nil {
		t.Fatal(err)
	}
	inside, release := make(chan struct{}), make(chan struct{})
	var releaseOnce sync.Once
	releaseTx := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(releaseTx) // a failed check must not leave the transaction open
	txDone := make(chan error, 1)
	go func() {
		txDone <- db.InTx(store.WithEpoch(ctx, old), func(pgx.Tx) error {
			close(inside)
			<-release
			return nil
		})
	}()
	<-inside
	recorded := make(chan error, 1)
	go func() {
		_, err := db.RecordEpoch(context.WithoutCancel(ctx), store.Epoch{Cluster: "raft-a", Term: 6})
		recorded <- err
	}()
	testsvc.WaitFor(t, "the takeover to wait for the old leader's transaction", func() bool {
		var waiting int
		err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%leader_epochs%'`).Scan(&waiting)
		return err == nil && waiting == 1
	})
	select {
	case err := <-recorded:
		t.Fatalf("the takeover did not wait: %v", err)
	default:
	}
	releaseTx()
	if err := <-txDone; err != nil {
		t.Fatalf("the old leader's transaction that passed the fence first: %v", err)
	}
	if err := <-recorded; err != nil {
		t.Fatal(err)
	}
	if err := db.InTx(store.WithEpoch(ctx, old), func(pgx.Tx) error { return nil }); !errors.Is(err, store.ErrFenced) {
		t.Fatalf("after the takeover: %v, want ErrFenced", err)
	}
}
