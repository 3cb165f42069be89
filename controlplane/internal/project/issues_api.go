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

// Authorizer checks a permission on a project (rbac), for decisions about
// other users (may an assignee or reviewer read the project).
type Authorizer interface {
	Authorize(ctx context.Context, p access.Principal, perm access.Permission, project uuid.UUID) error
}

// IssueAPI implements hearthv1connect.IssueServiceHandler.
type IssueAPI struct {
	svc   *Service
	paths *API
}

var _ hearthv1connect.IssueServiceHandler = (*IssueAPI)(nil)

// NewIssueAPI serves svc's issues, comments and labels.
func NewIssueAPI(svc *Service) *IssueAPI {
	return &IssueAPI{svc: svc, paths: &API{svc: svc}}
}

// Handler returns the Connect handler and its path prefix.
func (a *IssueAPI) Handler(opts ...connect.HandlerOption) (string, http.Handler) {
	return hearthv1connect.NewIssueServiceHandler(a, opts...)
}

// Rules declares what each RPC needs. Opening issues and commenting needs
// project:participate, which every role reading the project holds and, on
// a public or internal project, any signed-in user (never a read-only
// token). What depends on the request is declared with it (needs_api.go):
// project:write to change someone else's issue or any issue's labels and
// assignees, project:admin to delete someone else's comment. Only its
// author may edit a comment (the service's rule; no permission allows
// editing someone else's words).
func (a *IssueAPI) Rules() access.Rules {
	read := access.Rule{Permission: access.ProjectRead, Project: a.paths.ProjectOf}
	participate := access.Rule{Permission: access.ProjectParticipate, Project: a.paths.ProjectOf}
	write := access.Rule{Permission: access.ProjectWrite, Project: a.paths.ProjectOf}
	with := func(r access.Rule, also func(context.Context, access.Principal, uuid.UUID, any) ([]access.Need, error)) access.Rule {
		r.Also = also
		return r
	}
	return access.Rules{
		hearthv1connect.IssueServiceCreateIssueProcedure:   with(participate, createIssueNeeds),
		hearthv1connect.IssueServiceGetIssueProcedure:      read,
		hearthv1connect.IssueServiceListIssuesProcedure:    read,
		hearthv1connect.IssueServiceUpdateIssueProcedure:   with(participate, a.updateIssueNeeds),
		hearthv1connect.IssueServiceCreateCommentProcedure: participate,
		hearthv1connect.IssueServiceListCommentsProcedure:  read,
		hearthv1connect.IssueServiceUpdateCommentProcedure: participate,
		hearthv1connect.IssueServiceDeleteCommentProcedure: with(participate, a.deleteCommentNeeds),
		hearthv1connect.IssueServiceCreateLabelProcedure:   write,
		hearthv1connect.IssueServiceListLabelsProcedure:    read,
		hearthv1connect.IssueServiceUpdateLabelProcedure:   write,
		hearthv1connect.IssueServiceDeleteLabelProcedure:   write,
	}
}

type projectPath interface {
	GetOwner() string
	GetName() string
}

func (a *IssueAPI) project(ctx context.Context, r projectPath) (uuid.UUID, error) {
	p, err := a.svc.ByPath(ctx, r.GetOwner(), r.GetName())
	if err != nil {
		return uuid.Nil, err
	}
	return p.ID, nil
}

// CreateIssue opens an issue.
func (a *IssueAPI) CreateIssue(ctx context.Context, req *hearthv1.CreateIssueRequest) (*hearthv1.CreateIssueResponse, error) {
	pid, err := a.project(ctx, req)
	if err != nil {
		return nil, err
	}
	is, err := a.svc.CreateIssue(ctx, access.PrincipalFrom(ctx), pid, req.GetTitle(), req.GetBody(), req.GetLabels(), req.GetAssignees())
	if err != nil {
		return nil, err
	}
	return &hearthv1.CreateIssueResponse{Issue: issueToProto(is)}, nil
}

// GetIssue returns an issue.
func (a *IssueAPI) GetIssue(ctx context.Context, req *hearthv1.GetIssueRequest) (*hearthv1.GetIssueResponse, error) {
	pid, err := a.project(ctx, req)
	if err != nil {
		return nil, err
	}
	is, err := a.svc.GetIssue(ctx, pid, req.GetNumber())
	if err != nil {
		return nil, err
	}
	return &hearthv1.GetIssueResponse{Issue: issueToProto(is)}, nil
}

