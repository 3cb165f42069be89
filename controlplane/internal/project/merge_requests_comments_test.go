package project_test

import (
	"testing"

	"connectrpc.com/connect"

	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// TestMergeRequestCommentsEditAndDelete: authors edit and delete their own
// comments (a line comment keeps its anchor), a project admin may delete
// anyone's, nobody else may do either; unknown ids are 404 and an archived
// project refuses both.
func TestMergeRequestCommentsEditAndDelete(t *testing.T) {
	w := newMRWorld(t)
	ctx := t.Context()
	head := w.branch(t, "app", "feature", map[string]string{"feature.txt": "a\nb\n"})
	bob, carol, ada, eve := mergeRequests(w.srv, w.bob), mergeRequests(w.srv, w.carol), mergeRequests(w.srv, w.ada), mergeRequests(w.srv, w.eve)
	openMR(t, bob, "app", "feature", "main", "Add a feature", "")
	res, err := bob.CreateMergeRequestComment(ctx, &hearthv1.CreateMergeRequestCommentRequest{Owner: "ada", Name: "app", Number: 1, Body: "typo here",
		Position: &hearthv1.LinePosition{CommitSha: head, Path: "feature.txt", Line: 2, Side: hearthv1.DiffSide_DIFF_SIDE_NEW}})
	if err != nil {
		t.Fatal(err)
	}
	bobs := res.GetComment().GetId()
	res, err = carol.CreateMergeRequestComment(ctx, &hearthv1.CreateMergeRequestCommentRequest{Owner: "ada", Name: "app", Number: 1, Body: "+1"})
	if err != nil {
		t.Fatal(err)
	}
	carols := res.GetComment().GetId()

	edit := func(c hearthv1connect.MergeRequestServiceClient, id, body string) (*hearthv1.MergeRequestComment, error) {
		r, err := c.UpdateMergeRequestComment(ctx, &hearthv1.UpdateMergeRequestCommentRequest{Owner: "ada", Name: "app", Number: 1, CommentId: id, Body: body})
		return r.GetComment(), err
	}
	remove := func(c hearthv1connect.MergeRequestServiceClient, id string) error {
		_, err := c.DeleteMergeRequestComment(ctx, &hearthv1.DeleteMergeRequestCommentRequest{Owner: "ada", Name: "app", Number: 1, CommentId: id})
		return err
	}
	c, err := edit(bob, bobs, "typo here: 'b' should be 'B'")
	if err != nil || c.GetBody() != "typo here: 'b' should be 'B'" || c.GetPosition().GetLine() != 2 || c.GetPosition().GetPath() != "feature.txt" {
		t.Fatalf("edited line comment %v %v", c, err)
	}
	_, err = edit(carol, bobs, "hijacked")
	wantCode(t, "editing someone else's comment", err, connect.CodePermissionDenied)
	_, err = edit(ada, bobs, "even the maintainer")
	wantCode(t, "a maintainer editing someone else's comment", err, connect.CodePermissionDenied)
	_, err = edit(bob, bobs, "")
	wantCode(t, "an empty body", err, connect.CodeInvalidArgument)
	_, err = edit(bob, "not-an-id", "x")
	wantCode(t, "a malformed id", err, connect.CodeNotFound)
	_, err = edit(eve, bobs, "x")
	wantCode(t, "an outsider on a private project", err, connect.CodeNotFound)
	wantCode(t, "a developer deleting someone else's comment", remove(bob, carols), connect.CodePermissionDenied)
	wantCode(t, "anonymous deleting", remove(mergeRequests(w.srv, ""), carols), connect.CodeUnauthenticated)

	if _, err := projects(w.srv, w.ada).ArchiveProject(ctx, &hearthv1.ArchiveProjectRequest{Owner: "ada", Name: "app"}); err != nil {
		t.Fatal(err)
	}
	_, err = edit(bob, bobs, "while archived")
	wantCode(t, "editing in an archived project", err, connect.CodeFailedPrecondition)
	wantCode(t, "deleting in an archived project", remove(bob, bobs), connect.CodeFailedPrecondition)
	if _, err := projects(w.srv, w.ada).UnarchiveProject(ctx, &hearthv1.UnarchiveProjectRequest{Owner: "ada", Name: "app"}); err != nil {
		t.Fatal(err)
	}

	if err := remove(bob, bobs); err != nil {
		t.Fatalf("the author deleting: %v", err)
	}
	if err := remove(ada, carols); err != nil {
		t.Fatalf("a maintainer deleting another's comment: %v", err)
	}
	wantCode(t, "deleting it again", remove(bob, bobs), connect.CodeNotFound)
	list, err := bob.ListMergeRequestComments(ctx, &hearthv1.ListMergeRequestCommentsRequest{Owner: "ada", Name: "app", Number: 1})
	if err != nil || len(list.GetComments()) != 0 {
		t.Fatalf("comments left: %v %v", list.GetComments(), err)
	}
}
