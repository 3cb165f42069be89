package project_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hearth-dev/hearth/controlplane/testsvc"

	"connectrpc.com/connect"

	"github.com/hearth-dev/hearth/controlplane/servertest"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

func wantCode(t *testing.T, what string, err error, want connect.Code) {
	t.Helper()
	var got connect.Code
	if err != nil {
		got = connect.CodeOf(err)
	}
	if got != want {
		t.Fatalf("%s: %v (code %v), want %v", what, err, got, want)
	}
}

func wantRefusal(t *testing.T, what string, err error, contains string) {
	t.Helper()
	if connect.CodeOf(err) != connect.CodeFailedPrecondition || !strings.Contains(err.Error(), contains) {
		t.Fatalf("%s: %v, want failed_precondition mentioning %q", what, err, contains)
	}
}

func openMR(t *testing.T, c hearthv1connect.MergeRequestServiceClient, project, source, target, title, description string) *hearthv1.MergeRequest {
	t.Helper()
	res, err := c.CreateMergeRequest(t.Context(), &hearthv1.CreateMergeRequestRequest{
		Owner: "ada", Name: project, SourceBranch: source, TargetBranch: target, Title: title, Description: description,
	})
	if err != nil {
		t.Fatalf("create merge request %s→%s: %v", source, target, err)
	}
	return res.GetMergeRequest()
}

func getMR(t *testing.T, c hearthv1connect.MergeRequestServiceClient, project string, number int64) *hearthv1.MergeRequest {
	t.Helper()
	res, err := c.GetMergeRequest(t.Context(), &hearthv1.GetMergeRequestRequest{Owner: "ada", Name: project, Number: number})
	if err != nil {
		t.Fatalf("get !%d: %v", number, err)
	}
	return res.GetMergeRequest()
}

func merge(c hearthv1connect.MergeRequestServiceClient, ctx context.Context, project string, number int64, m hearthv1.MergeMethod, msg string, del bool) (*hearthv1.MergeMergeRequestResponse, error) {
	return c.MergeMergeRequest(ctx, &hearthv1.MergeMergeRequestRequest{
		Owner: "ada", Name: project, Number: number, Method: m, CommitMessage: msg, DeleteSourceBranch: del,
	})
}

// TestMergeRequestMergeMethods merges against a real repository: a merge
// commit (two parents, committed as the merging user, source deleted), a
// refused then a working fast-forward, and a squash with its message.
func TestMergeRequestMergeMethods(t *testing.T) {
	w := newMRWorld(t)
	ctx := t.Context()
	bob := mergeRequests(w.srv, w.bob)

	featureHead := w.branch(t, "app", "feature", map[string]string{"feature.txt": "new\n"})
	w.checkout(t, "app", "main", "origin/main")
	mainHead := w.commit(t, "app", "main moves on", map[string]string{"other.txt": "x\n"})
	w.push(t, "app", "main")

	mr := openMR(t, bob, "app", "feature", "main", "Add the feature", "")
	if mr.GetNumber() != 1 || mr.GetState() != hearthv1.MergeRequestState_MERGE_REQUEST_STATE_OPEN || mr.GetAuthor() != "bob" ||
		mr.GetHeadCommitSha() != featureHead || mr.GetMergeStatus().GetMergeability() != hearthv1.Mergeability_MERGEABILITY_MERGEABLE ||
		mr.GetMergeStatus().GetCanFastForward() || mr.GetMergeStatus().GetTargetCommitSha() != mainHead {
		t.Fatalf("created %+v", mr)
	}
	changes, err := bob.GetMergeRequestChanges(ctx, &hearthv1.GetMergeRequestChangesRequest{Owner: "ada", Name: "app", Number: 1})
	if err != nil || changes.GetTotalCommits() != 1 || changes.GetCommits()[0].GetSha() != featureHead ||
		len(changes.GetDiff().GetFiles()) != 1 || changes.GetDiff().GetFiles()[0].GetNewPath() != "feature.txt" || changes.GetTargetCommitSha() != mainHead {
		t.Fatalf("changes: %v %v", changes, err)
	}

	_, err = merge(bob, ctx, "app", 1, hearthv1.MergeMethod_MERGE_METHOD_FAST_FORWARD, "", false)
	wantRefusal(t, "fast-forward of a diverged branch", err, "cannot be fast-forwarded")
	if got := w.bare(t, "app", "rev-parse", "main"); got != mainHead {
		t.Fatalf("a refused merge moved main to %s", got)
	}

	res, err := merge(bob, ctx, "app", 1, hearthv1.MergeMethod_MERGE_METHOD_MERGE, "", true)
	if err != nil {
		t.Fatal(err)
	}
	merged := res.GetMergeRequest()
	newMain := w.bare(t, "app", "rev-parse", "main")
	if merged.GetState() != hearthv1.MergeRequestState_MERGE_REQUEST_STATE_MERGED || merged.GetMergedBy() != "bob" ||
		merged.GetMergeCommitSha() != newMain || merged.GetMergeTime() == nil || !res.GetSourceBranchDeleted() {
		t.Fatalf("merged %+v (deleted %v)", merged, res.GetSourceBranchDeleted())
	}
	if parents := strings.Fields(w.bare(t, "app", "rev-list", "--parents", "-n", "1", "main")); !slices.Equal(parents, []string{newMain, mainHead, featureHead}) {
		t.Fatalf("merge commit and parents %v, want %s with parents %s %s", parents, newMain, mainHead, featureHead)
	}
	if who := w.bare(t, "app", "log", "-1", "--format=%cn <%ce>|%an|%s", "main"); who != "bob <bob@example.test>|bob|Merge branch 'feature' into 'main'" {
		t.Fatalf("merge commit by %q", who)
	}
	if refs := w.bare(t, "app", "for-each-ref", "--format=%(refname)", "refs/heads/"); strings.Contains(refs, "refs/heads/feature") {
		t.Fatalf("source branch kept: %s", refs)
	}
	_, err = merge(bob, ctx, "app", 1, hearthv1.MergeMethod_MERGE_METHOD_MERGE, "", false)
	wantRefusal(t, "merging a merged merge request", err, "is merged, not open")

	// Squash: one commit with the given message, the target its only parent.
	w.branch(t, "app", "squashme", map[string]string{"a.txt": "a1\n"})
	w.commit(t, "app", "second", map[string]string{"a.txt": "a2\n"})
	w.push(t, "app", "squashme")
	sq := openMR(t, bob, "app", "squashme", "main", "Squash me", "")
	res, err = merge(bob, ctx, "app", sq.GetNumber(), hearthv1.MergeMethod_MERGE_METHOD_SQUASH, "Add a.txt in one go\n\nSquashed.", false)
	if err != nil {
		t.Fatal(err)
	}
	squash := w.bare(t, "app", "rev-parse", "main")
	if parents := strings.Fields(w.bare(t, "app", "rev-list", "--parents", "-n", "1", "main")); !slices.Equal(parents, []string{squash, newMain}) {
		t.Fatalf("squash commit parents %v, want only %s", parents, newMain)
	}
	if msg := w.bare(t, "app", "log", "-1", "--format=%B", "main"); msg != "Add a.txt in one go\n\nSquashed." {
		t.Fatalf("squash message %q", msg)
	}
	if content := w.bare(t, "app", "show", "main:a.txt"); content != "a2" {
		t.Fatalf("squash content %q", content)
	}
	if res.GetMergeRequest().GetState() != hearthv1.MergeRequestState_MERGE_REQUEST_STATE_MERGED || res.GetSourceBranchDeleted() {
		t.Fatalf("squash merge: %v (the branch is kept unless asked)", res)
	}

	// Fast-forward once possible: main moves to the source's head itself.
	ffHead := w.branch(t, "app", "ffme", map[string]string{"b.txt": "b\n"})
	ff := openMR(t, bob, "app", "ffme", "main", "Fast", "")
	if !ff.GetMergeStatus().GetCanFastForward() {
		t.Fatalf("ffme cannot fast-forward: %+v", ff.GetMergeStatus())
	}
	if _, err := merge(bob, ctx, "app", ff.GetNumber(), hearthv1.MergeMethod_MERGE_METHOD_FAST_FORWARD, "", false); err != nil {
		t.Fatal(err)
	}
	if got := w.bare(t, "app", "rev-parse", "main"); got != ffHead {
		t.Fatalf("main at %s after a fast-forward, want %s", got, ffHead)
	}

	// The merges told the rest of the system as pushes would: events.
	ev := w.events(t, w.app.GetId())
	for _, want := range []string{"merge_request.created !1", "merge_request.merged !1", "merge_request.merged !2", "merge_request.merged !3"} {
		if !slices.Contains(ev, want) {
			t.Errorf("events %v lack %q", ev, want)
		}
	}
}