// ListIssues lists issues; the page token is the last number returned.
func (a *IssueAPI) ListIssues(ctx context.Context, req *hearthv1.ListIssuesRequest) (*hearthv1.ListIssuesResponse, error) {
	pid, err := a.project(ctx, req)
	if err != nil {
		return nil, err
	}
	f := IssueFilter{Label: req.GetLabel(), Assignee: req.GetAssignee(), Query: req.GetQuery(), Limit: int(req.GetPageSize())}
	switch {
	case req.GetAll():
	case req.GetState() == hearthv1.IssueState_ISSUE_STATE_CLOSED:
		f.State = IssueClosed
	default:
		f.State = IssueOpen
	}
	if f.Limit <= 0 || f.Limit > 100 {
		f.Limit = 30
	}
	if t := req.GetPageToken(); t != "" {
		n, err := strconv.ParseInt(t, 10, 64)
		if err != nil || n <= 0 {
			return nil, apperr.Invalid("page_token: not from a previous response")
		}
		f.Before = n
	}
	issues, err := a.svc.ListIssues(ctx, pid, f)
	if err != nil {
		return nil, err
	}
	out := &hearthv1.ListIssuesResponse{Issues: make([]*hearthv1.Issue, len(issues))}
	for i, is := range issues {
		out.Issues[i] = issueToProto(is)
	}
	if len(issues) == f.Limit {
		out.NextPageToken = strconv.FormatInt(issues[len(issues)-1].Number, 10)
	}
	return out, nil
}

// UpdateIssue changes an issue (who may change what: Rules).
func (a *IssueAPI) UpdateIssue(ctx context.Context, req *hearthv1.UpdateIssueRequest) (*hearthv1.UpdateIssueResponse, error) {
	pid, err := a.project(ctx, req)
	if err != nil {
		return nil, err
	}
	var ch IssueChange
	if req.Title != nil {
		ch.Title = req.Title
	}
	if req.Body != nil {
		ch.Body = req.Body
	}
	switch req.GetState() {
	case hearthv1.IssueState_ISSUE_STATE_OPEN:
		s := IssueOpen
		ch.State = &s
	case hearthv1.IssueState_ISSUE_STATE_CLOSED:
		s := IssueClosed
		ch.State = &s
	case hearthv1.IssueState_ISSUE_STATE_UNSPECIFIED:
	}
	if req.GetUpdateLabels() {
		l := req.GetLabels()
		ch.Labels = &l
	}
	if req.GetUpdateAssignees() {
		as := req.GetAssignees()
		ch.Assignees = &as
	}
	is, err := a.svc.UpdateIssue(ctx, pid, req.GetNumber(), ch)
	if err != nil {
		return nil, err
	}
	return &hearthv1.UpdateIssueResponse{Issue: issueToProto(is)}, nil
}

// CreateComment comments on an issue.
func (a *IssueAPI) CreateComment(ctx context.Context, req *hearthv1.CreateCommentRequest) (*hearthv1.CreateCommentResponse, error) {
	pid, err := a.project(ctx, req)
	if err != nil {
		return nil, err
	}
	c, err := a.svc.CreateComment(ctx, access.PrincipalFrom(ctx), pid, req.GetNumber(), req.GetBody())
	if err != nil {
		return nil, err
	}
	return &hearthv1.CreateCommentResponse{Comment: commentToProto(c)}, nil
}

