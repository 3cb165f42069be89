package project_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/testsvc"

	"connectrpc.com/connect"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/servertest"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

func protect(t *testing.T, w *mrWorld, rule *hearthv1.ProtectedRef) {
	t.Helper()
	rules := hearthv1connect.NewRefRuleServiceClient(http.DefaultClient, w.srv.URL, servertest.BearerOption(w.ada))
	if _, err := rules.SetProtectedRef(t.Context(), &hearthv1.SetProtectedRefRequest{Owner: "ada", Name: "app", Rule: rule}); err != nil {
		t.Fatal(err)
	}
}

func review(c hearthv1connect.MergeRequestServiceClient, ctx context.Context, number int64, v hearthv1.ReviewVerdict, sha string) error {
	_, err := c.CreateMergeRequestReview(ctx, &hearthv1.CreateMergeRequestReviewRequest{
		Owner: "ada", Name: "app", Number: number, Verdict: v, CommitSha: sha,
	})
	return err
}

// TestMergeRequestKeepsProtectedSource: a merge asked to delete its source
// branch keeps it when the branch's rules refuse its deletion (as they
// refuse `git push :branch`), says why, and still merges.
func TestMergeRequestKeepsProtectedSource(t *testing.T) {
	w := newMRWorld(t)
	ctx := t.Context()
	bob := mergeRequests(w.srv, w.bob)
	protect(t, w, &hearthv1.ProtectedRef{Kind: "branch", Pattern: "rel*", AllowForcePush: true})
	head := w.branch(t, "app", "release-1", map[string]string{"rel.txt": "1\n"})
	openMR(t, bob, "app", "release-1", "main", "Release", "")
	res, err := merge(bob, ctx, "app", 1, hearthv1.MergeMethod_MERGE_METHOD_MERGE, "", true)
	if err != nil {
		t.Fatal(err)
	}
	if res.GetMergeRequest().GetState() != hearthv1.MergeRequestState_MERGE_REQUEST_STATE_MERGED || res.GetSourceBranchDeleted() ||
		!strings.Contains(res.GetSourceBranchKeptReason(), "cannot be deleted") {
		t.Fatalf("merged %v, deleted %v, kept because %q", res.GetMergeRequest().GetState(), res.GetSourceBranchDeleted(), res.GetSourceBranchKeptReason())
	}
	if got := w.bare(t, "app", "rev-parse", "refs/heads/release-1"); got != head {
		t.Fatalf("release-1 is at %q, want %s", got, head)
	}

	// A branch only project:admin may push is not deleted by a developer's
	// merge either; an unprotected one is.
	protect(t, w, &hearthv1.ProtectedRef{Kind: "branch", Pattern: "hotfix*", AllowDeletion: true, PushPermission: "project:admin"})
	w.branch(t, "app", "hotfix-1", map[string]string{"hot.txt": "1\n"})
	openMR(t, mergeRequests(w.srv, w.ada), "app", "hotfix-1", "main", "Hotfix", "")
	res, err = merge(bob, ctx, "app", 2, hearthv1.MergeMethod_MERGE_METHOD_MERGE, "", true)
	if err != nil || res.GetSourceBranchDeleted() || !strings.Contains(res.GetSourceBranchKeptReason(), "needs project:admin") {
		t.Fatalf("merge of hotfix-1: %v, deleted %v, reason %q", err, res.GetSourceBranchDeleted(), res.GetSourceBranchKeptReason())
	}
	w.branch(t, "app", "feature", map[string]string{"f.txt": "1\n"})
	openMR(t, bob, "app", "feature", "main", "Feature", "")
	res, err = merge(bob, ctx, "app", 3, hearthv1.MergeMethod_MERGE_METHOD_MERGE, "", true)
	if err != nil || !res.GetSourceBranchDeleted() || res.GetSourceBranchKeptReason() != "" {
		t.Fatalf("merge of feature: %v, deleted %v, reason %q", err, res.GetSourceBranchDeleted(), res.GetSourceBranchKeptReason())
	}

	// The target's push permission is the git rules' own decision.
	protect(t, w, &hearthv1.ProtectedRef{Kind: "branch", Pattern: "ma*", PushPermission: "project:admin"})
	w.branch(t, "app", "feature2", map[string]string{"f2.txt": "1\n"})
	openMR(t, bob, "app", "feature2", "main", "Feature 2", "")
	_, err = merge(bob, ctx, "app", 4, hearthv1.MergeMethod_MERGE_METHOD_MERGE, "", false)
	wantCode(t, "a developer merging into an admin-only branch", err, connect.CodePermissionDenied)
	if _, err := merge(mergeRequests(w.srv, w.ada), ctx, "app", 4, hearthv1.MergeMethod_MERGE_METHOD_MERGE, "", false); err != nil {
		t.Fatalf("the maintainer merging: %v", err)
	}
}

