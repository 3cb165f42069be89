package rbac_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/cache"
	"github.com/hearth-dev/hearth/controlplane/internal/rbac"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

var (
	viewerSet    = access.SetOf(access.ProjectRead, access.ProjectParticipate, access.RepoRead, access.PipelineRead, access.DeployRead, access.ObserveRead)
	developerSet = access.SetOf(access.ProjectRead, access.ProjectParticipate, access.ProjectWrite, access.RepoRead, access.RepoWrite,
		access.PipelineRead, access.PipelineRun, access.DeployRead, access.AgentRun, access.ObserveRead,
		access.ObserveWrite, access.SecretRead)
	adminSet      = access.All
	maintainerSet = access.All &^ access.SetOf(access.AdminUsers, access.AdminRoles, access.AdminAudit)
)

func TestSystemRolesAreSeeded(t *testing.T) {
	e := newEnv(t)
	s := e.replica(t)
	roles, err := s.ListRoles(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]access.Set{"admin": adminSet, "maintainer": maintainerSet, "developer": developerSet, "viewer": viewerSet}
	for _, r := range roles {
		if !r.System {
			t.Errorf("unexpected custom role %q", r.Name)
			continue
		}
		if r.Permissions != want[r.Name] {
			t.Errorf("%s: got %v, want %v", r.Name, r.Permissions, want[r.Name])
		}
		delete(want, r.Name)
	}
	if len(want) != 0 {
		t.Errorf("missing system roles: %v", want)
	}
}

func TestEffectiveFromGlobalAndProjectBindings(t *testing.T) {
	e := newEnv(t)
	s := e.replica(t)
	admin, u := uuid.New(), uuid.New()
	p1, p2 := e.projects.Add(access.Private), e.projects.Add(access.Private)
	ctx := adminCtx(t, admin)
	mustBind(t, ctx, s, "admin", admin, uuid.Nil)
	mustBind(t, ctx, s, "viewer", u, uuid.Nil)
	mustBind(t, ctx, s, "developer", u, p1)

	if got := effective(t, s, user(u), uuid.Nil); got != viewerSet {
		t.Errorf("installation-wide: %v", got)
	}
	if got := effective(t, s, user(u), p1); got != viewerSet|developerSet {
		t.Errorf("p1: %v", got)
	}
	if got := effective(t, s, user(u), p2); got != viewerSet {
		t.Errorf("p2 (global only): %v", got)
	}
	if got := effective(t, s, user(admin), p2); got != access.All {
		t.Errorf("admin: %v", got)
	}
	if got := effective(t, s, access.AnonymousPrincipal, p1); got != 0 {
		t.Errorf("anonymous: %v", got)
	}
	if ok, err := s.IsAdmin(ctx, admin); err != nil || !ok {
		t.Errorf("IsAdmin(admin) = %v %v", ok, err)
	}
	if ok, err := s.IsAdmin(ctx, u); err != nil || ok {
		t.Errorf("IsAdmin(u) = %v %v", ok, err)
	}
}

func TestTokenNarrowingAndProjectRestriction(t *testing.T) {
	e := newEnv(t)
	s := e.replica(t)
	admin, u := uuid.New(), uuid.New()
	p1, p2 := e.projects.Add(access.Private), e.projects.Add(access.Private)
	ctx := adminCtx(t, admin)
	mustBind(t, ctx, s, "admin", admin, uuid.Nil)
	mustBind(t, ctx, s, "developer", u, uuid.Nil)

	tok := user(u)
	tok.TokenID = uuid.New()
	tok.TokenLimit = access.SetOf(access.ProjectRead, access.RepoRead, access.AdminUsers)
	if got := effective(t, s, tok, p1); got != access.SetOf(access.ProjectRead, access.RepoRead) {
		t.Errorf("token on p1: %v (a token never adds what the user lacks)", got)
	}
	tok.TokenProject = p1
	if got := effective(t, s, tok, p1); got != access.SetOf(access.ProjectRead, access.RepoRead) {
		t.Errorf("project token on its project: %v", got)
	}
	if got := effective(t, s, tok, p2); got != 0 {
		t.Errorf("project token on another project: %v", got)
	}
	if got := effective(t, s, tok, uuid.Nil); got != 0 {
		t.Errorf("project token installation-wide: %v", got)
	}
	if err := s.Authorize(ctx, tok, access.RepoWrite, p1); kindOf(err) != apperr.KindPermissionDenied {
		t.Errorf("repo:write through a read token: %v", err)
	}
	if err := s.Authorize(ctx, tok, access.RepoRead, p2); kindOf(err) != apperr.KindNotFound {
		t.Errorf("private project outside the token's project: %v", err)
	}
}