// ListComments lists an issue's comments; the page token is the last id.
func (a *IssueAPI) ListComments(ctx context.Context, req *hearthv1.ListCommentsRequest) (*hearthv1.ListCommentsResponse, error) {
	pid, err := a.project(ctx, req)
	if err != nil {
		return nil, err
	}
	limit, after, err := idPage(req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	cs, err := a.svc.ListComments(ctx, pid, req.GetNumber(), after, limit)
	if err != nil {
		return nil, err
	}
	out := &hearthv1.ListCommentsResponse{Comments: make([]*hearthv1.Comment, len(cs))}
	for i, c := range cs {
		out.Comments[i] = commentToProto(c)
	}
	if len(cs) > 0 {
		out.NextPageToken = nextIDToken(len(cs), limit, cs[len(cs)-1].ID)
	}
	return out, nil
}

// UpdateComment edits the caller's own comment.
func (a *IssueAPI) UpdateComment(ctx context.Context, req *hearthv1.UpdateCommentRequest) (*hearthv1.UpdateCommentResponse, error) {
	pid, err := a.project(ctx, req)
	if err != nil {
		return nil, err
	}
	id, err := uuid.Parse(req.GetCommentId())
	if err != nil {
		return nil, apperr.NotFound("comment not found")
	}
	c, err := a.svc.UpdateComment(ctx, access.PrincipalFrom(ctx), pid, req.GetNumber(), id, req.GetBody())
	if err != nil {
		return nil, err
	}
	return &hearthv1.UpdateCommentResponse{Comment: commentToProto(c)}, nil
}

// DeleteComment deletes a comment (the caller's own, or any with
// project:admin: Rules).
func (a *IssueAPI) DeleteComment(ctx context.Context, req *hearthv1.DeleteCommentRequest) (*hearthv1.DeleteCommentResponse, error) {
	pid, err := a.project(ctx, req)
	if err != nil {
		return nil, err
	}
	id, err := uuid.Parse(req.GetCommentId())
	if err != nil {
		return nil, apperr.NotFound("comment not found")
	}
	if err := a.svc.DeleteComment(ctx, pid, req.GetNumber(), id); err != nil {
		return nil, err
	}
	return &hearthv1.DeleteCommentResponse{}, nil
}

// CreateLabel adds a label to the project.
func (a *IssueAPI) CreateLabel(ctx context.Context, req *hearthv1.CreateLabelRequest) (*hearthv1.CreateLabelResponse, error) {
	pid, err := a.project(ctx, req)
	if err != nil {
		return nil, err
	}
	l, err := a.svc.CreateLabel(ctx, pid, req.GetLabel(), req.GetColor(), req.GetDescription())
	if err != nil {
		return nil, err
	}
	return &hearthv1.CreateLabelResponse{Label: labelToProto(l)}, nil
}

// ListLabels lists the project's labels.
func (a *IssueAPI) ListLabels(ctx context.Context, req *hearthv1.ListLabelsRequest) (*hearthv1.ListLabelsResponse, error) {
	pid, err := a.project(ctx, req)
	if err != nil {
		return nil, err
	}
	ls, err := a.svc.ListLabels(ctx, pid)
	if err != nil {
		return nil, err
	}
	out := &hearthv1.ListLabelsResponse{Labels: make([]*hearthv1.Label, len(ls))}
	for i, l := range ls {
		out.Labels[i] = labelToProto(l)
	}
	return out, nil
}

func issueToProto(is Issue) *hearthv1.Issue {
	out := &hearthv1.Issue{
		Id: is.ID.String(), Number: is.Number, Title: is.Title, Body: is.Body,
		State: stateToProto(is.State), Labels: is.Labels, Assignees: is.Assignees, Author: is.Author,
		CreateTime: timestamppb.New(is.CreatedAt), UpdateTime: timestamppb.New(is.UpdatedAt),
	}
	if is.ClosedAt != nil {
		out.CloseTime = timestamppb.New(*is.ClosedAt)
	}
	for _, r := range is.References {
		out.References = append(out.References, &hearthv1.IssueReference{Number: r.Number, Title: r.Title, State: stateToProto(r.State)})
	}
	out.MergeRequestReferences = mergeRequestReferencesToProto(is.MergeRequestReferences)
	return out
}

func stateToProto(s string) hearthv1.IssueState {
	if s == IssueClosed {
		return hearthv1.IssueState_ISSUE_STATE_CLOSED
	}
	return hearthv1.IssueState_ISSUE_STATE_OPEN
}

func commentToProto(c Comment) *hearthv1.Comment {
	return &hearthv1.Comment{
		Id: c.ID.String(), Author: c.Author, Body: c.Body,
		CreateTime: timestamppb.New(c.CreatedAt), UpdateTime: timestamppb.New(c.UpdatedAt),
	}
}

func labelToProto(l Label) *hearthv1.Label {
	return &hearthv1.Label{Name: l.Name, Color: l.Color, Description: l.Description}
}
