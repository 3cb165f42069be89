package project

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/project/internal/db"
	"github.com/hearth-dev/hearth/shared/gitref"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// mergeAttempts bounds how often a merge is retried on a target that a
// concurrent push moved.
const mergeAttempts = 3

// pipelineSucceeded is the pipeline state a green-pipeline rule accepts.
const pipelineSucceeded = "success"

// mergeTimeout bounds a merge's transaction. It does not end with the
// request: once the target may move, the merge request must be marked
// merged in the same transaction whatever the client does.
const mergeTimeout = 2 * time.Minute

// MergeOptions says how to merge.
type MergeOptions struct {
	Method MergeMethod
	// Message replaces the default commit message (merge and squash).
	Message            string
	DeleteSourceBranch bool
	// CommitSHA, when set, is the head the caller saw: the merge is
	// refused if the source holds another commit.
	CommitSHA string
}

// MergeResult is a merged merge request.
type MergeResult struct {
	MergeRequest        MergeRequest
	SourceBranchDeleted bool
	// SourceBranchKept says why the source branch was kept although its
	// deletion was asked for.
	SourceBranchKept string
}

// requirements are the target's merge rules, the head's latest pipeline
// and the blockers of a merge now (any method).
func (m *MergeRequests) requirements(ctx context.Context, mr MergeRequest) (MergeRequirements, error) {
	var out MergeRequirements
	var err error
	out.RequiredApprovals, out.RequiresPipeline, err = m.repos.MergeRules(ctx, mr.ProjectID, mr.TargetBranch)
	if err != nil {
		return MergeRequirements{}, err
	}
	if out.Pipeline, err = m.pipelines.LatestStatus(ctx, mr.ProjectID, mr.HeadCommit); err != nil {
		return MergeRequirements{}, err
	}
	if mr.State != MergeRequestOpen {
		return out, nil
	}
	if mr.Draft {
		out.Blockers = append(out.Blockers, "it is a draft")
	}
	switch mr.Status.Mergeability {
	case MergeConflicts:
		out.Blockers = append(out.Blockers, "conflicts in "+joinLimited(mr.Status.Conflicts, 20))
	case MergeUnrelated:
		out.Blockers = append(out.Blockers, unrelatedBlocker)
	case MergeUnchecked:
		out.Blockers = append(out.Blockers, "mergeability is not checked yet")
	}
	if n := len(mr.ApprovedBy); n < out.RequiredApprovals {
		out.Blockers = append(out.Blockers, approvalsMissing(out.RequiredApprovals, n))
	}
	if out.RequiresPipeline && out.Pipeline.State != pipelineSucceeded {
		out.Blockers = append(out.Blockers, pipelineMissing(mr.HeadCommit, out.Pipeline))
	}
	return out, nil
}

func approvalsMissing(required, have int) string {
	return fmt.Sprintf("%d approval(s) required by the target branch's rules, %d given on the head commit", required, have)
}

func pipelineMissing(commit string, p PipelineStatus) string {
	state := p.State
	if state == "" {
		state = "none"
	}
	return fmt.Sprintf("a green pipeline for %s is required by the target branch's rules (latest: %s)", shortSHA(commit), state)
}

// defaultMessage is GitLab's style of merge and squash messages.
func defaultMessage(mr MergeRequest, method MergeMethod) string {
	if method == SquashMethod {
		return fmt.Sprintf("%s\n\nMerge request !%d", mr.Title, mr.Number)
	}
	return fmt.Sprintf("Merge branch '%s' into '%s'\n\n%s\n\nMerge request !%d", mr.SourceBranch, mr.TargetBranch, mr.Title, mr.Number)
}

// can answers whether caller holds a permission on project, each decision
// made once (as the push policy asks them). A failure to decide refuses
// (logged).
func (m *MergeRequests) can(ctx context.Context, caller access.Principal, project uuid.UUID) func(access.Permission) bool {
	held := map[access.Permission]bool{}
	return func(perm access.Permission) bool {
		ok, seen := held[perm]
		if !seen {
			err := m.svc.roles.Authorize(ctx, caller, perm, project)
			if _, denied := apperr.As(err); err != nil && !denied {
				m.log.Warn().Err(err).Str(logfield.ProjectID, project.String()).Msg("could not authorize a ref update of a merge")
			}
			ok = err == nil
			held[perm] = ok
		}
		return ok
	}
}

