package cli

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/servertest"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// TestNotificationAndWebhookCommands: a watcher lists and marks read the
// notification of an issue through the CLI; an admin creates, lists,
// inspects and deletes a webhook, whose delivery to a loopback target is
// refused and logged.
func TestNotificationAndWebhookCommands(t *testing.T) {
	srv := servertest.Start(t)
	admin := srv.AdminToken(t)
	t.Setenv("HEARTH_CONFIG_DIR", t.TempDir())
	t.Setenv("HEARTH_SERVER", srv.URL)
	t.Setenv("HEARTH_TOKEN", admin)
	if code, _, stderr := runIn(t, "", "project", "create", "app"); code != ExitOK {
		t.Fatal(stderr)
	}
	srv.CreateUser(t, admin, "ada", "ada-password-1234", false)
	ada := srv.Token(t, "ada", "ada-password-1234", "api")
	projects := hearthv1connect.NewProjectServiceClient(http.DefaultClient, srv.URL, servertest.BearerOption(admin))
	if _, err := projects.AddProjectMember(t.Context(), &hearthv1.AddProjectMemberRequest{Owner: "admin", Name: "app", Username: "ada", Role: "developer"}); err != nil {
		t.Fatal(err)
	}
	if _, err := hearthv1connect.NewNotificationServiceClient(http.DefaultClient, srv.URL, servertest.BearerOption(ada)).
		SetSubscription(t.Context(), &hearthv1.SetSubscriptionRequest{Owner: "admin", Name: "app", Level: "watch"}); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runIn(t, "", "webhook", "create", "http://127.0.0.1:9/hook", "--project", "admin/app", "--events", "issue.created")
	if code != ExitOK || !strings.Contains(stdout, "signing secret (shown once): ") {
		t.Fatalf("webhook create: %d %q %s", code, stdout, stderr)
	}
	id := strings.TrimPrefix(strings.SplitN(stdout, "\n", 2)[0], "webhook ")
	if code, stdout, _ = runIn(t, "", "webhook", "list", "--project", "admin/app"); code != ExitOK || !strings.Contains(stdout, id) || !strings.Contains(stdout, "issue.created") {
		t.Fatalf("webhook list: %d %q", code, stdout)
	}
	if code, stdout, stderr = runIn(t, "", "issue", "create", "--project", "admin/app", "--title", "broken"); code != ExitOK {
		t.Fatalf("issue create: %d %q %s", code, stdout, stderr)
	}

	t.Setenv("HEARTH_TOKEN", ada)
	testsvc.WaitFor(t, "ada's notification", func() bool {
		_, stdout, _ := runIn(t, "", "notifications", "--unread")
		return strings.Contains(stdout, "issue.created") && strings.Contains(stdout, "1 unread")
	})
	if code, stdout, _ = runIn(t, "", "notifications", "mark-read"); code != ExitOK || stdout != "marked 1 read\n" {
		t.Fatalf("mark read: %d %q", code, stdout)
	}
	if _, stdout, _ = runIn(t, "", "notifications", "--unread"); !strings.Contains(stdout, "0 unread") {
		t.Fatalf("after mark read: %q", stdout)
	}
	// Ada may not see the project's webhooks (project:admin).
	if code, _, stderr = runIn(t, "", "webhook", "list", "--project", "admin/app"); code != ExitFailure || !strings.Contains(stderr, "permission") {
		t.Fatalf("ada lists webhooks: %d %q", code, stderr)
	}

	t.Setenv("HEARTH_TOKEN", admin)
	testsvc.WaitFor(t, "the refused delivery", func() bool {
		_, stdout, _ := runIn(t, "", "webhook", "deliveries", id, "--project", "admin/app")
		return strings.Contains(stdout, "failed") && strings.Contains(stdout, "loopback")
	})
	if code, _, stderr = runIn(t, "", "webhook", "create", "ftp://example.test/", "--project", "admin/app"); code != ExitFailure || !strings.Contains(stderr, "http://") {
		t.Fatalf("bad URL: %d %q", code, stderr)
	}
	if code, stdout, _ = runIn(t, "", "webhook", "delete", id, "--project", "admin/app"); code != ExitOK {
		t.Fatalf("delete: %d %q", code, stdout)
	}
	if code, _, _ = runIn(t, "", "webhook", "deliveries", id, "--project", "admin/app"); code != ExitFailure {
		t.Fatal("the deleted webhook's log is still there")
	}
}
