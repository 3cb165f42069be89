package project_test

import (
	"net/http"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hearth-dev/hearth/controlplane/servertest"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// The hole an outside review found: a delegate lent project:admin who
// also holds a narrower role of their own (a viewer or developer covering
// for the owner) could add members with that narrower role, and remove
// members, because only the granted role's permissions were checked
// against their own bindings, never project:admin itself. Every membership
// or binding change now needs project:admin (admin:roles for installation
// bindings) through the caller's own bindings, so none of it outlives the
// delegation.
func TestDelegateCannotChangeMemberships(t *testing.T) {
	w := newEscalationWorld(t)
	ctx := t.Context()
	admin := projects(w.srv, w.admin)
	alice := projects(w.srv, w.alice)
	// dave covers for alice: a developer of alice/app and of group core in
	// his own right, lent project:admin on alice/app; erin is who he would
	// let in; carol is a viewer he would throw out.
	for _, name := range []string{"dave", "erin"} {
		w.ids[name] = w.srv.CreateUser(t, w.admin, name, name+"-password-1234", false).GetId()
	}
	dave := w.srv.Token(t, "dave", "dave-password-1234", "api")
	for _, m := range []struct{ user, role string }{{"dave", "developer"}, {"carol", "viewer"}} {
		if _, err := alice.AddProjectMember(ctx, &hearthv1.AddProjectMemberRequest{Owner: "alice", Name: "app", Username: m.user, Role: m.role}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := groups(w.srv, w.alice).AddGroupMember(ctx, &hearthv1.AddGroupMemberRequest{Name: "core", Username: "dave", Role: "developer"}); err != nil {
		t.Fatal(err)
	}
	delegations := hearthv1connect.NewDelegationServiceClient(http.DefaultClient, w.srv.URL, servertest.BearerOption(w.alice))
	d, err := delegations.CreateDelegation(ctx, &hearthv1.CreateDelegationRequest{
		DelegateId: w.ids["dave"], ProjectId: w.appID, Permissions: []string{"project:read", "project:admin"},
		Reason: "holiday cover", ExpireTime: timestamppb.New(time.Now().Add(time.Hour)),
	})
	if err != nil {
		t.Fatal(err)
	}
	// The installation administrator also lends dave project:admin
	// everywhere (a delegation without a project).
	adminDelegations := hearthv1connect.NewDelegationServiceClient(http.DefaultClient, w.srv.URL, servertest.BearerOption(w.admin))
	if _, err := adminDelegations.CreateDelegation(ctx, &hearthv1.CreateDelegationRequest{
		DelegateId: w.ids["dave"], Permissions: []string{"project:read", "project:admin"},
		Reason: "installation-wide cover", ExpireTime: timestamppb.New(time.Now().Add(time.Hour)),
	}); err != nil {
		t.Fatal(err)
	}

	asDave := projects(w.srv, dave)
	// The delegation works: dave administers alice/app (archive, unarchive).
	if _, err := asDave.ArchiveProject(ctx, &hearthv1.ArchiveProjectRequest{Owner: "alice", Name: "app"}); err != nil {
		t.Fatalf("delegate archiving: %v", err)
	}
	if _, err := asDave.UnarchiveProject(ctx, &hearthv1.UnarchiveProjectRequest{Owner: "alice", Name: "app"}); err != nil {
		t.Fatalf("delegate unarchiving: %v", err)
	}

	for _, p := range []struct{ owner, name string }{{"alice", "app"}, {"core", "app"}} {
		for _, role := range []string{"viewer", "developer", "maintainer"} {
			_, err := asDave.AddProjectMember(ctx, &hearthv1.AddProjectMemberRequest{Owner: p.owner, Name: p.name, Username: "erin", Role: role})
			wantDenied(t, "delegate adding erin to "+p.owner+"/"+p.name+" as "+role, err, "project:admin")
		}
	}
	_, err = asDave.RemoveProjectMember(ctx, &hearthv1.RemoveProjectMemberRequest{Owner: "alice", Name: "app", Username: "carol"})
	wantDenied(t, "delegate removing carol", err, "project:admin")
	_, err = asDave.RemoveProjectMember(ctx, &hearthv1.RemoveProjectMemberRequest{Owner: "alice", Name: "app", Username: "dave"})
	wantDenied(t, "delegate removing himself", err, "project:admin")
	_, err = asDave.TransferProject(ctx, &hearthv1.TransferProjectRequest{Owner: "alice", Name: "app", Namespace: "dave"})
	wantDenied(t, "delegate transferring to himself", err, "project:admin")

	// Group memberships: delegations never reach a group.
	asDaveGroups := groups(w.srv, dave)
	_, err = asDaveGroups.AddGroupMember(ctx, &hearthv1.AddGroupMemberRequest{Name: "core", Username: "erin", Role: "viewer"})
	wantDenied(t, "delegate adding a group member", err, "")
	_, err = asDaveGroups.RemoveGroupMember(ctx, &hearthv1.RemoveGroupMemberRequest{Name: "core", Username: "alice"})
	wantDenied(t, "delegate removing a group member", err, "")

	// Installation role bindings need admin:roles, never lent.
	roles := hearthv1connect.NewRoleServiceClient(http.DefaultClient, w.srv.URL, servertest.BearerOption(dave))
	_, err = roles.CreateRoleBinding(ctx, &hearthv1.CreateRoleBindingRequest{Role: "viewer", UserId: w.ids["erin"], ProjectId: w.appID})
	wantDenied(t, "delegate binding a role", err, "")
	bs, err := hearthv1connect.NewRoleServiceClient(http.DefaultClient, w.srv.URL, servertest.BearerOption(w.admin)).
		ListRoleBindings(ctx, &hearthv1.ListRoleBindingsRequest{ProjectId: w.appID})
	if err != nil || len(bs.GetBindings()) == 0 {
		t.Fatalf("bindings: %v %v", bs, err)
	}
	_, err = roles.DeleteRoleBinding(ctx, &hearthv1.DeleteRoleBindingRequest{Id: bs.GetBindings()[0].GetId()})
	wantDenied(t, "delegate deleting a binding", err, "")

	// Once the delegations end, nothing dave did remains: the members are
	// still alice, dave and carol.
	if _, err := delegations.RevokeDelegation(ctx, &hearthv1.RevokeDelegationRequest{Id: d.GetDelegation().GetId()}); err != nil {
		t.Fatal(err)
	}
	ms, err := admin.ListProjectMembers(ctx, &hearthv1.ListProjectMembersRequest{Owner: "alice", Name: "app"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, m := range ms.GetMembers() {
		got[m.GetUsername()] = m.GetRole()
	}
	if len(got) != 3 || got["alice"] != "maintainer" || got["dave"] != "developer" || got["carol"] != "viewer" {
		t.Errorf("members of alice/app after the attempts: %v", got)
	}
	gm, err := groups(w.srv, w.admin).ListGroupMembers(ctx, &hearthv1.ListGroupMembersRequest{Name: "core"})
	if err != nil || len(gm.GetMembers()) != 2 {
		t.Errorf("members of core after the attempts: %v %v", gm, err)
	}

	// The owner, through her own binding, still changes members.
	if _, err := alice.AddProjectMember(ctx, &hearthv1.AddProjectMemberRequest{Owner: "alice", Name: "app", Username: "erin", Role: "viewer"}); err != nil {
		t.Errorf("owner adding a viewer: %v", err)
	}
	if _, err := alice.RemoveProjectMember(ctx, &hearthv1.RemoveProjectMemberRequest{Owner: "alice", Name: "app", Username: "erin"}); err != nil {
		t.Errorf("owner removing a viewer: %v", err)
	}
	if _, err := admin.RemoveProjectMember(ctx, &hearthv1.RemoveProjectMemberRequest{Owner: "alice", Name: "app", Username: "carol"}); err != nil {
		t.Errorf("installation administrator removing a member: %v", err)
	}
}
