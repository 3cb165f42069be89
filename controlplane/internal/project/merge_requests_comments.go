package project

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/project/internal/db"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
)

// UpdateComment replaces the body of the caller's own comment id on merge
// request number; a line comment keeps its position.
func (m *MergeRequests) UpdateComment(ctx context.Context, caller access.Principal, project uuid.UUID, number int64, id uuid.UUID, body string) (MergeRequestComment, error) {
	if err := m.svc.requireWritable(ctx, project); err != nil {
		return MergeRequestComment{}, err
	}
	if err := validateBody(body, true); err != nil {
		return MergeRequestComment{}, err
	}
	var out MergeRequestComment
	err := m.svc.db.InTx(ctx, func(tx pgx.Tx) error {
		q := m.svc.q.WithTx(tx)
		c, err := m.commentForUpdate(ctx, q, project, number, id)
		if err != nil {
			return err
		}
		if c.AuthorID != caller.UserID || caller.UserID == uuid.Nil {
			return apperr.PermissionDenied("only its author may edit a comment")
		}
		row, err := q.UpdateMergeRequestComment(ctx, db.UpdateMergeRequestCommentParams{ID: id, Body: body})
		if err != nil {
			return err
		}
		out = mrCommentFromRow(row)
		return audit.Record(ctx, tx, audit.Event{
			Action: "merge_request.comment.update", Resource: "comment/" + id.String(), ProjectID: project,
			Detail: map[string]any{"number": number},
		})
	})
	return out, err
}

// DeleteComment deletes comment id of merge request number. Callers
// authorize first: the API's rule asks project:admin for someone else's.
func (m *MergeRequests) DeleteComment(ctx context.Context, project uuid.UUID, number int64, id uuid.UUID) error {
	if err := m.svc.requireWritable(ctx, project); err != nil {
		return err
	}
	return m.svc.db.InTx(ctx, func(tx pgx.Tx) error {
		q := m.svc.q.WithTx(tx)
		c, err := m.commentForUpdate(ctx, q, project, number, id)
		if err != nil {
			return err
		}
		if err := q.DeleteMergeRequestComment(ctx, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "merge_request.comment.delete", Resource: "comment/" + id.String(), ProjectID: project,
			Detail: map[string]any{"number": number, "author": c.Author},
		})
	})
}

func (m *MergeRequests) commentForUpdate(ctx context.Context, q *db.Queries, project uuid.UUID, number int64, id uuid.UUID) (MergeRequestComment, error) {
	mr, err := q.GetMergeRequest(ctx, db.GetMergeRequestParams{ProjectID: project, Number: number})
	if err != nil {
		return MergeRequestComment{}, apperr.IfNotFound(err, "merge request not found")
	}
	row, err := q.GetMergeRequestCommentForUpdate(ctx, db.GetMergeRequestCommentForUpdateParams{ID: id, MergeRequestID: mr.ID})
	if err != nil {
		return MergeRequestComment{}, apperr.IfNotFound(err, "comment not found")
	}
	return mrCommentFromRow(row), nil
}

// UpdateMergeRequestComment edits the caller's own comment.
func (a *MergeRequestAPI) UpdateMergeRequestComment(ctx context.Context, req *hearthv1.UpdateMergeRequestCommentRequest) (*hearthv1.UpdateMergeRequestCommentResponse, error) {
	pid, err := a.project(ctx, req)
	if err != nil {
		return nil, err
	}
	id, err := uuid.Parse(req.GetCommentId())
	if err != nil {
		return nil, apperr.NotFound("comment not found")
	}
	c, err := a.mrs.UpdateComment(ctx, access.PrincipalFrom(ctx), pid, req.GetNumber(), id, req.GetBody())
	if err != nil {
		return nil, err
	}
	return &hearthv1.UpdateMergeRequestCommentResponse{Comment: mrCommentToProto(c)}, nil
}

// DeleteMergeRequestComment deletes a comment (its author's, or any for a
// project admin).
func (a *MergeRequestAPI) DeleteMergeRequestComment(ctx context.Context, req *hearthv1.DeleteMergeRequestCommentRequest) (*hearthv1.DeleteMergeRequestCommentResponse, error) {
	pid, err := a.project(ctx, req)
	if err != nil {
		return nil, err
	}
	id, err := uuid.Parse(req.GetCommentId())
	if err != nil {
		return nil, apperr.NotFound("comment not found")
	}
	if err := a.mrs.DeleteComment(ctx, pid, req.GetNumber(), id); err != nil {
		return nil, err
	}
	return &hearthv1.DeleteMergeRequestCommentResponse{}, nil
}
