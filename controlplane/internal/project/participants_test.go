package project_test

import (
	"slices"
	"testing"

	"connectrpc.com/connect"

	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
)

// TestAssigneesAreUsersWhoMayReadTheProject: assignees are stored as the
// users' own usernames, once each; an unknown user, or one who cannot read
// a private project, is refused and the issue keeps its assignees.
func TestAssigneesAreUsersWhoMayReadTheProject(t *testing.T) {
	w := newIssueWorld(t)
	ctx := t.Context()
	ada := issues(w.srv, w.ada)
	created, err := ada.CreateIssue(ctx, &hearthv1.CreateIssueRequest{Owner: "ada", Name: "open", Title: "t", Assignees: []string{"BOB", "bob", "Ada"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := created.GetIssue().GetAssignees(); !slices.Equal(got, []string{"ada", "bob"}) {
		t.Fatalf("assignees %v, want [ada bob]", got)
	}
	for _, tc := range []struct {
		project   string
		assignees []string
	}{
		{"open", []string{"nobody-here"}},
		{"open", []string{"bad name"}},
		{"secret", []string{"bob"}}, // bob cannot read ada/secret
	} {
		_, err := ada.CreateIssue(ctx, &hearthv1.CreateIssueRequest{Owner: "ada", Name: tc.project, Title: "t", Assignees: tc.assignees})
		if connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Errorf("assigning %v on %s: %v, want invalid_argument", tc.assignees, tc.project, err)
		}
	}
	if _, err := ada.UpdateIssue(ctx, &hearthv1.UpdateIssueRequest{Owner: "ada", Name: "open", Number: 1, UpdateAssignees: true, Assignees: []string{"eve", "ghost"}}); connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Fatalf("updating with an unknown assignee: %v", err)
	}
	got, err := ada.GetIssue(ctx, &hearthv1.GetIssueRequest{Owner: "ada", Name: "open", Number: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.GetIssue().GetAssignees(), []string{"ada", "bob"}) {
		t.Fatalf("a refused update changed the assignees: %v", got.GetIssue().GetAssignees())
	}
	// A reader may not change assignees, and learns nothing about which
	// usernames exist from trying.
	if _, err := issues(w.srv, w.eve).UpdateIssue(ctx, &hearthv1.UpdateIssueRequest{Owner: "ada", Name: "open", Number: 1, UpdateAssignees: true, Assignees: []string{"ghost"}}); connect.CodeOf(err) != connect.CodePermissionDenied {
		t.Fatalf("a reader changing assignees: %v, want permission_denied", err)
	}
}