// TestMergeRequestConflictsAndRefresh: a push to the target that conflicts
// with the source is noticed without anyone asking (the refresh after the
// push), the files are listed, the merge is refused; a push to the source
// resolving it makes it mergeable again.
func TestMergeRequestConflictsAndRefresh(t *testing.T) {
	w := newMRWorld(t)
	ctx := t.Context()
	ada := mergeRequests(w.srv, w.ada)
	w.branch(t, "app", "topic", map[string]string{"src/main.txt": "one\ntwo from topic\nthree\n", "x.txt": "x\n"})
	mr := openMR(t, ada, "app", "topic", "main", "Topic", "")
	if mr.GetMergeStatus().GetMergeability() != hearthv1.Mergeability_MERGEABILITY_MERGEABLE {
		t.Fatalf("before the conflict: %+v", mr.GetMergeStatus())
	}

	w.checkout(t, "app", "main", "origin/main")
	w.commit(t, "app", "main edits the same line", map[string]string{"src/main.txt": "one\ntwo from main\nthree\n"})
	w.push(t, "app", "main")
	list := func() *hearthv1.MergeRequest {
		res, err := ada.ListMergeRequests(ctx, &hearthv1.ListMergeRequestsRequest{Owner: "ada", Name: "app"})
		if err != nil || len(res.GetMergeRequests()) != 1 {
			t.Fatalf("list: %v %v", res, err)
		}
		return res.GetMergeRequests()[0]
	}
	// List shows the stored check: it changes only when the refresh ran.
	testsvc.WaitFor(t, "the refresh after the push to the target", func() bool {
		return list().GetMergeStatus().GetMergeability() == hearthv1.Mergeability_MERGEABILITY_CONFLICTS
	})
	if c := list().GetMergeStatus().GetConflicts(); !slices.Equal(c, []string{"src/main.txt"}) {
		t.Fatalf("conflicts %v", c)
	}
	got := getMR(t, ada, "app", 1)
	if !slices.ContainsFunc(got.GetMergeBlockers(), func(b string) bool { return strings.Contains(b, "conflicts in src/main.txt") }) {
		t.Fatalf("blockers %v", got.GetMergeBlockers())
	}
	before := w.bare(t, "app", "rev-parse", "main")
	_, err := merge(ada, ctx, "app", 1, hearthv1.MergeMethod_MERGE_METHOD_MERGE, "", false)
	wantRefusal(t, "merging with conflicts", err, "conflicts in src/main.txt")
	if after := w.bare(t, "app", "rev-parse", "main"); after != before {
		t.Fatal("a refused merge moved main")
	}

	// Resolve on the source: merge main into topic, keeping topic's line.
	w.fetch(t, "app")
	w.checkout(t, "app", "topic", "origin/topic")
	cmd := exec.CommandContext(ctx, "git", "merge", "-q", "-m", "merge main", "origin/main")
	cmd.Dir, cmd.Env = w.work["app"], w.env
	_ = cmd.Run() // conflicts: resolved below
	fixed := w.commit(t, "app", "resolve", map[string]string{"src/main.txt": "one\ntwo from both\nthree\n"})
	w.push(t, "app", "topic")
	testsvc.WaitFor(t, "the refresh after the push to the source", func() bool {
		m := list()
		return m.GetHeadCommitSha() == fixed && m.GetMergeStatus().GetMergeability() == hearthv1.Mergeability_MERGEABILITY_MERGEABLE
	})
	if _, err := merge(ada, ctx, "app", 1, hearthv1.MergeMethod_MERGE_METHOD_MERGE, "", false); err != nil {
		t.Fatalf("merge after resolving: %v", err)
	}
	if content := w.bare(t, "app", "show", "main:src/main.txt"); content != "one\ntwo from both\nthree" {
		t.Fatalf("merged content %q", content)
	}
}

