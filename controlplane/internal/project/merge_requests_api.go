package project

import (
	"context"
	"net/http"
	"strconv"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// Changes compares two commits of a project for display (the git
// feature's comparison, already in API form).
type Changes interface {
	Compare(ctx context.Context, projectID uuid.UUID, base, head string) (*hearthv1.CompareResponse, error)
}

// MergeRequestAPI implements hearthv1connect.MergeRequestServiceHandler.
type MergeRequestAPI struct {
	mrs     *MergeRequests
	changes Changes
	paths   *API
}

var _ hearthv1connect.MergeRequestServiceHandler = (*MergeRequestAPI)(nil)

// NewMergeRequestAPI serves mrs.
func NewMergeRequestAPI(mrs *MergeRequests, changes Changes) *MergeRequestAPI {
	return &MergeRequestAPI{mrs: mrs, changes: changes, paths: &API{svc: mrs.svc}}
}

// Handler returns the Connect handler and its path prefix.
func (a *MergeRequestAPI) Handler(opts ...connect.HandlerOption) (string, http.Handler) {
	return hearthv1connect.NewMergeRequestServiceHandler(a, opts...)
}

// Rules declares what each RPC needs. Commenting needs
// project:participate, as on issues. Updating needs project:participate
// and, declared with it (needs_api.go), project:write unless the caller
// wrote the merge request; deleting someone else's comment project:admin.
// Merging needs repo:write here and, decided by MergeRequests.Merge with
// the git feature's push rules at the moment the target moves, what the
// target branch's protection asks of a push to it (and of a push deleting
// the source branch, for its deletion), as for a git push.
func (a *MergeRequestAPI) Rules() access.Rules {
	read := access.Rule{Permission: access.ProjectRead, Project: a.paths.ProjectOf}
	participate := access.Rule{Permission: access.ProjectParticipate, Project: a.paths.ProjectOf}
	write := access.Rule{Permission: access.ProjectWrite, Project: a.paths.ProjectOf}
	with := func(r access.Rule, also func(context.Context, access.Principal, uuid.UUID, any) ([]access.Need, error)) access.Rule {
		r.Also = also
		return r
	}
	return access.Rules{
		hearthv1connect.MergeRequestServiceCreateMergeRequestProcedure:        write,
		hearthv1connect.MergeRequestServiceGetMergeRequestProcedure:           read,
		hearthv1connect.MergeRequestServiceListMergeRequestsProcedure:         read,
		hearthv1connect.MergeRequestServiceUpdateMergeRequestProcedure:        with(participate, a.updateMergeRequestNeeds),
		hearthv1connect.MergeRequestServiceMergeMergeRequestProcedure:         {Permission: access.RepoWrite, Project: a.paths.ProjectOf},
		hearthv1connect.MergeRequestServiceGetMergeRequestChangesProcedure:    {Permission: access.RepoRead, Project: a.paths.ProjectOf},
		hearthv1connect.MergeRequestServiceCreateMergeRequestCommentProcedure: participate,
		hearthv1connect.MergeRequestServiceListMergeRequestCommentsProcedure:  read,
		hearthv1connect.MergeRequestServiceUpdateMergeRequestCommentProcedure: participate,
		hearthv1connect.MergeRequestServiceDeleteMergeRequestCommentProcedure: with(participate, a.deleteMergeRequestCommentNeeds),
		hearthv1connect.MergeRequestServiceCreateMergeRequestReviewProcedure:  write,
		hearthv1connect.MergeRequestServiceListMergeRequestReviewsProcedure:   read,
		hearthv1connect.MergeRequestServiceRequestMergeRequestReviewProcedure: write,
	}
}

func (a *MergeRequestAPI) project(ctx context.Context, r projectPath) (uuid.UUID, error) {
	p, err := a.mrs.svc.ByPath(ctx, r.GetOwner(), r.GetName())
	if err != nil {
		return uuid.Nil, err
	}
	return p.ID, nil
}

// CreateMergeRequest opens a merge request.
func (a *MergeRequestAPI) CreateMergeRequest(ctx context.Context, req *hearthv1.CreateMergeRequestRequest) (*hearthv1.CreateMergeRequestResponse, error) {
	pid, err := a.project(ctx, req)
	if err != nil {
		return nil, err
	}
	mr, err := a.mrs.Create(ctx, access.PrincipalFrom(ctx), pid, req.GetSourceBranch(), req.GetTargetBranch(), req.GetTitle(), req.GetDescription(), req.GetDraft())
	if err != nil {
		return nil, err
	}
	return &hearthv1.CreateMergeRequestResponse{MergeRequest: mergeRequestToProto(mr)}, nil
}

// GetMergeRequest returns a merge request.
func (a *MergeRequestAPI) GetMergeRequest(ctx context.Context, req *hearthv1.GetMergeRequestRequest) (*hearthv1.GetMergeRequestResponse, error) {
	pid, err := a.project(ctx, req)
	if err != nil {
		return nil, err
	}
	mr, err := a.mrs.Get(ctx, pid, req.GetNumber())
	if err != nil {
		return nil, err
	}
	return &hearthv1.GetMergeRequestResponse{MergeRequest: mergeRequestToProto(mr)}, nil
}

// ListMergeRequests lists merge requests; the page token is the last
// number returned.
func (a *MergeRequestAPI) ListMergeRequests(ctx context.Context, req *hearthv1.ListMergeRequestsRequest) (*hearthv1.ListMergeRequestsResponse, error) {
	pid, err := a.project(ctx, req)
	if err != nil {
		return nil, err
	}
	f := MergeRequestFilter{Limit: int(req.GetPageSize())}
	if f.Limit <= 0 || f.Limit > 100 {
		f.Limit = 30
	}
	if !req.GetAll() {
		switch req.GetState() {
		case hearthv1.MergeRequestState_MERGE_REQUEST_STATE_UNSPECIFIED, hearthv1.MergeRequestState_MERGE_REQUEST_STATE_OPEN:
			f.State = MergeRequestOpen
		case hearthv1.MergeRequestState_MERGE_REQUEST_STATE_MERGED:
			f.State = MergeRequestMerged
		case hearthv1.MergeRequestState_MERGE_REQUEST_STATE_CLOSED:
			f.State = MergeRequestClosed
		default:
			return nil, apperr.Invalid("state: open, merged or closed")
		}
	}
	if t := req.GetPageToken(); t != "" {
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil || n <= 0 {
			return nil, apperr.Invalid("page_token: not from a previous response")
		}
		f.Before = n
	}
	mrs, err := a.mrs.List(ctx, pid, f)
	if err != nil {
		return nil, err
	}
	out := &hearthv1.ListMergeRequestsResponse{MergeRequests: make([]*hearthv1.MergeRequest, len(mrs))}
	for i, mr := range mrs {
		out.MergeRequests[i] = mergeRequestToProto(mr)
	}
	if len(mrs) == f.Limit {
		out.NextPageToken = strconv.FormatInt(mrs[len(mrs)-1].Number, 10)
	}
	return out, nil
}

// UpdateMergeRequest changes a merge request (who may: Rules).
func (a *MergeRequestAPI) UpdateMergeRequest(ctx context.Context, req *hearthv1.UpdateMergeRequestRequest) (*hearthv1.UpdateMergeRequestResponse, error) {
	pid, err := a.project(ctx, req)
	if err != nil {
		return nil, err
	}
	ch := MergeRequestChange{Title: req.Title, Description: req.Description, Draft: req.Draft}
	switch req.GetState() {
	case hearthv1.MergeRequestState_MERGE_REQUEST_STATE_UNSPECIFIED:
	case hearthv1.MergeRequestState_MERGE_REQUEST_STATE_OPEN:
		s := MergeRequestOpen
		ch.State = &s
	case hearthv1.MergeRequestState_MERGE_REQUEST_STATE_CLOSED:
		s := MergeRequestClosed
		ch.State = &s
	default:
		return nil, apperr.Invalid("state: open (reopen) or closed; merge with the merge call")
	}
	mr, err := a.mrs.Update(ctx, pid, req.GetNumber(), ch)
	if err != nil {
		return nil, err
	}
	return &hearthv1.UpdateMergeRequestResponse{MergeRequest: mergeRequestToProto(mr)}, nil
}

// MergeMergeRequest merges, once the caller may push to the target.
func (a *MergeRequestAPI) MergeMergeRequest(ctx context.Context, req *hearthv1.MergeMergeRequestRequest) (*hearthv1.MergeMergeRequestResponse, error) {
	pid, err := a.project(ctx, req)
	if err != nil {
		return nil, err
	}
	var method MergeMethod
	switch req.GetMethod() {
	case hearthv1.MergeMethod_MERGE_METHOD_UNSPECIFIED, hearthv1.MergeMethod_MERGE_METHOD_MERGE:
		method = MergeCommitMethod
	case hearthv1.MergeMethod_MERGE_METHOD_SQUASH:
		method = SquashMethod
	case hearthv1.MergeMethod_MERGE_METHOD_FAST_FORWARD:
		method = FastForwardMethod
	default:
		return nil, apperr.Invalid("method: MERGE_METHOD_MERGE, MERGE_METHOD_SQUASH or MERGE_METHOD_FAST_FORWARD")
	}
	res, err := a.mrs.Merge(ctx, access.PrincipalFrom(ctx), pid, req.GetNumber(), MergeOptions{
		Method: method, Message: req.GetCommitMessage(), DeleteSourceBranch: req.GetDeleteSourceBranch(),
		CommitSHA: req.GetCommitSha(),
	})
	if err != nil {
		return nil, err
	}
	return &hearthv1.MergeMergeRequestResponse{
		MergeRequest: mergeRequestToProto(res.MergeRequest), SourceBranchDeleted: res.SourceBranchDeleted,
		SourceBranchKeptReason: res.SourceBranchKept,
	}, nil
}

// GetMergeRequestChanges returns the commits and diff of a merge request:
// its head against the target as last checked.
func (a *MergeRequestAPI) GetMergeRequestChanges(ctx context.Context, req *hearthv1.GetMergeRequestChangesRequest) (*hearthv1.GetMergeRequestChangesResponse, error) {
	pid, err := a.project(ctx, req)
	if err != nil {
		return nil, err
	}
	mr, err := a.mrs.Get(ctx, pid, req.GetNumber())
	if err != nil {
		return nil, err
	}
	// The target as last checked: for a merged merge request, what it was
	// merged onto (whatever the method).
	base := mr.Status.TargetCommit
	if base == "" {
		base = "refs/heads/" + mr.TargetBranch
	}
	c, err := a.changes.Compare(ctx, pid, base, mr.HeadCommit)
	if err != nil {
		return nil, err
	}
	return &hearthv1.GetMergeRequestChangesResponse{
		TargetCommitSha: c.GetBaseCommitSha(), SourceCommitSha: c.GetHeadCommitSha(), MergeBaseSha: c.GetMergeBaseSha(),
		Commits: c.GetCommits(), TotalCommits: c.GetTotalCommits(), CommitsTruncated: c.GetCommitsTruncated(), Diff: c.GetDiff(),
	}, nil
}

// CreateMergeRequestComment comments, on a line when a position is given.
func (a *MergeRequestAPI) CreateMergeRequestComment(ctx context.Context, req *hearthv1.CreateMergeRequestCommentRequest) (*hearthv1.CreateMergeRequestCommentResponse, error) {
	pid, err := a.project(ctx, req)
	if err != nil {
		return nil, err
	}
	var pos *LinePosition
	if p := req.GetPosition(); p != nil {
		pos = &LinePosition{Commit: p.GetCommitSha(), Path: p.GetPath(), Line: int(p.GetLine())}
		switch p.GetSide() {
		case hearthv1.DiffSide_DIFF_SIDE_OLD:
			pos.Side = SideOld
		case hearthv1.DiffSide_DIFF_SIDE_NEW, hearthv1.DiffSide_DIFF_SIDE_UNSPECIFIED:
			pos.Side = SideNew
		default:
			return nil, apperr.Invalid("position.side: DIFF_SIDE_OLD or DIFF_SIDE_NEW")
		}
	}
	c, err := a.mrs.Comment(ctx, access.PrincipalFrom(ctx), pid, req.GetNumber(), req.GetBody(), pos)
	if err != nil {
		return nil, err
	}
	return &hearthv1.CreateMergeRequestCommentResponse{Comment: mrCommentToProto(c)}, nil
}

// ListMergeRequestComments lists comments; the page token is the last id.
func (a *MergeRequestAPI) ListMergeRequestComments(ctx context.Context, req *hearthv1.ListMergeRequestCommentsRequest) (*hearthv1.ListMergeRequestCommentsResponse, error) {
	pid, err := a.project(ctx, req)
	if err != nil {
		return nil, err
	}
	limit, after, err := idPage(req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	cs, err := a.mrs.Comments(ctx, pid, req.GetNumber(), after, limit)
	if err != nil {
		return nil, err
	}
	out := &hearthv1.ListMergeRequestCommentsResponse{Comments: make([]*hearthv1.MergeRequestComment, len(cs))}
	for i, c := range cs {
		out.Comments[i] = mrCommentToProto(c)
	}
	if len(cs) > 0 {
		out.NextPageToken = nextIDToken(len(cs), limit, cs[len(cs)-1].ID)
	}
	return out, nil
}

// CreateMergeRequestReview approves or requests changes.
func (a *MergeRequestAPI) CreateMergeRequestReview(ctx context.Context, req *hearthv1.CreateMergeRequestReviewRequest) (*hearthv1.CreateMergeRequestReviewResponse, error) {
	pid, err := a.project(ctx, req)
	if err != nil {
		return nil, err
	}
	var approve bool
	switch req.GetVerdict() {
	case hearthv1.ReviewVerdict_REVIEW_VERDICT_APPROVE:
		approve = true
	case hearthv1.ReviewVerdict_REVIEW_VERDICT_REQUEST_CHANGES:
	default:
		return nil, apperr.Invalid("verdict: REVIEW_VERDICT_APPROVE or REVIEW_VERDICT_REQUEST_CHANGES")
	}
	r, err := a.mrs.Review(ctx, access.PrincipalFrom(ctx), pid, req.GetNumber(), approve, req.GetBody(), req.GetCommitSha())
	if err != nil {
		return nil, err
	}
	return &hearthv1.CreateMergeRequestReviewResponse{Review: reviewToProto(r)}, nil
}

// ListMergeRequestReviews lists the reviews; the page token is the last
// id.
func (a *MergeRequestAPI) ListMergeRequestReviews(ctx context.Context, req *hearthv1.ListMergeRequestReviewsRequest) (*hearthv1.ListMergeRequestReviewsResponse, error) {
	pid, err := a.project(ctx, req)
	if err != nil {
		return nil, err
	}
	limit, after, err := idPage(req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	rs, err := a.mrs.Reviews(ctx, pid, req.GetNumber(), after, limit)
	if err != nil {
		return nil, err
	}
	out := &hearthv1.ListMergeRequestReviewsResponse{Reviews: make([]*hearthv1.MergeRequestReview, len(rs))}
	for i, r := range rs {
		out.Reviews[i] = reviewToProto(r)
	}
	if len(rs) > 0 {
		out.NextPageToken = nextIDToken(len(rs), limit, rs[len(rs)-1].ID)
	}
	return out, nil
}

// RequestMergeRequestReview asks users for a review.
func (a *MergeRequestAPI) RequestMergeRequestReview(ctx context.Context, req *hearthv1.RequestMergeRequestReviewRequest) (*hearthv1.RequestMergeRequestReviewResponse, error) {
	pid, err := a.project(ctx, req)
	if err != nil {
		return nil, err
	}
	mr, err := a.mrs.RequestReview(ctx, access.PrincipalFrom(ctx), pid, req.GetNumber(), req.GetReviewers())
	if err != nil {
		return nil, err
	}
	return &hearthv1.RequestMergeRequestReviewResponse{MergeRequest: mergeRequestToProto(mr)}, nil
}

func mergeRequestStateToProto(s string) hearthv1.MergeRequestState {
	switch s {
	case MergeRequestMerged:
		return hearthv1.MergeRequestState_MERGE_REQUEST_STATE_MERGED
	case MergeRequestClosed:
		return hearthv1.MergeRequestState_MERGE_REQUEST_STATE_CLOSED
	default:
		return hearthv1.MergeRequestState_MERGE_REQUEST_STATE_OPEN
	}
}

func mergeRequestToProto(mr MergeRequest) *hearthv1.MergeRequest {
	out := &hearthv1.MergeRequest{
		Id: mr.ID.String(), Number: mr.Number, Title: mr.Title, Description: mr.Description,
		SourceBranch: mr.SourceBranch, TargetBranch: mr.TargetBranch, Draft: mr.Draft, State: mergeRequestStateToProto(mr.State),
		Author: mr.Author, HeadCommitSha: mr.HeadCommit, Reviewers: mr.Reviewers, ApprovedBy: mr.ApprovedBy,
		MergedBy: mr.MergedBy, MergeCommitSha: mr.MergeCommit,
		CreateTime: timestamppb.New(mr.CreatedAt), UpdateTime: timestamppb.New(mr.UpdatedAt),
		MergeStatus: &hearthv1.MergeStatus{
			TargetCommitSha: mr.Status.TargetCommit, SourceCommitSha: mr.Status.SourceCommit,
			Conflicts: mr.Status.Conflicts, CanFastForward: mr.Status.CanFastForward,
		},
	}
	switch mr.Status.Mergeability {
	case MergeClean:
		out.MergeStatus.Mergeability = hearthv1.Mergeability_MERGEABILITY_MERGEABLE
	case MergeConflicts:
		out.MergeStatus.Mergeability = hearthv1.Mergeability_MERGEABILITY_CONFLICTS
	case MergeUnrelated:
		out.MergeStatus.Mergeability = hearthv1.Mergeability_MERGEABILITY_UNRELATED
	}
	if mr.Status.CheckedAt != nil {
		out.MergeStatus.CheckTime = timestamppb.New(*mr.Status.CheckedAt)
	}
	if mr.MergedAt != nil {
		out.MergeTime = timestamppb.New(*mr.MergedAt)
	}
	if mr.ClosedAt != nil {
		out.CloseTime = timestamppb.New(*mr.ClosedAt)
	}
	if r := mr.Requirements; r != nil {
		out.RequiredApprovals = int32(r.RequiredApprovals) //nolint:gosec // G115: 0-50 (git.MaxRequiredApprovals).
		out.RequiresPipeline = r.RequiresPipeline
		out.PipelineStatus = r.Pipeline.State
		if r.Pipeline.ID != uuid.Nil {
			out.PipelineId = r.Pipeline.ID.String()
		}
		out.MergeBlockers = r.Blockers
	}
	for _, ref := range mr.IssueReferences {
		out.IssueReferences = append(out.IssueReferences, &hearthv1.IssueReference{Number: ref.Number, Title: ref.Title, State: stateToProto(ref.State)})
	}
	out.MergeRequestReferences = mergeRequestReferencesToProto(mr.MergeRequestReferences)
	return out
}

func mergeRequestReferencesToProto(refs []MergeRequestReference) []*hearthv1.MergeRequestReference {
	var out []*hearthv1.MergeRequestReference
	for _, r := range refs {
		out = append(out, &hearthv1.MergeRequestReference{Number: r.Number, Title: r.Title, State: mergeRequestStateToProto(r.State)})
	}
	return out
}

func mrCommentToProto(c MergeRequestComment) *hearthv1.MergeRequestComment {
	out := &hearthv1.MergeRequestComment{
		Id: c.ID.String(), Author: c.Author, Body: c.Body,
		CreateTime: timestamppb.New(c.CreatedAt), UpdateTime: timestamppb.New(c.UpdatedAt),
	}
	if p := c.Position; p != nil {
		side := hearthv1.DiffSide_DIFF_SIDE_NEW
		if p.Side == SideOld {
			side = hearthv1.DiffSide_DIFF_SIDE_OLD
		}
		out.Position = &hearthv1.LinePosition{CommitSha: p.Commit, Path: p.Path, Line: int32(p.Line), Side: side} //nolint:gosec // G115: stored as integer.
	}
	return out
}

func reviewToProto(r Review) *hearthv1.MergeRequestReview {
	v := hearthv1.ReviewVerdict_REVIEW_VERDICT_REQUEST_CHANGES
	if r.Approve {
		v = hearthv1.ReviewVerdict_REVIEW_VERDICT_APPROVE
	}
	return &hearthv1.MergeRequestReview{
		Id: r.ID.String(), Reviewer: r.Reviewer, Verdict: v, CommitSha: r.Commit, Body: r.Body,
		CreateTime: timestamppb.New(r.CreatedAt),
	}
}