// Merge merges merge request number as caller. The merge request's row is
// locked for the whole merge, so two merges of it never both run; the
// target moves by compare-and-swap, so a concurrent push either lands
// before the merge (which then retries on it) or is refused by git as not
// a fast-forward of the merged target: no commit is lost either way.
//
// The target moves only if the caller could push to it (the branch's
// rules, as a push is decided), and the source branch is deleted only if
// the caller could delete it by a push; a refused deletion keeps the
// branch (MergeResult.SourceBranchKept says why) without failing the
// merge. The transaction does not end with the request: a client that
// goes away once the target moved still gets its merge recorded.
//
// It runs in three stages: validateMerge (the request and the caller's
// right to move the target), attemptMerge (the transaction that moves the
// target and records the merge) and settleMerge (what follows a merge and
// must not fail it).
func (m *MergeRequests) Merge(ctx context.Context, caller access.Principal, project uuid.UUID, number int64, o MergeOptions) (MergeResult, error) {
	// What follows the target's move must not fail the merge; a request
	// cancelled now would still leave the branch and the pipelines to settle.
	after := context.WithoutCancel(ctx)
	can := m.can(after, caller, project)
	run, err := m.validateMerge(ctx, caller, project, number, o, can)
	if err != nil {
		return MergeResult{}, err
	}
	done, err := m.attemptMerge(ctx, after, run)
	if err != nil {
		return MergeResult{}, err
	}
	return m.settleMerge(after, run, done, can)
}

// mergeRun is one merge's inputs, checked by validateMerge.
type mergeRun struct {
	caller                        access.Principal
	project                       uuid.UUID
	number                        int64
	opts                          MergeOptions // Method set
	committerName, committerEmail string
}

// mergeDone is what attemptMerge did.
type mergeDone struct {
	mr MergeRequest // as recorded
	// byPush: the head had reached the target already, so the merge
	// request was marked merged by push and nothing was merged now.
	byPush bool
	// oldTarget and newTarget are the target's move; merged is the source
	// commit merged.
	oldTarget, newTarget, merged string
}

// targetRules are the target branch's merge rules.
type targetRules struct {
	required     int
	needPipeline bool
}

// validateMerge checks the options, that the project takes writes and that
// the caller could move the target by a push, and finds the committer.
func (m *MergeRequests) validateMerge(ctx context.Context, caller access.Principal, project uuid.UUID, number int64, o MergeOptions, can func(access.Permission) bool) (mergeRun, error) {
	if err := signedIn(caller); err != nil {
		return mergeRun{}, err
	}
	if o.Method == 0 {
		o.Method = MergeCommitMethod
	}
	if o.Method < MergeCommitMethod || o.Method > FastForwardMethod {
		return mergeRun{}, apperr.Invalid("method: merge, squash or fast-forward")
	}
	if o.Message != "" && (len(o.Message) > MaxBodyBytes || !utf8.ValidString(o.Message) || strings.ContainsRune(o.Message, 0) || strings.TrimSpace(o.Message) == "") {
		return mergeRun{}, apperr.Invalid("commit message: valid UTF-8 text of 1 to %d bytes", MaxBodyBytes)
	}
	if o.CommitSHA != "" && !gitref.ValidObjectID(o.CommitSHA) {
		return mergeRun{}, apperr.Invalid("commit_sha: a full lowercase commit id")
	}
	if err := m.svc.requireWritable(ctx, project); err != nil {
		return mergeRun{}, err
	}
	cur, err := m.row(ctx, project, number)
	if err != nil {
		return mergeRun{}, err
	}
	// Merging moves the target as a push would: its protection decides.
	allowed, reason, err := m.repos.BranchUpdateAllowed(ctx, project, cur.TargetBranch, false, can)
	if err != nil {
		return mergeRun{}, err
	}
	if !allowed {
		return mergeRun{}, apperr.PermissionDenied("cannot merge !%d: %s", number, reason)
	}
	name, email, err := m.users.Committer(ctx, caller.UserID)
	if err != nil {
		return mergeRun{}, fmt.Errorf("the merging user: %w", err)
	}
	return mergeRun{caller: caller, project: project, number: number, opts: o, committerName: name, committerEmail: email}, nil
}