// TestMergeRequestTargetMovesDuringMerge pushes to the target between a
// merge's checks and the merge itself: the merge retries on the new target
// and the pushed commit is kept; when the target keeps moving, the merge
// fails cleanly and nothing pushed is lost.
func TestMergeRequestTargetMovesDuringMerge(t *testing.T) {
	w := newMRWorld(t)
	ctx := t.Context()
	ada := mergeRequests(w.srv, w.ada)
	featureHead := w.branch(t, "app", "feature", map[string]string{"feature.txt": "f\n"})
	openMR(t, ada, "app", "feature", "main", "Feature", "")

	// A second clone pushes to main from inside the hook (the test's main
	// clone stays as it is). Errors are reported after the merge returns.
	racer := t.TempDir()
	remote, _ := url.Parse(w.srv.URL + "/ada/app.git")
	remote.User = url.UserPassword("ada", w.ada)
	w.git(t, racer, "clone", "-q", remote.String(), ".")
	var mu sync.Mutex
	var pushed []string
	var hookErr error
	racePush := func(n int) {
		run := func(args ...string) (string, error) {
			cmd := exec.Command("git", args...)
			cmd.Dir, cmd.Env = racer, w.env
			out, err := cmd.CombinedOutput()
			if err != nil {
				return "", errors.New(string(out))
			}
			return strings.TrimSpace(string(out)), nil
		}
		out, err := run("pull", "-q", "--ff-only", remote.String(), "main")
		if err == nil {
			_, err = run("commit", "-q", "--allow-empty", "-m", "concurrent push "+time.Now().String())
		}
		if err == nil {
			out, err = run("rev-parse", "HEAD")
		}
		if err == nil {
			_, err = run("push", "-q", remote.String(), "HEAD:refs/heads/main")
		}
		mu.Lock()
		defer mu.Unlock()
		if err != nil && hookErr == nil {
			hookErr = err
		}
		pushed = append(pushed, out)
		_ = n
	}
	w.setHook(func(attempt int) {
		if attempt == 1 {
			racePush(attempt)
		}
	})
	res, err := merge(ada, ctx, "app", 1, hearthv1.MergeMethod_MERGE_METHOD_MERGE, "", false)
	w.setHook(nil)
	if hookErr != nil {
		t.Fatalf("the concurrent push failed: %v", hookErr)
	}
	if err != nil {
		t.Fatalf("merge with a concurrent push: %v", err)
	}
	if len(pushed) != 1 {
		t.Fatalf("pushed %v", pushed)
	}
	main := w.bare(t, "app", "rev-parse", "main")
	parents := strings.Fields(w.bare(t, "app", "rev-list", "--parents", "-n", "1", "main"))
	if main != res.GetMergeRequest().GetMergeCommitSha() || !slices.Equal(parents, []string{main, pushed[0], featureHead}) {
		t.Fatalf("main %s with parents %v: the retry should merge onto the pushed %s", main, parents, pushed[0])
	}

	// A target that moves at every attempt: the merge gives up, main keeps
	// every pushed commit and the merge request stays open.
	w.branch(t, "app", "second", map[string]string{"second.txt": "s\n"})
	openMR(t, ada, "app", "second", "main", "Second", "")
	pushed = nil
	w.setHook(racePush)
	_, err = merge(ada, ctx, "app", 2, hearthv1.MergeMethod_MERGE_METHOD_MERGE, "", false)
	w.setHook(nil)
	if hookErr != nil {
		t.Fatalf("the concurrent pushes failed: %v", hookErr)
	}
	wantRefusal(t, "a target that keeps moving", err, "kept moving")
	if len(pushed) != 3 || w.bare(t, "app", "rev-parse", "main") != pushed[2] {
		t.Fatalf("pushed %v, main at %s", pushed, w.bare(t, "app", "rev-parse", "main"))
	}
	for _, c := range pushed {
		w.bare(t, "app", "merge-base", "--is-ancestor", c, "main") // fails the test when c was lost
	}
	if st := getMR(t, ada, "app", 2).GetState(); st != hearthv1.MergeRequestState_MERGE_REQUEST_STATE_OPEN {
		t.Fatalf("state %v after a failed merge", st)
	}
	// And it merges once the target holds still.
	if _, err := merge(ada, ctx, "app", 2, hearthv1.MergeMethod_MERGE_METHOD_MERGE, "", false); err != nil {
		t.Fatal(err)
	}
	for _, c := range pushed {
		w.bare(t, "app", "merge-base", "--is-ancestor", c, "main")
	}
}

