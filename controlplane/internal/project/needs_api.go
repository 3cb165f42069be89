package project

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/project/internal/db"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
)

// What a request needs beyond its RPC's permission (access.Rule.Also): the
// server's interceptor decides it with the same authorizer, after the RPC's
// own permission, so the handlers below check nothing themselves. Each
// runs once the caller was allowed to take part in the project, so a row
// it looks up reveals nothing new (NotFound is the handler's answer too).
//
// Authors never change, so deciding on the author before the handler's
// transaction is as safe as deciding inside it.

// createIssueNeeds: labels and assignees on a new issue need project:write.
func createIssueNeeds(_ context.Context, _ access.Principal, project uuid.UUID, req any) ([]access.Need, error) {
	r, ok := req.(*hearthv1.CreateIssueRequest)
	if !ok {
		return nil, wrongRequest(req)
	}
	if len(r.GetLabels()) > 0 || len(r.GetAssignees()) > 0 {
		return access.NeedOn(access.ProjectWrite, project), nil
	}
	return nil, nil
}

// updateIssueNeeds: its author may change an issue's title, body and
// state; anything else (labels, assignees, someone else's issue) needs
// project:write.
func (a *IssueAPI) updateIssueNeeds(ctx context.Context, p access.Principal, project uuid.UUID, req any) ([]access.Need, error) {
	r, ok := req.(*hearthv1.UpdateIssueRequest)
	if !ok {
		return nil, wrongRequest(req)
	}
	if r.GetUpdateLabels() || r.GetUpdateAssignees() {
		return access.NeedOn(access.ProjectWrite, project), nil
	}
	is, err := a.svc.q.GetIssue(ctx, db.GetIssueParams{ProjectID: project, Number: r.GetNumber()})
	if err != nil {
		return nil, apperr.IfNotFound(err, "issue not found")
	}
	if !isCaller(p, is.AuthorID) {
		return access.NeedOn(access.ProjectWrite, project), nil
	}
	return nil, nil
}

// deleteCommentNeeds: deleting someone else's comment needs project:admin.
func (a *IssueAPI) deleteCommentNeeds(ctx context.Context, p access.Principal, project uuid.UUID, req any) ([]access.Need, error) {
	r, ok := req.(*hearthv1.DeleteCommentRequest)
	if !ok {
		return nil, wrongRequest(req)
	}
	id, err := uuid.Parse(r.GetCommentId())
	if err != nil {
		return nil, apperr.NotFound("comment not found")
	}
	c, err := a.svc.commentForUpdate(ctx, a.svc.q, project, r.GetNumber(), id)
	if err != nil {
		return nil, err
	}
	if !isCaller(p, c.AuthorID) {
		return access.NeedOn(access.ProjectAdmin, project), nil
	}
	return nil, nil
}

// updateMergeRequestNeeds: its author may change a merge request; anyone
// else needs project:write.
func (a *MergeRequestAPI) updateMergeRequestNeeds(ctx context.Context, p access.Principal, project uuid.UUID, req any) ([]access.Need, error) {
	r, ok := req.(*hearthv1.UpdateMergeRequestRequest)
	if !ok {
		return nil, wrongRequest(req)
	}
	mr, err := a.mrs.row(ctx, project, r.GetNumber())
	if err != nil {
		return nil, err
	}
	if !isCaller(p, mr.AuthorID) {
		return access.NeedOn(access.ProjectWrite, project), nil
	}
	return nil, nil
}

// deleteMergeRequestCommentNeeds: deleting someone else's comment needs
// project:admin.
func (a *MergeRequestAPI) deleteMergeRequestCommentNeeds(ctx context.Context, p access.Principal, project uuid.UUID, req any) ([]access.Need, error) {
	r, ok := req.(*hearthv1.DeleteMergeRequestCommentRequest)
	if !ok {
		return nil, wrongRequest(req)
	}
	id, err := uuid.Parse(r.GetCommentId())
	if err != nil {
		return nil, apperr.NotFound("comment not found")
	}
	c, err := a.mrs.commentForUpdate(ctx, a.mrs.svc.q, project, r.GetNumber(), id)
	if err != nil {
		return nil, err
	}
	if !isCaller(p, c.AuthorID) {
		return access.NeedOn(access.ProjectAdmin, project), nil
	}
	return nil, nil
}

