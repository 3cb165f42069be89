package project

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/project/internal/db"
	"github.com/hearth-dev/hearth/shared/gitref"
)

// Review verdicts.
const (
	verdictApprove        = "approve"
	verdictRequestChanges = "request_changes"
)

// Diff sides of a line comment.
const (
	SideOld = "old"
	SideNew = "new"
)

// maxReviewers bounds one review request.
const maxReviewers = 20

// maxReviewersPerMergeRequest bounds the reviewers requested of one merge
// request in all.
const maxReviewersPerMergeRequest = 50

// LinePosition anchors a comment to a line of a file in a commit.
type LinePosition struct {
	Commit string
	Path   string
	Line   int
	Side   string // SideOld or SideNew
}

// MergeRequestComment is a comment on a merge request.
type MergeRequestComment struct {
	ID        uuid.UUID
	AuthorID  uuid.UUID
	Author    string
	Body      string
	Position  *LinePosition
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Review is one review of a merge request.
type Review struct {
	ID        uuid.UUID
	Reviewer  string
	Approve   bool // false: changes requested
	Commit    string
	Body      string
	CreatedAt time.Time
}

// validatePosition checks a line anchor against the repository: the
// commit must be the merge request's head or one of its ancestors, and the
// line must exist in the file on that side (the commit's first parent for
// the old side). A commit of the merge request is its head or an ancestor
// of it that the target (as last checked) does not have.
func (m *MergeRequests) validatePosition(ctx context.Context, mr MergeRequest, p *LinePosition) error {
	if !gitref.ValidObjectID(p.Commit) {
		return apperr.Invalid("position.commit_sha: a full lowercase commit id")
	}
	if p.Side != SideOld && p.Side != SideNew {
		return apperr.Invalid("position.side: old or new")
	}
	if p.Line <= 0 {
		return apperr.Invalid("position.line: 1 or more")
	}
	if p.Path == "" || len(p.Path) > 4096 || strings.HasPrefix(p.Path, "/") || strings.ContainsRune(p.Path, 0) {
		return apperr.Invalid("position.path: a path relative to the repository root")
	}
	in, err := m.repos.IsAncestor(ctx, mr.ProjectID, p.Commit, mr.HeadCommit)
	if err != nil {
		if apperr.KindOf(err) == apperr.KindNotFound {
			return apperr.Invalid("position.commit_sha: %s is not a commit of merge request !%d", shortSHA(p.Commit), mr.Number)
		}
		return err
	}
	if in && mr.Status.TargetCommit != "" {
		// Commits the target already had are not the merge request's.
		inTarget, err := m.repos.IsAncestor(ctx, mr.ProjectID, p.Commit, mr.Status.TargetCommit)
		if err != nil {
			return err
		}
		in = !inTarget
	}
	if !in {
		return apperr.Invalid("position.commit_sha: %s is not a commit of merge request !%d", shortSHA(p.Commit), mr.Number)
	}
	rev := p.Commit
	if p.Side == SideOld {
		rev += "^"
	}
	lines, err := m.repos.LineCount(ctx, mr.ProjectID, rev, p.Path)
	if err != nil {
		if apperr.KindOf(err) == apperr.KindNotFound {
			return apperr.Invalid("position.path: %q does not exist on the %s side of %s", truncate(p.Path), p.Side, shortSHA(p.Commit))
		}
		if e, ok := apperr.As(err); ok && e.Kind == apperr.KindInvalid {
			return apperr.Invalid("position.path: %s", e.Message)
		}
		return err
	}
	if p.Line > lines {
		return apperr.Invalid("position.line: %s has %d lines on the %s side of %s", truncate(p.Path), lines, p.Side, shortSHA(p.Commit))
	}
	return nil
}

// Comment comments on merge request number, on a line when pos is set.
func (m *MergeRequests) Comment(ctx context.Context, author access.Principal, project uuid.UUID, number int64, body string, pos *LinePosition) (MergeRequestComment, error) {
	if err := signedIn(author); err != nil {
		return MergeRequestComment{}, err
	}
	if err := validateBody(body, true); err != nil {
		return MergeRequestComment{}, err
	}
	if err := m.svc.requireWritable(ctx, project); err != nil {
		return MergeRequestComment{}, err
	}
	mr, err := m.row(ctx, project, number)
	if err != nil {
		return MergeRequestComment{}, err
	}
	p := db.CreateMergeRequestCommentParams{MergeRequestID: mr.ID, AuthorID: author.UserID, AuthorName: author.Username, Body: body}
	if pos != nil {
		if err := m.validatePosition(ctx, mr, pos); err != nil {
			return MergeRequestComment{}, err
		}
		p.CommitSha, p.Path, p.Line, p.Side = pos.Commit, pos.Path, int32(pos.Line), pos.Side //nolint:gosec // G115: bounded by the file's line count.
	}
	mentioned, err := m.svc.mentionedUsers(ctx, body)
	if err != nil {
		return MergeRequestComment{}, err
	}
	var out MergeRequestComment
	err = m.svc.db.InTx(ctx, func(tx pgx.Tx) error {
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		p.ID = id
		row, err := m.svc.q.WithTx(tx).CreateMergeRequestComment(ctx, p)
		if err != nil {
			return err
		}
		out = mrCommentFromRow(row)
		detail := map[string]any{"comment_id": id.String()}
		if pos != nil {
			detail["path"], detail["line"] = pos.Path, pos.Line
		}
		if err := m.svc.publish(ctx, tx, Event{
			Kind: EventMergeRequestComment, ProjectID: project, Subject: MergeRequestSubject(number), Detail: detail,
		}); err != nil {
			return err
		}
		if err := m.svc.publishMentions(ctx, tx, project, MergeRequestSubject(number), mentioned, detail); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "merge_request.comment", Resource: "comment/" + id.String(), ProjectID: project,
			Detail: map[string]any{"number": number},
		})
	})
	return out, err
}