// attemptMerge is the merge's transaction, detached from the request (see
// mergeTimeout): it locks the merge request's row, merges (retrying while
// a concurrent push moves the target) and records the merge. request is
// asked only before the target moves.
func (m *MergeRequests) attemptMerge(request, after context.Context, r mergeRun) (mergeDone, error) {
	txCtx, cancel := context.WithTimeout(after, mergeTimeout)
	defer cancel()
	var done mergeDone
	err := m.svc.db.InTx(txCtx, func(tx pgx.Tx) error {
		var err error
		done, err = m.mergeInTx(txCtx, request, tx, r)
		return err
	})
	return done, err
}

// mergeInTx is attemptMerge's work inside its transaction.
func (m *MergeRequests) mergeInTx(ctx, request context.Context, tx pgx.Tx, r mergeRun) (mergeDone, error) {
	q := m.svc.q.WithTx(tx)
	row, err := q.GetMergeRequestForUpdate(ctx, db.GetMergeRequestForUpdateParams{ProjectID: r.project, Number: r.number})
	if err != nil {
		return mergeDone{}, apperr.IfNotFound(err, "merge request not found")
	}
	mr := mergeRequestFromRow(row)
	switch {
	case mr.State != MergeRequestOpen:
		return mergeDone{}, apperr.FailedPrecondition("merge request !%d is %s, not open", r.number, mr.State)
	case mr.Draft:
		return mergeDone{}, apperr.FailedPrecondition("merge request !%d is a draft: mark it ready first", r.number)
	}
	var rules targetRules
	rules.required, rules.needPipeline, err = m.repos.MergeRules(ctx, r.project, mr.TargetBranch)
	if err != nil {
		return mergeDone{}, err
	}
	for attempt := 1; ; attempt++ {
		done, retry, err := m.mergeOnce(ctx, request, tx, q, &mr, r, rules, attempt)
		if err != nil {
			return mergeDone{}, err
		}
		if retry {
			continue
		}
		if done.byPush {
			return done, nil
		}
		return m.recordMerge(ctx, tx, q, mr, r, done)
	}
}

// mergeOnce is one attempt on the target and source as they are now. It
// asks for a retry when a concurrent push moved the target under the
// merge, until mergeAttempts; it updates mr's head when the source moved.
func (m *MergeRequests) mergeOnce(ctx, request context.Context, tx pgx.Tx, q *db.Queries, mr *MergeRequest, r mergeRun, rules targetRules, attempt int) (done mergeDone, retry bool, err error) {
	target, err := m.branchCommit(ctx, r.project, "target", mr.TargetBranch)
	if err != nil {
		return mergeDone{}, false, apperr.FailedPrecondition("cannot merge !%d: %s", r.number, errMessage(err))
	}
	source, err := m.branchCommit(ctx, r.project, "source", mr.SourceBranch)
	if err != nil {
		return mergeDone{}, false, apperr.FailedPrecondition("cannot merge !%d: %s", r.number, errMessage(err))
	}
	if r.opts.CommitSHA != "" && source != r.opts.CommitSHA {
		return mergeDone{}, false, apperr.FailedPrecondition("the merge request's head moved to %s (you saw %s); review and merge again",
			shortSHA(source), shortSHA(r.opts.CommitSHA))
	}
	if source != mr.HeadCommit {
		if err := q.SetMergeRequestHead(ctx, db.SetMergeRequestHeadParams{ID: mr.ID, HeadCommit: source}); err != nil {
			return mergeDone{}, false, err
		}
		mr.HeadCommit = source
	}
	st, err := m.check(ctx, *mr, target, source)
	if err != nil {
		return mergeDone{}, false, err
	}
	// Its head already reached the target (pushed, or an earlier
	// merge whose transaction was lost): it is merged, by push.
	landed, err := m.landedSince(ctx, *mr, mr.Status.TargetCommit, st)
	if err != nil {
		return mergeDone{}, false, err
	}
	if landed {
		fresh, ok, err := m.markMergedByPush(ctx, tx, *mr, target)
		if err != nil {
			return mergeDone{}, false, err
		}
		if ok {
			return mergeDone{mr: fresh, byPush: true}, false, nil
		}
	}
	if err := m.saveStatus(ctx, q, mr.ID, st); err != nil {
		return mergeDone{}, false, err
	}
	if err := m.refusal(ctx, q, *mr, st, r.opts.Method, rules.required, rules.needPipeline); err != nil {
		return mergeDone{}, false, err
	}
	if m.hook != nil {
		m.hook(ctx, r.project, r.number, attempt)
	}
	// A client gone before the target moves gets no merge.
	if err := request.Err(); err != nil {
		return mergeDone{}, false, err
	}
	msg := r.opts.Message
	if msg == "" {
		msg = defaultMessage(*mr, r.opts.Method)
	}
	commit, err := m.repos.Merge(ctx, r.project, MergeSpec{
		Method: r.opts.Method, TargetBranch: mr.TargetBranch, TargetCommit: target, SourceCommit: source,
		CommitterName: r.committerName, CommitterEmail: r.committerEmail, Message: msg,
	})
	if errors.Is(err, ErrRefMoved) {
		if attempt < mergeAttempts {
			m.log.Info().Int64(logfield.MergeRequest, r.number).Int(logfield.Attempt, attempt).Msg("target moved during the merge; retrying")
			return mergeDone{}, true, nil
		}
		return mergeDone{}, false, apperr.FailedPrecondition("the target branch %s kept moving during the merge (%d attempts); try again", mr.TargetBranch, attempt)
	}
	if err != nil {
		return mergeDone{}, false, err
	}
	return mergeDone{oldTarget: target, newTarget: commit, merged: source}, false, nil
}

