package project_test

import (
	"strings"
	"testing"

	"connectrpc.com/connect"

	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
)

// TestLabelsRenameRecolourAndDelete: a renamed label stays on its issues
// under the new name, a deleted one leaves them; only writers may change
// labels; bad input is refused and changes nothing.
func TestLabelsRenameRecolourAndDelete(t *testing.T) {
	w := newIssueWorld(t)
	ctx := t.Context()
	c := issues(w.srv, w.ada)
	if _, err := c.CreateLabel(ctx, &hearthv1.CreateLabelRequest{Owner: "ada", Name: "open", Label: "bug", Color: "#ff0000"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateLabel(ctx, &hearthv1.CreateLabelRequest{Owner: "ada", Name: "open", Label: "docs", Color: "#00ff00"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateIssue(ctx, &hearthv1.CreateIssueRequest{Owner: "ada", Name: "open", Title: "crash", Labels: []string{"bug", "docs"}}); err != nil {
		t.Fatal(err)
	}
	newName, color := "defect", "#AA0000"
	res, err := c.UpdateLabel(ctx, &hearthv1.UpdateLabelRequest{Owner: "ada", Name: "open", Label: "BUG", NewName: &newName, Color: &color})
	if err != nil {
		t.Fatal(err)
	}
	if l := res.GetLabel(); l.GetName() != "defect" || l.GetColor() != "#aa0000" {
		t.Fatalf("updated label %+v", l)
	}
	labelsOf := func() []string {
		got, err := c.GetIssue(ctx, &hearthv1.GetIssueRequest{Owner: "ada", Name: "open", Number: 1})
		if err != nil {
			t.Fatal(err)
		}
		return got.GetIssue().GetLabels()
	}
	if got := labelsOf(); len(got) != 2 || got[0] != "defect" || got[1] != "docs" {
		t.Fatalf("issue labels after the rename: %v", got)
	}

	docs := "docs"
	bad := "#12345"
	tooLong := strings.Repeat("x", 51)
	for _, tc := range []struct {
		name  string
		token string
		req   *hearthv1.UpdateLabelRequest
		want  connect.Code
	}{
		{"rename onto an existing label", w.ada, &hearthv1.UpdateLabelRequest{Owner: "ada", Name: "open", Label: "defect", NewName: &docs}, connect.CodeAlreadyExists},
		{"bad colour", w.ada, &hearthv1.UpdateLabelRequest{Owner: "ada", Name: "open", Label: "defect", Color: &bad}, connect.CodeInvalidArgument},
		{"bad name", w.ada, &hearthv1.UpdateLabelRequest{Owner: "ada", Name: "open", Label: "defect", NewName: &tooLong}, connect.CodeInvalidArgument},
		{"unknown label", w.ada, &hearthv1.UpdateLabelRequest{Owner: "ada", Name: "open", Label: "nope", Color: &color}, connect.CodeNotFound},
		{"a reader", w.bob, &hearthv1.UpdateLabelRequest{Owner: "ada", Name: "open", Label: "defect", Color: &color}, connect.CodePermissionDenied},
		{"anonymous", "", &hearthv1.UpdateLabelRequest{Owner: "ada", Name: "open", Label: "defect", Color: &color}, connect.CodeUnauthenticated},
		{"an outsider on a private project", w.eve, &hearthv1.UpdateLabelRequest{Owner: "ada", Name: "secret", Label: "defect", Color: &color}, connect.CodeNotFound},
	} {
		if _, err := issues(w.srv, tc.token).UpdateLabel(ctx, tc.req); connect.CodeOf(err) != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := issues(w.srv, w.bob).DeleteLabel(ctx, &hearthv1.DeleteLabelRequest{Owner: "ada", Name: "open", Label: "defect"}); connect.CodeOf(err) != connect.CodePermissionDenied {
		t.Fatalf("a reader deleting a label: %v", err)
	}
	if _, err := c.DeleteLabel(ctx, &hearthv1.DeleteLabelRequest{Owner: "ada", Name: "open", Label: "defect"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteLabel(ctx, &hearthv1.DeleteLabelRequest{Owner: "ada", Name: "open", Label: "defect"}); connect.CodeOf(err) != connect.CodeNotFound {
		t.Fatalf("deleting it again: %v", err)
	}
	if got := labelsOf(); len(got) != 1 || got[0] != "docs" {
		t.Fatalf("issue labels after the delete: %v", got)
	}
	list, err := c.ListLabels(ctx, &hearthv1.ListLabelsRequest{Owner: "ada", Name: "open"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.GetLabels()) != 1 || list.GetLabels()[0].GetName() != "docs" || list.GetLabels()[0].GetColor() != "#00ff00" {
		t.Fatalf("labels left: %+v", list.GetLabels())
	}
}