// isCaller reports whether user is the signed-in user making the request.
func isCaller(p access.Principal, user uuid.UUID) bool {
	return p.Kind == access.User && p.UserID != uuid.Nil && p.UserID == user
}

// wrongRequest refuses (rather than allows) a request of a type its rule
// was not written for: a wiring mistake, never a caller's.
func wrongRequest(req any) error {
	return fmt.Errorf("project: authorization rule given a %T", req)
}

// namespaceNeeds: a project goes into a group (created or transferred
// there) only with project:admin on that group, its maintainers' right,
// as in GitLab. The caller's own username, or none, needs nothing more. A
// group unknown or invisible to the caller is NotFound, like an unknown
// name.
func (a *API) namespaceNeeds(ctx context.Context, p access.Principal, namespace string) ([]access.Need, error) {
	if namespace == "" || strings.EqualFold(namespace, p.Username) {
		return nil, nil
	}
	if a.svc.member == nil {
		return nil, errNoGroups
	}
	g, err := a.svc.GroupByName(ctx, namespace)
	if err != nil {
		if apperr.KindOf(err) == apperr.KindNotFound {
			return nil, apperr.NotFound("namespace %q not found (a group you maintain or your own username)", truncate(namespace))
		}
		return nil, err
	}
	return []access.Need{{
		Permission: access.ProjectAdmin, Group: g.ID,
		Refusal: fmt.Sprintf("projects go into group %s only with its maintainer role (project:admin on the group)", g.Name),
	}}, nil
}

// createProjectNeeds: creating in a group needs project:admin on it.
func (a *API) createProjectNeeds(ctx context.Context, p access.Principal, _ uuid.UUID, req any) ([]access.Need, error) {
	r, ok := req.(*hearthv1.CreateProjectRequest)
	if !ok {
		return nil, wrongRequest(req)
	}
	return a.namespaceNeeds(ctx, p, r.GetNamespace())
}

// transferProjectNeeds: moving a project needs project:admin on the group
// it goes to and, for a group's project, on the group it leaves (its
// maintainers decide; a maintainer of the project alone may not take it
// away). The caller knows the group it leaves: the project's path names it.
func (a *API) transferProjectNeeds(ctx context.Context, p access.Principal, project uuid.UUID, req any) ([]access.Need, error) {
	r, ok := req.(*hearthv1.TransferProjectRequest)
	if !ok {
		return nil, wrongRequest(req)
	}
	needs, err := a.namespaceNeeds(ctx, p, r.GetNamespace())
	if err != nil {
		return nil, err
	}
	leaving, err := a.ownerGroupNeeds(ctx, project)
	return append(needs, leaving...), err
}

// deleteProjectNeeds: a group's project goes only with the group's
// maintainers (project:admin on the group).
func (a *API) deleteProjectNeeds(ctx context.Context, _ access.Principal, project uuid.UUID, _ any) ([]access.Need, error) {
	return a.ownerGroupNeeds(ctx, project)
}

func (a *API) ownerGroupNeeds(ctx context.Context, project uuid.UUID) ([]access.Need, error) {
	cur, err := a.svc.ByID(ctx, project)
	if err != nil {
		return nil, err
	}
	if cur.OwnerKind != OwnedByGroup {
		return nil, nil
	}
	return []access.Need{{
		Permission: access.ProjectAdmin, Group: cur.OwnerID, Known: true,
		Refusal: fmt.Sprintf("taking a project away from group %s (transfer, delete) needs the group's maintainer role (project:admin on the group)", cur.Owner),
	}}, nil
}
