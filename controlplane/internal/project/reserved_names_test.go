package project_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/servertest"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// wantReserved expects InvalidArgument naming the reserved word.
func wantReserved(t *testing.T, what string, err error, word string) {
	t.Helper()
	if code(err) != connect.CodeInvalidArgument || !strings.Contains(err.Error(), "reserved") || !strings.Contains(err.Error(), word) {
		t.Errorf("%s: %v, want invalid_argument saying %q is reserved", what, err, word)
	}
}

// Names of the server's own routes cannot be taken by a user or a group
// (the owners of project URLs), whatever their case: otherwise user "api"
// with project "v1" would put a repository at /api/v1.git.
func TestReservedNamesAreRefused(t *testing.T) {
	srv := servertest.Start(t)
	ctx := t.Context()
	admin := srv.AdminToken(t)
	users := hearthv1connect.NewUserServiceClient(http.DefaultClient, srv.URL, servertest.BearerOption(admin))
	adminGroups := groups(srv, admin)
	reserved := map[string]string{
		"api": "api", "API": "api", "Assets": "assets", "healthz": "healthz", "readyz": "readyz", "metrics": "metrics",
		"ws": "ws", "mcp": "mcp", "v1": "v1", "favicon.ico": "favicon.ico", "robots.txt": "robots.txt",
		"login": "login", "static": "static", "console": "console",
		"hearth.v1": "hearth.", "opentelemetry.proto": "opentelemetry.", "grpc.health.v1": "grpc.",
	}
	n := 0
	for name, word := range reserved {
		n++
		_, err := users.CreateUser(ctx, &hearthv1.CreateUserRequest{Username: name, Email: fmt.Sprintf("r%d@example.test", n), Password: "reserved-password-1234"})
		wantReserved(t, "user "+name, err, word)
		_, err = adminGroups.CreateGroup(ctx, &hearthv1.CreateGroupRequest{Name: name})
		wantReserved(t, "group "+name, err, word)
	}
	// "-" (the console's /-/ pages) fails the syntax already.
	if _, err := users.CreateUser(ctx, &hearthv1.CreateUserRequest{Username: "-", Email: "x@example.test", Password: "reserved-password-1234"}); code(err) != connect.CodeInvalidArgument {
		t.Errorf("user -: %v", err)
	}
	// Names that merely resemble a route are free.
	for _, name := range []string{"apis", "v10", "hearth", "metrics-team"} {
		if _, err := users.CreateUser(ctx, &hearthv1.CreateUserRequest{Username: name, Email: name + "@example.test", Password: "reserved-password-1234"}); err != nil {
			t.Errorf("user %s: %v", name, err)
		}
		if _, err := adminGroups.CreateGroup(ctx, &hearthv1.CreateGroupRequest{Name: name + "-g"}); err != nil {
			t.Errorf("group %s-g: %v", name, err)
		}
	}

	// Projects: a .git or .atom suffix reads as another resource of the
	// project, on create and on rename.
	p := projects(srv, admin)
	for _, name := range []string{"feed.atom", "Feed.ATOM"} {
		_, err := p.CreateProject(ctx, &hearthv1.CreateProjectRequest{Name: name})
		wantReserved(t, "project "+name, err, ".atom")
	}
	if _, err := p.CreateProject(ctx, &hearthv1.CreateProjectRequest{Name: "tools.git"}); code(err) != connect.CodeInvalidArgument {
		t.Errorf("project tools.git: %v", err)
	}
	if _, err := p.CreateProject(ctx, &hearthv1.CreateProjectRequest{Name: "v1"}); err != nil {
		t.Fatalf("project v1 under admin: %v", err)
	}
	_, err := p.RenameProject(ctx, &hearthv1.RenameProjectRequest{Owner: "admin", Name: "v1", NewName: "v1.atom"})
	wantReserved(t, "rename to v1.atom", err, ".atom")

	// An account named before the list reserved its name (here: renamed
	// in the database) holds no new project.
	legacy := srv.CreateUser(t, admin, "legacy", "legacy-password-1234", false)
	legacyToken := srv.Token(t, "legacy", "legacy-password-1234", "api")
	conn, err := pgx.Connect(ctx, srv.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	if _, err := conn.Exec(ctx, "UPDATE users SET username = 'api' WHERE id = $1", legacy.GetId()); err != nil {
		t.Fatal(err)
	}
	_, err = projects(srv, legacyToken).CreateProject(ctx, &hearthv1.CreateProjectRequest{Name: "v1"})
	wantReserved(t, "project of the legacy user api", err, "api")
	// Likewise a legacy group.
	if _, err := adminGroups.CreateGroup(ctx, &hearthv1.CreateGroupRequest{Name: "oldgroup"}); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "UPDATE groups SET name = 'assets' WHERE name = 'oldgroup'"); err != nil {
		t.Fatal(err)
	}
	_, err = p.CreateProject(ctx, &hearthv1.CreateProjectRequest{Namespace: "assets", Name: "ui"})
	wantReserved(t, "project of the legacy group assets", err, "assets")

	// The API is where it was.
	res, err := http.Get(srv.URL + "/api/v1/version")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("GET /api/v1/version: %d %s", res.StatusCode, body)
	}
}