// Comments lists the comments of merge request number, oldest first,
// after the comment id after.
func (m *MergeRequests) Comments(ctx context.Context, project uuid.UUID, number int64, after uuid.UUID, limit int) ([]MergeRequestComment, error) {
	if limit <= 0 || limit > 100 {
		limit = 50
	}
	mr, err := m.row(ctx, project, number)
	if err != nil {
		return nil, err
	}
	rows, err := m.svc.q.ListMergeRequestComments(ctx, db.ListMergeRequestCommentsParams{MergeRequestID: mr.ID, After: after, Max: int32(limit)})
	if err != nil {
		return nil, err
	}
	out := make([]MergeRequestComment, len(rows))
	for i, r := range rows {
		out[i] = mrCommentFromRow(r)
	}
	return out, nil
}

// Review records reviewer's verdict on the merge request's current head.
// seen, when set, is the head the reviewer saw: the review is refused if
// the source holds another commit now.
func (m *MergeRequests) Review(ctx context.Context, reviewer access.Principal, project uuid.UUID, number int64, approve bool, body, seen string) (Review, error) {
	if err := signedIn(reviewer); err != nil {
		return Review{}, err
	}
	if err := validateBody(body, false); err != nil {
		return Review{}, err
	}
	if seen != "" && !gitref.ValidObjectID(seen) {
		return Review{}, apperr.Invalid("commit_sha: a full lowercase commit id")
	}
	if err := m.svc.requireWritable(ctx, project); err != nil {
		return Review{}, err
	}
	mr, err := m.row(ctx, project, number)
	if err != nil {
		return Review{}, err
	}
	if mr.State != MergeRequestOpen {
		return Review{}, apperr.FailedPrecondition("merge request !%d is %s: only open merge requests are reviewed", number, mr.State)
	}
	if approve && mr.AuthorID == reviewer.UserID {
		return Review{}, apperr.FailedPrecondition("you cannot approve your own merge request")
	}
	// The review is of what the source holds now, which a push may have
	// moved since the merge request was last refreshed.
	if err := m.refreshOne(ctx, &mr); err != nil {
		return Review{}, err
	}
	if mr.State != MergeRequestOpen { // its head reached the target meanwhile
		return Review{}, apperr.FailedPrecondition("merge request !%d is %s: only open merge requests are reviewed", number, mr.State)
	}
	if seen != "" && seen != mr.HeadCommit {
		return Review{}, apperr.FailedPrecondition("the merge request's head moved to %s (you saw %s); review again",
			shortSHA(mr.HeadCommit), shortSHA(seen))
	}
	verdict := verdictRequestChanges
	if approve {
		verdict = verdictApprove
	}
	var out Review
	err = m.svc.db.InTx(ctx, func(tx pgx.Tx) error {
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		row, err := m.svc.q.WithTx(tx).CreateMergeRequestReview(ctx, db.CreateMergeRequestReviewParams{
			ID: id, MergeRequestID: mr.ID, ReviewerID: reviewer.UserID, ReviewerName: reviewer.Username,
			Verdict: verdict, CommitSha: mr.HeadCommit, Body: body,
		})
		if err != nil {
			return err
		}
		out = reviewFromRow(row)
		if err := m.svc.publish(ctx, tx, Event{
			Kind: EventMergeRequestReviewed, ProjectID: project, Subject: MergeRequestSubject(number),
			Detail: map[string]any{"verdict": verdict, "commit": mr.HeadCommit},
		}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "merge_request.review", Resource: "merge_request/" + mr.ID.String(), ProjectID: project,
			Detail: map[string]any{"number": number, "verdict": verdict, "commit": mr.HeadCommit},
		})
	})
	return out, err
}