// TestMergeRequestRulesApprovalsAndPipeline: a target branch rule asking
// for 2 approvals and a green pipeline refuses the merge, naming what is
// missing, until both hold. Pipelines are real: a merge_request pipeline
// run by a node agent speaking the agent protocol to the server.
func TestMergeRequestRulesApprovalsAndPipeline(t *testing.T) {
	w := newMRWorld(t)
	ctx := t.Context()
	var green atomic.Bool
	agent := startTestAgent(t, w, func(*agentv1.RunJob) agentv1.JobState {
		if green.Load() {
			return agentv1.JobState_JOB_STATE_SUCCESS
		}
		return agentv1.JobState_JOB_STATE_FAILURE
	})
	rules := hearthv1connect.NewRefRuleServiceClient(http.DefaultClient, w.srv.URL, servertest.BearerOption(w.ada))
	if _, err := rules.SetProtectedRef(ctx, &hearthv1.SetProtectedRefRequest{Owner: "ada", Name: "app", Rule: &hearthv1.ProtectedRef{
		Kind: "branch", Pattern: "main", RequiredApprovals: 2, RequirePipeline: true,
	}}); err != nil {
		t.Fatal(err)
	}
	bob, ada, admin, carol := mergeRequests(w.srv, w.bob), mergeRequests(w.srv, w.ada), mergeRequests(w.srv, w.admin), mergeRequests(w.srv, w.carol)
	ci := "jobs:\n  test:\n    when:\n      events: [merge_request]\n    steps: [\"true\"]\n"
	head := w.branch(t, "app", "feature", map[string]string{".hearth.yml": ci, "feature.txt": "f\n"})
	openMR(t, bob, "app", "feature", "main", "Feature", "")

	pipelines := hearthv1connect.NewPipelineServiceClient(http.DefaultClient, w.srv.URL, servertest.BearerOption(w.ada))
	testsvc.WaitFor(t, "the failed merge_request pipeline", func() bool {
		return getMR(t, bob, "app", 1).GetPipelineStatus() == "failure"
	})
	list, err := pipelines.ListPipelines(ctx, &hearthv1.ListPipelinesRequest{Owner: "ada", Name: "app"})
	if err != nil || len(list.GetPipelines()) != 1 || list.GetPipelines()[0].GetEvent() != "merge_request" ||
		list.GetPipelines()[0].GetCommitSha() != head || list.GetPipelines()[0].GetRef() != "refs/heads/feature" {
		t.Fatalf("pipelines %v %v", list.GetPipelines(), err)
	}
	full, err := pipelines.GetPipeline(ctx, &hearthv1.GetPipelineRequest{Id: list.GetPipelines()[0].GetId()})
	if err != nil || full.GetPipeline().GetVariables()["HEARTH_MERGE_REQUEST_NUMBER"] != "1" ||
		full.GetPipeline().GetVariables()["HEARTH_MERGE_REQUEST_TARGET_BRANCH"] != "main" {
		t.Fatalf("pipeline variables: %v %v", full.GetPipeline().GetVariables(), err)
	}

	mr := getMR(t, bob, "app", 1)
	if mr.GetRequiredApprovals() != 2 || !mr.GetRequiresPipeline() || len(mr.GetMergeBlockers()) != 2 {
		t.Fatalf("requirements %d %v blockers %v", mr.GetRequiredApprovals(), mr.GetRequiresPipeline(), mr.GetMergeBlockers())
	}
	_, err = merge(bob, ctx, "app", 1, hearthv1.MergeMethod_MERGE_METHOD_MERGE, "", false)
	wantRefusal(t, "merge without approvals", err, "2 approval(s) required by the target branch's rules, 0 given")

	review := func(c hearthv1connect.MergeRequestServiceClient, v hearthv1.ReviewVerdict) error {
		_, err := c.CreateMergeRequestReview(ctx, &hearthv1.CreateMergeRequestReviewRequest{Owner: "ada", Name: "app", Number: 1, Verdict: v, Body: "looked"})
		return err
	}
	wantRefusal(t, "the author approving", review(bob, hearthv1.ReviewVerdict_REVIEW_VERDICT_APPROVE), "your own merge request")
	wantCode(t, "a viewer approving", review(carol, hearthv1.ReviewVerdict_REVIEW_VERDICT_APPROVE), connect.CodePermissionDenied)
	wantCode(t, "ada approving", review(ada, hearthv1.ReviewVerdict_REVIEW_VERDICT_APPROVE), 0)
	wantCode(t, "admin requesting changes", review(admin, hearthv1.ReviewVerdict_REVIEW_VERDICT_REQUEST_CHANGES), 0)
	_, err = merge(bob, ctx, "app", 1, hearthv1.MergeMethod_MERGE_METHOD_MERGE, "", false)
	wantRefusal(t, "merge with one approval", err, "2 approval(s) required by the target branch's rules, 1 given")
	// A reviewer's latest review is the one that counts.
	wantCode(t, "admin approving", review(admin, hearthv1.ReviewVerdict_REVIEW_VERDICT_APPROVE), 0)
	_, err = merge(bob, ctx, "app", 1, hearthv1.MergeMethod_MERGE_METHOD_MERGE, "", false)
	wantRefusal(t, "merge with a failed pipeline", err, "needs a green pipeline")
	if !strings.Contains(err.Error(), "latest: failure") {
		t.Fatalf("refusal does not say the pipeline failed: %v", err)
	}

	// A new push to the source: a new merge_request pipeline (green now),
	// and the approvals of the old head no longer count.
	green.Store(true)
	w.checkout(t, "app", "feature", "feature")
	newHead := w.commit(t, "app", "more", map[string]string{"feature.txt": "f2\n"})
	w.push(t, "app", "feature")
	testsvc.WaitFor(t, "the green pipeline of the new head", func() bool {
		m := getMR(t, bob, "app", 1)
		return m.GetHeadCommitSha() == newHead && m.GetPipelineStatus() == "success"
	})
	if m := getMR(t, bob, "app", 1); len(m.GetApprovedBy()) != 0 {
		t.Fatalf("approvals of the old head still count: %v", m.GetApprovedBy())
	}
	_, err = merge(bob, ctx, "app", 1, hearthv1.MergeMethod_MERGE_METHOD_MERGE, "", false)
	wantRefusal(t, "merge after a push reset approvals", err, "0 given")
	wantCode(t, "ada re-approving", review(ada, hearthv1.ReviewVerdict_REVIEW_VERDICT_APPROVE), 0)
	wantCode(t, "admin re-approving", review(admin, hearthv1.ReviewVerdict_REVIEW_VERDICT_APPROVE), 0)
	m := getMR(t, bob, "app", 1)
	if len(m.GetMergeBlockers()) != 0 || !slices.Equal(m.GetApprovedBy(), []string{"admin", "ada"}) && !slices.Equal(m.GetApprovedBy(), []string{"ada", "admin"}) {
		t.Fatalf("blockers %v approved by %v", m.GetMergeBlockers(), m.GetApprovedBy())
	}
	if _, err := merge(bob, ctx, "app", 1, hearthv1.MergeMethod_MERGE_METHOD_MERGE, "", false); err != nil {
		t.Fatalf("merge with every requirement met: %v", err)
	}
	agent.mu.Lock()
	ran := len(agent.ran)
	agent.mu.Unlock()
	if ran < 2 {
		t.Fatalf("the agent ran %d jobs", ran)
	}
	reviews, err := bob.ListMergeRequestReviews(ctx, &hearthv1.ListMergeRequestReviewsRequest{Owner: "ada", Name: "app", Number: 1})
	if err != nil || len(reviews.GetReviews()) != 5 || reviews.GetReviews()[0].GetCommitSha() != head || reviews.GetReviews()[4].GetCommitSha() != newHead {
		t.Fatalf("reviews %v %v", reviews.GetReviews(), err)
	}
}

