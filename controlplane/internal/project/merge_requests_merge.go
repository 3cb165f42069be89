package project

import (
	"context"
	"errors"
	"fmt"
	"strings"
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

// MergeOptions says how to merge.
type MergeOptions struct {
	Method MergeMethod
	// Message replaces the default commit message (merge and squash).
	Message            string
	DeleteSourceBranch bool
}

// MergeResult is a merged merge request.
type MergeResult struct {
	MergeRequest        MergeRequest
	SourceBranchDeleted bool
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

// Merge merges merge request number as caller. The merge request's row is
// locked for the whole merge, so two merges of it never both run; the
// target moves by compare-and-swap, so a concurrent push either lands
// before the merge (which then retries on it) or is refused by git as not
// a fast-forward of the merged target: no commit is lost either way.
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
	if err := m.svc.requireWritable(ctx, project); err != nil {
		return MergeResult{}, err
	}
	name, email, err := m.users.Committer(ctx, caller.UserID)
	if err != nil {
		return MergeResult{}, fmt.Errorf("the merging user: %w", err)
	}
	var out MergeResult
	var oldTarget, newTarget, merged string
	err = m.svc.db.InTx(ctx, func(tx pgx.Tx) error {
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
			if err := m.saveStatus(ctx, q, mr.ID, st); err != nil {
				return err
			}
			if err := m.refusal(ctx, q, mr, st, o.Method, required, needPipeline); err != nil {
				return err
			}
			if m.hook != nil {
				m.hook(ctx, project, number, attempt)
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
	mr := out.MergeRequest
	refs := []RefUpdate{{Ref: "refs/heads/" + mr.TargetBranch, Old: oldTarget, New: newTarget}}
	// The merge is done: what follows must not fail it. A request cancelled
	// now would still leave the branch and the pipelines to settle.
	after := context.WithoutCancel(ctx)
	if o.DeleteSourceBranch {
		switch err := m.repos.DeleteBranch(after, project, mr.SourceBranch, merged); {
		case err == nil:
			out.SourceBranchDeleted = true
			refs = append(refs, RefUpdate{Ref: "refs/heads/" + mr.SourceBranch, Old: merged, New: zeroCommit(merged)})
		case errors.Is(err, ErrRefMoved), isNotFound(err):
			m.log.Info().Int64("merge_request", number).Msg("source branch moved after the merge; kept")
		default:
			m.log.Warn().Err(err).Int64("merge_request", number).Msg("could not delete the source branch")
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

// refusal is why mr cannot be merged now with method, or nil.
func (m *MergeRequests) refusal(ctx context.Context, q *db.Queries, mr MergeRequest, st MergeStatus, method MergeMethod, required int, needPipeline bool) error {
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
