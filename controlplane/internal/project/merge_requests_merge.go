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

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/project/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/rbac"
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
func (m *MergeRequests) can(ctx context.Context, caller rbac.Principal, project uuid.UUID) func(rbac.Permission) bool {
	held := map[rbac.Permission]bool{}
	return func(perm rbac.Permission) bool {
		ok, seen := held[perm]
		if !seen {
			err := m.svc.roles.Authorize(ctx, caller, perm, project)
			if _, denied := apperr.As(err); err != nil && !denied {
				m.log.Warn().Err(err).Str("project_id", project.String()).Msg("could not authorize a ref update of a merge")
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
func (m *MergeRequests) Merge(ctx context.Context, caller rbac.Principal, project uuid.UUID, number int64, o MergeOptions) (MergeResult, error) {
	if err := signedIn(caller); err != nil {
		return MergeResult{}, err
	}
	if o.Method == 0 {
		o.Method = MergeCommitMethod
	}
	if o.Method < MergeCommitMethod || o.Method > FastForwardMethod {
		return MergeResult{}, apperr.Invalid("method: merge, squash or fast-forward")
	}
	if o.Message != "" && (len(o.Message) > MaxBodyBytes || !utf8.ValidString(o.Message) || strings.ContainsRune(o.Message, 0) || strings.TrimSpace(o.Message) == "") {
		return MergeResult{}, apperr.Invalid("commit message: valid UTF-8 text of 1 to %d bytes", MaxBodyBytes)
	}
	if o.CommitSHA != "" && !validCommitID.MatchString(o.CommitSHA) {
		return MergeResult{}, apperr.Invalid("commit_sha: a full lowercase commit id")
	}
	if err := m.svc.requireWritable(ctx, project); err != nil {
		return MergeResult{}, err
	}
	// What follows the target's move must not fail the merge; a request
	// cancelled now would still leave the branch and the pipelines to settle.
	after := context.WithoutCancel(ctx)
	can := m.can(after, caller, project)
	cur, err := m.row(ctx, project, number)
	if err != nil {
		return MergeResult{}, err
	}
	// Merging moves the target as a push would: its protection decides.
	allowed, reason, err := m.repos.BranchUpdateAllowed(ctx, project, cur.TargetBranch, false, can)
	if err != nil {
		return MergeResult{}, err
	}
	if !allowed {
		return MergeResult{}, apperr.PermissionDenied("cannot merge !%d: %s", number, reason)
	}
	name, email, err := m.users.Committer(ctx, caller.UserID)
	if err != nil {
		return MergeResult{}, fmt.Errorf("the merging user: %w", err)
	}
	var out MergeResult
	var oldTarget, newTarget, merged string
	var byPush bool
	request := ctx
	txCtx, cancel := context.WithTimeout(after, mergeTimeout)
	defer cancel()
	err = m.svc.db.InTx(txCtx, func(tx pgx.Tx) error {
		ctx := txCtx // detached from the request (see mergeTimeout)
		q := m.svc.q.WithTx(tx)
		row, err := q.GetMergeRequestForUpdate(ctx, db.GetMergeRequestForUpdateParams{ProjectID: project, Number: number})
		if err != nil {
			return notFound(err, "merge request not found")
		}
		mr := mergeRequestFromRow(row)
		switch {
		case mr.State != MergeRequestOpen:
			return apperr.FailedPrecondition("merge request !%d is %s, not open", number, mr.State)
		case mr.Draft:
			return apperr.FailedPrecondition("merge request !%d is a draft: mark it ready first", number)
		}
		required, needPipeline, err := m.repos.MergeRules(ctx, project, mr.TargetBranch)
		if err != nil {
			return err
		}
		for attempt := 1; ; attempt++ {
			target, err := m.branchCommit(ctx, project, "target", mr.TargetBranch)
			if err != nil {
				return apperr.FailedPrecondition("cannot merge !%d: %s", number, errMessage(err))
			}
			source, err := m.branchCommit(ctx, project, "source", mr.SourceBranch)
			if err != nil {
				return apperr.FailedPrecondition("cannot merge !%d: %s", number, errMessage(err))
			}
			if o.CommitSHA != "" && source != o.CommitSHA {
				return apperr.FailedPrecondition("the merge request's head moved to %s (you saw %s); review and merge again",
					shortSHA(source), shortSHA(o.CommitSHA))
			}
			if source != mr.HeadCommit {
				if err := q.SetMergeRequestHead(ctx, db.SetMergeRequestHeadParams{ID: mr.ID, HeadCommit: source}); err != nil {
					return err
				}
				mr.HeadCommit = source
			}
			st, err := m.check(ctx, mr, target, source)
			if err != nil {
				return err
			}
			// Its head already reached the target (pushed, or an earlier
			// merge whose transaction was lost): it is merged, by push.
			landed, err := m.landedSince(ctx, mr, mr.Status.TargetCommit, st)
			if err != nil {
				return err
			}
			if landed {
				fresh, ok, err := m.markMergedByPush(ctx, tx, mr, target)
				if err != nil {
					return err
				}
				if ok {
					out.MergeRequest, byPush = fresh, true
					return nil
				}
			}
			if err := m.saveStatus(ctx, q, mr.ID, st); err != nil {
				return err
			}
			if err := m.refusal(ctx, q, mr, st, o.Method, required, needPipeline); err != nil {
				return err
			}
			if m.hook != nil {
				m.hook(ctx, project, number, attempt)
			}
			// A client gone before the target moves gets no merge.
			if err := request.Err(); err != nil {
				return err
			}
			msg := o.Message
			if msg == "" {
				msg = defaultMessage(mr, o.Method)
			}
			commit, err := m.repos.Merge(ctx, project, MergeSpec{
				Method: o.Method, TargetBranch: mr.TargetBranch, TargetCommit: target, SourceCommit: source,
				CommitterName: name, CommitterEmail: email, Message: msg,
			})
			if errors.Is(err, ErrRefMoved) {
				if attempt < mergeAttempts {
					m.log.Info().Int64("merge_request", number).Int("attempt", attempt).Msg("target moved during the merge; retrying")
					continue
				}
				return apperr.FailedPrecondition("the target branch %s kept moving during the merge (%d attempts); try again", mr.TargetBranch, attempt)
			}
			if err != nil {
				return err
			}
			oldTarget, newTarget, merged = target, commit, source
			break
		}
		by := caller.UserID
		fresh, err := q.MarkMergeRequestMerged(ctx, db.MarkMergeRequestMergedParams{
			ID: mr.ID, MergedByID: &by, MergedByName: caller.Username, MergeCommit: newTarget, HeadCommit: merged,
		})
		if err != nil {
			return err
		}
		out.MergeRequest = mergeRequestFromRow(fresh)
		if err := audit.Record(ctx, tx, audit.Event{
			Action: "merge_request.merge", Resource: "merge_request/" + mr.ID.String(), ProjectID: project,
			Detail: map[string]any{"number": number, "method": o.Method.String(), "commit": newTarget, "target": mr.TargetBranch},
		}); err != nil {
			return err
		}
		return m.svc.publish(ctx, tx, Event{
			Kind: EventMergeRequestMerged, ProjectID: project, Subject: MergeRequestSubject(number),
			Detail: map[string]any{"method": o.Method.String(), "merge_commit": newTarget, "target": mr.TargetBranch},
		})
	})
	if err != nil {
		return MergeResult{}, err
	}
	if byPush {
		return MergeResult{}, apperr.FailedPrecondition("merge request !%d was merged already: its head %s is in %s",
			number, shortSHA(out.MergeRequest.HeadCommit), out.MergeRequest.TargetBranch)
	}
	mr := out.MergeRequest
	refs := []RefUpdate{{Ref: "refs/heads/" + mr.TargetBranch, Old: oldTarget, New: newTarget}}
	// The merge is done: what follows must not fail it.
	if o.DeleteSourceBranch {
		out.SourceBranchKept = m.deleteSource(after, mr, merged, can)
		if out.SourceBranchKept == "" {
			out.SourceBranchDeleted = true
			refs = append(refs, RefUpdate{Ref: "refs/heads/" + mr.SourceBranch, Old: merged, New: zeroCommit(merged)})
		}
	}
	if err := m.pushes.RecordPush(after, project, caller.UserID, refs); err != nil {
		m.log.Warn().Err(err).Int64("merge_request", number).Msg("could not record the merge's ref updates")
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
func (m *MergeRequests) deleteSource(ctx context.Context, mr MergeRequest, merged string, can func(rbac.Permission) bool) string {
	allowed, reason, err := m.repos.BranchUpdateAllowed(ctx, mr.ProjectID, mr.SourceBranch, true, can)
	switch {
	case err != nil:
		m.log.Warn().Err(err).Int64("merge_request", mr.Number).Msg("could not decide the source branch's deletion")
		return "its protection could not be checked"
	case !allowed:
		return reason
	}
	switch err := m.repos.DeleteBranch(ctx, mr.ProjectID, mr.SourceBranch, merged); {
	case err == nil:
		return ""
	case errors.Is(err, ErrRefMoved):
		return "the source branch moved after the merge"
	case isNotFound(err):
		return "the source branch no longer exists"
	default:
		if e, ok := apperr.As(err); ok {
			return e.Message
		}
		m.log.Warn().Err(err).Int64("merge_request", mr.Number).Msg("could not delete the source branch")
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