// TestMergeRequestCommitSHA: a review or a merge naming the head the
// caller saw is refused once the source moved on.
func TestMergeRequestCommitSHA(t *testing.T) {
	w := newMRWorld(t)
	ctx := t.Context()
	bob, ada := mergeRequests(w.srv, w.bob), mergeRequests(w.srv, w.ada)
	old := w.branch(t, "app", "feature", map[string]string{"f.txt": "1\n"})
	openMR(t, bob, "app", "feature", "main", "Feature", "")
	if got := getMR(t, ada, "app", 1).GetHeadCommitSha(); got != old {
		t.Fatalf("head %s, want %s", got, old)
	}
	w.checkout(t, "app", "feature", "feature")
	head := w.commit(t, "app", "more", map[string]string{"f.txt": "2\n"})
	w.push(t, "app", "feature")

	err := review(ada, ctx, 1, hearthv1.ReviewVerdict_REVIEW_VERDICT_APPROVE, old)
	wantRefusal(t, "approving a head that moved", err, "head moved to "+head[:12])
	reviews, err := ada.ListMergeRequestReviews(ctx, &hearthv1.ListMergeRequestReviewsRequest{Owner: "ada", Name: "app", Number: 1})
	if err != nil || len(reviews.GetReviews()) != 0 {
		t.Fatalf("reviews after a refused one: %v %v", reviews.GetReviews(), err)
	}
	wantCode(t, "a malformed commit_sha", review(ada, ctx, 1, hearthv1.ReviewVerdict_REVIEW_VERDICT_APPROVE, "abc"), connect.CodeInvalidArgument)

	_, err = bob.MergeMergeRequest(ctx, &hearthv1.MergeMergeRequestRequest{Owner: "ada", Name: "app", Number: 1, CommitSha: old})
	wantRefusal(t, "merging a head that moved", err, "head moved to "+head[:12])
	if m := getMR(t, ada, "app", 1); m.GetState() != hearthv1.MergeRequestState_MERGE_REQUEST_STATE_OPEN {
		t.Fatalf("state after a refused merge: %v", m.GetState())
	}

	wantCode(t, "approving the current head", review(ada, ctx, 1, hearthv1.ReviewVerdict_REVIEW_VERDICT_APPROVE, head), 0)
	res, err := bob.MergeMergeRequest(ctx, &hearthv1.MergeMergeRequestRequest{Owner: "ada", Name: "app", Number: 1, CommitSha: head})
	if err != nil || res.GetMergeRequest().GetHeadCommitSha() != head {
		t.Fatalf("merging the current head: %v %v", res, err)
	}
}

