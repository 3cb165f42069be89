package project

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/project/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
)

// LabelChange is an update of a label; nil fields are unchanged.
type LabelChange struct {
	Name        *string
	Color       *string
	Description *string
}

func validateLabel(name, color, description *string) error {
	if name != nil && !ValidLabelName(*name) {
		return apperr.Invalid("label name: 1-50 characters, no commas or control characters")
	}
	if color != nil && !validColor.MatchString(*color) {
		return apperr.Invalid("color: #rrggbb")
	}
	if description != nil && (utf8.RuneCountInString(*description) > 200 || !utf8.ValidString(*description)) {
		return apperr.Invalid("description: at most 200 characters")
	}
	return nil
}

// UpdateLabel changes the label named name in project. The issues that
// carry it keep it under its new name.
func (s *Service) UpdateLabel(ctx context.Context, project uuid.UUID, name string, ch LabelChange) (Label, error) {
	if err := validateLabel(ch.Name, ch.Color, ch.Description); err != nil {
		return Label{}, err
	}
	if ch.Color != nil {
		c := strings.ToLower(*ch.Color)
		ch.Color = &c
	}
	if err := s.requireWritable(ctx, project); err != nil {
		return Label{}, err
	}
	var out Label
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		row, err := s.q.WithTx(tx).UpdateLabel(ctx, db.UpdateLabelParams{
			ProjectID: project, Name: name, NewName: ch.Name, Color: ch.Color, Description: ch.Description,
		})
		if err != nil {
			switch {
			case errors.Is(err, store.ErrNotFound):
				return apperr.NotFound("label %q not found", truncate(name))
			case errors.Is(err, store.ErrConflict):
				return apperr.Conflict("label %q exists", truncate(*ch.Name))
			}
			return err
		}
		out = Label{Name: row.Name, Color: row.Color, Description: row.Description}
		return audit.Record(ctx, tx, audit.Event{
			Action: "label.update", Resource: "label/" + row.ID.String(), ProjectID: project,
			Detail: map[string]any{"name": row.Name, "color": row.Color, "was": name},
		})
	})
	return out, err
}

// DeleteLabel removes the label named name from project and its issues.
func (s *Service) DeleteLabel(ctx context.Context, project uuid.UUID, name string) error {
	if err := s.requireWritable(ctx, project); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx pgx.Tx) error {
		id, err := s.q.WithTx(tx).DeleteLabel(ctx, db.DeleteLabelParams{ProjectID: project, Name: name})
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return apperr.NotFound("label %q not found", truncate(name))
			}
			return err
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "label.delete", Resource: "label/" + id.String(), ProjectID: project,
			Detail: map[string]any{"name": name},
		})
	})
}

// UpdateLabel changes a label (the rule requires project:write).
func (a *IssueAPI) UpdateLabel(ctx context.Context, req *hearthv1.UpdateLabelRequest) (*hearthv1.UpdateLabelResponse, error) {
	pid, err := a.project(ctx, req)
	if err != nil {
		return nil, err
	}
	l, err := a.svc.UpdateLabel(ctx, pid, req.GetLabel(), LabelChange{Name: req.NewName, Color: req.Color, Description: req.Description})
	if err != nil {
		return nil, err
	}
	return &hearthv1.UpdateLabelResponse{Label: labelToProto(l)}, nil
}

// DeleteLabel removes a label (the rule requires project:write).
func (a *IssueAPI) DeleteLabel(ctx context.Context, req *hearthv1.DeleteLabelRequest) (*hearthv1.DeleteLabelResponse, error) {
	pid, err := a.project(ctx, req)
	if err != nil {
		return nil, err
	}
	if err := a.svc.DeleteLabel(ctx, pid, req.GetLabel()); err != nil {
		return nil, err
	}
	return &hearthv1.DeleteLabelResponse{}, nil
}
