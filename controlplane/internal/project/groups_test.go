package project_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"connectrpc.com/connect"

	"github.com/hearth-dev/hearth/controlplane/servertest"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

func groups(srv *servertest.Server, token string) hearthv1connect.GroupServiceClient {
	opts := []connect.ClientOption{}
	if token != "" {
		opts = append(opts, servertest.BearerOption(token))
	}
	return hearthv1connect.NewGroupServiceClient(http.DefaultClient, srv.URL, opts...)
}

func code(err error) connect.Code {
	if err == nil {
		return 0
	}
	return connect.CodeOf(err)
}

// groupFixture: ada maintains group "core" (private) where dev is a
// developer and viewer a viewer; out is signed in with no role.
type groupFixture struct {
	srv                        *servertest.Server
	admin, ada, dev, view, out string
}

func newGroupFixture(t *testing.T) groupFixture {
	t.Helper()
	srv := servertest.Start(t)
	admin := srv.AdminToken(t)
	f := groupFixture{srv: srv, admin: admin}
	for _, u := range []struct {
		name string
		tok  *string
	}{{"ada", &f.ada}, {"dev", &f.dev}, {"viewer", &f.view}, {"out", &f.out}} {
		srv.CreateUser(t, admin, u.name, u.name+"-password-1234", false)
		*u.tok = srv.Token(t, u.name, u.name+"-password-1234", "api")
	}
	ctx := t.Context()
	if _, err := groups(srv, f.ada).CreateGroup(ctx, &hearthv1.CreateGroupRequest{Name: "core", Description: "the core team"}); err != nil {
		t.Fatalf("create group: %v", err)
	}
	for user, role := range map[string]string{"dev": "developer", "viewer": "viewer"} {
		if _, err := groups(srv, f.ada).AddGroupMember(ctx, &hearthv1.AddGroupMemberRequest{Name: "core", Username: user, Role: role}); err != nil {
			t.Fatalf("add %s: %v", user, err)
		}
	}
	return f
}