// Reviews lists the reviews of merge request number, oldest first, after
// the review id after, at most limit (1-100, default 50).
func (m *MergeRequests) Reviews(ctx context.Context, project uuid.UUID, number int64, after uuid.UUID, limit int) ([]Review, error) {
	if limit <= 0 || limit > 100 {
		limit = 50
	}
	mr, err := m.row(ctx, project, number)
	if err != nil {
		return nil, err
	}
	rows, err := m.svc.q.ListMergeRequestReviews(ctx, db.ListMergeRequestReviewsParams{MergeRequestID: mr.ID, After: after, Max: int32(limit)})
	if err != nil {
		return nil, err
	}
	out := make([]Review, len(rows))
	for i, r := range rows {
		out[i] = reviewFromRow(r)
	}
	return out, nil
}

// RequestReview asks users (usernames) for a review of merge request
// number.
func (m *MergeRequests) RequestReview(ctx context.Context, caller access.Principal, project uuid.UUID, number int64, users []string) (MergeRequest, error) {
	if err := signedIn(caller); err != nil {
		return MergeRequest{}, err
	}
	if len(users) == 0 || len(users) > maxReviewers {
		return MergeRequest{}, apperr.Invalid("reviewers: 1-%d usernames", maxReviewers)
	}
	if err := m.svc.requireWritable(ctx, project); err != nil {
		return MergeRequest{}, err
	}
	users, userIDs, err := m.svc.participantIDs(ctx, project, "reviewer", users)
	if err != nil {
		return MergeRequest{}, err
	}
	var out MergeRequest
	err = m.svc.db.InTx(ctx, func(tx pgx.Tx) error {
		q := m.svc.q.WithTx(tx)
		row, err := q.GetMergeRequestForUpdate(ctx, db.GetMergeRequestForUpdateParams{ProjectID: project, Number: number})
		if err != nil {
			return apperr.IfNotFound(err, "merge request not found")
		}
		if row.State != MergeRequestOpen {
			return apperr.FailedPrecondition("merge request !%d is %s: reviews are requested of open merge requests", number, row.State)
		}
		have, err := q.MergeRequestReviewers(ctx, []uuid.UUID{row.ID})
		if err != nil {
			return err
		}
		already := make(map[string]bool, len(have))
		for _, r := range have {
			already[r.UserName] = true
		}
		added := 0
		for _, u := range users {
			if !already[u] {
				added++
			}
		}
		if len(have)+added > maxReviewersPerMergeRequest {
			return apperr.Invalid("reviewers: a merge request has at most %d requested reviewers (%d already)", maxReviewersPerMergeRequest, len(have))
		}
		for _, u := range users {
			if err := q.AddMergeRequestReviewer(ctx, db.AddMergeRequestReviewerParams{MergeRequestID: row.ID, UserName: u, RequestedBy: caller.Username}); err != nil {
				return err
			}
		}
		out = mergeRequestFromRow(row)
		if err := m.svc.publish(ctx, tx, Event{
			Kind: EventReviewRequested, ProjectID: project, Subject: MergeRequestSubject(number),
			Detail: map[string]any{"reviewers": users}, Recipients: userIDs,
		}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "merge_request.request_review", Resource: "merge_request/" + row.ID.String(), ProjectID: project,
			Detail: map[string]any{"number": number, "reviewers": users},
		})
	})
	if err != nil {
		return MergeRequest{}, err
	}
	res, err := m.decorate(ctx, []MergeRequest{out})
	if err != nil {
		return MergeRequest{}, err
	}
	return res[0], nil
}

func mrCommentFromRow(r db.MergeRequestComment) MergeRequestComment {
	out := MergeRequestComment{
		ID: r.ID, AuthorID: r.AuthorID, Author: r.AuthorName, Body: r.Body, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
	if r.CommitSha != "" {
		out.Position = &LinePosition{Commit: r.CommitSha, Path: r.Path, Line: int(r.Line), Side: r.Side}
	}
	return out
}

func reviewFromRow(r db.MergeRequestReview) Review {
	return Review{
		ID: r.ID, Reviewer: r.ReviewerName, Approve: r.Verdict == verdictApprove, Commit: r.CommitSha, Body: r.Body,
		CreatedAt: r.CreatedAt,
	}
}