// recordMerge marks mr merged by the caller, audits it and publishes the
// event, in the merge's transaction.
func (m *MergeRequests) recordMerge(ctx context.Context, tx pgx.Tx, q *db.Queries, mr MergeRequest, r mergeRun, done mergeDone) (mergeDone, error) {
	by := r.caller.UserID
	fresh, err := q.MarkMergeRequestMerged(ctx, db.MarkMergeRequestMergedParams{
		ID: mr.ID, MergedByID: &by, MergedByName: r.caller.Username, MergeCommit: done.newTarget, HeadCommit: done.merged,
	})
	if err != nil {
		return mergeDone{}, err
	}
	done.mr = mergeRequestFromRow(fresh)
	if err := audit.Record(ctx, tx, audit.Event{
		Action: "merge_request.merge", Resource: "merge_request/" + mr.ID.String(), ProjectID: r.project,
		Detail: map[string]any{"number": r.number, "method": r.opts.Method.String(), "commit": done.newTarget, "target": mr.TargetBranch},
	}); err != nil {
		return mergeDone{}, err
	}
	err = m.svc.publish(ctx, tx, Event{
		Kind: EventMergeRequestMerged, ProjectID: r.project, Subject: MergeRequestSubject(r.number),
		Detail: map[string]any{"method": r.opts.Method.String(), "merge_commit": done.newTarget, "target": mr.TargetBranch},
	})
	if err != nil {
		return mergeDone{}, err
	}
	return done, nil
}

// settleMerge follows a committed merge: a merge request found merged by a
// push is refused; otherwise the source branch is deleted if asked (and
// allowed), the ref updates are recorded and the result decorated. Nothing
// here undoes the merge.
func (m *MergeRequests) settleMerge(after context.Context, r mergeRun, done mergeDone, can func(access.Permission) bool) (MergeResult, error) {
	if done.byPush {
		return MergeResult{}, apperr.FailedPrecondition("merge request !%d was merged already: its head %s is in %s",
			r.number, shortSHA(done.mr.HeadCommit), done.mr.TargetBranch)
	}
	mr := done.mr
	out := MergeResult{MergeRequest: mr}
	refs := []RefUpdate{{Ref: "refs/heads/" + mr.TargetBranch, Old: done.oldTarget, New: done.newTarget}}
	// The merge is done: what follows must not fail it.
	if r.opts.DeleteSourceBranch {
		out.SourceBranchKept = m.deleteSource(after, mr, done.merged, can)
		if out.SourceBranchKept == "" {
			out.SourceBranchDeleted = true
			refs = append(refs, RefUpdate{Ref: "refs/heads/" + mr.SourceBranch, Old: done.merged, New: zeroCommit(done.merged)})
		}
	}
	if err := m.pushes.RecordPush(after, r.project, r.caller.UserID, refs); err != nil {
		m.log.Warn().Err(err).Int64(logfield.MergeRequest, r.number).Msg("could not record the merge's ref updates")
	}
	res, err := m.decorate(after, []MergeRequest{mr})
	if err != nil {
		return MergeResult{}, err
	}
	out.MergeRequest = res[0]
	return out, nil
}

