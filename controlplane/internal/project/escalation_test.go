package project_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hearth-dev/hearth/controlplane/servertest"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// escalationWorld: alice owns alice/app and maintains group "core" (which
// owns core/app); bob and carol are signed in with no role; each user's id
// is in ids.
type escalationWorld struct {
	srv                      *servertest.Server
	admin, alice, bob, carol string
	ids                      map[string]string
	appID, coreAppID         string
}

func newEscalationWorld(t *testing.T) escalationWorld {
	t.Helper()
	srv := servertest.Start(t)
	w := escalationWorld{srv: srv, admin: srv.AdminToken(t), ids: map[string]string{}}
	for _, u := range []struct {
		name string
		tok  *string
	}{{"alice", &w.alice}, {"bob", &w.bob}, {"carol", &w.carol}} {
		w.ids[u.name] = srv.CreateUser(t, w.admin, u.name, u.name+"-password-1234", false).GetId()
		*u.tok = srv.Token(t, u.name, u.name+"-password-1234", "api")
	}
	ctx := t.Context()
	res, err := projects(srv, w.alice).CreateProject(ctx, &hearthv1.CreateProjectRequest{Name: "app"})
	if err != nil {
		t.Fatal(err)
	}
	w.appID = res.GetProject().GetId()
	if _, err := groups(srv, w.alice).CreateGroup(ctx, &hearthv1.CreateGroupRequest{Name: "core"}); err != nil {
		t.Fatal(err)
	}
	res, err = projects(srv, w.alice).CreateProject(ctx, &hearthv1.CreateProjectRequest{Namespace: "core", Name: "app"})
	if err != nil {
		t.Fatal(err)
	}
	w.coreAppID = res.GetProject().GetId()
	return w
}

func wantDenied(t *testing.T, what string, err error, mention string) {
	t.Helper()
	if code(err) != connect.CodePermissionDenied {
		t.Errorf("%s: %v, want PermissionDenied", what, err)
		return
	}
	if mention != "" && !strings.Contains(err.Error(), mention) {
		t.Errorf("%s: %v, want it to name %s", what, err, mention)
	}
}

// A delegation of project:admin lets its delegate administer the project
// while it lasts, but not turn itself (or anyone) into a member: that
// would outlive the delegation.
func TestDelegatedAdminCannotGrantRolesOrTransfer(t *testing.T) {
	w := newEscalationWorld(t)
	ctx := t.Context()
	deleg := hearthv1connect.NewDelegationServiceClient(http.DefaultClient, w.srv.URL, servertest.BearerOption(w.alice))
	if _, err := deleg.CreateDelegation(ctx, &hearthv1.CreateDelegationRequest{
		DelegateId: w.ids["bob"], ProjectId: w.appID, Permissions: []string{"project:read", "project:admin"},
		Reason: "cover for me", ExpireTime: timestamppb.New(time.Now().Add(time.Hour)),
	}); err != nil {
		t.Fatal(err)
	}
	bob := projects(w.srv, w.bob)
	// The delegation works: bob administers the project (a rename is fine).
	if _, err := bob.ListProjectMembers(ctx, &hearthv1.ListProjectMembersRequest{Owner: "alice", Name: "app"}); err != nil {
		t.Fatalf("delegate reads members: %v", err)
	}
	for _, role := range []string{"maintainer", "developer", "viewer"} {
		for _, user := range []string{"bob", "carol"} {
			_, err := bob.AddProjectMember(ctx, &hearthv1.AddProjectMemberRequest{Owner: "alice", Name: "app", Username: user, Role: role})
			wantDenied(t, fmt.Sprintf("delegate adding %s as %s", user, role), err, "project:read")
		}
	}
	_, err := bob.TransferProject(ctx, &hearthv1.TransferProjectRequest{Owner: "alice", Name: "app", Namespace: "bob"})
	wantDenied(t, "delegate transferring to himself", err, "secret:read")
	// Nor into a group of his own, where he is maintainer.
	if _, err := groups(w.srv, w.bob).CreateGroup(ctx, &hearthv1.CreateGroupRequest{Name: "bobs"}); err != nil {
		t.Fatal(err)
	}
	_, err = bob.TransferProject(ctx, &hearthv1.TransferProjectRequest{Owner: "alice", Name: "app", Namespace: "bobs"})
	wantDenied(t, "delegate transferring to his group", err, "")

	ms, err := projects(w.srv, w.alice).ListProjectMembers(ctx, &hearthv1.ListProjectMembersRequest{Owner: "alice", Name: "app"})
	if err != nil || len(ms.GetMembers()) != 1 || ms.GetMembers()[0].GetUsername() != "alice" {
		t.Fatalf("members after the attempts: %v %v", ms, err)
	}
	// Alice, a maintainer through her own binding, may grant maintainer.
	if _, err := projects(w.srv, w.alice).AddProjectMember(ctx, &hearthv1.AddProjectMemberRequest{Owner: "alice", Name: "app", Username: "carol", Role: "maintainer"}); err != nil {
		t.Fatalf("owner adding a maintainer: %v", err)
	}
}

