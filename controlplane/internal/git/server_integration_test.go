package git_test

import (
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"

	"github.com/hearth-dev/hearth/controlplane/servertest"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// TestRefRulesAndBrowsingThroughTheServer: rules set through the API are
// enforced on push, only project admins may change them, and what was
// pushed is browsable and downloadable.
func TestRefRulesAndBrowsingThroughTheServer(t *testing.T) {
	srv := servertest.Start(t)
	ctx := t.Context()
	admin := srv.AdminToken(t)
	srv.CreateUser(t, admin, "alice", "alice-password-123", false)
	bob := srv.CreateUser(t, admin, "bob", "bob-password-1234", false)
	aliceAPI := srv.Token(t, "alice", "alice-password-123", "api")
	bobAPI := srv.Token(t, "bob", "bob-password-1234", "api")
	proj := createProject(t, srv, aliceAPI, "tools", hearthv1.Visibility_VISIBILITY_PRIVATE)
	bind(t, srv, admin, "developer", bob.GetId(), proj.GetId())

	rules := func(token string) hearthv1connect.RefRuleServiceClient {
		return hearthv1connect.NewRefRuleServiceClient(http.DefaultClient, srv.URL, servertest.BearerOption(token))
	}
	release := &hearthv1.ProtectedRef{Kind: "branch", Pattern: "release/*", PushPermission: "project:admin"}
	if _, err := rules(bobAPI).SetProtectedRef(ctx, &hearthv1.SetProtectedRefRequest{Owner: "alice", Name: "tools", Rule: release}); connect.CodeOf(err) != connect.CodePermissionDenied {
		t.Fatalf("a developer changed ref rules: %v", err)
	}
	if _, err := rules(aliceAPI).SetProtectedRef(ctx, &hearthv1.SetProtectedRefRequest{Owner: "alice", Name: "tools", Rule: release}); err != nil {
		t.Fatal(err)
	}
	listed, err := rules(bobAPI).ListProtectedRefs(ctx, &hearthv1.ListProtectedRefsRequest{Owner: "alice", Name: "tools"})
	if err != nil || len(listed.GetRules()) != 1 || listed.GetRules()[0].GetPattern() != "release/*" {
		t.Fatalf("list rules: %v %v", listed, err)
	}

	env := gitEnv(t)
	work := newWorkTree(t, env, 3)
	bobRemote := withUser(srv.URL+"/alice/tools.git", "bob", bobAPI)
	mustGit(t, env, work, "push", bobRemote, "main")
	out, err := gitRun(t, env, work, "push", bobRemote, "main:refs/heads/release/1")
	if err == nil || !strings.Contains(out, "remote: hearth:") {
		t.Fatalf("developer pushed to a release branch: %v\n%s", err, out)
	}
	mustGit(t, env, work, "push", withUser(srv.URL+"/alice/tools.git", "alice", aliceAPI), "main:refs/heads/release/1")

	// The rule goes away through REST (a pattern with '/' in the path).
	req, _ := http.NewRequestWithContext(ctx, http.MethodDelete, srv.URL+"/api/v1/projects/alice/tools/protected-refs/branch/release/*", nil)
	req.Header.Set("Authorization", "Bearer "+aliceAPI)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("DELETE rule over REST: %d", res.StatusCode)
	}
	mustGit(t, env, work, "push", bobRemote, "main:refs/heads/release/2")

	repo := hearthv1connect.NewRepositoryServiceClient(http.DefaultClient, srv.URL, servertest.BearerOption(bobAPI))
	branches, err := repo.ListBranches(ctx, &hearthv1.ListBranchesRequest{Owner: "alice", Name: "tools"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range branches.GetBranches() {
		names = append(names, b.GetName())
	}
	if strings.Join(names, ",") != "main,release/1,release/2" {
		t.Fatalf("branches %v", names)
	}
	tree, err := repo.GetTree(ctx, &hearthv1.GetTreeRequest{Owner: "alice", Name: "tools", Ref: "main"})
	if err != nil || len(tree.GetEntries()) != 1 || tree.GetEntries()[0].GetName() != "file.txt" {
		t.Fatalf("tree: %v %v", tree, err)
	}
	commits, err := repo.ListCommits(ctx, &hearthv1.ListCommitsRequest{Owner: "alice", Name: "tools", Ref: "main"})
	if err != nil || len(commits.GetCommits()) != 3 {
		t.Fatalf("commits: %v %v", commits, err)
	}
	for path, wantType := range map[string]string{
		"/api/v1/projects/alice/tools/repository/archive?ref=main&format=tar.gz": "application/gzip",
		"/api/v1/projects/alice/tools/repository/raw?ref=main&path=file.txt":     "application/octet-stream",
	} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+bobAPI)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != wantType {
			t.Errorf("%s: %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
		}
		anon, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
		res, err = http.DefaultClient.Do(anon)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("anonymous %s on a private project: %d", path, res.StatusCode)
		}
	}
}
