package project_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"connectrpc.com/connect"

	"github.com/hearth-dev/hearth/controlplane/servertest"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

func TestMain(m *testing.M) { testsvc.Main(m) }

func projects(srv *servertest.Server, token string) hearthv1connect.ProjectServiceClient {
	opts := []connect.ClientOption{}
	if token != "" {
		opts = append(opts, servertest.BearerOption(token))
	}
	return hearthv1connect.NewProjectServiceClient(http.DefaultClient, srv.URL, opts...)
}

func TestCreateAndGetWithVisibility(t *testing.T) {
	srv := servertest.Start(t)
	admin := srv.AdminToken(t)
	srv.CreateUser(t, admin, "ada", "ada-password-1234", false)
	srv.CreateUser(t, admin, "bob", "bob-password-1234", false)
	ada := srv.Token(t, "ada", "ada-password-1234", "api")
	bob := srv.Token(t, "bob", "bob-password-1234", "api")
	ctx := t.Context()

	for name, vis := range map[string]hearthv1.Visibility{
		"secret": hearthv1.Visibility_VISIBILITY_PRIVATE,
		"inside": hearthv1.Visibility_VISIBILITY_INTERNAL,
		"open":   hearthv1.Visibility_VISIBILITY_PUBLIC,
	} {
		res, err := projects(srv, ada).CreateProject(ctx, &hearthv1.CreateProjectRequest{Name: name, Visibility: vis})
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		p := res.GetProject()
		if p.GetOwner() != "ada" || p.GetDefaultBranch() != "main" || p.GetVisibility() != vis || p.GetHttpUrl() != srv.URL+"/ada/"+name+".git" {
			t.Fatalf("created %+v", p)
		}
		// The bare repository exists, named by id.
		if _, err := os.Stat(filepath.Join(srv.DataDir, "repositories", p.GetId()+".git", "HEAD")); err != nil {
			t.Fatalf("repository of %s: %v", name, err)
		}
	}
	get := func(token, name string) connect.Code {
		_, err := projects(srv, token).GetProject(ctx, &hearthv1.GetProjectRequest{Owner: "ada", Name: name})
		if err == nil {
			return 0
		}
		return connect.CodeOf(err)
	}
	cases := []struct {
		who, token, name string
		want             connect.Code
	}{
		{"owner", ada, "secret", 0},
		{"owner, any case", ada, "SECRET", 0},
		{"other user", bob, "secret", connect.CodeNotFound},
		{"anonymous", "", "secret", connect.CodeUnauthenticated},
		{"other user", bob, "inside", 0},
		{"anonymous", "", "inside", connect.CodeUnauthenticated},
		{"anonymous", "", "open", 0},
		{"other user", bob, "missing", connect.CodeNotFound},
		{"anonymous", "", "missing", connect.CodeUnauthenticated},
	}
	for _, c := range cases {
		if got := get(c.token, c.name); got != c.want {
			t.Errorf("%s reading %s: %v, want %v", c.who, c.name, got, c.want)
		}
	}
}

func TestCreateRefusesBadNamesAndDuplicates(t *testing.T) {
	srv := servertest.Start(t)
	admin := srv.AdminToken(t)
	ctx := t.Context()
	for _, name := range []string{"", "..", ".hidden", "-dash", "a/b", "x.git", "a..b", "nul\x00", strings.Repeat("a", 1000), "%2e%2e"} {
		_, err := projects(srv, admin).CreateProject(ctx, &hearthv1.CreateProjectRequest{Name: name})
		if connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Errorf("name %q: %v, want invalid_argument", name, err)
		}
	}
	if _, err := projects(srv, admin).CreateProject(ctx, &hearthv1.CreateProjectRequest{Name: "tools"}); err != nil {
		t.Fatal(err)
	}
	_, err := projects(srv, admin).CreateProject(ctx, &hearthv1.CreateProjectRequest{Name: "Tools"})
	if connect.CodeOf(err) != connect.CodeAlreadyExists {
		t.Fatalf("case-insensitive duplicate: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Join(srv.DataDir, "repositories"))
	if len(entries) != 1 {
		t.Fatalf("%d repositories after one successful create", len(entries))
	}
	if _, err := projects(srv, "").CreateProject(ctx, &hearthv1.CreateProjectRequest{Name: "anon"}); connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatalf("anonymous create: %v", err)
	}
}
