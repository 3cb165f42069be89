package audit_test

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

func TestMain(m *testing.M) { testsvc.Main(m) }

func TestRecordInTheMutationsTransactionAndList(t *testing.T) {
	db := testsvc.NewDatabase(t)
	svc, err := audit.New(db)
	if err != nil {
		t.Fatal(err)
	}
	actor := uuid.New()
	project := uuid.New()
	ctx := access.WithPrincipal(t.Context(), access.Principal{Kind: access.User, UserID: actor, Username: "ada"})
	ctx = audit.WithClient(ctx, audit.Client{IP: netip.MustParseAddr("192.0.2.7"), UserAgent: "test-agent"})

	for i, action := range []string{"user.create", "user.update", "role.bind", "user_x.weird"} {
		err := db.InTx(ctx, func(tx pgx.Tx) error {
			e := audit.Event{Action: action, Resource: "thing/" + action, Detail: map[string]any{"n": i}}
			if action == "role.bind" {
				e.ProjectID = project
			}
			return audit.Record(ctx, tx, e)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// A rolled-back mutation leaves no audit row.
	boom := errors.New("boom")
	err = db.InTx(ctx, func(tx pgx.Tx) error {
		if err := audit.Record(ctx, tx, audit.Event{Action: "user.delete"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}

	all, next, err := svc.List(context.Background(), audit.Filter{}, "")
	if err != nil || next != "" || len(all) != 4 {
		t.Fatalf("list all: %d events, next %q, %v", len(all), next, err)
	}
	newest := all[0]
	if newest.Action != "user_x.weird" || newest.ActorID != actor || newest.ActorName != "ada" ||
		newest.Client.IP.String() != "192.0.2.7" || newest.Client.UserAgent != "test-agent" {
		t.Fatalf("newest event %+v", newest)
	}
	// The prefix is literal: "user_" must not match "user." ('_' is a LIKE wildcard).
	users, _, err := svc.List(t.Context(), audit.Filter{ActionPrefix: "user."}, "")
	if err != nil || len(users) != 2 {
		t.Fatalf("action prefix: %d %v", len(users), err)
	}
	literal, _, err := svc.List(t.Context(), audit.Filter{ActionPrefix: "user_"}, "")
	if err != nil || len(literal) != 1 {
		t.Fatalf("literal prefix: %d %v", len(literal), err)
	}
	inProject, _, err := svc.List(t.Context(), audit.Filter{ProjectID: project}, "")
	if err != nil || len(inProject) != 1 || inProject[0].Action != "role.bind" {
		t.Fatalf("project filter: %+v %v", inProject, err)
	}

	// Pages of 3 then 1, in order, without overlap.
	page1, token, err := svc.List(t.Context(), audit.Filter{Limit: 3}, "")
	if err != nil || len(page1) != 3 || token == "" {
		t.Fatalf("page 1: %d %q %v", len(page1), token, err)
	}
	page2, token2, err := svc.List(t.Context(), audit.Filter{Limit: 3}, token)
	if err != nil || len(page2) != 1 || token2 != "" || page2[0].ID != all[3].ID {
		t.Fatalf("page 2: %+v %q %v", page2, token2, err)
	}
	if _, _, err := svc.List(t.Context(), audit.Filter{}, "garbage!"); err == nil {
		t.Fatal("a forged page token was accepted")
	}

	// Append-only: no update, delete or truncate.
	for _, sql := range []string{`UPDATE audit_events SET action = 'user.hidden'`, `DELETE FROM audit_events`, `TRUNCATE audit_events`} {
		if _, err := db.Pool.Exec(t.Context(), sql); err == nil {
			t.Fatalf("%s succeeded on the audit log", sql)
		}
	}
}
