package project_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"

	"connectrpc.com/connect"

	"github.com/hearth-dev/hearth/controlplane/servertest"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

func issues(srv *servertest.Server, token string) hearthv1connect.IssueServiceClient {
	opts := []connect.ClientOption{}
	if token != "" {
		opts = append(opts, servertest.BearerOption(token))
	}
	return hearthv1connect.NewIssueServiceClient(http.DefaultClient, srv.URL, opts...)
}

type issueWorld struct {
	srv           *servertest.Server
	ada, bob, eve string
}

func newIssueWorld(t *testing.T) issueWorld {
	t.Helper()
	srv := servertest.Start(t)
	admin := srv.AdminToken(t)
	w := issueWorld{srv: srv}
	for _, u := range []struct {
		name string
		tok  *string
	}{{"ada", &w.ada}, {"bob", &w.bob}, {"eve", &w.eve}} {
		srv.CreateUser(t, admin, u.name, u.name+"-password-1234", false)
		*u.tok = srv.Token(t, u.name, u.name+"-password-1234", "api")
	}
	for name, vis := range map[string]hearthv1.Visibility{
		"open": hearthv1.Visibility_VISIBILITY_PUBLIC, "inside": hearthv1.Visibility_VISIBILITY_INTERNAL,
		"secret": hearthv1.Visibility_VISIBILITY_PRIVATE,
	} {
		if _, err := projects(srv, w.ada).CreateProject(t.Context(), &hearthv1.CreateProjectRequest{Name: name, Visibility: vis}); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func TestIssuesLabelsCommentsAndSearch(t *testing.T) {
	w := newIssueWorld(t)
	ctx := t.Context()
	ada, bob := issues(w.srv, w.ada), issues(w.srv, w.bob)

	lab, err := ada.CreateLabel(ctx, &hearthv1.CreateLabelRequest{Owner: "ada", Name: "open", Label: "bug", Color: "#FF0000"})
	if err != nil || lab.GetLabel().GetColor() != "#ff0000" {
		t.Fatalf("create label: %v %v", lab, err)
	}
	for _, bad := range []*hearthv1.CreateLabelRequest{
		{Label: "bug", Color: "#00ff00"}, {Label: "a,b", Color: "#00ff00"}, {Label: "x", Color: "red"}, {Label: "", Color: "#000000"},
	} {
		bad.Owner, bad.Name = "ada", "open"
		if _, err := ada.CreateLabel(ctx, bad); err == nil {
			t.Errorf("label %q %q accepted", bad.GetLabel(), bad.GetColor())
		}
	}
	if _, err := bob.CreateLabel(ctx, &hearthv1.CreateLabelRequest{Owner: "ada", Name: "open", Label: "mine", Color: "#000000"}); connect.CodeOf(err) != connect.CodePermissionDenied {
		t.Fatalf("reader creating a label: %v", err)
	}

	created, err := ada.CreateIssue(ctx, &hearthv1.CreateIssueRequest{
		Owner: "ada", Name: "open", Title: "  Crash on start  ", Body: "the parser panics on empty input",
		Labels: []string{"BUG"}, Assignees: []string{"ada"},
	})
	if err != nil {
		t.Fatal(err)
	}
	is := created.GetIssue()
	if is.GetNumber() != 1 || is.GetTitle() != "Crash on start" || is.GetAuthor() != "ada" || is.GetState() != hearthv1.IssueState_ISSUE_STATE_OPEN ||
		!slices.Equal(is.GetLabels(), []string{"bug"}) || !slices.Equal(is.GetAssignees(), []string{"ada"}) {
		t.Fatalf("created %+v", is)
	}
	for _, title := range []string{"", "   ", string(make([]byte, 256))} {
		if _, err := ada.CreateIssue(ctx, &hearthv1.CreateIssueRequest{Owner: "ada", Name: "open", Title: title}); connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Errorf("title of %d bytes: %v", len(title), err)
		}
	}
	if _, err := ada.CreateIssue(ctx, &hearthv1.CreateIssueRequest{Owner: "ada", Name: "open", Title: "t", Body: string(make([]byte, 64<<10+1))}); connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Errorf("oversized body: %v", err)
	}
	if _, err := ada.CreateIssue(ctx, &hearthv1.CreateIssueRequest{Owner: "ada", Name: "open", Title: "t", Labels: []string{"nope"}}); connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Errorf("unknown label: %v", err)
	}
	// A signed-in reader of a public project opens an issue too.
	for i, title := range []string{"Slow clone", "Docs typo", "Parser rejects tabs", "Logo too big"} {
		res, err := bob.CreateIssue(ctx, &hearthv1.CreateIssueRequest{Owner: "ada", Name: "open", Title: title})
		if err != nil {
			t.Fatal(err)
		}
		if res.GetIssue().GetNumber() != int64(i+2) {
			t.Fatalf("issue %q numbered %d", title, res.GetIssue().GetNumber())
		}
	}

	got, err := bob.GetIssue(ctx, &hearthv1.GetIssueRequest{Owner: "ada", Name: "open", Number: 1})
	if err != nil || got.GetIssue().GetBody() != "the parser panics on empty input" {
		t.Fatalf("get: %v %v", got, err)
	}
	if _, err := bob.GetIssue(ctx, &hearthv1.GetIssueRequest{Owner: "ada", Name: "open", Number: 99}); connect.CodeOf(err) != connect.CodeNotFound {
		t.Fatalf("missing issue: %v", err)
	}

	// Pagination walks every open issue, newest first, once.
	var numbers []int64
	token := ""
	for range 10 {
		res, err := bob.ListIssues(ctx, &hearthv1.ListIssuesRequest{Owner: "ada", Name: "open", PageSize: 2, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range res.GetIssues() {
			numbers = append(numbers, i.GetNumber())
		}
		if token = res.GetNextPageToken(); token == "" {
			break
		}
	}
	if !slices.Equal(numbers, []int64{5, 4, 3, 2, 1}) {
		t.Fatalf("pages gave %v", numbers)
	}

	// The reader may not close ada's issue; ada may close it; bob may close his own.
	closed := hearthv1.IssueState_ISSUE_STATE_CLOSED
	if _, err := bob.UpdateIssue(ctx, &hearthv1.UpdateIssueRequest{Owner: "ada", Name: "open", Number: 1, State: closed}); connect.CodeOf(err) != connect.CodePermissionDenied {
		t.Fatalf("reader closing another's issue: %v", err)
	}
	if _, err := bob.UpdateIssue(ctx, &hearthv1.UpdateIssueRequest{Owner: "ada", Name: "open", Number: 2, UpdateLabels: true, Labels: []string{"bug"}}); connect.CodeOf(err) != connect.CodePermissionDenied {
		t.Fatalf("reader labelling: %v", err)
	}
	newTitle := "Crash on start with empty input"
	up, err := ada.UpdateIssue(ctx, &hearthv1.UpdateIssueRequest{Owner: "ada", Name: "open", Number: 1, State: closed, Title: &newTitle, UpdateLabels: true})
	if err != nil {
		t.Fatal(err)
	}
	if u := up.GetIssue(); u.GetState() != closed || u.GetTitle() != newTitle || len(u.GetLabels()) != 0 || u.GetCloseTime() == nil ||
		u.GetBody() != "the parser panics on empty input" {
		t.Fatalf("updated %+v", u)
	}
	if _, err := bob.UpdateIssue(ctx, &hearthv1.UpdateIssueRequest{Owner: "ada", Name: "open", Number: 3, State: closed}); err != nil {
		t.Fatalf("author closing own issue: %v", err)
	}
	list := func(req *hearthv1.ListIssuesRequest) []int64 {
		t.Helper()
		req.Owner, req.Name = "ada", "open"
		res, err := bob.ListIssues(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, i := range res.GetIssues() {
			out = append(out, i.GetNumber())
		}
		return out
	}
	if _, err := ada.UpdateIssue(ctx, &hearthv1.UpdateIssueRequest{Owner: "ada", Name: "open", Number: 4, UpdateLabels: true, Labels: []string{"bug"}, UpdateAssignees: true, Assignees: []string{"bob"}}); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		req  *hearthv1.ListIssuesRequest
		want []int64
	}{
		"open":              {&hearthv1.ListIssuesRequest{}, []int64{5, 4, 2}},
		"closed":            {&hearthv1.ListIssuesRequest{State: closed}, []int64{3, 1}},
		"all":               {&hearthv1.ListIssuesRequest{All: true}, []int64{5, 4, 3, 2, 1}},
		"label":             {&hearthv1.ListIssuesRequest{All: true, Label: "Bug"}, []int64{4}},
		"assignee":          {&hearthv1.ListIssuesRequest{All: true, Assignee: "bob"}, []int64{4}},
		"search title+body": {&hearthv1.ListIssuesRequest{All: true, Query: "parser"}, []int64{4, 1}},
		"search title":      {&hearthv1.ListIssuesRequest{All: true, Query: "tabs"}, []int64{4}},
		"search body":       {&hearthv1.ListIssuesRequest{All: true, Query: "panics"}, []int64{1}},
		"search and state":  {&hearthv1.ListIssuesRequest{Query: "crash"}, nil},
		"search two words":  {&hearthv1.ListIssuesRequest{All: true, Query: "empty input"}, []int64{1}},
	} {
		if got := list(c.req); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", name, got, c.want)
		}
	}

	// Comments: anyone signed in who can read; edit only your own.
	bc, err := bob.CreateComment(ctx, &hearthv1.CreateCommentRequest{Owner: "ada", Name: "open", Number: 1, Body: "me too"})
	if err != nil {
		t.Fatal(err)
	}
	ac, err := ada.CreateComment(ctx, &hearthv1.CreateCommentRequest{Owner: "ada", Name: "open", Number: 1, Body: "fixed"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ada.CreateComment(ctx, &hearthv1.CreateCommentRequest{Owner: "ada", Name: "open", Number: 1, Body: "  "}); connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Fatalf("empty comment: %v", err)
	}
	bid, aid := bc.GetComment().GetId(), ac.GetComment().GetId()
	if _, err := ada.UpdateComment(ctx, &hearthv1.UpdateCommentRequest{Owner: "ada", Name: "open", Number: 1, CommentId: bid, Body: "edited"}); connect.CodeOf(err) != connect.CodePermissionDenied {
		t.Fatalf("editing another's comment: %v", err)
	}
	if _, err := bob.UpdateComment(ctx, &hearthv1.UpdateCommentRequest{Owner: "ada", Name: "open", Number: 2, CommentId: bid, Body: "edited"}); connect.CodeOf(err) != connect.CodeNotFound {
		t.Fatalf("comment under the wrong issue: %v", err)
	}
	if res, err := bob.UpdateComment(ctx, &hearthv1.UpdateCommentRequest{Owner: "ada", Name: "open", Number: 1, CommentId: bid, Body: "me too, on 1.2"}); err != nil || res.GetComment().GetBody() != "me too, on 1.2" {
		t.Fatalf("editing own comment: %v %v", res, err)
	}
	if _, err := bob.DeleteComment(ctx, &hearthv1.DeleteCommentRequest{Owner: "ada", Name: "open", Number: 1, CommentId: aid}); connect.CodeOf(err) != connect.CodePermissionDenied {
		t.Fatalf("reader deleting another's comment: %v", err)
	}
	page, err := bob.ListComments(ctx, &hearthv1.ListCommentsRequest{Owner: "ada", Name: "open", Number: 1, PageSize: 1})
	if err != nil || len(page.GetComments()) != 1 || page.GetComments()[0].GetId() != bid || page.GetNextPageToken() == "" {
		t.Fatalf("first comment page: %v %v", page, err)
	}
	page, err = bob.ListComments(ctx, &hearthv1.ListCommentsRequest{Owner: "ada", Name: "open", Number: 1, PageSize: 1, PageToken: page.GetNextPageToken()})
	if err != nil || len(page.GetComments()) != 1 || page.GetComments()[0].GetId() != aid {
		t.Fatalf("second comment page: %v %v", page, err)
	}
	// The project's maintainer may delete anyone's comment.
	if _, err := ada.DeleteComment(ctx, &hearthv1.DeleteCommentRequest{Owner: "ada", Name: "open", Number: 1, CommentId: bid}); err != nil {
		t.Fatalf("maintainer deleting a comment: %v", err)
	}
	all, err := bob.ListComments(ctx, &hearthv1.ListCommentsRequest{Owner: "ada", Name: "open", Number: 1})
	if err != nil || len(all.GetComments()) != 1 {
		t.Fatalf("after delete: %v %v", all, err)
	}
	// Mentions of issues of the project are resolved in GetIssue.
	ref, err := bob.CreateIssue(ctx, &hearthv1.CreateIssueRequest{Owner: "ada", Name: "open", Title: "refs", Body: "dup of #1, see #3 and #999; not x/#2 or &#4;"})
	if err != nil {
		t.Fatal(err)
	}
	withRefs, err := bob.GetIssue(ctx, &hearthv1.GetIssueRequest{Owner: "ada", Name: "open", Number: ref.GetIssue().GetNumber()})
	if err != nil {
		t.Fatal(err)
	}
	if rs := withRefs.GetIssue().GetReferences(); len(rs) != 2 || rs[0].GetNumber() != 1 || rs[0].GetTitle() != newTitle ||
		rs[0].GetState() != closed || rs[1].GetNumber() != 3 {
		t.Fatalf("references %v", rs)
	}
	labels, err := bob.ListLabels(ctx, &hearthv1.ListLabelsRequest{Owner: "ada", Name: "open"})
	if err != nil || len(labels.GetLabels()) != 1 || labels.GetLabels()[0].GetName() != "bug" {
		t.Fatalf("labels: %v %v", labels, err)
	}
}

func TestParallelIssueCreationsGetConsecutiveNumbers(t *testing.T) {
	w := newIssueWorld(t)
	ctx := t.Context()
	const n = 50
	got := make([]int64, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			res, err := issues(w.srv, w.ada).CreateIssue(ctx, &hearthv1.CreateIssueRequest{Owner: "ada", Name: "secret", Title: "parallel"})
			got[i], errs[i] = res.GetIssue().GetNumber(), err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(got)
	for i, num := range got {
		if num != int64(i+1) {
			t.Fatalf("numbers %v are not 1..%d", got, n)
		}
	}
}

func TestIssueAuthorization(t *testing.T) {
	w := newIssueWorld(t)
	ctx := t.Context()
	if _, err := issues(w.srv, w.ada).CreateIssue(ctx, &hearthv1.CreateIssueRequest{Owner: "ada", Name: "secret", Title: "hidden"}); err != nil {
		t.Fatal(err)
	}
	if _, err := issues(w.srv, w.ada).CreateIssue(ctx, &hearthv1.CreateIssueRequest{Owner: "ada", Name: "inside", Title: "internal"}); err != nil {
		t.Fatal(err)
	}
	closed := hearthv1.IssueState_ISSUE_STATE_CLOSED
	type call func(c hearthv1connect.IssueServiceClient, project string) error
	get := func(c hearthv1connect.IssueServiceClient, p string) error {
		_, err := c.GetIssue(ctx, &hearthv1.GetIssueRequest{Owner: "ada", Name: p, Number: 1})
		return err
	}
	list := func(c hearthv1connect.IssueServiceClient, p string) error {
		_, err := c.ListIssues(ctx, &hearthv1.ListIssuesRequest{Owner: "ada", Name: p})
		return err
	}
	create := func(c hearthv1connect.IssueServiceClient, p string) error {
		_, err := c.CreateIssue(ctx, &hearthv1.CreateIssueRequest{Owner: "ada", Name: p, Title: "x"})
		return err
	}
	update := func(c hearthv1connect.IssueServiceClient, p string) error {
		_, err := c.UpdateIssue(ctx, &hearthv1.UpdateIssueRequest{Owner: "ada", Name: p, Number: 1, State: closed})
		return err
	}
	comment := func(c hearthv1connect.IssueServiceClient, p string) error {
		_, err := c.CreateComment(ctx, &hearthv1.CreateCommentRequest{Owner: "ada", Name: p, Number: 1, Body: "x"})
		return err
	}
	cases := []struct {
		who, token, project, op string
		do                      call
		want                    connect.Code
	}{
		{"anonymous", "", "secret", "get", get, connect.CodeUnauthenticated},
		{"anonymous", "", "inside", "list", list, connect.CodeUnauthenticated},
		{"anonymous", "", "open", "list", list, 0},
		{"anonymous", "", "open", "create", create, connect.CodeUnauthenticated},
		{"anonymous", "", "open", "comment", comment, connect.CodeUnauthenticated},
		{"outsider", w.eve, "secret", "get", get, connect.CodeNotFound},
		{"outsider", w.eve, "secret", "list", list, connect.CodeNotFound},
		{"outsider", w.eve, "secret", "create", create, connect.CodeNotFound},
		{"outsider", w.eve, "secret", "update", update, connect.CodeNotFound},
		{"outsider", w.eve, "missing", "list", list, connect.CodeNotFound},
		{"reader", w.bob, "inside", "get", get, 0},
		{"reader", w.bob, "inside", "update", update, connect.CodePermissionDenied},
		{"reader", w.bob, "inside", "comment", comment, 0},
		{"reader", w.bob, "inside", "create", create, 0},
		{"owner", w.ada, "secret", "update", update, 0},
	}
	for _, c := range cases {
		var got connect.Code
		if err := c.do(issues(w.srv, c.token), c.project); err != nil {
			got = connect.CodeOf(err)
		}
		if got != c.want {
			t.Errorf("%s %s on %s: %v, want %v", c.who, c.op, c.project, got, c.want)
		}
	}
}

func TestIssuesOverREST(t *testing.T) {
	w := newIssueWorld(t)
	do := func(method, path, token string, body any) (int, map[string]any) {
		t.Helper()
		var r io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			r = bytes.NewReader(b)
		}
		req, _ := http.NewRequestWithContext(t.Context(), method, w.srv.URL+path, r)
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		out := map[string]any{}
		_ = json.Unmarshal(raw, &out)
		return res.StatusCode, out
	}
	base := "/api/v1/projects/ada/open"
	if code, _ := do("POST", base+"/issues", "", map[string]any{"title": "x"}); code != http.StatusUnauthorized {
		t.Fatalf("anonymous create: %d", code)
	}
	if code, out := do("POST", base+"/labels", w.ada, map[string]any{"label": "bug", "color": "#00ff00"}); code != http.StatusOK {
		t.Fatalf("create label: %d %v", code, out)
	}
	code, out := do("POST", base+"/issues", w.bob, map[string]any{"title": "Crash on start", "body": "stack trace"})
	if code != http.StatusOK || out["issue"].(map[string]any)["number"] != "1" {
		t.Fatalf("create: %d %v", code, out)
	}
	if code, out := do("PATCH", base+"/issues/1", w.ada, map[string]any{"state": "ISSUE_STATE_CLOSED", "labels": []string{"bug"}, "updateLabels": true}); code != http.StatusOK ||
		out["issue"].(map[string]any)["state"] != "ISSUE_STATE_CLOSED" {
		t.Fatalf("close: %d %v", code, out)
	}
	if code, out := do("POST", base+"/issues/1/comments", w.bob, map[string]any{"body": "thanks"}); code != http.StatusOK {
		t.Fatalf("comment: %d %v", code, out)
	}
	code, out = do("GET", base+"/issues?all=true&query=crash&label=bug", "", nil)
	if code != http.StatusOK || len(out["issues"].([]any)) != 1 {
		t.Fatalf("search: %d %v", code, out)
	}
	code, out = do("GET", base+"/issues/1/comments", "", nil)
	if code != http.StatusOK || len(out["comments"].([]any)) != 1 {
		t.Fatalf("comments: %d %v", code, out)
	}
	if code, _ := do("GET", "/api/v1/projects/ada/secret/issues", w.eve, nil); code != http.StatusNotFound {
		t.Fatalf("outsider listing a private project: %d", code)
	}
}