// TestMergeRequestAuthorization walks every RPC for every kind of caller.
func TestMergeRequestAuthorization(t *testing.T) {
	w := newMRWorld(t)
	ctx := t.Context()
	for _, p := range []string{"app", "pub"} {
		w.branch(t, p, "feature", map[string]string{"feature.txt": "f\n"})
		openMR(t, mergeRequests(w.srv, w.bob), p, "feature", "main", "Feature", "")
	}
	branches := map[string]int{}
	type call func(c hearthv1connect.MergeRequestServiceClient, project string) error
	calls := map[string]call{
		"get": func(c hearthv1connect.MergeRequestServiceClient, p string) error {
			_, err := c.GetMergeRequest(ctx, &hearthv1.GetMergeRequestRequest{Owner: "ada", Name: p, Number: 1})
			return err
		},
		"list": func(c hearthv1connect.MergeRequestServiceClient, p string) error {
			_, err := c.ListMergeRequests(ctx, &hearthv1.ListMergeRequestsRequest{Owner: "ada", Name: p})
			return err
		},
		"changes": func(c hearthv1connect.MergeRequestServiceClient, p string) error {
			_, err := c.GetMergeRequestChanges(ctx, &hearthv1.GetMergeRequestChangesRequest{Owner: "ada", Name: p, Number: 1})
			return err
		},
		"create": func(c hearthv1connect.MergeRequestServiceClient, p string) error {
			// Each successful creation needs its own source branch.
			branches[p]++
			b := "create-" + strings.Repeat("x", branches[p])
			w.branch(t, p, b, map[string]string{b + ".txt": "x\n"})
			_, err := c.CreateMergeRequest(ctx, &hearthv1.CreateMergeRequestRequest{Owner: "ada", Name: p, SourceBranch: b, TargetBranch: "main", Title: "x"})
			return err
		},
		"update": func(c hearthv1connect.MergeRequestServiceClient, p string) error {
			title := "Renamed"
			_, err := c.UpdateMergeRequest(ctx, &hearthv1.UpdateMergeRequestRequest{Owner: "ada", Name: p, Number: 1, Title: &title})
			return err
		},
		"comment": func(c hearthv1connect.MergeRequestServiceClient, p string) error {
			_, err := c.CreateMergeRequestComment(ctx, &hearthv1.CreateMergeRequestCommentRequest{Owner: "ada", Name: p, Number: 1, Body: "hm"})
			return err
		},
		"comments": func(c hearthv1connect.MergeRequestServiceClient, p string) error {
			_, err := c.ListMergeRequestComments(ctx, &hearthv1.ListMergeRequestCommentsRequest{Owner: "ada", Name: p, Number: 1})
			return err
		},
		"review": func(c hearthv1connect.MergeRequestServiceClient, p string) error {
			_, err := c.CreateMergeRequestReview(ctx, &hearthv1.CreateMergeRequestReviewRequest{Owner: "ada", Name: p, Number: 1, Verdict: hearthv1.ReviewVerdict_REVIEW_VERDICT_REQUEST_CHANGES})
			return err
		},
		"reviews": func(c hearthv1connect.MergeRequestServiceClient, p string) error {
			_, err := c.ListMergeRequestReviews(ctx, &hearthv1.ListMergeRequestReviewsRequest{Owner: "ada", Name: p, Number: 1})
			return err
		},
		"request-review": func(c hearthv1connect.MergeRequestServiceClient, p string) error {
			_, err := c.RequestMergeRequestReview(ctx, &hearthv1.RequestMergeRequestReviewRequest{Owner: "ada", Name: p, Number: 1, Reviewers: []string{"carol"}})
			return err
		},
		// Merging a merge request that is a draft never moves anything: the
		// refusal (failed_precondition) proves authorization passed.
		"merge": func(c hearthv1connect.MergeRequestServiceClient, p string) error {
			_, err := merge(c, ctx, p, 1, hearthv1.MergeMethod_MERGE_METHOD_MERGE, "", false)
			return err
		},
	}
	draft := true
	for _, p := range []string{"app", "pub"} {
		if _, err := mergeRequests(w.srv, w.bob).UpdateMergeRequest(ctx, &hearthv1.UpdateMergeRequestRequest{Owner: "ada", Name: p, Number: 1, Draft: &draft}); err != nil {
			t.Fatal(err)
		}
	}
	const ok, denied, missing, anon, refused = connect.Code(0), connect.CodePermissionDenied, connect.CodeNotFound, connect.CodeUnauthenticated, connect.CodeFailedPrecondition
	matrix := []struct {
		who, token, project string
		want                map[string]connect.Code
	}{
		{"maintainer", w.ada, "app", map[string]connect.Code{
			"get": ok, "list": ok, "changes": ok, "create": ok, "update": ok, "comment": ok, "comments": ok,
			"review": ok, "reviews": ok, "request-review": ok, "merge": refused,
		}},
		{"developer (the author)", w.bob, "app", map[string]connect.Code{
			"get": ok, "list": ok, "changes": ok, "create": ok, "update": ok, "comment": ok, "comments": ok,
			"review": ok, "reviews": ok, "request-review": ok, "merge": refused,
		}},
		{"viewer", w.carol, "app", map[string]connect.Code{
			"get": ok, "list": ok, "changes": ok, "create": denied, "update": denied, "comment": ok, "comments": ok,
			"review": denied, "reviews": ok, "request-review": denied, "merge": denied,
		}},
		{"outsider on a private project", w.eve, "app", map[string]connect.Code{
			"get": missing, "list": missing, "changes": missing, "create": missing, "update": missing, "comment": missing,
			"comments": missing, "review": missing, "reviews": missing, "request-review": missing, "merge": missing,
		}},
		{"anonymous on a private project", "", "app", map[string]connect.Code{
			"get": anon, "list": anon, "changes": anon, "create": anon, "update": anon, "comment": anon,
			"comments": anon, "review": anon, "reviews": anon, "request-review": anon, "merge": anon,
		}},
		{"anonymous on a public project", "", "pub", map[string]connect.Code{
			"get": ok, "list": ok, "changes": ok, "create": anon, "update": anon, "comment": anon, "comments": ok,
			"review": anon, "reviews": ok, "request-review": anon, "merge": anon,
		}},
		{"signed-in outsider on a public project", w.eve, "pub", map[string]connect.Code{
			"get": ok, "list": ok, "changes": ok, "create": denied, "update": denied, "comment": ok, "comments": ok,
			"review": denied, "reviews": ok, "request-review": denied, "merge": denied,
		}},
	}
	for _, row := range matrix {
		for _, op := range slices.Sorted(func(yield func(string) bool) {
			for k := range calls {
				if !yield(k) {
					return
				}
			}
		}) {
			want, listed := row.want[op]
			if !listed {
				t.Fatalf("%s: no expectation for %s", row.who, op)
			}
			var got connect.Code
			if err := calls[op](mergeRequests(w.srv, row.token), row.project); err != nil {
				got = connect.CodeOf(err)
			}
			if got != want {
				t.Errorf("%s: %s on %s: %v, want %v", row.who, op, row.project, got, want)
			}
		}
	}

	// A branch only admins may push to: developers may not merge into it.
	rules := hearthv1connect.NewRefRuleServiceClient(http.DefaultClient, w.srv.URL, servertest.BearerOption(w.ada))
	if _, err := rules.SetProtectedRef(ctx, &hearthv1.SetProtectedRefRequest{Owner: "ada", Name: "app", Rule: &hearthv1.ProtectedRef{
		Kind: "branch", Pattern: "main", PushPermission: "project:admin",
	}}); err != nil {
		t.Fatal(err)
	}
	notDraft := false
	if _, err := mergeRequests(w.srv, w.bob).UpdateMergeRequest(ctx, &hearthv1.UpdateMergeRequestRequest{Owner: "ada", Name: "app", Number: 1, Draft: &notDraft}); err != nil {
		t.Fatal(err)
	}
	_, err := merge(mergeRequests(w.srv, w.bob), ctx, "app", 1, hearthv1.MergeMethod_MERGE_METHOD_MERGE, "", false)
	wantCode(t, "developer merging into an admins-only branch", err, denied)
	_, err = merge(mergeRequests(w.srv, w.ada), ctx, "app", 1, hearthv1.MergeMethod_MERGE_METHOD_MERGE, "", false)
	wantCode(t, "maintainer merging into an admins-only branch", err, ok)
}