// A custom role with project:admin but no secret:* cannot hand out a role
// holding more than it does, on a project or a group, nor take the
// project into its holder's namespace.
func TestCustomRoleCannotGrantBeyondItself(t *testing.T) {
	w := newEscalationWorld(t)
	ctx := t.Context()
	roles := hearthv1connect.NewRoleServiceClient(http.DefaultClient, w.srv.URL, servertest.BearerOption(w.admin))
	if _, err := roles.CreateRole(ctx, &hearthv1.CreateRoleRequest{Name: "gatekeeper", Permissions: []string{"project:read", "project:admin"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := roles.CreateRoleBinding(ctx, &hearthv1.CreateRoleBindingRequest{Role: "gatekeeper", UserId: w.ids["bob"], ProjectId: w.appID}); err != nil {
		t.Fatal(err)
	}
	bob := projects(w.srv, w.bob)
	_, err := bob.AddProjectMember(ctx, &hearthv1.AddProjectMemberRequest{Owner: "alice", Name: "app", Username: "carol", Role: "maintainer"})
	wantDenied(t, "gatekeeper adding a maintainer", err, "secret:read")
	_, err = bob.AddProjectMember(ctx, &hearthv1.AddProjectMemberRequest{Owner: "alice", Name: "app", Username: "carol", Role: "viewer"})
	wantDenied(t, "gatekeeper adding a viewer (repo:read it lacks)", err, "repo:read")
	if _, err := bob.AddProjectMember(ctx, &hearthv1.AddProjectMemberRequest{Owner: "alice", Name: "app", Username: "carol", Role: "gatekeeper"}); err != nil {
		t.Errorf("gatekeeper granting its own role: %v", err)
	}
	_, err = bob.TransferProject(ctx, &hearthv1.TransferProjectRequest{Owner: "alice", Name: "app", Namespace: "bob"})
	wantDenied(t, "gatekeeper transferring to himself", err, "secret:read")

	// On a group: alice (maintainer) may give bob the narrower role; bob
	// may then not give carol maintainer.
	g := groups(w.srv, w.alice)
	if _, err := g.AddGroupMember(ctx, &hearthv1.AddGroupMemberRequest{Name: "core", Username: "bob", Role: "gatekeeper"}); err != nil {
		t.Fatal(err)
	}
	_, err = groups(w.srv, w.bob).AddGroupMember(ctx, &hearthv1.AddGroupMemberRequest{Name: "core", Username: "carol", Role: "maintainer"})
	wantDenied(t, "group gatekeeper adding a maintainer", err, "secret:write")
	if _, err := groups(w.srv, w.bob).AddGroupMember(ctx, &hearthv1.AddGroupMemberRequest{Name: "core", Username: "carol", Role: "gatekeeper"}); err != nil {
		t.Errorf("group gatekeeper granting its own role: %v", err)
	}
	// The group's gatekeeper administers core/app but cannot take it.
	_, err = bob.TransferProject(ctx, &hearthv1.TransferProjectRequest{Owner: "core", Name: "app", Namespace: "bob"})
	wantDenied(t, "group gatekeeper transferring the group's project", err, "")

	// An installation administrator grants anything.
	if _, err := projects(w.srv, w.admin).AddProjectMember(ctx, &hearthv1.AddProjectMemberRequest{Owner: "alice", Name: "app", Username: "bob", Role: "maintainer"}); code(err) != connect.CodeAlreadyExists {
		t.Errorf("admin adding bob, already a member: %v", err)
	}
	if _, err := groups(w.srv, w.admin).AddGroupMember(ctx, &hearthv1.AddGroupMemberRequest{Name: "core", Username: "bob", Role: "admin"}); code(err) != connect.CodeAlreadyExists {
		t.Errorf("admin adding bob to the group again: %v", err)
	}
	if _, err := projects(w.srv, w.admin).AddProjectMember(ctx, &hearthv1.AddProjectMemberRequest{Owner: "core", Name: "app", Username: "carol", Role: "admin"}); err != nil {
		t.Errorf("admin granting the admin role on a project: %v", err)
	}
	// A maintainer does not hold admin:*, so cannot grant the admin role.
	_, err = projects(w.srv, w.alice).AddProjectMember(ctx, &hearthv1.AddProjectMemberRequest{Owner: "alice", Name: "app", Username: "carol", Role: "admin"})
	wantDenied(t, "maintainer granting admin", err, "admin:")
}

// A project-level maintainer of a group's project cannot take it away
// from the group: transfer and delete need the group's maintainers.
func TestProjectMaintainerCannotTakeGroupProject(t *testing.T) {
	w := newEscalationWorld(t)
	ctx := t.Context()
	alice, bob := projects(w.srv, w.alice), projects(w.srv, w.bob)
	if _, err := alice.AddProjectMember(ctx, &hearthv1.AddProjectMemberRequest{Owner: "core", Name: "app", Username: "bob", Role: "maintainer"}); err != nil {
		t.Fatal(err)
	}
	// bob administers it otherwise (renames work).
	if _, err := bob.RenameProject(ctx, &hearthv1.RenameProjectRequest{Owner: "core", Name: "app", NewName: "engine"}); err != nil {
		t.Fatalf("project maintainer renaming: %v", err)
	}
	_, err := bob.TransferProject(ctx, &hearthv1.TransferProjectRequest{Owner: "core", Name: "engine", Namespace: "bob"})
	wantDenied(t, "project maintainer transferring the group's project to himself", err, "group core")
	_, err = bob.DeleteProject(ctx, &hearthv1.DeleteProjectRequest{Owner: "core", Name: "engine"})
	wantDenied(t, "project maintainer deleting the group's project", err, "group core")
	if _, err := bob.GetProject(ctx, &hearthv1.GetProjectRequest{Owner: "core", Name: "engine"}); err != nil {
		t.Fatalf("the project after the attempts: %v", err)
	}
	// The group's maintainer may do both.
	tr, err := alice.TransferProject(ctx, &hearthv1.TransferProjectRequest{Owner: "core", Name: "engine", Namespace: "alice"})
	if err != nil || tr.GetProject().GetOwner() != "alice" || tr.GetProject().GetId() != w.coreAppID {
		t.Fatalf("group maintainer transferring: %v %v", tr, err)
	}
	if _, err := alice.TransferProject(ctx, &hearthv1.TransferProjectRequest{Owner: "alice", Name: "engine", Namespace: "core"}); err != nil {
		t.Fatalf("transferring back: %v", err)
	}
	if _, err := alice.DeleteProject(ctx, &hearthv1.DeleteProjectRequest{Owner: "core", Name: "engine"}); err != nil {
		t.Fatalf("group maintainer deleting: %v", err)
	}
	if _, err := alice.GetProject(ctx, &hearthv1.GetProjectRequest{Owner: "core", Name: "engine"}); code(err) != connect.CodeNotFound {
		t.Errorf("after delete: %v", err)
	}
}

func TestMemberListsArePaged(t *testing.T) {
	w := newEscalationWorld(t)
	ctx := t.Context()
	// Five more members: alice + 5 on the project, alice + 5 on the group.
	var names []string
	for i := range 5 {
		name := fmt.Sprintf("member%d", i)
		w.srv.CreateUser(t, w.admin, name, name+"-password-1234", false)
		names = append(names, name)
		if _, err := projects(w.srv, w.alice).AddProjectMember(ctx, &hearthv1.AddProjectMemberRequest{Owner: "alice", Name: "app", Username: name, Role: "viewer"}); err != nil {
			t.Fatal(err)
		}
		if _, err := groups(w.srv, w.alice).AddGroupMember(ctx, &hearthv1.AddGroupMemberRequest{Name: "core", Username: name, Role: "developer"}); err != nil {
			t.Fatal(err)
		}
	}
	want := "alice," + strings.Join(names, ",")

	pageProject := func(size int32, tok string) ([]string, string, error) {
		res, err := projects(w.srv, w.alice).ListProjectMembers(ctx, &hearthv1.ListProjectMembersRequest{Owner: "alice", Name: "app", PageSize: size, PageToken: tok})
		var got []string
		for _, m := range res.GetMembers() {
			got = append(got, m.GetUsername())
		}
		return got, res.GetNextPageToken(), err
	}
	pageGroup := func(size int32, tok string) ([]string, string, error) {
		res, err := groups(w.srv, w.alice).ListGroupMembers(ctx, &hearthv1.ListGroupMembersRequest{Name: "core", PageSize: size, PageToken: tok})
		var got []string
		for _, m := range res.GetMembers() {
			got = append(got, m.GetUsername())
		}
		return got, res.GetNextPageToken(), err
	}
	for kind, page := range map[string]func(int32, string) ([]string, string, error){"project": pageProject, "group": pageGroup} {
		var all []string
		tok, pages := "", 0
		for {
			got, next, err := page(2, tok)
			if err != nil {
				t.Fatalf("%s page %d: %v", kind, pages, err)
			}
			if len(got) > 2 {
				t.Fatalf("%s page of %d", kind, len(got))
			}
			all = append(all, got...)
			pages++
			if next == "" {
				break
			}
			if pages > 10 {
				t.Fatalf("%s: paging does not end", kind)
			}
			tok = next
		}
		if strings.Join(all, ",") != want || pages != 3 {
			t.Errorf("%s members in %d pages: %v, want %s", kind, pages, all, want)
		}
		// The default page holds them all, with no next token.
		got, next, err := page(0, "")
		if err != nil || strings.Join(got, ",") != want || next != "" {
			t.Errorf("%s default page: %v %q %v", kind, got, next, err)
		}
		for _, bad := range []string{"!!!", "bm90IGEgY3Vyc29y", "MTIzNDU"} {
			if _, _, err := page(2, bad); code(err) != connect.CodeInvalidArgument {
				t.Errorf("%s page token %q: %v", kind, bad, err)
			}
		}
		for _, size := range []int32{-1, 101} {
			if _, _, err := page(size, ""); code(err) != connect.CodeInvalidArgument {
				t.Errorf("%s page size %d: %v", kind, size, err)
			}
		}
	}
}
