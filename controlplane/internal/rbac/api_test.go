package rbac_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/rbac"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

func TestEveryProcedureHasARule(t *testing.T) {
	rules := access.Rules{}
	for proc, r := range (&rbac.RoleAPI{}).Rules() {
		rules[proc] = r
	}
	for proc, r := range (&rbac.DelegationAPI{}).Rules() {
		rules[proc] = r
	}
	n := 0
	for _, fd := range []protoreflect.FileDescriptor{hearthv1.File_hearth_v1_role_proto, hearthv1.File_hearth_v1_delegation_proto} {
		svcs := fd.Services()
		for i := range svcs.Len() {
			svc := svcs.Get(i)
			methods := svc.Methods()
			for j := range methods.Len() {
				proc := "/" + string(svc.FullName()) + "/" + string(methods.Get(j).Name())
				r, ok := rules[proc]
				if !ok {
					t.Errorf("%s has no rule", proc)
				}
				if r.Public {
					t.Errorf("%s must not be public", proc)
				}
				if !r.Authenticated && r.Permission == 0 {
					t.Errorf("%s requires nothing", proc)
				}
				n++
			}
		}
	}
	if n != len(rules) {
		t.Errorf("%d procedures, %d rules", n, len(rules))
	}
	if rules["/hearth.v1.RoleService/CreateRoleBinding"].Permission != access.AdminRoles {
		t.Error("CreateRoleBinding must need admin:roles")
	}
}

func TestAPIDecodesAndScopes(t *testing.T) {
	e := newEnv(t)
	s := e.replica(t)
	roles, delegations := rbac.NewRoleAPI(s), rbac.NewDelegationAPI(s)
	admin, a, b, c := uuid.New(), uuid.New(), uuid.New(), uuid.New()
	p := e.projects.Add(access.Private)
	ctx := adminCtx(t, admin)
	mustBind(t, ctx, s, "admin", admin, uuid.Nil)

	_, err := roles.DeleteRole(ctx, &hearthv1.DeleteRoleRequest{Id: "not-a-uuid"})
	wantKind(t, err, apperr.KindInvalid, "bad id")
	_, err = roles.CreateRole(ctx, &hearthv1.CreateRoleRequest{Name: "ops", Permissions: []string{"repo:fly"}})
	wantKind(t, err, apperr.KindInvalid, "unknown permission")
	_, err = roles.CreateRoleBinding(ctx, &hearthv1.CreateRoleBindingRequest{Role: "developer", UserId: a.String(), ProjectId: "x"})
	wantKind(t, err, apperr.KindInvalid, "bad project id")

	created, err := roles.CreateRoleBinding(ctx, &hearthv1.CreateRoleBindingRequest{Role: "developer", UserId: a.String(), ProjectId: p.String()})
	if err != nil {
		t.Fatal(err)
	}
	if created.GetBinding().GetRoleName() != "developer" || created.GetBinding().GetProjectId() != p.String() {
		t.Fatalf("binding: %v", created.GetBinding())
	}
	list, err := roles.ListRoleBindings(ctx, &hearthv1.ListRoleBindingsRequest{ProjectId: p.String()})
	if err != nil || len(list.GetBindings()) != 1 {
		t.Fatalf("bindings of p: %v %v", list, err)
	}

	actx := access.WithPrincipal(ctx, user(a))
	_, err = delegations.CreateDelegation(actx, &hearthv1.CreateDelegationRequest{
		DelegateId: b.String(), ProjectId: p.String(), Permissions: []string{"repo:read"},
	})
	wantKind(t, err, apperr.KindInvalid, "missing expiry")
	d, err := delegations.CreateDelegation(actx, &hearthv1.CreateDelegationRequest{
		DelegateId: b.String(), ProjectId: p.String(), Permissions: []string{"repo:read", "repo:write"},
		ExpireTime: timestamppb.New(e.clock.Now().Add(time.Hour)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := d.GetDelegation().GetPermissions(); len(got) != 2 || d.GetDelegation().GetDelegatorId() != a.String() {
		t.Fatalf("delegation: %v", d.GetDelegation())
	}

	// Who may revoke it is the rule's: the delegator needs nothing more,
	// the delegate and anyone else admin:roles, and anyone else does not
	// learn the delegation exists.
	revoke := delegations.Rules()[hearthv1connect.DelegationServiceRevokeDelegationProcedure].Also
	req := &hearthv1.RevokeDelegationRequest{Id: d.GetDelegation().GetId()}
	for _, tc := range []struct {
		who    access.Principal
		hidden bool
		none   bool
	}{{user(a), false, true}, {user(b), false, false}, {user(c), true, false}} {
		needs, err := revoke(ctx, tc.who, uuid.Nil, req)
		switch {
		case err != nil:
			t.Errorf("revoke needs of %v: %v", tc.who.UserID, err)
		case tc.none && needs != nil:
			t.Errorf("the delegator needs %v", needs)
		case !tc.none && (len(needs) != 1 || needs[0].Permission != access.AdminRoles || (needs[0].Hidden != "") != tc.hidden):
			t.Errorf("revoke needs of %v: %+v", tc.who.UserID, needs)
		}
	}
	_, err = revoke(ctx, user(c), uuid.Nil, &hearthv1.RevokeDelegationRequest{Id: uuid.NewString()})
	wantKind(t, err, apperr.KindNotFound, "an unknown delegation")
	cctx := access.WithPrincipal(ctx, user(c))
	ls, err := delegations.ListDelegations(cctx, &hearthv1.ListDelegationsRequest{IncludeInactive: true})
	if err != nil || len(ls.GetDelegations()) != 0 {
		t.Fatalf("a stranger's list: %v %v", ls, err)
	}
	ls, err = delegations.ListDelegations(access.WithPrincipal(ctx, user(b)), &hearthv1.ListDelegationsRequest{})
	if err != nil || len(ls.GetDelegations()) != 1 {
		t.Fatalf("the delegate's list: %v %v", ls, err)
	}
	if _, err := delegations.RevokeDelegation(actx, &hearthv1.RevokeDelegationRequest{Id: d.GetDelegation().GetId()}); err != nil {
		t.Fatal(err)
	}
	rl, err := roles.ListRoles(ctx, &hearthv1.ListRolesRequest{})
	if err != nil || len(rl.GetRoles()) != 4 || !rl.GetRoles()[0].GetSystem() {
		t.Fatalf("roles: %v %v", rl, err)
	}
}