// TestMergeRequestInputsCommentsReviewsAndReferences: hostile input,
// line comments, review requests, updates, events, "!N" and "#N"
// references, and the REST routes.
func TestMergeRequestInputsCommentsReviewsAndReferences(t *testing.T) {
	w := newMRWorld(t)
	ctx := t.Context()
	bob := mergeRequests(w.srv, w.bob)
	head := w.branch(t, "app", "feature", map[string]string{"feature.txt": "a\nb\n", "src/main.txt": "one\n2\nthree\n"})

	bad := []struct {
		what string
		req  *hearthv1.CreateMergeRequestRequest
		want connect.Code
	}{
		{"unknown source", &hearthv1.CreateMergeRequestRequest{SourceBranch: "nope", TargetBranch: "main", Title: "t"}, connect.CodeNotFound},
		{"unknown target", &hearthv1.CreateMergeRequestRequest{SourceBranch: "feature", TargetBranch: "nope", Title: "t"}, connect.CodeNotFound},
		{"same branches", &hearthv1.CreateMergeRequestRequest{SourceBranch: "main", TargetBranch: "main", Title: "t"}, connect.CodeInvalidArgument},
		{"option-like branch", &hearthv1.CreateMergeRequestRequest{SourceBranch: "-x", TargetBranch: "main", Title: "t"}, connect.CodeInvalidArgument},
		{"branch with ..", &hearthv1.CreateMergeRequestRequest{SourceBranch: "a..b", TargetBranch: "main", Title: "t"}, connect.CodeInvalidArgument},
		{"empty title", &hearthv1.CreateMergeRequestRequest{SourceBranch: "feature", TargetBranch: "main", Title: "  "}, connect.CodeInvalidArgument},
		{"huge title", &hearthv1.CreateMergeRequestRequest{SourceBranch: "feature", TargetBranch: "main", Title: strings.Repeat("t", 256)}, connect.CodeInvalidArgument},
		{"huge description", &hearthv1.CreateMergeRequestRequest{SourceBranch: "feature", TargetBranch: "main", Title: "t", Description: strings.Repeat("d", 64<<10+1)}, connect.CodeInvalidArgument},
	}
	for _, b := range bad {
		b.req.Owner, b.req.Name = "ada", "app"
		_, err := bob.CreateMergeRequest(ctx, b.req)
		wantCode(t, b.what, err, b.want)
	}

	is, err := issues(w.srv, w.bob).CreateIssue(ctx, &hearthv1.CreateIssueRequest{Owner: "ada", Name: "app", Title: "Bug", Body: "fixed by !1, not !99"})
	if err != nil {
		t.Fatal(err)
	}
	mr := openMR(t, bob, "app", "feature", "main", "Fix the bug", "Fixes #1, see !1 and #42")
	_, err = bob.CreateMergeRequest(ctx, &hearthv1.CreateMergeRequestRequest{Owner: "ada", Name: "app", SourceBranch: "feature", TargetBranch: "main", Title: "again"})
	wantCode(t, "a second open merge request for the same branches", err, connect.CodeAlreadyExists)
	got := getMR(t, bob, "app", mr.GetNumber())
	if refs := got.GetIssueReferences(); len(refs) != 1 || refs[0].GetNumber() != 1 || refs[0].GetTitle() != "Bug" {
		t.Fatalf("issue references %v", refs)
	}
	if refs := got.GetMergeRequestReferences(); len(refs) != 1 || refs[0].GetNumber() != 1 || refs[0].GetState() != hearthv1.MergeRequestState_MERGE_REQUEST_STATE_OPEN {
		t.Fatalf("merge request references %v", refs)
	}
	issue, err := issues(w.srv, w.bob).GetIssue(ctx, &hearthv1.GetIssueRequest{Owner: "ada", Name: "app", Number: is.GetIssue().GetNumber()})
	if err != nil {
		t.Fatal(err)
	}
	if refs := issue.GetIssue().GetMergeRequestReferences(); len(refs) != 1 || refs[0].GetNumber() != 1 || refs[0].GetTitle() != "Fix the bug" {
		t.Fatalf("the issue's merge request references %v", refs)
	}

	_, err = merge(bob, ctx, "app", 1, hearthv1.MergeMethod(99), "", false)
	wantCode(t, "unknown merge method", err, connect.CodeInvalidArgument)
	_, err = merge(bob, ctx, "app", 1, hearthv1.MergeMethod_MERGE_METHOD_MERGE, "nul\x00byte", false)
	wantCode(t, "commit message with NUL", err, connect.CodeInvalidArgument)
	_, err = merge(bob, ctx, "app", 99, hearthv1.MergeMethod_MERGE_METHOD_MERGE, "", false)
	wantCode(t, "merging a missing merge request", err, connect.CodeNotFound)
	_, err = bob.GetMergeRequest(ctx, &hearthv1.GetMergeRequestRequest{Owner: "ada", Name: "app", Number: 99})
	wantCode(t, "a missing merge request", err, connect.CodeNotFound)

	// Comments, on a line or not; anchors are checked against the repository.
	comment := func(pos *hearthv1.LinePosition) (*hearthv1.MergeRequestComment, error) {
		res, err := bob.CreateMergeRequestComment(ctx, &hearthv1.CreateMergeRequestCommentRequest{Owner: "ada", Name: "app", Number: 1, Body: "note", Position: pos})
		return res.GetComment(), err
	}
	if _, err := comment(nil); err != nil {
		t.Fatal(err)
	}
	c, err := comment(&hearthv1.LinePosition{CommitSha: head, Path: "feature.txt", Line: 2, Side: hearthv1.DiffSide_DIFF_SIDE_NEW})
	if err != nil || c.GetPosition().GetPath() != "feature.txt" || c.GetPosition().GetLine() != 2 || c.GetPosition().GetCommitSha() != head {
		t.Fatalf("line comment %v %v", c, err)
	}
	if _, err := comment(&hearthv1.LinePosition{CommitSha: head, Path: "src/main.txt", Line: 3, Side: hearthv1.DiffSide_DIFF_SIDE_OLD}); err != nil {
		t.Fatalf("comment on the old side: %v", err)
	}
	for what, pos := range map[string]*hearthv1.LinePosition{
		"line past the end":           {CommitSha: head, Path: "feature.txt", Line: 3, Side: hearthv1.DiffSide_DIFF_SIDE_NEW},
		"line zero":                   {CommitSha: head, Path: "feature.txt", Line: 0, Side: hearthv1.DiffSide_DIFF_SIDE_NEW},
		"missing file":                {CommitSha: head, Path: "nope.txt", Line: 1, Side: hearthv1.DiffSide_DIFF_SIDE_NEW},
		"new file on the old side":    {CommitSha: head, Path: "feature.txt", Line: 1, Side: hearthv1.DiffSide_DIFF_SIDE_OLD},
		"commit not in the repo":      {CommitSha: strings.Repeat("ab", 20), Path: "feature.txt", Line: 1},
		"commit not of the MR":        {CommitSha: w.bare(t, "app", "rev-parse", "main"), Path: "README.md", Line: 1},
		"abbreviated commit":          {CommitSha: head[:12], Path: "feature.txt", Line: 1},
		"path escaping the repo":      {CommitSha: head, Path: "../../etc/passwd", Line: 1},
		"absolute path":               {CommitSha: head, Path: "/etc/passwd", Line: 1},
		"option-like commit":          {CommitSha: "--output=/tmp/x", Path: "feature.txt", Line: 1},
		"a directory instead of file": {CommitSha: head, Path: "src", Line: 1},
	} {
		_, err := comment(pos)
		if connect.CodeOf(err) != connect.CodeInvalidArgument && connect.CodeOf(err) != connect.CodeNotFound {
			t.Errorf("%s: %v, want invalid_argument", what, err)
		}
	}
	cs, err := bob.ListMergeRequestComments(ctx, &hearthv1.ListMergeRequestCommentsRequest{Owner: "ada", Name: "app", Number: 1})
	if err != nil || len(cs.GetComments()) != 3 || cs.GetComments()[0].GetPosition() != nil || cs.GetComments()[1].GetPosition() == nil {
		t.Fatalf("comments %v %v", cs, err)
	}

	// Review requests and updates.
	res, err := bob.RequestMergeRequestReview(ctx, &hearthv1.RequestMergeRequestReviewRequest{Owner: "ada", Name: "app", Number: 1, Reviewers: []string{"ada", "carol"}})
	if err != nil || !slices.Equal(res.GetMergeRequest().GetReviewers(), []string{"ada", "carol"}) {
		t.Fatalf("request review: %v %v", res, err)
	}
	_, err = bob.RequestMergeRequestReview(ctx, &hearthv1.RequestMergeRequestReviewRequest{Owner: "ada", Name: "app", Number: 1, Reviewers: []string{"no body"}})
	wantCode(t, "a reviewer that is not a username", err, connect.CodeInvalidArgument)
	_, err = bob.CreateMergeRequestReview(ctx, &hearthv1.CreateMergeRequestReviewRequest{Owner: "ada", Name: "app", Number: 1})
	wantCode(t, "a review without a verdict", err, connect.CodeInvalidArgument)
	draft, title := true, "Fix the bug, properly"
	up, err := bob.UpdateMergeRequest(ctx, &hearthv1.UpdateMergeRequestRequest{Owner: "ada", Name: "app", Number: 1, Draft: &draft, Title: &title})
	if err != nil || !up.GetMergeRequest().GetDraft() || up.GetMergeRequest().GetTitle() != title {
		t.Fatalf("update: %v %v", up, err)
	}
	_, err = merge(mergeRequests(w.srv, w.ada), ctx, "app", 1, hearthv1.MergeMethod_MERGE_METHOD_MERGE, "", false)
	wantRefusal(t, "merging a draft", err, "is a draft")
	_, err = bob.UpdateMergeRequest(ctx, &hearthv1.UpdateMergeRequestRequest{Owner: "ada", Name: "app", Number: 1, State: hearthv1.MergeRequestState_MERGE_REQUEST_STATE_MERGED})
	wantCode(t, "setting the state to merged", err, connect.CodeInvalidArgument)
	closed, err := bob.UpdateMergeRequest(ctx, &hearthv1.UpdateMergeRequestRequest{Owner: "ada", Name: "app", Number: 1, State: hearthv1.MergeRequestState_MERGE_REQUEST_STATE_CLOSED})
	if err != nil || closed.GetMergeRequest().GetState() != hearthv1.MergeRequestState_MERGE_REQUEST_STATE_CLOSED || closed.GetMergeRequest().GetCloseTime() == nil {
		t.Fatalf("close: %v %v", closed, err)
	}
	// Closed: another may open for the same branches; reopening this one then conflicts.
	openMR(t, bob, "app", "feature", "main", "Second try", "")
	_, err = bob.UpdateMergeRequest(ctx, &hearthv1.UpdateMergeRequestRequest{Owner: "ada", Name: "app", Number: 1, State: hearthv1.MergeRequestState_MERGE_REQUEST_STATE_OPEN})
	wantCode(t, "reopening beside another open one", err, connect.CodeAlreadyExists)
	all, err := bob.ListMergeRequests(ctx, &hearthv1.ListMergeRequestsRequest{Owner: "ada", Name: "app", All: true})
	if err != nil || len(all.GetMergeRequests()) != 2 || all.GetMergeRequests()[0].GetNumber() != 2 {
		t.Fatalf("list all: %v %v", all, err)
	}
	closedOnly, err := bob.ListMergeRequests(ctx, &hearthv1.ListMergeRequestsRequest{Owner: "ada", Name: "app", State: hearthv1.MergeRequestState_MERGE_REQUEST_STATE_CLOSED})
	if err != nil || len(closedOnly.GetMergeRequests()) != 1 || closedOnly.GetMergeRequests()[0].GetNumber() != 1 {
		t.Fatalf("list closed: %v %v", closedOnly, err)
	}

	ev := w.events(t, w.app.GetId())
	for _, want := range []string{
		"issue.created #1", "merge_request.created !1", "merge_request.commented !1", "merge_request.review_requested !1",
		"merge_request.closed !1", "merge_request.created !2",
	} {
		if !slices.Contains(ev, want) {
			t.Errorf("events %v lack %q", ev, want)
		}
	}

	// The REST routes.
	do := func(method, path, token string, body any) (int, map[string]any) {
		t.Helper()
		var r io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			r = bytes.NewReader(b)
		}
		req, _ := http.NewRequestWithContext(ctx, method, w.srv.URL+path, r)
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
	base := "/api/v1/projects/ada/app/merge_requests"
	w.branch(t, "app", "rest", map[string]string{"rest.txt": "r\n"})
	code, out := do("POST", base, w.bob, map[string]any{"sourceBranch": "rest", "targetBranch": "main", "title": "Over REST"})
	if code != http.StatusOK || out["mergeRequest"].(map[string]any)["number"] != "3" {
		t.Fatalf("REST create: %d %v", code, out)
	}
	if code, out := do("GET", base+"/3", w.carol, nil); code != http.StatusOK || out["mergeRequest"].(map[string]any)["sourceBranch"] != "rest" {
		t.Fatalf("REST get: %d %v", code, out)
	}
	if code, out := do("GET", base+"?all=true", w.carol, nil); code != http.StatusOK || len(out["mergeRequests"].([]any)) != 3 {
		t.Fatalf("REST list: %d %v", code, out)
	}
	if code, out := do("POST", base+"/3/reviews", w.ada, map[string]any{"verdict": "REVIEW_VERDICT_APPROVE"}); code != http.StatusOK {
		t.Fatalf("REST review: %d %v", code, out)
	}
	if code, _ := do("POST", base+"/3/merge", w.carol, map[string]any{"method": "MERGE_METHOD_SQUASH"}); code != http.StatusForbidden {
		t.Fatalf("REST merge by a viewer: %d", code)
	}
	if code, out := do("POST", base+"/3/merge", w.bob, map[string]any{"method": "MERGE_METHOD_SQUASH", "deleteSourceBranch": true}); code != http.StatusOK ||
		out["mergeRequest"].(map[string]any)["state"] != "MERGE_REQUEST_STATE_MERGED" || out["sourceBranchDeleted"] != true {
		t.Fatalf("REST merge: %d %v", code, out)
	}
	if code, _ := do("GET", "/api/v1/projects/ada/app/merge_requests", w.eve, nil); code != http.StatusNotFound {
		t.Fatalf("REST list by an outsider: %d", code)
	}
}
