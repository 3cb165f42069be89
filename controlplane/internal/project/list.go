package project

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/project/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/shared/gitref"
)

// maxListBatches bounds how many batches one List call examines while
// filtering out projects the caller may not read; a page can come back
// short (with a next token) when most candidates are hidden.
const maxListBatches = 10

// ListQuery filters and pages List.
type ListQuery struct {
	// Search is a case-insensitive substring of "owner/name" or of the
	// description.
	Search string
	// PageSize is 1-100 (0: 50).
	PageSize int
	// PageToken continues after the previous page.
	PageToken string
}

// List returns the projects caller may read, ordered by owner/name, and a
// token for the next page ("" on the last).
func (s *Service) List(ctx context.Context, caller access.Principal, q ListQuery) ([]Project, string, error) {
	size := q.PageSize
	switch {
	case size == 0:
		size = 50
	case size < 0 || size > 100:
		return nil, "", apperr.Invalid("page_size: 1-100")
	}
	if len(q.Search) > 200 {
		return nil, "", apperr.Invalid("search: at most 200 characters")
	}
	afterOwner, afterName, err := decodeListToken(q.PageToken)
	if err != nil {
		return nil, "", err
	}
	var pattern *string
	if q.Search != "" {
		p := "%" + escapeLike(q.Search) + "%"
		pattern = &p
	}
	out := make([]Project, 0, size)
	for range maxListBatches {
		rows, err := s.q.ListProjects(ctx, db.ListProjectsParams{
			AfterOwner: afterOwner, AfterName: afterName, SignedIn: !caller.IsAnonymous(),
			Pattern: pattern, Max: int32(size + 1),
		})
		if err != nil {
			return nil, "", err
		}
		for i, r := range rows {
			if len(out) == size {
				// One more visible row may follow: hand out a token.
				return out, encodeListToken(out[len(out)-1]), nil
			}
			afterOwner, afterName = strings.ToLower(r.OwnerName), strings.ToLower(r.Name)
			ok, err := s.mayRead(ctx, caller, r)
			if err != nil {
				return nil, "", err
			}
			if ok {
				out = append(out, fromRow(r))
			}
			if i == len(rows)-1 && len(rows) <= size {
				return out, "", nil // the end of the table
			}
		}
		if len(rows) == 0 {
			return out, "", nil
		}
	}
	// Bounded: stop after the last row examined.
	return out, base64.RawURLEncoding.EncodeToString([]byte(afterOwner + "/" + afterName)), nil
}

// mayRead reports whether caller may read the project of row r: public
// rows need no check; the rest go through rbac (internal projects for
// signed-in users within their token's limits, private ones by role).
func (s *Service) mayRead(ctx context.Context, caller access.Principal, r db.Project) (bool, error) {
	if r.Visibility == "public" {
		return true, nil
	}
	err := s.roles.Authorize(ctx, caller, access.ProjectRead, r.ID)
	if err == nil {
		return true, nil
	}
	if e, ok := apperr.As(err); ok {
		switch e.Kind {
		case apperr.KindNotFound, apperr.KindPermissionDenied, apperr.KindUnauthenticated:
			return false, nil
		}
	}
	return false, err
}

func encodeListToken(p Project) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strings.ToLower(p.Owner) + "/" + strings.ToLower(p.Name)))
}

func decodeListToken(t string) (string, string, error) {
	if t == "" {
		return "", "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(t)
	owner, name, ok := strings.Cut(string(b), "/")
	if err != nil || !ok {
		return "", "", apperr.Invalid("page_token: not one this server handed out")
	}
	return owner, name, nil
}

// escapeLike makes s match itself literally in a LIKE pattern (ESCAPE '\').
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Update is what UpdateProject changes; nil fields stay as they are.
type Update struct {
	Description   *string
	Visibility    *access.Visibility
	DefaultBranch *string
}

// Update changes a project's description, visibility or default branch
// (moving the repository's HEAD). Callers authorize project:admin first.
func (s *Service) Update(ctx context.Context, id uuid.UUID, u Update) (Project, error) {
	if u.Description != nil && len(*u.Description) > 2000 {
		return Project{}, apperr.Invalid("description: at most 2000 characters")
	}
	if u.DefaultBranch != nil && !gitref.ValidBranchName(*u.DefaultBranch) {
		return Project{}, apperr.Invalid("default branch %q is not a valid branch name", truncate(*u.DefaultBranch))
	}
	var out Project
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		row, err := q.GetProjectForUpdate(ctx, id)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return apperr.NotFound("project not found")
			}
			return err
		}
		params := db.UpdateProjectParams{ID: id, Description: row.Description, Visibility: row.Visibility, DefaultBranch: row.DefaultBranch}
		detail := map[string]any{}
		if u.Description != nil && *u.Description != row.Description {
			params.Description = *u.Description
			detail["description"] = true
		}
		if u.Visibility != nil && visibilityName(*u.Visibility) != row.Visibility {
			params.Visibility = visibilityName(*u.Visibility)
			detail["visibility"] = params.Visibility
		}
		branchMoved := u.DefaultBranch != nil && *u.DefaultBranch != row.DefaultBranch
		if branchMoved {
			params.DefaultBranch = *u.DefaultBranch
			detail["default_branch"] = params.DefaultBranch
		}
		updated, err := q.UpdateProject(ctx, params)
		if err != nil {
			return err
		}
		out = fromRow(updated)
		if len(detail) == 0 {
			return nil
		}
		if err := audit.Record(ctx, tx, audit.Event{
			Action: "project.update", Resource: "project/" + id.String(), ProjectID: id, Detail: detail,
		}); err != nil {
			return err
		}
		if branchMoved {
			// Last, inside the transaction: a failure rolls the row back.
			return s.repos.SetDefaultBranch(ctx, id, params.DefaultBranch)
		}
		return nil
	})
	if err != nil {
		return Project{}, err
	}
	return out, nil
}
