package notify_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/hearth-dev/hearth/controlplane/servertest"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

func TestMain(m *testing.M) { testsvc.Main(m) }

type member struct {
	name  string
	token string
	notes hearthv1connect.NotificationServiceClient
}

func newMember(t *testing.T, srv *servertest.Server, admin, name string) member {
	t.Helper()
	srv.CreateUser(t, admin, name, name+"-password-123", false)
	tok := srv.Token(t, name, name+"-password-123", "api")
	return member{name: name, token: tok, notes: hearthv1connect.NewNotificationServiceClient(http.DefaultClient, srv.URL, servertest.BearerOption(tok))}
}

func (m member) types(t *testing.T) []string {
	t.Helper()
	list, err := m.notes.ListNotifications(t.Context(), &hearthv1.ListNotificationsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range list.GetNotifications() {
		out = append(out, fmt.Sprintf("%s %s %s ×%d", n.GetType(), n.GetSubject(), n.GetReason(), n.GetCount()))
	}
	return out
}

// TestWhoReceivesWhat: watchers get a project's events, participants get
// their thread's, the actor never gets their own, a muted user nothing,
// and someone who may no longer read the project nothing; a live stream
// gets the new notification and the unread count as it happens.
func TestWhoReceivesWhat(t *testing.T) {
	srv := servertest.Start(t)
	admin := srv.AdminToken(t)
	projects := hearthv1connect.NewProjectServiceClient(http.DefaultClient, srv.URL, servertest.BearerOption(admin))
	if _, err := projects.CreateProject(t.Context(), &hearthv1.CreateProjectRequest{Name: "app"}); err != nil {
		t.Fatal(err)
	}
	ada, bob, carol, dan := newMember(t, srv, admin, "ada"), newMember(t, srv, admin, "bob"), newMember(t, srv, admin, "carol"), newMember(t, srv, admin, "dan")
	for _, m := range []member{ada, bob, carol, dan} {
		if _, err := projects.AddProjectMember(t.Context(), &hearthv1.AddProjectMemberRequest{Owner: "admin", Name: "app", Username: m.name, Role: "developer"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []member{ada, bob, carol} {
		if _, err := m.notes.SetSubscription(t.Context(), &hearthv1.SetSubscriptionRequest{Owner: "admin", Name: "app", Level: "watch"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := projects.RemoveProjectMember(t.Context(), &hearthv1.RemoveProjectMemberRequest{Owner: "admin", Name: "app", Username: bob.name}); err != nil {
		t.Fatal(err)
	}
	// A subscription to a project one may not read is refused.
	outsider := newMember(t, srv, admin, "eve")
	if _, err := outsider.notes.SetSubscription(t.Context(), &hearthv1.SetSubscriptionRequest{Owner: "admin", Name: "app", Level: "watch"}); connect.CodeOf(err) != connect.CodeNotFound {
		t.Fatalf("outsider subscribes: %v", err)
	}

	// Ada follows her notifications live.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	stream, err := ada.notes.WatchNotifications(ctx, &hearthv1.WatchNotificationsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if !stream.Receive() || stream.Msg().GetUnreadCount() != 0 || stream.Msg().GetNotification() != nil {
		t.Fatalf("first message: %v %v", stream.Msg(), stream.Err())
	}

	issues := hearthv1connect.NewIssueServiceClient(http.DefaultClient, srv.URL, servertest.BearerOption(admin))
	if _, err := issues.CreateIssue(t.Context(), &hearthv1.CreateIssueRequest{Owner: "admin", Name: "app", Title: "broken build"}); err != nil {
		t.Fatal(err)
	}
	if !stream.Receive() {
		t.Fatalf("stream: %v", stream.Err())
	}
	if n := stream.Msg().GetNotification(); n.GetType() != "issue.created" || n.GetReason() != "watching" || stream.Msg().GetUnreadCount() != 1 ||
		n.GetPath() != "/admin/app/-/issues/1" {
		t.Fatalf("live: %v", stream.Msg())
	}
	// Dan comments: he joins the thread; the admin's next comment reaches
	// him as a participant though he does not watch the project.
	danIssues := hearthv1connect.NewIssueServiceClient(http.DefaultClient, srv.URL, servertest.BearerOption(dan.token))
	if _, err := danIssues.CreateComment(t.Context(), &hearthv1.CreateCommentRequest{Owner: "admin", Name: "app", Number: 1, Body: "me too"}); err != nil {
		t.Fatal(err)
	}
	// Carol takes part in the thread too, then mutes the project: nothing
	// more reaches her, not even her thread.
	carolIssues := hearthv1connect.NewIssueServiceClient(http.DefaultClient, srv.URL, servertest.BearerOption(carol.token))
	if _, err := carolIssues.CreateComment(t.Context(), &hearthv1.CreateCommentRequest{Owner: "admin", Name: "app", Number: 1, Body: "same here"}); err != nil {
		t.Fatal(err)
	}
	testsvc.WaitFor(t, "dan told of carol's comment", func() bool { return len(dan.types(t)) == 1 })
	if _, err := carol.notes.SetSubscription(t.Context(), &hearthv1.SetSubscriptionRequest{Owner: "admin", Name: "app", Level: "mute"}); err != nil {
		t.Fatal(err)
	}
	carolBefore := carol.types(t)
	if _, err := issues.CreateComment(t.Context(), &hearthv1.CreateCommentRequest{Owner: "admin", Name: "app", Number: 1, Body: "fixed"}); err != nil {
		t.Fatal(err)
	}
	// A burst on the thread while unread is one notification, counted.
	testsvc.WaitFor(t, "dan's coalesced notification", func() bool {
		got := dan.types(t)
		return len(got) == 1 && got[0] == "issue.commented #1 participating ×2"
	})
	testsvc.WaitFor(t, "ada's two notifications", func() bool {
		got := ada.types(t)
		return len(got) == 2 && got[0] == "issue.commented #1 watching ×3" && got[1] == "issue.created #1 watching ×1"
	})
	adminNotes := hearthv1connect.NewNotificationServiceClient(http.DefaultClient, srv.URL, servertest.BearerOption(admin))
	adminList, err := adminNotes.ListNotifications(t.Context(), &hearthv1.ListNotificationsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	// The admin created the issue (a participant) and gets dan's and
	// carol's comments (one notification, the latest's actor), not their
	// own events.
	if len(adminList.GetNotifications()) != 1 || adminList.GetNotifications()[0].GetActor() != "carol" || adminList.GetNotifications()[0].GetCount() != 2 {
		t.Fatalf("admin: %v", adminList.GetNotifications())
	}
	if got := bob.types(t); len(got) != 0 {
		t.Fatalf("bob, removed from the project, got %v", got)
	}
	if got := carol.types(t); !slices.Equal(got, carolBefore) {
		t.Fatalf("carol, who muted the project, got %v", got)
	}
	if subs, err := bob.notes.ListSubscriptions(t.Context(), &hearthv1.ListSubscriptionsRequest{}); err != nil || len(subs.GetSubscriptions()) != 0 {
		t.Fatalf("bob's subscriptions show a project he may not read: %v %v", subs, err)
	}
	// A mention reaches a member who does not watch, and not a user who
	// may not read the project.
	if _, err := issues.CreateComment(t.Context(), &hearthv1.CreateCommentRequest{Owner: "admin", Name: "app", Number: 1, Body: "@dan and @eve, see this"}); err != nil {
		t.Fatal(err)
	}
	testsvc.WaitFor(t, "dan mentioned", func() bool {
		for _, n := range dan.types(t) {
			if n == "mentioned #1 recipient ×1" {
				return true
			}
		}
		return false
	})
	if got := outsider.types(t); len(got) != 0 {
		t.Fatalf("eve, who may not read the project, got %v", got)
	}
	// Marking one read leaves the others.
	list, _ := ada.notes.ListNotifications(t.Context(), &hearthv1.ListNotificationsRequest{})
	res, err := ada.notes.MarkNotificationsRead(t.Context(), &hearthv1.MarkNotificationsReadRequest{Ids: []string{list.GetNotifications()[0].GetId()}})
	if err != nil || res.GetMarked() != 1 || res.GetUnreadCount() != 1 {
		t.Fatalf("mark one: %v %v", res, err)
	}
	// Another user's id marks nothing.
	if res, _ := dan.notes.MarkNotificationsRead(t.Context(), &hearthv1.MarkNotificationsReadRequest{Ids: []string{list.GetNotifications()[1].GetId()}}); res.GetMarked() != 0 {
		t.Fatalf("dan marked ada's notification: %v", res)
	}
}

// TestWebhookREST: the webhook routes answer as REST, the project's and
// the installation's (an additional binding), and a non-admin gets 403.
func TestWebhookREST(t *testing.T) {
	srv := servertest.Start(t)
	admin := srv.AdminToken(t)
	if _, err := hearthv1connect.NewProjectServiceClient(http.DefaultClient, srv.URL, servertest.BearerOption(admin)).CreateProject(t.Context(),
		&hearthv1.CreateProjectRequest{Name: "app"}); err != nil {
		t.Fatal(err)
	}
	do := func(token, method, path, body string) (int, string) {
		req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := do(admin, http.MethodPost, "/api/v1/projects/admin/app/webhooks", `{"url":"http://127.0.0.1:9/p"}`); code != http.StatusOK || !strings.Contains(body, `"secret"`) {
		t.Fatalf("create for the project: %d %s", code, body)
	}
	for _, bad := range []string{"http://user:pass@127.0.0.1:9/x", "ftp://127.0.0.1/x", "/relative"} {
		if code, body := do(admin, http.MethodPost, "/api/v1/webhooks", `{"url":"`+bad+`"}`); code != http.StatusBadRequest {
			t.Errorf("create with %s: %d %s", bad, code, body)
		}
	}
	if code, body := do(admin, http.MethodPost, "/api/v1/webhooks", `{"url":"http://127.0.0.1:9/i"}`); code != http.StatusOK {
		t.Fatalf("create installation-wide: %d %s", code, body)
	}
	code, body := do(admin, http.MethodGet, "/api/v1/projects/admin/app/webhooks", "")
	if code != http.StatusOK || !strings.Contains(body, "127.0.0.1:9/p") || strings.Contains(body, "127.0.0.1:9/i") {
		t.Fatalf("project list: %d %s", code, body)
	}
	code, body = do(admin, http.MethodGet, "/api/v1/webhooks", "")
	if code != http.StatusOK || !strings.Contains(body, "127.0.0.1:9/i") || strings.Contains(body, "127.0.0.1:9/p") {
		t.Fatalf("installation list: %d %s", code, body)
	}
	srv.CreateUser(t, admin, "ada", "ada-password-1234", false)
	ada := srv.Token(t, "ada", "ada-password-1234", "api")
	if code, _ := do(ada, http.MethodGet, "/api/v1/webhooks", ""); code != http.StatusForbidden {
		t.Fatalf("a user lists installation webhooks: %d", code)
	}
	if code, body := do(ada, http.MethodGet, "/api/v1/notifications", ""); code != http.StatusOK || !strings.Contains(body, `"unreadCount"`) {
		t.Fatalf("notifications as REST: %d %s", code, body)
	}
}
