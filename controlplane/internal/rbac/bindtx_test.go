package rbac_test

import (
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
)

// TestCreateBindingTxFollowsTheCallersTransaction: a binding made in the
// caller's transaction, with its audit row, commits or rolls back with it;
// a duplicate is a Conflict that leaves the transaction usable.
func TestCreateBindingTxFollowsTheCallersTransaction(t *testing.T) {
	e := newEnv(t)
	s := e.replica(t)
	admin, u := uuid.New(), uuid.New()
	ctx := adminCtx(t, admin)
	p := uuid.New() // the caller's new project: not known to rbac yet
	errCaller := errors.New("the caller's change failed")

	err := e.db.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := s.CreateBindingTx(ctx, tx, access.RoleMaintainer, u, p); err != nil {
			return err
		}
		return errCaller
	})
	if !errors.Is(err, errCaller) {
		t.Fatalf("rolled back: %v", err)
	}
	if n := countRows(t, e, `SELECT count(*) FROM role_bindings WHERE project_id = $1`, p); n != 0 {
		t.Fatalf("%d bindings left by a rolled-back transaction", n)
	}
	if n := countRows(t, e, `SELECT count(*) FROM audit_events WHERE project_id = $1`, p); n != 0 {
		t.Fatalf("%d audit rows left by a rolled-back transaction", n)
	}

	err = e.db.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := s.CreateBindingTx(ctx, tx, access.RoleMaintainer, u, p); err != nil {
			return err
		}
		_, err := s.CreateBindingTx(ctx, tx, access.RoleMaintainer, u, p)
		wantKind(t, err, apperr.KindConflict, "the same binding twice")
		// The duplicate did not abort the transaction.
		_, err = s.CreateBindingTx(ctx, tx, access.RoleViewer, u, p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Invalidate(ctx); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, e, `SELECT count(*) FROM role_bindings WHERE project_id = $1`, p); n != 2 {
		t.Fatalf("%d bindings committed, want 2", n)
	}
	if n := countRows(t, e, `SELECT count(*) FROM audit_events WHERE project_id = $1 AND action = 'role.bind'`, p); n != 2 {
		t.Fatalf("%d audit rows committed, want 2", n)
	}
	if got := effective(t, s, user(u), p); !got.Has(access.ProjectAdmin) {
		t.Fatalf("after the commit the maintainer holds %s", got)
	}
	_, err = s.CreateBindingTx(ctx, nil, access.RoleViewer, uuid.Nil, p)
	wantKind(t, err, apperr.KindInvalid, "no user")
}

func countRows(t *testing.T, e *env, query string, args ...any) int {
	t.Helper()
	var n int
	if err := e.db.Pool.QueryRow(t.Context(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
