package server_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/controlplane/internal/supervisor"
	"github.com/hearth-dev/hearth/controlplane/servertest"
)

// TestLeaderWorkersAreFencedInTheDatabase: the server records its
// leadership epoch in its database before its leader-only workers start,
// and their transactions are fenced with it: once a newer epoch of the
// same Raft cluster is recorded (a new leader took over), the old term's
// writes fail in PostgreSQL. A second replica sharing the database but not
// joined to the first's Raft cluster keeps its own epoch.
func TestLeaderWorkersAreFencedInTheDatabase(t *testing.T) {
	probe := func(got chan<- store.Epoch) servertest.Option {
		return servertest.WithLeaderWorkers(supervisor.Worker{Name: "fence-probe", Run: func(ctx context.Context) error {
			e, _ := store.EpochFrom(ctx)
			got <- e
			<-ctx.Done()
			return nil
		}})
	}
	firstEpoch, secondEpoch := make(chan store.Epoch, 1), make(chan store.Epoch, 1)
	one := servertest.Start(t, probe(firstEpoch))
	servertest.Start(t, servertest.SharingStateWith(one), probe(secondEpoch))
	ctx := t.Context()
	first, second := <-firstEpoch, <-secondEpoch
	if first.Cluster == "" || first.Term == 0 || first.Takeover == 0 || second.Cluster == first.Cluster {
		t.Fatalf("worker epochs %+v and %+v: want recorded epochs of two raft clusters", first, second)
	}

	db, err := store.Open(ctx, store.Config{URL: one.DatabaseURL})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	nothing := func(pgx.Tx) error { return nil }
	if err := db.InTx(store.WithEpoch(ctx, first), nothing); err != nil {
		t.Fatalf("the leader's transaction: %v", err)
	}
	if _, err := db.RecordEpoch(ctx, store.Epoch{Cluster: first.Cluster, Term: first.Term + 1}); err != nil {
		t.Fatal(err)
	}
	if err := db.InTx(store.WithEpoch(ctx, first), nothing); !errors.Is(err, store.ErrFenced) {
		t.Fatalf("the deposed term's transaction: %v, want ErrFenced", err)
	}
	if err := db.InTx(store.WithEpoch(ctx, second), nothing); err != nil {
		t.Fatalf("the other raft cluster's leader: %v", err)
	}
}