// TestMergeRequestMergedByPush: a merge request whose source is pushed
// into its target is merged (by no one, by push), as in GitLab; an empty
// merge request is not.
func TestMergeRequestMergedByPush(t *testing.T) {
	w := newMRWorld(t)
	ctx := t.Context()
	bob := mergeRequests(w.srv, w.bob)
	head := w.branch(t, "app", "feature", map[string]string{"f.txt": "1\n"})
	openMR(t, bob, "app", "feature", "main", "Feature", "")
	// An empty merge request (its source is main's head) stays open.
	w.fetch(t, "app")
	w.checkout(t, "app", "empty", "origin/main")
	w.push(t, "app", "empty")
	openMR(t, bob, "app", "empty", "main", "Nothing", "")

	w.checkout(t, "app", "main", "feature")
	w.push(t, "app", "main")
	testsvc.WaitFor(t, "the merge request merged by the push", func() bool {
		return getMR(t, bob, "app", 1).GetState() == hearthv1.MergeRequestState_MERGE_REQUEST_STATE_MERGED
	})
	m := getMR(t, bob, "app", 1)
	if m.GetMergedBy() != "" || m.GetMergeCommitSha() != head || m.GetMergeTime() == nil || m.GetHeadCommitSha() != head {
		t.Fatalf("merged by push: %+v", m)
	}
	conn, err := pgx.Connect(ctx, w.srv.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var byPush bool
	if err := conn.QueryRow(ctx, `SELECT (detail->>'by_push')::boolean FROM project_events
		WHERE project_id = $1 AND kind = 'merge_request.merged' AND subject = '!1'`, w.app.GetId()).Scan(&byPush); err != nil || !byPush {
		t.Fatalf("merged event by_push %v: %v", byPush, err)
	}
	if e := getMR(t, bob, "app", 2); e.GetState() != hearthv1.MergeRequestState_MERGE_REQUEST_STATE_OPEN {
		t.Fatalf("the empty merge request is %v", e.GetState())
	}
	_, err = merge(bob, ctx, "app", 1, hearthv1.MergeMethod_MERGE_METHOD_MERGE, "", false)
	wantRefusal(t, "merging a merged merge request", err, "is merged")

	// A merge whose transaction was lost after the target moved (here: the
	// target moved to a merge of the source behind its back) is healed by
	// the next merge attempt.
	w.branch(t, "app", "feature2", map[string]string{"f2.txt": "1\n"})
	openMR(t, bob, "app", "feature2", "main", "Feature 2", "")
	w.fetch(t, "app")
	w.checkout(t, "app", "main", "origin/main")
	w.git(t, w.work["app"], "merge", "-q", "--no-ff", "-m", "merge feature2", "origin/feature2")
	merged := w.git(t, w.work["app"], "rev-parse", "HEAD")
	w.bare(t, "app", "fetch", "-q", w.work["app"], "+refs/heads/main:refs/heads/main") // no push event
	_, err = merge(bob, ctx, "app", 3, hearthv1.MergeMethod_MERGE_METHOD_MERGE, "", false)
	wantRefusal(t, "merging a merge request already in its target", err, "was merged already")
	if m := getMR(t, bob, "app", 3); m.GetState() != hearthv1.MergeRequestState_MERGE_REQUEST_STATE_MERGED || m.GetMergeCommitSha() != merged {
		t.Fatalf("healed merge request: %v %s, want merged at %s", m.GetState(), m.GetMergeCommitSha(), merged)
	}
}

// TestMergeRequestUnrelatedHistories: branches without a common commit
// make a merge request that is shown and reviewed, never merged.
func TestMergeRequestUnrelatedHistories(t *testing.T) {
	w := newMRWorld(t)
	ctx := t.Context()
	bob, ada := mergeRequests(w.srv, w.bob), mergeRequests(w.srv, w.ada)
	w.git(t, w.work["app"], "checkout", "-q", "--orphan", "orphan")
	w.git(t, w.work["app"], "rm", "-rfq", ".")
	w.commit(t, "app", "orphan root", map[string]string{"other.txt": "x\n"})
	w.push(t, "app", "orphan")
	mr := openMR(t, bob, "app", "orphan", "main", "Unrelated", "")
	if mr.GetMergeStatus().GetMergeability() != hearthv1.Mergeability_MERGEABILITY_UNRELATED {
		t.Fatalf("mergeability %v", mr.GetMergeStatus().GetMergeability())
	}
	got := getMR(t, bob, "app", 1)
	if got.GetMergeStatus().GetMergeability() != hearthv1.Mergeability_MERGEABILITY_UNRELATED ||
		!strings.Contains(strings.Join(got.GetMergeBlockers(), "; "), "share no history") {
		t.Fatalf("get: %v blockers %v", got.GetMergeStatus(), got.GetMergeBlockers())
	}
	if _, err := bob.GetMergeRequestChanges(ctx, &hearthv1.GetMergeRequestChangesRequest{Owner: "ada", Name: "app", Number: 1}); err != nil {
		t.Fatalf("changes: %v", err)
	}
	wantCode(t, "reviewing it", review(ada, ctx, 1, hearthv1.ReviewVerdict_REVIEW_VERDICT_REQUEST_CHANGES, ""), 0)
	_, err := merge(bob, ctx, "app", 1, hearthv1.MergeMethod_MERGE_METHOD_MERGE, "", false)
	wantRefusal(t, "merging it", err, "share no history")
}

// TestMergeRequestCommitterIdentity: a display name git refuses as a name
// does not stop its user from merging: the merge commits as the username.
func TestMergeRequestCommitterIdentity(t *testing.T) {
	w := newMRWorld(t)
	ctx := t.Context()
	bob := mergeRequests(w.srv, w.bob)
	users := hearthv1connect.NewUserServiceClient(http.DefaultClient, w.srv.URL, servertest.BearerOption(w.admin))
	for i, name := range []string{"Bob <the builder>", strings.Repeat("Б", 150), "Bob Builder"} {
		if _, err := users.UpdateUser(ctx, &hearthv1.UpdateUserRequest{Id: w.bobUser.GetId(), DisplayName: &name}); err != nil {
			t.Fatalf("display name %q: %v", name, err)
		}
		branch := "feature" + strings.Repeat("x", i)
		w.branch(t, "app", branch, map[string]string{branch + ".txt": "1\n"})
		openMR(t, bob, "app", branch, "main", "Feature", "")
		if _, err := merge(bob, ctx, "app", int64(i+1), hearthv1.MergeMethod_MERGE_METHOD_MERGE, "", false); err != nil {
			t.Fatalf("merge as %q: %v", name, err)
		}
		want := "bob"
		if i == 2 {
			want = name
		}
		if who := w.bare(t, "app", "log", "-1", "--format=%cn|%an", "main"); who != want+"|"+want {
			t.Fatalf("display name %q: merge commit by %q, want %q", name, who, want)
		}
	}
}

// TestMergeRequestApprovalsOfFormerMembers: an approval counts only while
// its reviewer is active and may still write to the project.
func TestMergeRequestApprovalsOfFormerMembers(t *testing.T) {
	w := newMRWorld(t)
	ctx := t.Context()
	bob := mergeRequests(w.srv, w.bob)
	protect(t, w, &hearthv1.ProtectedRef{Kind: "branch", Pattern: "main", RequiredApprovals: 1})
	roles := hearthv1connect.NewRoleServiceClient(http.DefaultClient, w.srv.URL, servertest.BearerOption(w.admin))
	users := hearthv1connect.NewUserServiceClient(http.DefaultClient, w.srv.URL, servertest.BearerOption(w.admin))
	approver := func(name string) (hearthv1connect.MergeRequestServiceClient, string, string) {
		u := w.srv.CreateUser(t, w.admin, name, name+"-password-1234", false)
		b, err := roles.CreateRoleBinding(ctx, &hearthv1.CreateRoleBindingRequest{Role: "developer", UserId: u.GetId(), ProjectId: w.app.GetId()})
		if err != nil {
			t.Fatal(err)
		}
		return mergeRequests(w.srv, w.srv.Token(t, name, name+"-password-1234", "api")), u.GetId(), b.GetBinding().GetId()
	}
	dave, _, daveBinding := approver("dave")
	erin, erinID, _ := approver("erin")
	for i, branch := range []string{"feature", "feature2"} {
		w.branch(t, "app", branch, map[string]string{branch + ".txt": "1\n"})
		openMR(t, bob, "app", branch, "main", "Feature", "")
		c := dave
		if i == 1 {
			c = erin
		}
		wantCode(t, "approving", review(c, ctx, int64(i+1), hearthv1.ReviewVerdict_REVIEW_VERDICT_APPROVE, ""), 0)
		if m := getMR(t, bob, "app", int64(i+1)); len(m.GetApprovedBy()) != 1 || len(m.GetMergeBlockers()) != 0 {
			t.Fatalf("approved by %v, blockers %v", m.GetApprovedBy(), m.GetMergeBlockers())
		}
	}
	if _, err := roles.DeleteRoleBinding(ctx, &hearthv1.DeleteRoleBindingRequest{Id: daveBinding}); err != nil {
		t.Fatal(err)
	}
	if _, err := users.DeactivateUser(ctx, &hearthv1.DeactivateUserRequest{Id: erinID}); err != nil {
		t.Fatal(err)
	}
	for n := int64(1); n <= 2; n++ {
		if m := getMR(t, bob, "app", n); len(m.GetApprovedBy()) != 0 {
			t.Fatalf("!%d approved by %v after the approver lost access", n, m.GetApprovedBy())
		}
		_, err := merge(bob, ctx, "app", n, hearthv1.MergeMethod_MERGE_METHOD_MERGE, "", false)
		wantRefusal(t, "merging with a former member's approval", err, "1 approval(s) required by the target branch's rules, 0 given")
	}
}

// TestMergeRequestReviewBounds: reviews are listed by pages and a merge
// request has at most 50 requested reviewers.
func TestMergeRequestReviewBounds(t *testing.T) {
	w := newMRWorld(t)
	ctx := t.Context()
	bob, ada := mergeRequests(w.srv, w.bob), mergeRequests(w.srv, w.ada)
	w.branch(t, "app", "feature", map[string]string{"f.txt": "1\n"})
	mr := openMR(t, bob, "app", "feature", "main", "Feature", "")
	for range 3 {
		wantCode(t, "reviewing", review(ada, ctx, 1, hearthv1.ReviewVerdict_REVIEW_VERDICT_REQUEST_CHANGES, ""), 0)
	}
	var seen []string
	token := ""
	for page := 0; ; page++ {
		res, err := ada.ListMergeRequestReviews(ctx, &hearthv1.ListMergeRequestReviewsRequest{Owner: "ada", Name: "app", Number: 1, PageSize: 2, PageToken: token})
		if err != nil || page > 2 {
			t.Fatalf("page %d: %v", page, err)
		}
		for _, r := range res.GetReviews() {
			seen = append(seen, r.GetId())
		}
		if token = res.GetNextPageToken(); token == "" {
			break
		}
	}
	if len(seen) != 3 || seen[0] >= seen[1] || seen[1] >= seen[2] {
		t.Fatalf("paged reviews %v", seen)
	}
	_, err := ada.ListMergeRequestReviews(ctx, &hearthv1.ListMergeRequestReviewsRequest{Owner: "ada", Name: "app", Number: 1, PageToken: "x"})
	wantCode(t, "a bad page token", err, connect.CodeInvalidArgument)

	// 49 reviewers already (written directly: creating 49 users is slow).
	conn, err := pgx.Connect(ctx, w.srv.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `INSERT INTO merge_request_reviewers (merge_request_id, user_name, requested_by)
		SELECT $1, 'user' || i, 'bob' FROM generate_series(1, 49) i`, mr.GetId()); err != nil {
		t.Fatal(err)
	}
	request := func(names ...string) error {
		_, err := bob.RequestMergeRequestReview(ctx, &hearthv1.RequestMergeRequestReviewRequest{Owner: "ada", Name: "app", Number: 1, Reviewers: names})
		return err
	}
	wantCode(t, "a 50th and a 51st reviewer", request("ada", "carol"), connect.CodeInvalidArgument)
	wantCode(t, "a 50th reviewer", request("ada"), 0)
	wantCode(t, "asking the 50th again", request("ada"), 0)
	wantCode(t, "a 51st reviewer", request("carol"), connect.CodeInvalidArgument)
}
