package cli

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/servertest"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// TestIssueCommands: create, list, search, comment and close through the
// CLI against a real server; bad usage exits 2.
func TestIssueCommands(t *testing.T) {
	srv := servertest.Start(t)
	token := srv.AdminToken(t)
	t.Setenv("HEARTH_CONFIG_DIR", t.TempDir())
	t.Setenv("HEARTH_SERVER", srv.URL)
	t.Setenv("HEARTH_TOKEN", token)
	if _, err := hearthv1connect.NewProjectServiceClient(http.DefaultClient, srv.URL, servertest.BearerOption(token)).
		CreateProject(t.Context(), &hearthv1.CreateProjectRequest{Name: "tracker"}); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := runIn(t, "", "issue", "create", "--project", "admin/tracker", "--title", "Crash on start", "--body", "segfault in the loader")
	if code != ExitOK || !strings.HasPrefix(stdout, "#1 Crash on start") {
		t.Fatalf("issue create: %d %q %s", code, stdout, stderr)
	}
	if code, stdout, _ = runIn(t, "", "issue", "create", "--project", "admin/tracker", "--title", "Docs typo"); code != ExitOK || !strings.HasPrefix(stdout, "#2 ") {
		t.Fatalf("second issue: %d %q", code, stdout)
	}
	code, stdout, _ = runIn(t, "", "issue", "list", "--project", "admin/tracker")
	if code != ExitOK || !strings.Contains(stdout, "Crash on start") || !strings.Contains(stdout, "Docs typo") {
		t.Fatalf("issue list: %d\n%s", code, stdout)
	}
	code, stdout, _ = runIn(t, "", "issue", "list", "--project", "admin/tracker", "--search", "loader")
	if code != ExitOK || !strings.Contains(stdout, "Crash on start") || strings.Contains(stdout, "Docs typo") {
		t.Fatalf("issue search: %d\n%s", code, stdout)
	}
	if code, stdout, stderr = runIn(t, "", "issue", "comment", "--project", "admin/tracker", "--body", "reproduced", "#1"); code != ExitOK || strings.TrimSpace(stdout) == "" {
		t.Fatalf("issue comment: %d %q %s", code, stdout, stderr)
	}
	if code, stdout, _ = runIn(t, "", "issue", "close", "--project", "admin/tracker", "2"); code != ExitOK || !strings.Contains(stdout, "#2 closed") {
		t.Fatalf("issue close: %d %q", code, stdout)
	}
	code, stdout, _ = runIn(t, "", "issue", "list", "--project", "admin/tracker", "--state", "closed")
	if code != ExitOK || !strings.Contains(stdout, "Docs typo") || strings.Contains(stdout, "Crash on start") {
		t.Fatalf("closed issues: %d\n%s", code, stdout)
	}
	for _, bad := range [][]string{
		{"issue", "list", "--project", "admin/tracker", "--state", "sleeping"},
		{"issue", "close", "--project", "admin/tracker", "x"},
		{"issue", "close", "--project", "admin/tracker"},
		{"issue", "create", "--project", "tracker", "--title", "t"},
	} {
		if code, _, _ := runIn(t, "", bad...); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d", bad, code, ExitUsage)
		}
	}
	if code, _, stderr := runIn(t, "", "issue", "close", "--project", "admin/tracker", "99"); code != ExitFailure || !strings.Contains(stderr, "not_found") {
		t.Fatalf("closing a missing issue: %d %s", code, stderr)
	}
}
