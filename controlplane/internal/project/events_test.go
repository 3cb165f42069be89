package project_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/servertest"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
)

// recordedEvent is one row of project_events, as a later notification
// feature will read it.
type recordedEvent struct {
	kind, actor, subject string
	detail               map[string]any
}

// projectEvents reads the events recorded for project owner/name, oldest
// first, straight from the server's database.
func projectEvents(t *testing.T, srv *servertest.Server, owner, name string) []recordedEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	conn, err := pgx.Connect(ctx, srv.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT e.kind, e.actor_name, e.subject, e.detail FROM project_events e
		JOIN projects p ON p.id = e.project_id WHERE p.owner_name = $1 AND p.name = $2 ORDER BY e.id`, owner, name)
	if err != nil {
		t.Fatal(err)
	}
	var out []recordedEvent
	for rows.Next() {
		var e recordedEvent
		if err := rows.Scan(&e.kind, &e.actor, &e.subject, &e.detail); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestIssueActivityIsRecordedAsEvents: creating, commenting on and closing
// an issue each record one event naming the actor and the issue; a refused
// change records none.
func TestIssueActivityIsRecordedAsEvents(t *testing.T) {
	w := newIssueWorld(t)
	ctx := t.Context()
	created, err := issues(w.srv, w.ada).CreateIssue(ctx, &hearthv1.CreateIssueRequest{Owner: "ada", Name: "open", Title: "Leaks memory"})
	if err != nil {
		t.Fatal(err)
	}
	n := created.GetIssue().GetNumber()
	comment, err := issues(w.srv, w.bob).CreateComment(ctx, &hearthv1.CreateCommentRequest{Owner: "ada", Name: "open", Number: n, Body: "seen it too"})
	if err != nil {
		t.Fatal(err)
	}
	// Eve cannot close Ada's issue: no event.
	if _, err := issues(w.srv, w.eve).UpdateIssue(ctx, &hearthv1.UpdateIssueRequest{Owner: "ada", Name: "open", Number: n, State: hearthv1.IssueState_ISSUE_STATE_CLOSED}); err == nil {
		t.Fatal("an outsider closed an issue")
	}
	for range 2 { // closing twice records one close
		if _, err := issues(w.srv, w.ada).UpdateIssue(ctx, &hearthv1.UpdateIssueRequest{Owner: "ada", Name: "open", Number: n, State: hearthv1.IssueState_ISSUE_STATE_CLOSED}); err != nil {
			t.Fatal(err)
		}
	}
	got := projectEvents(t, w.srv, "ada", "open")
	want := []recordedEvent{
		{kind: "issue.created", actor: "ada", subject: "#1"},
		{kind: "issue.commented", actor: "bob", subject: "#1"},
		{kind: "issue.closed", actor: "ada", subject: "#1"},
	}
	if len(got) != len(want) {
		t.Fatalf("events %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].kind != want[i].kind || got[i].actor != want[i].actor || got[i].subject != want[i].subject {
			t.Fatalf("event %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if got[0].detail["title"] != "Leaks memory" || got[1].detail["comment_id"] != comment.GetComment().GetId() {
		t.Fatalf("event details: %+v / %+v", got[0].detail, got[1].detail)
	}
}
