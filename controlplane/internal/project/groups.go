package project

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/names"
	"github.com/hearth-dev/hearth/controlplane/internal/project/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
)

// GroupOwnerRole is the role a group's creator gets on it.
const GroupOwnerRole = access.RoleMaintainer

// validGroupName is the username syntax: groups and users share the owner
// namespace of project URLs.
var validGroupName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,38}$`)

// Group owns projects; its members are rbac bindings on it.
type Group struct {
	ID          uuid.UUID
	Name        string
	Description string
	Visibility  access.Visibility
	CreatedAt   time.Time
}

// CreateGroup makes a group and makes its creator its maintainer. A name
// taken by a user or another group (whatever the case) is a Conflict.
func (s *Service) CreateGroup(ctx context.Context, caller access.Principal, name, description string, vis access.Visibility) (Group, error) {
	if caller.IsAnonymous() || caller.UserID == uuid.Nil {
		return Group{}, apperr.Unauthenticated("sign in first")
	}
	if s.member == nil || s.users == nil {
		return Group{}, errNoGroups
	}
	if !validGroupName.MatchString(name) || strings.HasSuffix(strings.ToLower(name), ".git") {
		return Group{}, apperr.Invalid("group name %q: use 1-39 letters, digits, '_', '.' or '-', starting with a letter or digit", truncate(name))
	}
	if err := names.CheckOwner("group name", name); err != nil {
		return Group{}, err
	}
	if len(description) > 2000 {
		return Group{}, apperr.Invalid("description: at most 2000 characters")
	}
	switch _, _, err := s.users.UserByName(ctx, name); {
	case err == nil:
		return Group{}, apperr.Conflict("the name %q is taken by a user", name)
	case apperr.KindOf(err) != apperr.KindNotFound:
		return Group{}, err
	}
	var out Group
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		row, err := s.q.WithTx(tx).CreateGroup(ctx, db.CreateGroupParams{
			Name: name, Description: description, Visibility: visibilityName(vis), CreatedBy: caller.UserID,
		})
		if err != nil {
			if errors.Is(err, store.ErrConflict) {
				return apperr.Conflict("a group named %q exists", name)
			}
			return err
		}
		out = groupFromRow(row)
		if err := audit.Record(ctx, tx, audit.Event{
			Action: "group.create", Resource: "group/" + row.ID.String(),
			Detail: map[string]any{"name": name, "visibility": row.Visibility},
		}); err != nil {
			return err
		}
		// In the same transaction: no group is ever left that nobody
		// administers.
		if _, err := s.member.CreateGroupBindingTx(ctx, tx, GroupOwnerRole, caller.UserID, row.ID); err != nil {
			return fmt.Errorf("making the creator maintainer: %w", err)
		}
		return nil
	})
	if err != nil {
		return Group{}, err
	}
	s.invalidate(ctx)
	return out, nil
}

// GroupByName finds a group (case-insensitively). It does not authorize.
func (s *Service) GroupByName(ctx context.Context, name string) (Group, error) {
	if !validGroupName.MatchString(name) {
		return Group{}, apperr.NotFound("group not found")
	}
	row, err := s.q.GetGroupByName(ctx, name)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return Group{}, apperr.NotFound("group not found")
		}
		return Group{}, err
	}
	return groupFromRow(row), nil
}

// ListGroups returns the groups caller may see, by name, and a token for
// the next page ("" on the last).
func (s *Service) ListGroups(ctx context.Context, caller access.Principal, pageSize int, pageToken string) ([]Group, string, error) {
	size := pageSize
	switch {
	case size == 0:
		size = 50
	case size < 0 || size > 100:
		return nil, "", apperr.Invalid("page_size: 1-100")
	}
	after := ""
	if pageToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(pageToken)
		if err != nil || !validGroupName.MatchString(string(b)) {
			return nil, "", apperr.Invalid("page_token: not one this server handed out")
		}
		after = string(b)
	}
	token := func(name string) string { return base64.RawURLEncoding.EncodeToString([]byte(strings.ToLower(name))) }
	out := make([]Group, 0, size)
	for range maxListBatches {
		rows, err := s.q.ListGroups(ctx, db.ListGroupsParams{After: after, SignedIn: !caller.IsAnonymous(), Max: int32(size + 1)})
		if err != nil {
			return nil, "", err
		}
		for i, r := range rows {
			if len(out) == size {
				return out, token(out[len(out)-1].Name), nil
			}
			after = strings.ToLower(r.Name)
			ok, err := s.mayReadGroup(ctx, caller, r)
			if err != nil {
				return nil, "", err
			}
			if ok {
				out = append(out, groupFromRow(r))
			}
			if i == len(rows)-1 && len(rows) <= size {
				return out, "", nil
			}
		}
		if len(rows) == 0 {
			return out, "", nil
		}
	}
	return out, token(after), nil
}

func (s *Service) mayReadGroup(ctx context.Context, caller access.Principal, r db.Group) (bool, error) {
	if r.Visibility == "public" {
		return true, nil
	}
	return allowed(s.member.AuthorizeGroup(ctx, caller, access.ProjectRead, r.ID))
}

// allowed turns an authorization answer into yes or no, passing through
// errors that are not refusals.
func allowed(err error) (bool, error) {
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

func groupFromRow(r db.Group) Group {
	return Group{
		ID: r.ID, Name: r.Name, Description: r.Description, Visibility: parseVisibility(r.Visibility), CreatedAt: r.CreatedAt,
	}
}
