package rbac_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
)

func TestHeldThroughBindingsIgnoresDelegationsAndHonoursTokens(t *testing.T) {
	e := newEnv(t)
	s := e.replica(t)
	admin, a, b := uuid.New(), uuid.New(), uuid.New()
	p, other := e.projects.Add(access.Private), e.projects.Add(access.Private)
	ctx := adminCtx(t, admin)
	mustBind(t, ctx, s, "admin", admin, uuid.Nil)
	mustBind(t, ctx, s, "maintainer", a, p)
	if _, err := s.CreateDelegation(ctx, user(a), b, p, access.SetOf(access.ProjectRead, access.ProjectAdmin), "", e.clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	// b administers p through the delegation, but holds nothing to pass on.
	if !effective(t, s, user(b), p).Has(access.ProjectAdmin) {
		t.Fatal("the delegation does not work")
	}
	if held, err := s.HeldThroughBindings(ctx, user(b), p, uuid.Nil); err != nil || held != 0 {
		t.Fatalf("delegate holds through bindings: %v %v", held, err)
	}
	err := s.CheckGrant(ctx, user(b), access.RoleMaintainer, p, uuid.Nil)
	wantKind(t, err, apperr.KindPermissionDenied, "delegate granting maintainer")
	if !strings.Contains(err.Error(), "secret:write") {
		t.Errorf("refusal does not name what is missing: %v", err)
	}
	// Nor when it holds a narrower role of its own: a developer lent
	// project:admin grants not even viewer, and removes no one.
	mustBind(t, ctx, s, "developer", b, p)
	err = s.CheckGrant(ctx, user(b), access.RoleViewer, p, uuid.Nil)
	wantKind(t, err, apperr.KindPermissionDenied, "developer with a delegated project:admin granting viewer")
	if !strings.Contains(err.Error(), "project:admin") {
		t.Errorf("refusal does not name project:admin: %v", err)
	}
	wantKind(t, s.CheckManageMembers(ctx, user(b), p, uuid.Nil), apperr.KindPermissionDenied, "delegate removing members")
	if err := s.CheckManageMembers(ctx, user(a), p, uuid.Nil); err != nil {
		t.Errorf("maintainer removing members: %v", err)
	}
	if err := s.CheckManageMembers(ctx, user(admin), other, uuid.Nil); err != nil {
		t.Errorf("admin removing members: %v", err)
	}
	wantKind(t, s.CheckManageMembers(ctx, user(a), other, uuid.Nil), apperr.KindPermissionDenied, "removing members elsewhere")
	wantKind(t, s.CheckManageMembers(ctx, access.Principal{}, p, uuid.Nil), apperr.KindUnauthenticated, "anonymous removing members")

	// a holds maintainer on p: grants it and anything narrower, not admin,
	// and nothing on another project.
	for _, r := range []string{access.RoleMaintainer, access.RoleDeveloper, access.RoleViewer} {
		if err := s.CheckGrant(ctx, user(a), r, p, uuid.Nil); err != nil {
			t.Errorf("maintainer granting %s: %v", r, err)
		}
	}
	wantKind(t, s.CheckGrant(ctx, user(a), access.RoleAdmin, p, uuid.Nil), apperr.KindPermissionDenied, "maintainer granting admin")
	wantKind(t, s.CheckGrant(ctx, user(a), access.RoleViewer, other, uuid.Nil), apperr.KindPermissionDenied, "granting elsewhere")
	wantKind(t, s.CheckGrant(ctx, user(a), "no-such-role", p, uuid.Nil), apperr.KindInvalid, "unknown role")

	// A token grants no more than its limit, and a project token nothing
	// elsewhere.
	tok := user(a)
	tok.TokenID = uuid.New()
	tok.TokenLimit = access.SetOf(access.ProjectRead, access.ProjectParticipate, access.ProjectAdmin, access.RepoRead, access.PipelineRead, access.DeployRead, access.ObserveRead)
	if err := s.CheckGrant(ctx, tok, access.RoleViewer, p, uuid.Nil); err != nil {
		t.Errorf("narrow token granting viewer: %v", err)
	}
	wantKind(t, s.CheckGrant(ctx, tok, access.RoleDeveloper, p, uuid.Nil), apperr.KindPermissionDenied, "narrow token granting developer")
	tok.TokenProject = other
	wantKind(t, s.CheckGrant(ctx, tok, access.RoleViewer, p, uuid.Nil), apperr.KindPermissionDenied, "token of another project")

	// An installation administrator grants anything; through a token only
	// when it covers admin:roles.
	if err := s.CheckGrant(ctx, user(admin), access.RoleAdmin, p, uuid.Nil); err != nil {
		t.Errorf("admin granting admin: %v", err)
	}
	adminTok := user(admin)
	adminTok.TokenID = uuid.New()
	adminTok.TokenLimit = access.All &^ access.SetOf(access.AdminUsers, access.AdminRoles, access.AdminAudit)
	if err := s.CheckGrant(ctx, adminTok, access.RoleMaintainer, p, uuid.Nil); err != nil {
		t.Errorf("admin's api token granting maintainer: %v", err)
	}
	wantKind(t, s.CheckGrant(ctx, adminTok, access.RoleAdmin, p, uuid.Nil), apperr.KindPermissionDenied, "admin's api token granting admin")
	wantKind(t, s.CheckGrant(ctx, access.Principal{}, access.RoleViewer, p, uuid.Nil), apperr.KindUnauthenticated, "anonymous")
}

func TestListScopeBindingsPages(t *testing.T) {
	e := newEnv(t)
	s := e.replica(t)
	admin := uuid.New()
	p := e.projects.Add(access.Private)
	ctx := adminCtx(t, admin)
	mustBind(t, ctx, s, "admin", admin, uuid.Nil)
	var want []uuid.UUID
	for range 5 {
		u := uuid.New()
		mustBind(t, ctx, s, "viewer", u, p)
		want = append(want, u)
	}
	var got []uuid.UUID
	var afterT time.Time
	afterID := uuid.Nil
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		page, err := s.ListScopeBindings(ctx, p, uuid.Nil, afterT, afterID, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range page.Bindings {
			got = append(got, b.UserID)
		}
		if !page.More {
			break
		}
		last := page.Bindings[len(page.Bindings)-1]
		afterT, afterID = last.CreatedAt, last.ID
	}
	if len(got) != len(want) {
		t.Fatalf("paged %d bindings, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("binding %d is %v, want %v (oldest first)", i, got[i], want[i])
		}
	}
}