func TestAuthorizeByVisibility(t *testing.T) {
	e := newEnv(t)
	s := e.replica(t)
	admin, viewer, stranger := uuid.New(), uuid.New(), uuid.New()
	pub, internal, private := e.projects.Add(access.Public), e.projects.Add(access.Internal), e.projects.Add(access.Private)
	unknown := uuid.New()
	ctx := adminCtx(t, admin)
	mustBind(t, ctx, s, "admin", admin, uuid.Nil)
	mustBind(t, ctx, s, "viewer", viewer, private)

	readToken := user(stranger)
	readToken.TokenID = uuid.New()
	readToken.TokenLimit = access.SetOf(access.ProjectRead)
	readOnly, err := access.ScopePermissions([]string{string(access.ScopeReadOnly), string(access.ScopeRepoRead)})
	if err != nil {
		t.Fatal(err)
	}
	readOnlyToken := user(stranger)
	readOnlyToken.TokenID, readOnlyToken.TokenLimit = uuid.New(), readOnly
	viewerReadToken := user(viewer)
	viewerReadToken.TokenID, viewerReadToken.TokenLimit = uuid.New(), readOnly
	api, err := access.ScopePermissions([]string{string(access.ScopeAPI)})
	if err != nil {
		t.Fatal(err)
	}
	apiToken := user(stranger)
	apiToken.TokenID, apiToken.TokenLimit = uuid.New(), api
	otherProjectToken := apiToken
	otherProjectToken.TokenProject = private

	const ok apperr.Kind = 0
	cases := []struct {
		name    string
		p       access.Principal
		perm    access.Permission
		project uuid.UUID
		want    apperr.Kind
	}{
		{"anonymous reads public", access.AnonymousPrincipal, access.RepoRead, pub, ok},
		{"anonymous writes public", access.AnonymousPrincipal, access.RepoWrite, pub, apperr.KindUnauthenticated},
		{"anonymous secret:read public", access.AnonymousPrincipal, access.SecretRead, pub, apperr.KindUnauthenticated},
		{"anonymous reads internal", access.AnonymousPrincipal, access.RepoRead, internal, apperr.KindUnauthenticated},
		{"anonymous reads private", access.AnonymousPrincipal, access.RepoRead, private, apperr.KindUnauthenticated},
		{"anonymous reads unknown", access.AnonymousPrincipal, access.RepoRead, unknown, apperr.KindUnauthenticated},
		{"anonymous installation-wide", access.AnonymousPrincipal, access.ProjectRead, uuid.Nil, apperr.KindUnauthenticated},
		{"stranger reads public", user(stranger), access.PipelineRead, pub, ok},
		{"stranger writes public", user(stranger), access.RepoWrite, pub, apperr.KindPermissionDenied},
		{"stranger reads internal", user(stranger), access.ObserveRead, internal, ok},
		{"stranger writes internal", user(stranger), access.RepoWrite, internal, apperr.KindPermissionDenied},
		{"stranger reads private", user(stranger), access.RepoRead, private, apperr.KindNotFound},
		{"stranger writes private", user(stranger), access.RepoWrite, private, apperr.KindNotFound},
		{"stranger reads unknown", user(stranger), access.RepoRead, unknown, apperr.KindNotFound},
		{"stranger admin", user(stranger), access.AdminUsers, uuid.Nil, apperr.KindPermissionDenied},
		{"token reads internal within scope", readToken, access.ProjectRead, internal, ok},
		{"token reads internal outside scope", readToken, access.RepoRead, internal, apperr.KindPermissionDenied},
		{"viewer reads private", user(viewer), access.RepoRead, private, ok},
		{"viewer writes private", user(viewer), access.RepoWrite, private, apperr.KindPermissionDenied},
		{"admin writes private", user(admin), access.SecretWrite, private, ok},
		{"admin on unknown project", user(admin), access.RepoRead, unknown, apperr.KindNotFound},
		{"admin installation-wide", user(admin), access.AdminRoles, uuid.Nil, ok},

		// Taking part: any signed-in user on public and internal projects,
		// within its token's scopes; never anonymous, never a read scope.
		{"anonymous takes part in public", access.AnonymousPrincipal, access.ProjectParticipate, pub, apperr.KindUnauthenticated},
		{"stranger takes part in public", user(stranger), access.ProjectParticipate, pub, ok},
		{"stranger takes part in internal", user(stranger), access.ProjectParticipate, internal, ok},
		{"stranger takes part in private", user(stranger), access.ProjectParticipate, private, apperr.KindNotFound},
		{"read-only token takes part in public", readOnlyToken, access.ProjectParticipate, pub, apperr.KindPermissionDenied},
		{"read-only token takes part in internal", readOnlyToken, access.ProjectParticipate, internal, apperr.KindPermissionDenied},
		{"api token takes part in public", apiToken, access.ProjectParticipate, pub, ok},
		{"api token of another project takes part", otherProjectToken, access.ProjectParticipate, pub, apperr.KindPermissionDenied},
		{"agent session takes part in public", access.Principal{Kind: access.AgentSession, UserID: stranger}, access.ProjectParticipate, pub, apperr.KindPermissionDenied},
		{"viewer takes part in private", user(viewer), access.ProjectParticipate, private, ok},
		{"viewer's read token takes part in private", viewerReadToken, access.ProjectParticipate, private, apperr.KindPermissionDenied},
	}
	for _, c := range cases {
		err := s.Authorize(t.Context(), c.p, c.perm, c.project)
		if got := kindOf(err); got != c.want || (c.want == ok && err != nil) {
			t.Errorf("%s: got %v (kind %d), want kind %d", c.name, err, got, c.want)
		}
	}
	err = s.Authorize(t.Context(), user(viewer), access.RepoWrite, private)
	if e, _ := apperr.As(err); e == nil || e.Message != "permission repo:write is required" {
		t.Errorf("the denial names the permission: %v", err)
	}
}