func TestGroupMembershipAuthorizationMatrix(t *testing.T) {
	f := newGroupFixture(t)
	ctx := t.Context()

	// The creator is the maintainer; members are listed by username and role.
	res, err := groups(f.srv, f.view).ListGroupMembers(ctx, &hearthv1.ListGroupMembersRequest{Name: "CORE"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, m := range res.GetMembers() {
		got[m.GetUsername()] = m.GetRole()
	}
	if len(got) != 3 || got["ada"] != "maintainer" || got["dev"] != "developer" || got["viewer"] != "viewer" {
		t.Fatalf("members %v", got)
	}

	cases := []struct {
		who, token string
		get, add   connect.Code
	}{
		{"maintainer", f.ada, 0, 0},
		{"developer", f.dev, 0, connect.CodePermissionDenied},
		{"viewer", f.view, 0, connect.CodePermissionDenied},
		{"outsider", f.out, connect.CodeNotFound, connect.CodeNotFound},
		{"anonymous", "", connect.CodeUnauthenticated, connect.CodeUnauthenticated},
		{"installation admin", f.admin, 0, 0},
	}
	for _, c := range cases {
		_, err := groups(f.srv, c.token).GetGroup(ctx, &hearthv1.GetGroupRequest{Name: "core"})
		if code(err) != c.get {
			t.Errorf("%s GetGroup: %v, want %v", c.who, err, c.get)
		}
		_, err = groups(f.srv, c.token).ListGroupMembers(ctx, &hearthv1.ListGroupMembersRequest{Name: "core"})
		if code(err) != c.get {
			t.Errorf("%s ListGroupMembers: %v, want %v", c.who, err, c.get)
		}
		_, err = groups(f.srv, c.token).AddGroupMember(ctx, &hearthv1.AddGroupMemberRequest{Name: "core", Username: "out", Role: "viewer"})
		if code(err) != c.add {
			t.Errorf("%s AddGroupMember: %v, want %v", c.who, err, c.add)
		}
		if err == nil {
			if _, err := groups(f.srv, f.ada).RemoveGroupMember(ctx, &hearthv1.RemoveGroupMemberRequest{Name: "core", Username: "out"}); err != nil {
				t.Fatalf("undo add by %s: %v", c.who, err)
			}
		}
		_, err = groups(f.srv, c.token).RemoveGroupMember(ctx, &hearthv1.RemoveGroupMemberRequest{Name: "core", Username: "viewer"})
		if c.add == 0 {
			// Allowed: put the viewer back.
			if err != nil {
				t.Fatalf("%s RemoveGroupMember: %v", c.who, err)
			}
			if _, err := groups(f.srv, f.ada).AddGroupMember(ctx, &hearthv1.AddGroupMemberRequest{Name: "core", Username: "viewer", Role: "viewer"}); err != nil {
				t.Fatal(err)
			}
		} else if code(err) != c.add {
			t.Errorf("%s RemoveGroupMember: %v, want %v", c.who, err, c.add)
		}
	}

	// Private groups are listed only to members; public ones to anyone.
	if _, err := groups(f.srv, f.out).CreateGroup(ctx, &hearthv1.CreateGroupRequest{Name: "open-house", Visibility: hearthv1.Visibility_VISIBILITY_PUBLIC}); err != nil {
		t.Fatal(err)
	}
	list := func(token string) []string {
		res, err := groups(f.srv, token).ListGroups(ctx, &hearthv1.ListGroupsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, g := range res.GetGroups() {
			names = append(names, g.GetName())
		}
		return names
	}
	if got := strings.Join(list(f.dev), ","); got != "core,open-house" {
		t.Errorf("member lists %q", got)
	}
	if got := strings.Join(list(f.out), ","); got != "open-house" {
		t.Errorf("outsider lists %q", got)
	}
	if got := strings.Join(list(""), ","); got != "open-house" {
		t.Errorf("anonymous lists %q", got)
	}
	// Paging: one per page.
	p1, err := groups(f.srv, f.admin).ListGroups(ctx, &hearthv1.ListGroupsRequest{PageSize: 1})
	if err != nil || len(p1.GetGroups()) != 1 || p1.GetNextPageToken() == "" {
		t.Fatalf("page 1: %v %v", p1, err)
	}
	p2, err := groups(f.srv, f.admin).ListGroups(ctx, &hearthv1.ListGroupsRequest{PageSize: 1, PageToken: p1.GetNextPageToken()})
	if err != nil || len(p2.GetGroups()) != 1 || p2.GetGroups()[0].GetName() != "open-house" {
		t.Fatalf("page 2: %v %v", p2, err)
	}

	// The last maintainer stays; another maintainer lets the first go.
	if _, err := groups(f.srv, f.ada).RemoveGroupMember(ctx, &hearthv1.RemoveGroupMemberRequest{Name: "core", Username: "ada"}); code(err) != connect.CodeFailedPrecondition {
		t.Fatalf("removing the last maintainer: %v", err)
	}
	if _, err := groups(f.srv, f.ada).RemoveGroupMember(ctx, &hearthv1.RemoveGroupMemberRequest{Name: "core", Username: "out"}); code(err) != connect.CodeNotFound {
		t.Fatalf("removing a non-member: %v", err)
	}
	if _, err := groups(f.srv, f.ada).AddGroupMember(ctx, &hearthv1.AddGroupMemberRequest{Name: "core", Username: "dev", Role: "viewer"}); code(err) != connect.CodeAlreadyExists {
		t.Fatalf("adding a member twice: %v", err)
	}
}

func TestGroupRefusesHostileInput(t *testing.T) {
	f := newGroupFixture(t)
	ctx := t.Context()
	for _, name := range []string{"", "-dash", ".dot", "a/b", strings.Repeat("g", 40), "x.git", "nul\x00"} {
		if _, err := groups(f.srv, f.ada).CreateGroup(ctx, &hearthv1.CreateGroupRequest{Name: name}); code(err) != connect.CodeInvalidArgument {
			t.Errorf("group name %q: %v", name, err)
		}
	}
	if _, err := groups(f.srv, f.ada).CreateGroup(ctx, &hearthv1.CreateGroupRequest{Name: "wordy", Description: strings.Repeat("d", 2001)}); code(err) != connect.CodeInvalidArgument {
		t.Errorf("oversized description: %v", err)
	}
	// Group names share the owner namespace with usernames and groups.
	for _, name := range []string{"ADA", "Core"} {
		if _, err := groups(f.srv, f.ada).CreateGroup(ctx, &hearthv1.CreateGroupRequest{Name: name}); code(err) != connect.CodeAlreadyExists {
			t.Errorf("group named like %q: %v", name, err)
		}
	}
	// ... and a new user cannot take a group's name either.
	_, err := hearthv1connect.NewUserServiceClient(http.DefaultClient, f.srv.URL, servertest.BearerOption(f.admin)).CreateUser(ctx,
		&hearthv1.CreateUserRequest{Username: "CORE", Email: "core@example.test", Password: "core-password-1234"})
	if code(err) != connect.CodeAlreadyExists || !strings.Contains(err.Error(), "taken by a group") {
		t.Errorf("a user named like a group: %v", err)
	}
	if _, err := groups(f.srv, "").CreateGroup(ctx, &hearthv1.CreateGroupRequest{Name: "anon"}); code(err) != connect.CodeUnauthenticated {
		t.Errorf("anonymous create: %v", err)
	}
	for _, c := range []struct{ user, role string }{{"out", "overlord"}, {"out", ""}, {"nobody", "viewer"}, {"../x", "viewer"}} {
		_, err := groups(f.srv, f.ada).AddGroupMember(ctx, &hearthv1.AddGroupMemberRequest{Name: "core", Username: c.user, Role: c.role})
		if code(err) != connect.CodeInvalidArgument {
			t.Errorf("add %q as %q: %v", c.user, c.role, err)
		}
	}
	for _, tok := range []string{"!!!", "bm90IGEgbmFtZSE"} {
		if _, err := groups(f.srv, f.ada).ListGroups(ctx, &hearthv1.ListGroupsRequest{PageToken: tok}); code(err) != connect.CodeInvalidArgument {
			t.Errorf("page token %q: %v", tok, err)
		}
	}
	if _, err := groups(f.srv, f.ada).ListGroups(ctx, &hearthv1.ListGroupsRequest{PageSize: 101}); code(err) != connect.CodeInvalidArgument {
		t.Errorf("page size 101: %v", err)
	}
	if _, err := projects(f.srv, f.ada).GetProjectById(ctx, &hearthv1.GetProjectByIdRequest{Id: "not-a-uuid"}); code(err) != connect.CodeNotFound {
		t.Errorf("bad project id: %v", err)
	}
}

func TestGroupProjectVisibleToMembersOnly(t *testing.T) {
	f := newGroupFixture(t)
	ctx := t.Context()
	// Only maintainers create projects in a group.
	if _, err := projects(f.srv, f.dev).CreateProject(ctx, &hearthv1.CreateProjectRequest{Namespace: "core", Name: "nope"}); code(err) != connect.CodePermissionDenied {
		t.Fatalf("developer creating in the group: %v", err)
	}
	if _, err := projects(f.srv, f.out).CreateProject(ctx, &hearthv1.CreateProjectRequest{Namespace: "core", Name: "nope"}); code(err) != connect.CodeNotFound {
		t.Fatalf("outsider creating in the group: %v", err)
	}
	res, err := projects(f.srv, f.ada).CreateProject(ctx, &hearthv1.CreateProjectRequest{Namespace: "core", Name: "engine", Description: "secret engine"})
	if err != nil {
		t.Fatal(err)
	}
	p := res.GetProject()
	if p.GetOwner() != "core" || p.GetNamespaceKind() != hearthv1.NamespaceKind_NAMESPACE_KIND_GROUP || p.GetVisibility() != hearthv1.Visibility_VISIBILITY_PRIVATE {
		t.Fatalf("created %+v", p)
	}
	search := func(token, q string) bool {
		res, err := projects(f.srv, token).ListProjects(ctx, &hearthv1.ListProjectsRequest{Search: q})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range res.GetProjects() {
			if x.GetId() == p.GetId() {
				return true
			}
		}
		return false
	}
	for _, c := range []struct {
		who, token string
		get        connect.Code
	}{
		{"maintainer", f.ada, 0}, {"developer", f.dev, 0}, {"viewer", f.view, 0},
		{"outsider", f.out, connect.CodeNotFound}, {"anonymous", "", connect.CodeUnauthenticated},
	} {
		_, err := projects(f.srv, c.token).GetProject(ctx, &hearthv1.GetProjectRequest{Owner: "core", Name: "engine"})
		if code(err) != c.get {
			t.Errorf("%s get: %v, want %v", c.who, err, c.get)
		}
		_, err = projects(f.srv, c.token).GetProjectById(ctx, &hearthv1.GetProjectByIdRequest{Id: p.GetId()})
		if code(err) != c.get {
			t.Errorf("%s get by id: %v, want %v", c.who, err, c.get)
		}
		for _, q := range []string{"", "engine", "secret"} {
			if got := search(c.token, q); got != (c.get == 0) {
				t.Errorf("%s list/search %q shows it: %v", c.who, q, got)
			}
		}
	}
	// The group's roles apply: a viewer cannot write, a developer can.
	issues := func(token string) hearthv1connect.IssueServiceClient {
		return hearthv1connect.NewIssueServiceClient(http.DefaultClient, f.srv.URL, servertest.BearerOption(token))
	}
	if _, err := issues(f.dev).CreateLabel(ctx, &hearthv1.CreateLabelRequest{Owner: "core", Name: "engine", Label: "bug", Color: "#ff0000"}); err != nil {
		t.Errorf("developer creating a label: %v", err)
	}
	if _, err := issues(f.view).CreateLabel(ctx, &hearthv1.CreateLabelRequest{Owner: "core", Name: "engine", Label: "nit", Color: "#00ff00"}); code(err) != connect.CodePermissionDenied {
		t.Errorf("viewer creating a label: %v", err)
	}
	// Removing a member revokes their access at once (cache invalidated).
	if _, err := groups(f.srv, f.ada).RemoveGroupMember(ctx, &hearthv1.RemoveGroupMemberRequest{Name: "core", Username: "dev"}); err != nil {
		t.Fatal(err)
	}
	if _, err := projects(f.srv, f.dev).GetProject(ctx, &hearthv1.GetProjectRequest{Owner: "core", Name: "engine"}); code(err) != connect.CodeNotFound {
		t.Errorf("removed member reads the project: %v", err)
	}
	if search(f.dev, "engine") {
		t.Error("removed member still lists the project")
	}
}

// gitRun runs git in dir with a clean environment and returns its output.
func gitRun(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "git", args...)
	cmd.Dir = dir
	home := t.TempDir()
	cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.test", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.test"}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func remote(srv *servertest.Server, user, token, path string) string {
	return strings.Replace(srv.URL, "://", "://"+user+":"+token+"@", 1) + "/" + path + ".git"
}

func TestRenameTransferArchiveDelete(t *testing.T) {
	f := newGroupFixture(t)
	ctx := t.Context()
	res, err := projects(f.srv, f.ada).CreateProject(ctx, &hearthv1.CreateProjectRequest{Name: "tools"})
	if err != nil {
		t.Fatal(err)
	}
	id := res.GetProject().GetId()
	repoDir := filepath.Join(f.srv.DataDir, "repositories", id+".git")
	work := t.TempDir()
	if out, err := gitRun(t, work, "init", "-q", "-b", "main", "."); err != nil {
		t.Fatal(out)
	}
	if out, err := gitRun(t, work, "commit", "-q", "--allow-empty", "-m", "first"); err != nil {
		t.Fatal(out)
	}
	if out, err := gitRun(t, work, "push", "-q", remote(f.srv, "ada", f.ada, "ada/tools"), "main"); err != nil {
		t.Fatalf("push: %s", out)
	}

	// Only admins of the project rename it.
	if _, err := projects(f.srv, f.out).RenameProject(ctx, &hearthv1.RenameProjectRequest{Owner: "ada", Name: "tools", NewName: "x"}); code(err) != connect.CodeNotFound {
		t.Fatalf("outsider rename: %v", err)
	}
	if _, err := projects(f.srv, f.ada).CreateProject(ctx, &hearthv1.CreateProjectRequest{Name: "taken"}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]connect.Code{"TAKEN": connect.CodeAlreadyExists, "a..b": connect.CodeInvalidArgument, "": connect.CodeInvalidArgument} {
		if _, err := projects(f.srv, f.ada).RenameProject(ctx, &hearthv1.RenameProjectRequest{Owner: "ada", Name: "tools", NewName: name}); code(err) != want {
			t.Errorf("rename to %q: %v, want %v", name, err, want)
		}
	}
	ren, err := projects(f.srv, f.ada).RenameProject(ctx, &hearthv1.RenameProjectRequest{Owner: "ada", Name: "tools", NewName: "kit"})
	if err != nil || ren.GetProject().GetId() != id || ren.GetProject().GetName() != "kit" {
		t.Fatalf("rename: %v %v", ren, err)
	}
	if _, err := projects(f.srv, f.ada).GetProject(ctx, &hearthv1.GetProjectRequest{Owner: "ada", Name: "tools"}); code(err) != connect.CodeNotFound {
		t.Errorf("old path after rename: %v", err)
	}
	if out, err := gitRun(t, t.TempDir(), "clone", "-q", remote(f.srv, "ada", f.ada, "ada/kit"), "c"); err != nil {
		t.Errorf("clone after rename: %s", out)
	}

	// Transfer needs project:admin in the destination too.
	if _, err := projects(f.srv, f.ada).TransferProject(ctx, &hearthv1.TransferProjectRequest{Owner: "ada", Name: "kit", Namespace: "out"}); code(err) != connect.CodeNotFound {
		t.Errorf("transfer to another user: %v", err)
	}
	if _, err := groups(f.srv, f.dev).CreateGroup(ctx, &hearthv1.CreateGroupRequest{Name: "devs"}); err != nil {
		t.Fatal(err)
	}
	if _, err := groups(f.srv, f.dev).AddGroupMember(ctx, &hearthv1.AddGroupMemberRequest{Name: "devs", Username: "ada", Role: "developer"}); err != nil {
		t.Fatal(err)
	}
	if _, err := projects(f.srv, f.ada).TransferProject(ctx, &hearthv1.TransferProjectRequest{Owner: "ada", Name: "kit", Namespace: "devs"}); code(err) != connect.CodePermissionDenied {
		t.Errorf("transfer to a group ada only develops in: %v", err)
	}
	if _, err := projects(f.srv, f.ada).CreateProject(ctx, &hearthv1.CreateProjectRequest{Namespace: "core", Name: "KIT"}); err != nil {
		t.Fatal(err)
	}
	if _, err := projects(f.srv, f.ada).TransferProject(ctx, &hearthv1.TransferProjectRequest{Owner: "ada", Name: "kit", Namespace: "core"}); code(err) != connect.CodeAlreadyExists {
		t.Errorf("transfer onto a taken name: %v", err)
	}
	if _, err := projects(f.srv, f.ada).DeleteProject(ctx, &hearthv1.DeleteProjectRequest{Owner: "core", Name: "kit"}); err != nil {
		t.Fatal(err)
	}
	tr, err := projects(f.srv, f.ada).TransferProject(ctx, &hearthv1.TransferProjectRequest{Owner: "ada", Name: "kit", Namespace: "core"})
	if err != nil || tr.GetProject().GetOwner() != "core" || tr.GetProject().GetId() != id || tr.GetProject().GetNamespaceKind() != hearthv1.NamespaceKind_NAMESPACE_KIND_GROUP {
		t.Fatalf("transfer: %v %v", tr, err)
	}
	if _, err := projects(f.srv, f.ada).GetProject(ctx, &hearthv1.GetProjectRequest{Owner: "ada", Name: "kit"}); code(err) != connect.CodeNotFound {
		t.Errorf("old path after transfer: %v", err)
	}
	// Group members now reach it; the repository did not move.
	if out, err := gitRun(t, t.TempDir(), "clone", "-q", remote(f.srv, "viewer", f.view, "core/kit"), "c"); err != nil {
		t.Errorf("group viewer clones the transferred project: %s", out)
	}
	if _, err := os.Stat(filepath.Join(repoDir, "HEAD")); err != nil {
		t.Errorf("repository dir after rename and transfer: %v", err)
	}

	// Archive: read-only. Push and issues refused, clone works.
	if _, err := projects(f.srv, f.dev).ArchiveProject(ctx, &hearthv1.ArchiveProjectRequest{Owner: "core", Name: "kit"}); code(err) != connect.CodePermissionDenied {
		t.Errorf("developer archiving: %v", err)
	}
	ar, err := projects(f.srv, f.ada).ArchiveProject(ctx, &hearthv1.ArchiveProjectRequest{Owner: "core", Name: "kit"})
	if err != nil || !ar.GetProject().GetArchived() {
		t.Fatalf("archive: %v %v", ar, err)
	}
	if out, err := gitRun(t, work, "commit", "-q", "--allow-empty", "-m", "second"); err != nil {
		t.Fatal(out)
	}
	out, err := gitRun(t, work, "push", remote(f.srv, "ada", f.ada, "core/kit"), "main")
	if err == nil || !strings.Contains(out, "archived") {
		t.Errorf("push to an archived project: %v\n%s", err, out)
	}
	if out, err := gitRun(t, t.TempDir(), "clone", "-q", remote(f.srv, "ada", f.ada, "core/kit"), "c"); err != nil {
		t.Errorf("clone of an archived project: %s", out)
	}
	issues := hearthv1connect.NewIssueServiceClient(http.DefaultClient, f.srv.URL, servertest.BearerOption(f.ada))
	if _, err := issues.CreateIssue(ctx, &hearthv1.CreateIssueRequest{Owner: "core", Name: "kit", Title: "bug"}); code(err) != connect.CodeFailedPrecondition {
		t.Errorf("issue on an archived project: %v", err)
	}
	if _, err := projects(f.srv, f.ada).UnarchiveProject(ctx, &hearthv1.UnarchiveProjectRequest{Owner: "core", Name: "kit"}); err != nil {
		t.Fatal(err)
	}
	if out, err := gitRun(t, work, "push", "-q", remote(f.srv, "ada", f.ada, "core/kit"), "main"); err != nil {
		t.Errorf("push after unarchive: %s", out)
	}
	if _, err := issues.CreateIssue(ctx, &hearthv1.CreateIssueRequest{Owner: "core", Name: "kit", Title: "bug"}); err != nil {
		t.Errorf("issue after unarchive: %v", err)
	}

	// Soft delete hides it everywhere; the name is reusable by a new project.
	if _, err := projects(f.srv, f.dev).DeleteProject(ctx, &hearthv1.DeleteProjectRequest{Owner: "core", Name: "kit"}); code(err) != connect.CodePermissionDenied {
		t.Errorf("developer deleting: %v", err)
	}
	if _, err := projects(f.srv, f.ada).DeleteProject(ctx, &hearthv1.DeleteProjectRequest{Owner: "core", Name: "kit"}); err != nil {
		t.Fatal(err)
	}
	if _, err := projects(f.srv, f.ada).GetProject(ctx, &hearthv1.GetProjectRequest{Owner: "core", Name: "kit"}); code(err) != connect.CodeNotFound {
		t.Errorf("get after delete: %v", err)
	}
	if _, err := projects(f.srv, f.admin).GetProjectById(ctx, &hearthv1.GetProjectByIdRequest{Id: id}); code(err) != connect.CodeNotFound {
		t.Errorf("get by id after delete: %v", err)
	}
	list, err := projects(f.srv, f.admin).ListProjects(ctx, &hearthv1.ListProjectsRequest{Search: "kit"})
	if err != nil || len(list.GetProjects()) != 0 {
		t.Errorf("search after delete: %v %v", list, err)
	}
	if out, err := gitRun(t, t.TempDir(), "clone", "-q", remote(f.srv, "ada", f.ada, "core/kit"), "c"); err == nil {
		t.Errorf("clone after delete worked: %s", out)
	}
	again, err := projects(f.srv, f.ada).CreateProject(ctx, &hearthv1.CreateProjectRequest{Namespace: "core", Name: "kit"})
	if err != nil || again.GetProject().GetId() == id {
		t.Fatalf("reusing the name: %v %v", again, err)
	}
	if _, err := os.Stat(filepath.Join(repoDir, "HEAD")); err != nil {
		t.Errorf("the deleted project's repository is kept: %v", err)
	}
}

func TestProjectMembersAndRESTRoutes(t *testing.T) {
	f := newGroupFixture(t)
	ctx := t.Context()
	if _, err := projects(f.srv, f.ada).CreateProject(ctx, &hearthv1.CreateProjectRequest{Name: "solo"}); err != nil {
		t.Fatal(err)
	}
	pc := projects(f.srv, f.ada)
	if _, err := projects(f.srv, f.out).GetProject(ctx, &hearthv1.GetProjectRequest{Owner: "ada", Name: "solo"}); code(err) != connect.CodeNotFound {
		t.Fatalf("outsider before membership: %v", err)
	}
	if _, err := projects(f.srv, f.dev).AddProjectMember(ctx, &hearthv1.AddProjectMemberRequest{Owner: "ada", Name: "solo", Username: "out", Role: "viewer"}); code(err) != connect.CodeNotFound {
		t.Fatalf("non-member adding: %v", err)
	}
	if _, err := pc.AddProjectMember(ctx, &hearthv1.AddProjectMemberRequest{Owner: "ada", Name: "solo", Username: "out", Role: "viewer"}); err != nil {
		t.Fatal(err)
	}
	if _, err := projects(f.srv, f.out).GetProject(ctx, &hearthv1.GetProjectRequest{Owner: "ada", Name: "solo"}); err != nil {
		t.Fatalf("member reads: %v", err)
	}
	ms, err := projects(f.srv, f.out).ListProjectMembers(ctx, &hearthv1.ListProjectMembersRequest{Owner: "ada", Name: "solo"})
	if err != nil || len(ms.GetMembers()) != 2 {
		t.Fatalf("members: %v %v", ms, err)
	}
	if _, err := projects(f.srv, f.out).RemoveProjectMember(ctx, &hearthv1.RemoveProjectMemberRequest{Owner: "ada", Name: "solo", Username: "ada"}); code(err) != connect.CodePermissionDenied {
		t.Errorf("viewer removing the owner: %v", err)
	}
	if _, err := pc.RemoveProjectMember(ctx, &hearthv1.RemoveProjectMemberRequest{Owner: "ada", Name: "solo", Username: "ada"}); code(err) != connect.CodeFailedPrecondition {
		t.Errorf("removing a user project's last maintainer: %v", err)
	}
	if _, err := pc.RemoveProjectMember(ctx, &hearthv1.RemoveProjectMemberRequest{Owner: "ada", Name: "solo", Username: "out"}); err != nil {
		t.Fatal(err)
	}
	if _, err := projects(f.srv, f.out).GetProject(ctx, &hearthv1.GetProjectRequest{Owner: "ada", Name: "solo"}); code(err) != connect.CodeNotFound {
		t.Errorf("removed member reads: %v", err)
	}

	// REST, as curl would.
	rest := func(method, path, token, body string) (int, map[string]any) {
		req, err := http.NewRequestWithContext(ctx, method, f.srv.URL+path, bytes.NewBufferString(body))
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		return res.StatusCode, m
	}
	if st, m := rest("POST", "/api/v1/groups", f.out, `{"name":"rest-group","visibility":"VISIBILITY_PUBLIC"}`); st != 200 || m["group"] == nil {
		t.Fatalf("POST /api/v1/groups: %d %v", st, m)
	}
	if st, m := rest("GET", "/api/v1/groups", "", ""); st != 200 || len(m["groups"].([]any)) != 1 {
		t.Fatalf("GET /api/v1/groups anonymously: %d %v", st, m)
	}
	if st, _ := rest("GET", "/api/v1/groups/core", f.out, ""); st != 404 {
		t.Errorf("GET private group as outsider: %d", st)
	}
	if st, _ := rest("POST", "/api/v1/groups/rest-group/members", f.out, `{"username":"dev","role":"developer"}`); st != 200 {
		t.Errorf("POST group member: %d", st)
	}
	if st, m := rest("GET", "/api/v1/groups/rest-group/members", f.dev, ""); st != 200 || len(m["members"].([]any)) != 2 {
		t.Errorf("GET group members: %d %v", st, m)
	}
	if st, _ := rest("DELETE", "/api/v1/groups/rest-group/members/dev", f.out, ""); st != 200 {
		t.Errorf("DELETE group member: %d", st)
	}
	if st, m := rest("POST", "/api/v1/projects", f.out, `{"name":"web","namespace":"rest-group"}`); st != 200 || m["project"].(map[string]any)["owner"] != "rest-group" {
		t.Fatalf("POST project in group: %d %v", st, m)
	}
	if st, m := rest("POST", "/api/v1/projects/rest-group/web/rename", f.out, `{"new_name":"site"}`); st != 200 || m["project"].(map[string]any)["name"] != "site" {
		t.Errorf("rename: %d %v", st, m)
	}
	if st, _ := rest("POST", "/api/v1/projects/rest-group/site/archive", f.out, `{}`); st != 200 {
		t.Errorf("archive: %d", st)
	}
	if st, _ := rest("POST", "/api/v1/projects/rest-group/site/unarchive", f.out, `{}`); st != 200 {
		t.Errorf("unarchive: %d", st)
	}
	if st, _ := rest("POST", "/api/v1/projects/rest-group/site/members", f.out, `{"username":"viewer","role":"viewer"}`); st != 200 {
		t.Errorf("add project member: %d", st)
	}
	if st, m := rest("GET", "/api/v1/projects/rest-group/site/members", f.view, ""); st != 200 || len(m["members"].([]any)) != 1 {
		t.Errorf("list project members: %d %v", st, m)
	}
	if st, _ := rest("DELETE", "/api/v1/projects/rest-group/site/members/viewer", f.out, ""); st != 200 {
		t.Errorf("remove project member: %d", st)
	}
	if st, m := rest("POST", "/api/v1/projects/rest-group/site/transfer", f.out, `{"namespace":"out"}`); st != 200 || m["project"].(map[string]any)["owner"] != "out" {
		t.Errorf("transfer to self: %d %v", st, m)
	}
	if st, m := rest("GET", "/api/v1/projects?search=site", f.out, ""); st != 200 || len(m["projects"].([]any)) != 1 {
		t.Errorf("search: %d %v", st, m)
	}
	if st, _ := rest("DELETE", "/api/v1/projects/out/site", f.out, ""); st != 200 {
		t.Errorf("delete: %d", st)
	}
	if st, _ := rest("GET", "/api/v1/projects/out/site", f.out, ""); st != 404 {
		t.Errorf("get after delete: %d", st)
	}
}
