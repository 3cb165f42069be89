package project

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/rbac"
)

// Member is a user's role on a project or a group (an rbac binding).
type Member struct {
	UserID    uuid.UUID
	Username  string
	Role      string
	CreatedAt time.Time
}

// Scope is where a membership applies: exactly one of Project and Group.
type Scope struct {
	Project uuid.UUID
	Group   uuid.UUID
	// KeepAdmin refuses to remove the last member holding project:admin
	// (groups, and projects owned by a user).
	KeepAdmin bool
}

// ScopeOf is the membership scope of project p.
func ScopeOf(p Project) Scope {
	return Scope{Project: p.ID, KeepAdmin: p.OwnerKind != OwnedByGroup}
}

// GroupScope is the membership scope of group g.
func GroupScope(g Group) Scope { return Scope{Group: g.ID, KeepAdmin: true} }

// AddMember gives the user a role on the scope. A user who already holds
// a role there is a Conflict (remove them first to change it); an unknown
// user or role is InvalidArgument. Callers authorize project:admin on the
// scope first.
func (s *Service) AddMember(ctx context.Context, scope Scope, username, role string) (Member, error) {
	if s.member == nil || s.users == nil {
		return Member{}, errNoGroups
	}
	if role == "" || len(role) > 64 {
		return Member{}, apperr.Invalid("role: a role name is required")
	}
	userID, name, err := s.lookupUser(ctx, username)
	if err != nil {
		return Member{}, err
	}
	existing, err := s.member.ListBindings(ctx, rbac.BindingFilter{UserID: userID, ProjectID: scope.Project, GroupID: scope.Group})
	if err != nil {
		return Member{}, err
	}
	if len(existing) > 0 {
		return Member{}, apperr.Conflict("%s is already a member (as %s)", name, existing[0].RoleName)
	}
	var b rbac.Binding
	if scope.Group != uuid.Nil {
		b, err = s.member.CreateGroupBinding(ctx, role, userID, scope.Group)
	} else {
		b, err = s.member.CreateBinding(ctx, role, userID, scope.Project)
	}
	if err != nil {
		// The user and the scope were just found: a NotFound is the role.
		if e, ok := apperr.As(err); ok && e.Kind == apperr.KindNotFound {
			return Member{}, apperr.Invalid("role %q: no such role", truncate(role))
		}
		return Member{}, err
	}
	return Member{UserID: userID, Username: name, Role: b.RoleName, CreatedAt: b.CreatedAt}, nil
}

// ListMembers lists the bindings on the scope, oldest first.
func (s *Service) ListMembers(ctx context.Context, scope Scope) ([]Member, error) {
	if s.member == nil || s.users == nil {
		return nil, errNoGroups
	}
	bs, err := s.member.ListBindings(ctx, rbac.BindingFilter{ProjectID: scope.Project, GroupID: scope.Group})
	if err != nil {
		return nil, err
	}
	names := map[uuid.UUID]string{}
	out := make([]Member, 0, len(bs))
	for _, b := range bs {
		name, ok := names[b.UserID]
		if !ok {
			if name, err = s.users.UserName(ctx, b.UserID); err != nil {
				if !isNotFound(err) {
					return nil, err
				}
				name = "" // a binding of a user auth no longer knows
			}
			names[b.UserID] = name
		}
		out = append(out, Member{UserID: b.UserID, Username: name, Role: b.RoleName, CreatedAt: b.CreatedAt})
	}
	return out, nil
}

// RemoveMember removes the user's roles on the scope; NotFound when they
// hold none. Callers authorize project:admin on the scope first.
func (s *Service) RemoveMember(ctx context.Context, scope Scope, username string) error {
	if s.member == nil || s.users == nil {
		return errNoGroups
	}
	userID, _, err := s.lookupUser(ctx, username)
	if err != nil {
		return err
	}
	_, err = s.member.RemoveMember(ctx, userID, scope.Project, scope.Group, scope.KeepAdmin)
	return err
}

func (s *Service) lookupUser(ctx context.Context, username string) (uuid.UUID, string, error) {
	if !validGroupName.MatchString(username) {
		return uuid.Nil, "", apperr.Invalid("username %q is not a valid username", truncate(username))
	}
	id, name, err := s.users.UserByName(ctx, username)
	if err != nil {
		if isNotFound(err) {
			return uuid.Nil, "", apperr.Invalid("user %q not found", truncate(username))
		}
		return uuid.Nil, "", err
	}
	return id, name, nil
}
