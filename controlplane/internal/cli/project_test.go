package cli

import (
	"strings"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/servertest"
)

// TestProjectCommands: create, list, search and show projects through the
// CLI against a real server; another user sees only what they may read;
// bad usage exits 2 and server refusals exit 1.
func TestProjectCommands(t *testing.T) {
	srv := servertest.Start(t)
	admin := srv.AdminToken(t)
	srv.CreateUser(t, admin, "ada", "ada-password-1234", false)
	ada := srv.Token(t, "ada", "ada-password-1234", "api")
	t.Setenv("HEARTH_CONFIG_DIR", t.TempDir())
	t.Setenv("HEARTH_SERVER", srv.URL)
	t.Setenv("HEARTH_TOKEN", admin)

	code, stdout, stderr := runIn(t, "", "project", "create", "tools", "--description", "build helpers", "--visibility", "public", "--default-branch", "trunk")
	if code != ExitOK || !strings.Contains(stdout, "project:        admin/tools") || !strings.Contains(stdout, "default branch: trunk") ||
		!strings.Contains(stdout, "visibility:     public") || !strings.Contains(stdout, "clone:          "+srv.URL+"/admin/tools.git") {
		t.Fatalf("project create: %d %q %s", code, stdout, stderr)
	}
	if code, stdout, stderr = runIn(t, "", "project", "create", "vault"); code != ExitOK || !strings.Contains(stdout, "visibility:     private") {
		t.Fatalf("private project: %d %q %s", code, stdout, stderr)
	}
	code, stdout, _ = runIn(t, "", "project", "list")
	if code != ExitOK || !strings.Contains(stdout, "admin/tools") || !strings.Contains(stdout, "admin/vault") {
		t.Fatalf("project list: %d\n%s", code, stdout)
	}
	code, stdout, _ = runIn(t, "", "project", "list", "--search", "helpers")
	if code != ExitOK || !strings.Contains(stdout, "admin/tools") || strings.Contains(stdout, "admin/vault") {
		t.Fatalf("project search: %d\n%s", code, stdout)
	}
	if code, stdout, _ = runIn(t, "", "project", "get", "admin/tools"); code != ExitOK || !strings.Contains(stdout, "description:    build helpers") {
		t.Fatalf("project get: %d %q", code, stdout)
	}

	// A group, a member, and a private project in it.
	if code, stdout, stderr = runIn(t, "", "group", "create", "platform", "--description", "the platform team"); code != ExitOK || !strings.Contains(stdout, "platform private") {
		t.Fatalf("group create: %d %q %s", code, stdout, stderr)
	}
	if code, stdout, stderr = runIn(t, "", "group", "add-member", "platform", "--user", "ada", "--role", "viewer"); code != ExitOK || !strings.Contains(stdout, "ada is viewer of platform") {
		t.Fatalf("group add-member: %d %q %s", code, stdout, stderr)
	}
	code, stdout, _ = runIn(t, "", "group", "members", "platform")
	if code != ExitOK || !strings.Contains(stdout, "admin") || !strings.Contains(stdout, "maintainer") || !strings.Contains(stdout, "viewer") {
		t.Fatalf("group members: %d\n%s", code, stdout)
	}
	if code, stdout, stderr = runIn(t, "", "project", "create", "infra", "--namespace", "platform"); code != ExitOK || !strings.Contains(stdout, "project:        platform/infra") {
		t.Fatalf("project create in a group: %d %q %s", code, stdout, stderr)
	}
	if code, stdout, _ = runIn(t, "", "group", "list"); code != ExitOK || !strings.Contains(stdout, "platform") || !strings.Contains(stdout, "the platform team") {
		t.Fatalf("group list: %d\n%s", code, stdout)
	}

	// Ada sees the public project and the group's (as its viewer), not the
	// private one of admin's.
	t.Setenv("HEARTH_TOKEN", ada)
	if code, stdout, _ = runIn(t, "", "project", "get", "platform/infra"); code != ExitOK {
		t.Fatalf("a group viewer reading the group's project: %d %q", code, stdout)
	}
	if code, _, stderr := runIn(t, "", "project", "create", "x", "--namespace", "platform"); code != ExitFailure || !strings.Contains(stderr, "permission_denied") {
		t.Fatalf("a viewer creating a project in the group: %d %s", code, stderr)
	}
	code, stdout, _ = runIn(t, "", "project", "list")
	if code != ExitOK || !strings.Contains(stdout, "admin/tools") || strings.Contains(stdout, "admin/vault") {
		t.Fatalf("ada's project list: %d\n%s", code, stdout)
	}
	if code, _, stderr := runIn(t, "", "project", "get", "admin/vault"); code != ExitFailure || !strings.Contains(stderr, "not_found") {
		t.Fatalf("ada reading a private project: %d %s", code, stderr)
	}
	if code, _, stderr := runIn(t, "", "project", "create", "bad..name"); code != ExitFailure || !strings.Contains(stderr, "invalid_argument") {
		t.Fatalf("bad name: %d %s", code, stderr)
	}
	for _, bad := range [][]string{
		{"project", "create"},
		{"project", "create", "x", "--visibility", "secret"},
		{"project", "get", "tools"},
		{"project", "list", "--limit", "0"},
		{"project", "list", "extra"},
		{"group", "add-member", "platform"},
		{"group", "create", "g", "--visibility", "nope"},
	} {
		if code, _, _ := runIn(t, "", bad...); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d", bad, code, ExitUsage)
		}
	}
}
