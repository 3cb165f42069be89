package project_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"connectrpc.com/connect"

	"github.com/hearth-dev/hearth/controlplane/servertest"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

type listWorld struct {
	srv             *servertest.Server
	admin, ada, bob string
	bobID           string
}

func newListWorld(t *testing.T) *listWorld {
	t.Helper()
	srv := servertest.Start(t)
	admin := srv.AdminToken(t)
	srv.CreateUser(t, admin, "ada", "ada-password-1234", false)
	bob := srv.CreateUser(t, admin, "bob", "bob-password-1234", false)
	return &listWorld{
		srv: srv, admin: admin, bobID: bob.GetId(),
		ada: srv.Token(t, "ada", "ada-password-1234", "api"),
		bob: srv.Token(t, "bob", "bob-password-1234", "api"),
	}
}

func (w *listWorld) create(t *testing.T, name, description string, vis hearthv1.Visibility) *hearthv1.Project {
	t.Helper()
	res, err := projects(w.srv, w.ada).CreateProject(t.Context(), &hearthv1.CreateProjectRequest{Name: name, Description: description, Visibility: vis})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return res.GetProject()
}

// listAll pages through ListProjects and returns "owner/name" in order.
func listAll(t *testing.T, c hearthv1connect.ProjectServiceClient, search string, size int32) []string {
	t.Helper()
	var out []string
	token := ""
	for range 100 {
		res, err := c.ListProjects(t.Context(), &hearthv1.ListProjectsRequest{Search: search, PageSize: size, PageToken: token})
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		if int32(len(res.GetProjects())) > size {
			t.Fatalf("page of %d, asked for %d", len(res.GetProjects()), size)
		}
		for _, p := range res.GetProjects() {
			out = append(out, p.GetOwner()+"/"+p.GetName())
		}
		if token = res.GetNextPageToken(); token == "" {
			return out
		}
	}
	t.Fatal("pagination does not end")
	return nil
}

func TestListProjectsVisibilityAndPagination(t *testing.T) {
	w := newListWorld(t)
	private := hearthv1.Visibility_VISIBILITY_PRIVATE
	w.create(t, "p-secret", "hidden things", private)
	w.create(t, "p-inside", "for staff", hearthv1.Visibility_VISIBILITY_INTERNAL)
	for _, n := range []string{"a-open", "b-open", "c-open", "d-open", "e-open"} {
		w.create(t, n, "", hearthv1.Visibility_VISIBILITY_PUBLIC)
	}
	for _, n := range []string{"q-private", "r-private", "s-private"} {
		w.create(t, n, "", private)
	}
	public := []string{"ada/a-open", "ada/b-open", "ada/c-open", "ada/d-open", "ada/e-open"}
	everything := append(append([]string{}, public...), "ada/p-inside", "ada/p-secret", "ada/q-private", "ada/r-private", "ada/s-private")
	for _, c := range []struct {
		who, token string
		want       []string
	}{
		{"anonymous", "", public},
		{"outsider", w.bob, append(append([]string{}, public...), "ada/p-inside")},
		{"owner", w.ada, everything},
	} {
		for _, size := range []int32{1, 2, 3, 100} {
			got := listAll(t, projects(w.srv, c.token), "", size)
			if strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("%s, pages of %d: %v, want %v", c.who, size, got, c.want)
			}
		}
	}
	// Search never reveals a private project to an outsider, by name or description.
	for _, q := range []string{"secret", "HIDDEN", "private"} {
		if got := listAll(t, projects(w.srv, w.bob), q, 10); len(got) != 0 {
			t.Errorf("outsider searching %q: %v", q, got)
		}
	}
	if got := listAll(t, projects(w.srv, w.ada), "HIDDEN", 10); strings.Join(got, ",") != "ada/p-secret" {
		t.Errorf("owner searching the description: %v", got)
	}
	if got := listAll(t, projects(w.srv, ""), "ADA/B-", 10); strings.Join(got, ",") != "ada/b-open" {
		t.Errorf("search on owner/name: %v", got)
	}
	if _, err := projects(w.srv, "").ListProjects(t.Context(), &hearthv1.ListProjectsRequest{PageToken: "!!"}); connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Errorf("bad page token: %v", err)
	}
}

func TestListProjectsSearchEscapesWildcards(t *testing.T) {
	w := newListWorld(t)
	pub := hearthv1.Visibility_VISIBILITY_PUBLIC
	w.create(t, "under_score", "", pub)
	w.create(t, "underXscore", "", pub)
	w.create(t, "plain", "100% done", pub)
	w.create(t, "other", "1000 done", pub)
	for q, want := range map[string]string{
		"under_score": "ada/under_score",
		"_":           "ada/under_score",
		"100%":        "ada/plain",
		"%":           "ada/plain",
		"0% d":        "ada/plain",
	} {
		if got := listAll(t, projects(w.srv, ""), q, 10); strings.Join(got, ",") != want {
			t.Errorf("search %q: %v, want %s", q, got, want)
		}
	}
}

