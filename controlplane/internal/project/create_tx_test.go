package project_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/project"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

var errBindingRefused = errors.New("binding refused")

// ownerRoles binds in the caller's transaction as rbac does: it writes the
// binding's audit row in tx and then, when refuse is set, fails, so the test
// sees whether that row (and the project's) survive.
type ownerRoles struct {
	noRoles
	refuse      bool
	bound       []uuid.UUID
	invalidated int
}

func (r *ownerRoles) CreateBindingTx(ctx context.Context, tx pgx.Tx, role string, userID, project uuid.UUID) (access.Binding, error) {
	if err := audit.Record(ctx, tx, audit.Event{Action: "role.bind", Resource: "role_binding/test", ProjectID: project}); err != nil {
		return access.Binding{}, err
	}
	if r.refuse {
		return access.Binding{}, errBindingRefused
	}
	r.bound = append(r.bound, project)
	return access.Binding{RoleName: role, UserID: userID, ProjectID: project}, nil
}

func (r *ownerRoles) Invalidate(context.Context) error {
	r.invalidated++
	return nil
}

// recordingRepos counts the repositories created.
type recordingRepos struct {
	noRepos
	created int
}

func (r *recordingRepos) Create(context.Context, uuid.UUID, string) error {
	r.created++
	return nil
}

// TestCreateAndOwnerBindingAreOneTransaction: a project and its creator's
// maintainer binding commit together. When the binding fails, nothing of
// the creation remains: no project row, no audit row, no repository, so
// nothing needs undoing afterwards.
func TestCreateAndOwnerBindingAreOneTransaction(t *testing.T) {
	ctx := t.Context()
	d := testsvc.NewDatabase(t)
	roles, repos := &ownerRoles{refuse: true}, &recordingRepos{}
	svc, err := project.New(project.Deps{DB: d, Logger: zerolog.Nop(), Repositories: repos, Roles: roles})
	if err != nil {
		t.Fatal(err)
	}
	ada := access.Principal{Kind: access.User, UserID: uuid.New(), Username: "ada"}
	actx := access.WithPrincipal(ctx, ada)

	if _, err := svc.Create(actx, ada, "doomed", "", access.Private, ""); !errors.Is(err, errBindingRefused) {
		t.Fatalf("create with a refused binding: %v", err)
	}
	projects, audits := countCreation(t, d, "doomed")
	if projects != 0 || audits != 0 || repos.created != 0 || roles.invalidated != 0 {
		t.Fatalf("after a refused binding: %d project rows, %d audit rows, %d repositories, %d invalidations; want none",
			projects, audits, repos.created, roles.invalidated)
	}

	roles.refuse = false
	p, err := svc.Create(actx, ada, "kept", "", access.Private, "")
	if err != nil {
		t.Fatal(err)
	}
	projects, audits = countCreation(t, d, "kept")
	if projects != 1 || audits != 2 || repos.created != 1 {
		t.Fatalf("after a create: %d project rows, %d audit rows (project.create and role.bind), %d repositories", projects, audits, repos.created)
	}
	if len(roles.bound) != 1 || roles.bound[0] != p.ID || roles.invalidated != 1 {
		t.Fatalf("bound %v (want [%s]), %d invalidations after the commit (want 1)", roles.bound, p.ID, roles.invalidated)
	}
}

// countCreation counts the rows of the project named name and the audit
// rows of creations and bindings (the database is this test's own).
func countCreation(t *testing.T, d *store.DB, name string) (projects, audits int) {
	t.Helper()
	ctx := t.Context()
	if err := d.Pool.QueryRow(ctx, `SELECT count(*) FROM projects WHERE name = $1`, name).Scan(&projects); err != nil {
		t.Fatal(err)
	}
	if err := d.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action IN ('project.create', 'role.bind')`).Scan(&audits); err != nil {
		t.Fatal(err)
	}
	return projects, audits
}
