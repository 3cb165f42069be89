package git_test

// Acceptance tests against a whole control plane (servertest.Start) and the
// real git client, through the git smart HTTP handler the server mounts.
// They never skip: requireGitWired fails a test whose server does not serve
// git, and a missing git binary fails the first git command. The same
// scenarios run against the handler alone in http_test.go.

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/servertest"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// requireGitWired fails when the server does not serve git (its mux
// would answer the default 404 rather than the git handler's challenge).
func requireGitWired(t *testing.T, srv *servertest.Server) {
	t.Helper()
	code, _, body := status(t, "GET", srv.URL+"/nobody/nothing.git/info/refs?service=git-upload-pack", "", nil, nil)
	if code != http.StatusUnauthorized || !strings.Contains(body, "authentication required") {
		t.Fatalf("the server does not serve git smart HTTP (got %d %q)", code, body)
	}
}

func createProject(t *testing.T, srv *servertest.Server, token, name string, vis hearthv1.Visibility) *hearthv1.Project {
	t.Helper()
	res, err := hearthv1connect.NewProjectServiceClient(http.DefaultClient, srv.URL, servertest.BearerOption(token)).
		CreateProject(context.Background(), &hearthv1.CreateProjectRequest{Name: name, Visibility: vis})
	if err != nil {
		t.Fatalf("create project %s: %v", name, err)
	}
	return res.GetProject()
}

func bind(t *testing.T, srv *servertest.Server, adminToken, role, userID, projectID string) {
	t.Helper()
	_, err := hearthv1connect.NewRoleServiceClient(http.DefaultClient, srv.URL, servertest.BearerOption(adminToken)).
		CreateRoleBinding(context.Background(), &hearthv1.CreateRoleBindingRequest{Role: role, UserId: userID, ProjectId: projectID})
	if err != nil {
		t.Fatalf("bind %s: %v", role, err)
	}
}

func TestAcceptanceGitOverServer(t *testing.T) {
	srv := servertest.Start(t)
	requireGitWired(t, srv)
	admin := srv.AdminToken(t)
	alice := srv.CreateUser(t, admin, "alice", "alice-password-123", false)
	reader := srv.CreateUser(t, admin, "reader", "reader-password-123", false)
	srv.CreateUser(t, admin, "other", "other-password-123", false)
	apiTok := srv.Token(t, "alice", "alice-password-123", "api")
	aliceTok := srv.Token(t, "alice", "alice-password-123", "repo:write")
	readerTok := srv.Token(t, "reader", "reader-password-123", "repo:read")
	otherTok := srv.Token(t, "other", "other-password-123", "repo:write")
	priv := createProject(t, srv, apiTok, "secret", hearthv1.Visibility_VISIBILITY_PRIVATE)
	createProject(t, srv, apiTok, "open", hearthv1.Visibility_VISIBILITY_PUBLIC)
	bind(t, srv, admin, "viewer", reader.GetId(), priv.GetId())
	_ = alice

	env := gitEnv(t)
	remote := withUser(srv.URL+"/alice/secret.git", "alice", aliceTok)
	work := newWorkTree(t, env, 3)
	mustGit(t, env, work, "push", remote, "main")
	head := rev(t, env, work, "HEAD")
	for _, args := range [][]string{
		{"-c", "protocol.version=2", "clone", "-q", remote, "c"},
		{"-c", "protocol.version=0", "clone", "-q", remote, "c"},
		{"clone", "-q", "--depth", "1", remote, "c"},
		{"clone", "-q", "--filter=blob:none", remote, "c"},
		{"clone", "-q", withUser(srv.URL+"/alice/secret", "alice", "alice-password-123"), "c"},
		{"-c", "http.extraHeader=Authorization: Bearer " + aliceTok, "clone", "-q", srv.URL + "/alice/secret.git", "c"},
	} {
		dir := t.TempDir()
		mustGit(t, env, dir, args...)
		if got := rev(t, env, dir+"/c", "HEAD"); got != head {
			t.Fatalf("%v: HEAD %s, want %s", args, got, head)
		}
	}
	mustGit(t, env, work, "push", remote, "main:refs/heads/feature")
	mustGit(t, env, work, "tag", "v1")
	mustGit(t, env, work, "push", remote, "v1", ":feature")
	mustGit(t, env, work, "reset", "-q", "--hard", "HEAD~1")
	out, err := gitRun(t, env, work, "push", "--force", remote, "main")
	if err == nil || !strings.Contains(out, "hearth: branch main is protected") {
		t.Fatalf("force push to main: %v\n%s", err, out)
	}

	// Authorization matrix on the private project (info/refs of both services).
	for _, c := range []struct {
		name, auth  string
		fetch, push int
	}{
		{"anonymous", "", 401, 401},
		{"bad password", basic("alice", "nope"), 401, 401},
		{"other basic token", basic("other", otherTok), 404, 404},
		{"other bearer", "Bearer " + otherTok, 404, 404},
		{"reader basic password", basic("reader", "reader-password-123"), 200, 403},
		{"reader bearer", "Bearer " + readerTok, 200, 403},
		{"alice basic token", basic("alice", aliceTok), 200, 200},
		{"alice basic password", basic("alice", "alice-password-123"), 200, 200},
		{"alice bearer", "Bearer " + aliceTok, 200, 200},
	} {
		for svc, want := range map[string]int{"git-upload-pack": c.fetch, "git-receive-pack": c.push} {
			if code, _, _ := status(t, "GET", srv.URL+"/alice/secret.git/info/refs?service="+svc, c.auth, nil, nil); code != want {
				t.Errorf("%s %s: %d, want %d", c.name, svc, code, want)
			}
		}
		// A missing project answers like a private one.
		code, _, _ := status(t, "GET", srv.URL+"/alice/missing.git/info/refs?service=git-upload-pack", c.auth, nil, nil)
		if want := map[bool]int{true: 401, false: 404}[c.fetch == 401]; code != want {
			t.Errorf("%s on a missing project: %d, want %d", c.name, code, want)
		}
	}
	// Anonymous clone of the public project.
	mustGit(t, env, t.TempDir(), "ls-remote", srv.URL+"/alice/open.git")

	// 20 concurrent pushes to different branches, 50 concurrent clones.
	var wg sync.WaitGroup
	errs := make(chan string, 70)
	for i := range 20 {
		wg.Go(func() {
			if out, err := gitRun(t, env, work, "push", remote, "main:refs/heads/c"+strings.Repeat("x", i)); err != nil {
				errs <- out
			}
		})
	}
	for range 50 {
		wg.Go(func() {
			if out, err := gitRun(t, env, t.TempDir(), "clone", "-q", remote, "c"); err != nil {
				errs <- out
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