func TestUpdateProject(t *testing.T) {
	w := newListWorld(t)
	ctx := t.Context()
	w.create(t, "secret", "", hearthv1.Visibility_VISIBILITY_PRIVATE)
	p := w.create(t, "tools", "", hearthv1.Visibility_VISIBILITY_PRIVATE)
	// bob is a developer on tools: he may read it, not administer it.
	roles := hearthv1connect.NewRoleServiceClient(http.DefaultClient, w.srv.URL, servertest.BearerOption(w.admin))
	if _, err := roles.CreateRoleBinding(ctx, &hearthv1.CreateRoleBindingRequest{Role: "developer", UserId: w.bobID, ProjectId: p.GetId()}); err != nil {
		t.Fatal(err)
	}
	desc := "changed"
	_, err := projects(w.srv, w.bob).UpdateProject(ctx, &hearthv1.UpdateProjectRequest{Owner: "ada", Name: "tools", Description: &desc})
	if connect.CodeOf(err) != connect.CodePermissionDenied {
		t.Fatalf("developer updating: %v, want permission_denied", err)
	}
	_, err = projects(w.srv, w.bob).UpdateProject(ctx, &hearthv1.UpdateProjectRequest{Owner: "ada", Name: "secret", Description: &desc})
	if connect.CodeOf(err) != connect.CodeNotFound {
		t.Fatalf("outsider updating a private project: %v, want not_found", err)
	}
	for _, b := range []string{"bad..name", "-x", "a.lock", "", "x y"} {
		_, err := projects(w.srv, w.ada).UpdateProject(ctx, &hearthv1.UpdateProjectRequest{Owner: "ada", Name: "tools", DefaultBranch: &b})
		if connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Errorf("default branch %q: %v", b, err)
		}
	}
	// Visibility, description and default branch, through REST.
	body, _ := json.Marshal(map[string]any{"visibility": "VISIBILITY_PUBLIC", "description": "now open", "defaultBranch": "trunk"})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPatch, w.srv.URL+"/api/v1/projects/ada/tools", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+w.ada)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("PATCH: %d", res.StatusCode)
	}
	got, err := projects(w.srv, "").GetProject(ctx, &hearthv1.GetProjectRequest{Owner: "ada", Name: "tools"})
	if err != nil {
		t.Fatalf("anonymous get after going public: %v", err)
	}
	if g := got.GetProject(); g.GetDescription() != "now open" || g.GetDefaultBranch() != "trunk" || g.GetVisibility() != hearthv1.Visibility_VISIBILITY_PUBLIC {
		t.Fatalf("after update: %+v", g)
	}
	head, err := os.ReadFile(filepath.Join(w.srv.DataDir, "repositories", p.GetId()+".git", "HEAD"))
	if err != nil || strings.TrimSpace(string(head)) != "ref: refs/heads/trunk" {
		t.Fatalf("repository HEAD: %q, %v", head, err)
	}
	if l := listAll(t, projects(w.srv, ""), "", 10); strings.Join(l, ",") != "ada/tools" {
		t.Fatalf("anonymous list after going public: %v", l)
	}
	// And back to private: gone from an outsider's list.
	private := hearthv1.Visibility_VISIBILITY_PRIVATE
	if _, err := projects(w.srv, w.ada).UpdateProject(ctx, &hearthv1.UpdateProjectRequest{Owner: "ada", Name: "tools", Visibility: private}); err != nil {
		t.Fatal(err)
	}
	if l := listAll(t, projects(w.srv, ""), "", 10); len(l) != 0 {
		t.Fatalf("anonymous list after going private: %v", l)
	}
	if l := listAll(t, projects(w.srv, w.bob), "", 10); strings.Join(l, ",") != "ada/tools" {
		t.Fatalf("developer's list: %v", l)
	}
	// Two updates audited; the refused ones not.
	audits := hearthv1connect.NewAuditServiceClient(http.DefaultClient, w.srv.URL, servertest.BearerOption(w.admin))
	ev, err := audits.ListAuditEvents(ctx, &hearthv1.ListAuditEventsRequest{ActionPrefix: "project.update", ProjectId: p.GetId()})
	if err != nil || len(ev.GetEvents()) != 2 {
		t.Fatalf("audit events: %v, %v", ev.GetEvents(), err)
	}
	// The list over REST, with its query parameters.
	req, _ = http.NewRequestWithContext(ctx, http.MethodGet, w.srv.URL+"/api/v1/projects?search=TOO&page_size=5", nil)
	req.Header.Set("Authorization", "Bearer "+w.ada)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var listed struct {
		Projects []struct{ Name string }
	}
	if err := json.NewDecoder(res.Body).Decode(&listed); err != nil || res.StatusCode != http.StatusOK ||
		len(listed.Projects) != 1 || listed.Projects[0].Name != "tools" {
		t.Fatalf("REST list: %d %+v %v", res.StatusCode, listed, err)
	}
}