// deleteSource deletes the merged source branch if it still holds merged
// and the caller could delete it by a push (the branch's rules); it
// returns why the branch was kept ("" once deleted).
func (m *MergeRequests) deleteSource(ctx context.Context, mr MergeRequest, merged string, can func(access.Permission) bool) string {
	allowed, reason, err := m.repos.BranchUpdateAllowed(ctx, mr.ProjectID, mr.SourceBranch, true, can)
	switch {
	case err != nil:
		m.log.Warn().Err(err).Int64(logfield.MergeRequest, mr.Number).Msg("could not decide the source branch's deletion")
		return "its protection could not be checked"
	case !allowed:
		return reason
	}
	switch err := m.repos.DeleteBranch(ctx, mr.ProjectID, mr.SourceBranch, merged); {
	case err == nil:
		return ""
	case errors.Is(err, ErrRefMoved):
		return "the source branch moved after the merge"
	case apperr.KindOf(err) == apperr.KindNotFound:
		return "the source branch no longer exists"
	default:
		if e, ok := apperr.As(err); ok {
			return e.Message
		}
		m.log.Warn().Err(err).Int64(logfield.MergeRequest, mr.Number).Msg("could not delete the source branch")
		return "it could not be deleted"
	}
}

// refusal is why mr cannot be merged now with method, or nil.
func (m *MergeRequests) refusal(ctx context.Context, q *db.Queries, mr MergeRequest, st MergeStatus, method MergeMethod, required int, needPipeline bool) error {
	if st.Mergeability == MergeUnrelated {
		return apperr.FailedPrecondition("merge request !%d cannot be merged: %s", mr.Number, unrelatedBlocker)
	}
	if st.Mergeability == MergeConflicts {
		return apperr.FailedPrecondition("merge request !%d has conflicts in %s: resolve them on the source branch", mr.Number, joinLimited(st.Conflicts, 20))
	}
	if st.UpToDate {
		return apperr.FailedPrecondition("merge request !%d has nothing to merge: %s is already in %s", mr.Number, mr.SourceBranch, mr.TargetBranch)
	}
	if method == FastForwardMethod && !st.CanFastForward {
		return apperr.FailedPrecondition("merge request !%d cannot be fast-forwarded: %s has commits %s lacks (rebase it, or merge with a merge commit or squash)",
			mr.Number, mr.TargetBranch, mr.SourceBranch)
	}
	approvers, err := m.approvers(ctx, q, mr, st.SourceCommit)
	if err != nil {
		return err
	}
	if len(approvers) < required {
		return apperr.FailedPrecondition("merge request !%d needs approval: %s", mr.Number, approvalsMissing(required, len(approvers)))
	}
	if needPipeline {
		p, err := m.pipelines.LatestStatus(ctx, mr.ProjectID, st.SourceCommit)
		if err != nil {
			return err
		}
		if p.State != pipelineSucceeded {
			return apperr.FailedPrecondition("merge request !%d needs a green pipeline: %s", mr.Number, pipelineMissing(st.SourceCommit, p))
		}
	}
	return nil
}

// errMessage is an apperr's message (the user-safe part).
func errMessage(err error) string {
	if e, ok := apperr.As(err); ok {
		return e.Message
	}
	return "internal error"
}

// zeroCommit is the all-zeros id of sha's length (a deleted ref).
func zeroCommit(sha string) string { return strings.Repeat("0", len(sha)) }