func TestProjectsUnknownWithoutProjectFeature(t *testing.T) {
	e := newEnv(t)
	s, err := rbac.New(rbac.Deps{DB: e.db, Cache: e.cache, Logger: testsvc.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	u := uuid.New()
	ctx := adminCtx(t, u)
	mustBind(t, ctx, s, "admin", u, uuid.Nil)
	wantKind(t, s.Authorize(ctx, user(u), access.RepoRead, uuid.New()), apperr.KindNotFound, "any project")
	if err := s.Authorize(ctx, user(u), access.AdminRoles, uuid.Nil); err != nil {
		t.Fatal(err)
	}
	_, err = s.CreateBinding(ctx, "viewer", uuid.New(), uuid.New())
	wantKind(t, err, apperr.KindNotFound, "binding on a project")
}

func TestDelegation(t *testing.T) {
	e := newEnv(t)
	s1, s2 := e.replica(t), e.replica(t)
	admin, a, b, c := uuid.New(), uuid.New(), uuid.New(), uuid.New()
	p := e.projects.Add(access.Private)
	ctx := adminCtx(t, admin)
	mustBind(t, ctx, s1, "admin", admin, uuid.Nil)
	devBinding := mustBind(t, ctx, s1, "developer", a, p)
	now := e.clock.Now()
	day := now.Add(24 * time.Hour)

	// Narrowing: b gets exactly the subset a lent.
	lent := access.SetOf(access.ProjectRead, access.RepoWrite)
	d, err := s1.CreateDelegation(ctx, user(a), b, p, lent, "review", day)
	if err != nil {
		t.Fatal(err)
	}
	if got := effective(t, s2, user(b), p); got != lent {
		t.Fatalf("delegate holds %v, want %v", got, lent)
	}
	if got := effective(t, s2, user(b), uuid.Nil); got != 0 {
		t.Fatalf("a project delegation leaks installation-wide: %v", got)
	}

	// Refusals.
	_, err = s1.CreateDelegation(ctx, user(a), a, p, lent, "", day)
	wantKind(t, err, apperr.KindInvalid, "self-delegation")
	_, err = s1.CreateDelegation(ctx, user(a), b, p, access.SetOf(access.SecretWrite), "", day)
	wantKind(t, err, apperr.KindPermissionDenied, "lending what one lacks")
	_, err = s1.CreateDelegation(ctx, user(a), b, uuid.Nil, access.SetOf(access.RepoRead), "", day)
	wantKind(t, err, apperr.KindPermissionDenied, "a project role lent installation-wide")
	_, err = s1.CreateDelegation(ctx, user(a), b, p, lent, "", now.Add(-time.Second))
	wantKind(t, err, apperr.KindInvalid, "expired")
	_, err = s1.CreateDelegation(ctx, user(a), b, p, lent, "", now.Add(91*24*time.Hour))
	wantKind(t, err, apperr.KindInvalid, "longer than 90 days")
	tok := user(a)
	tok.TokenID, tok.TokenLimit = uuid.New(), access.SetOf(access.ProjectRead)
	_, err = s1.CreateDelegation(ctx, tok, b, p, lent, "", day)
	wantKind(t, err, apperr.KindPermissionDenied, "beyond the token's scopes")
	_, err = s1.CreateDelegation(ctx, access.AnonymousPrincipal, b, p, lent, "", day)
	wantKind(t, err, apperr.KindUnauthenticated, "anonymous")

	// A→B→A / B→C: what B was lent cannot be passed on.
	_, err = s1.CreateDelegation(ctx, user(b), a, p, access.SetOf(access.RepoWrite), "", day)
	wantKind(t, err, apperr.KindPermissionDenied, "B lends back what A lent")
	_, err = s1.CreateDelegation(ctx, user(b), c, p, access.SetOf(access.RepoWrite), "", day)
	wantKind(t, err, apperr.KindPermissionDenied, "B passes on what A lent")

	// The delegator losing the role removes the effect on the very next
	// decision of another replica, whose cache is warm.
	if err := s2.Authorize(ctx, user(b), access.RepoWrite, p); err != nil {
		t.Fatalf("delegate before: %v", err)
	}
	if err := s1.DeleteBinding(ctx, devBinding.ID); err != nil {
		t.Fatal(err)
	}
	wantKind(t, s2.Authorize(ctx, user(b), access.RepoWrite, p), apperr.KindNotFound, "delegate after the delegator lost the role")
	// ... and regaining it restores the delegation (it was never revoked).
	mustBind(t, ctx, s1, "maintainer", a, uuid.Nil)
	if err := s2.Authorize(ctx, user(b), access.RepoWrite, p); err != nil {
		t.Fatalf("delegate after the delegator regained a role: %v", err)
	}

	// A deactivated delegator lends nothing (auth invalidates on deactivation).
	e.users.Set(a, false)
	if err := s1.Invalidate(ctx); err != nil {
		t.Fatal(err)
	}
	if got := effective(t, s2, user(b), p); got != 0 {
		t.Fatalf("deactivated delegator: %v", got)
	}
	e.users.Set(a, true)
	if err := s1.Invalidate(ctx); err != nil {
		t.Fatal(err)
	}

	// Revocation by the delegator (who else may: the API's rule, see
	// TestAPIDecodesAndScopes).
	if err := s1.RevokeDelegation(ctx, user(a), d.ID); err != nil {
		t.Fatal(err)
	}
	if got := effective(t, s2, user(b), p); got != 0 {
		t.Fatalf("after revocation: %v", got)
	}
	if err := s1.RevokeDelegation(ctx, user(a), d.ID); err != nil {
		t.Fatalf("revoking twice: %v", err)
	}

	// Expiry, with a warm cache: the entry never outlives the delegation.
	short, err := s1.CreateDelegation(ctx, user(a), b, p, access.SetOf(access.PipelineRun), "", now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if got := effective(t, s2, user(b), p); got != access.SetOf(access.PipelineRun) {
		t.Fatalf("before expiry: %v", got)
	}
	e.clock.Advance(time.Minute)
	if got := effective(t, s2, user(b), p); got != 0 {
		t.Fatalf("at expiry: %v", got)
	}

	// Listing: own delegations, or all for an admin.
	list, err := s1.ListDelegations(ctx, user(c), true)
	if err != nil || len(list) != 0 {
		t.Fatalf("stranger's list: %v %v", list, err)
	}
	list, err = s1.ListDelegations(ctx, user(b), false)
	if err != nil || len(list) != 0 {
		t.Fatalf("b's active list: %v %v", list, err)
	}
	list, err = s1.ListDelegations(ctx, user(b), true)
	if err != nil || len(list) != 2 || list[0].ID != short.ID || list[1].RevokedAt.IsZero() {
		t.Fatalf("b's full list: %+v %v", list, err)
	}
	list, err = s1.ListDelegations(ctx, user(admin), true)
	if err != nil || len(list) != 2 {
		t.Fatalf("admin's list: %v %v", list, err)
	}
	if err := s1.RevokeDelegation(ctx, user(admin), short.ID); err != nil {
		t.Fatalf("admin revokes: %v", err)
	}
}

func TestCacheInvalidationAcrossReplicas(t *testing.T) {
	e := newEnv(t)
	s1, s2 := e.replica(t), e.replica(t)
	admin, u := uuid.New(), uuid.New()
	p := e.projects.Add(access.Private)
	ctx := adminCtx(t, admin)
	mustBind(t, ctx, s1, "admin", admin, uuid.Nil)

	wantKind(t, s2.Authorize(ctx, user(u), access.RepoRead, p), apperr.KindNotFound, "before the grant")
	b := mustBind(t, ctx, s1, "viewer", u, p)
	if err := s2.Authorize(ctx, user(u), access.RepoRead, p); err != nil {
		t.Fatalf("after the grant through the other replica: %v", err)
	}
	r, err := s1.CreateRole(ctx, "deployer", "", access.SetOf(access.DeployPromote))
	if err != nil {
		t.Fatal(err)
	}
	mustBind(t, ctx, s1, r.ID.String(), u, uuid.Nil)
	if err := s2.Authorize(ctx, user(u), access.DeployPromote, p); err != nil {
		t.Fatal(err)
	}
	if _, err := s1.UpdateRole(ctx, r.ID, nil, access.SetOf(access.DeployRead)); err != nil {
		t.Fatal(err)
	}
	wantKind(t, s2.Authorize(ctx, user(u), access.DeployPromote, p), apperr.KindPermissionDenied, "after the role changed")
	if err := s1.DeleteBinding(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	wantKind(t, s2.Authorize(ctx, user(u), access.RepoRead, p), apperr.KindNotFound, "after the revocation")
	if err := s1.DeleteRole(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	if got := effective(t, s2, user(u), uuid.Nil); got != 0 {
		t.Fatalf("after the role was deleted: %v", got)
	}
}

func TestRedisDownFallsBackToPostgres(t *testing.T) {
	e := newEnv(t)
	broken, err := cache.Open(t.Context(), testsvc.Redis(t), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = broken.Close() // every call now fails
	s, err := rbac.New(rbac.Deps{DB: e.db, Cache: broken, Logger: testsvc.Logger(t), Projects: e.projects})
	if err != nil {
		t.Fatal(err)
	}
	admin, u := uuid.New(), uuid.New()
	p := e.projects.Add(access.Private)
	ctx := adminCtx(t, admin)
	mustBind(t, ctx, s, "admin", admin, uuid.Nil) // commits although the invalidation fails
	wantKind(t, s.Authorize(ctx, user(u), access.RepoRead, p), apperr.KindNotFound, "no grant, Redis down")
	b := mustBind(t, ctx, s, "viewer", u, p)
	if err := s.Authorize(ctx, user(u), access.RepoRead, p); err != nil {
		t.Fatalf("granted, Redis down: %v", err)
	}
	if err := s.DeleteBinding(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	wantKind(t, s.Authorize(ctx, user(u), access.RepoRead, p), apperr.KindNotFound, "revoked, Redis down")
}

func TestRolesAndBindingsRules(t *testing.T) {
	e := newEnv(t)
	s := e.replica(t)
	admin, u := uuid.New(), uuid.New()
	ctx := adminCtx(t, admin)
	adminBinding := mustBind(t, ctx, s, "admin", admin, uuid.Nil)

	for _, name := range []string{"A", "x", "1abc", "has space", "toolong-" + string(make([]byte, 40))} {
		_, err := s.CreateRole(ctx, name, "", access.SetOf(access.RepoRead))
		wantKind(t, err, apperr.KindInvalid, "role name "+name)
	}
	_, err := s.CreateRole(ctx, "nothing", "", 0)
	wantKind(t, err, apperr.KindInvalid, "empty role")
	_, err = s.CreateRole(ctx, "viewer", "", access.SetOf(access.RepoRead))
	wantKind(t, err, apperr.KindConflict, "system role name")

	roles, err := s.ListRoles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range roles {
		_, err := s.UpdateRole(ctx, r.ID, nil, access.SetOf(access.RepoRead))
		wantKind(t, err, apperr.KindFailedPrecondition, "update "+r.Name)
		wantKind(t, s.DeleteRole(ctx, r.ID), apperr.KindFailedPrecondition, "delete "+r.Name)
	}
	_, err = s.UpdateRole(ctx, uuid.New(), nil, access.SetOf(access.RepoRead))
	wantKind(t, err, apperr.KindNotFound, "update unknown")

	_, err = s.CreateBinding(ctx, "nope", u, uuid.Nil)
	wantKind(t, err, apperr.KindNotFound, "unknown role")
	mustBind(t, ctx, s, "Viewer", u, uuid.Nil)
	_, err = s.CreateBinding(ctx, "viewer", u, uuid.Nil)
	wantKind(t, err, apperr.KindConflict, "duplicate installation-wide binding")

	// The last installation-wide admin stays.
	wantKind(t, s.DeleteBinding(ctx, adminBinding.ID), apperr.KindFailedPrecondition, "last admin binding")
	tx, err := e.db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantKind(t, s.SetAdmin(ctx, tx, admin, false), apperr.KindFailedPrecondition, "SetAdmin(false) of the last admin")
	_ = tx.Rollback(ctx)
	tx, err = e.db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetAdmin(ctx, tx, u, true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetAdmin(ctx, tx, u, true); err != nil {
		t.Fatalf("SetAdmin twice: %v", err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Invalidate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Authorize(ctx, user(u), access.AdminUsers, uuid.Nil); err != nil {
		t.Fatalf("new admin: %v", err)
	}
	if err := s.DeleteBinding(ctx, adminBinding.ID); err != nil {
		t.Fatalf("removing one of two admins: %v", err)
	}
	list, err := s.ListBindings(ctx, access.BindingFilter{UserID: u})
	if err != nil || len(list) != 2 {
		t.Fatalf("u's bindings: %+v %v", list, err)
	}
}

func TestMutationsAreAudited(t *testing.T) {
	e := newEnv(t)
	s := e.replica(t)
	admin, u := uuid.New(), uuid.New()
	p := e.projects.Add(access.Private)
	ctx := adminCtx(t, admin)
	mustBind(t, ctx, s, "admin", admin, uuid.Nil)
	r, err := s.CreateRole(ctx, "ops", "operators", access.SetOf(access.DeployPromote))
	if err != nil {
		t.Fatal(err)
	}
	desc := "on call"
	if _, err := s.UpdateRole(ctx, r.ID, &desc, 0); err != nil {
		t.Fatal(err)
	}
	b := mustBind(t, ctx, s, "ops", u, p)
	d, err := s.CreateDelegation(ctx, user(admin), u, p, access.SetOf(access.SecretRead), "incident", e.clock.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeDelegation(ctx, user(admin), d.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteBinding(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRole(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	// A refused mutation writes nothing.
	_, _ = s.CreateRole(ctx, "ops", "", 0)

	rows, err := e.db.Pool.Query(ctx, `SELECT action, actor_id, coalesce(project_id::text, '') FROM audit_events ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var action, project string
		var actor uuid.UUID
		if err := rows.Scan(&action, &actor, &project); err != nil {
			t.Fatal(err)
		}
		if actor != admin {
			t.Errorf("%s: actor %s", action, actor)
		}
		if project != "" {
			action += "@project"
		}
		got = append(got, action)
	}
	want := []string{"role.bind", "role.create", "role.update", "role.bind@project", "delegation.create@project",
		"delegation.revoke@project", "role.unbind@project", "role.delete"}
	if len(got) != len(want) {
		t.Fatalf("audit rows: got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("audit rows: got %v, want %v", got, want)
		}
	}
}

func TestInvalidateWithoutGeneration(t *testing.T) {
	// A generation that vanished (Redis flushed) must not revive entries
	// cached under a generation the counter restarts at.
	e := newEnv(t)
	s := e.replica(t)
	admin, u := uuid.New(), uuid.New()
	p := e.projects.Add(access.Private)
	ctx := adminCtx(t, admin)
	mustBind(t, ctx, s, "admin", admin, uuid.Nil)
	b := mustBind(t, ctx, s, "viewer", u, p)
	for range 2 {
		if err := s.Authorize(ctx, user(u), access.RepoRead, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.cache.Delete(ctx, "rbac:gen"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteBinding(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	wantKind(t, s.Authorize(ctx, user(u), access.RepoRead, p), apperr.KindNotFound, "after the generation vanished")
}
