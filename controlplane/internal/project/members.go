package project

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
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
// scope first; AddMember then checks that caller may grant the role: that
// they hold project:admin and every permission of the role through their
// own role bindings on the scope (rbac CheckGrant), so that neither a
// delegation nor a narrower role turns into a broader, lasting one.
func (s *Service) AddMember(ctx context.Context, caller access.Principal, scope Scope, username, role string) (Member, error) {
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
	if err := s.member.CheckGrant(ctx, caller, role, scope.Project, scope.Group); err != nil {
		return Member{}, err
	}
	existing, err := s.member.ListBindings(ctx, access.BindingFilter{UserID: userID, ProjectID: scope.Project, GroupID: scope.Group})
	if err != nil {
		return Member{}, err
	}
	if len(existing) > 0 {
		return Member{}, apperr.Conflict("%s is already a member (as %s)", name, existing[0].RoleName)
	}
	var b access.Binding
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

// Member list paging: pageSize 0 is defaultMemberPage, at most maxMemberPage.
const (
	defaultMemberPage = 50
	maxMemberPage     = 100
)

// ListMembers lists one page of the bindings on the scope, oldest first,
// and a token for the next page ("" on the last). Usernames are resolved
// in one lookup per page.
func (s *Service) ListMembers(ctx context.Context, scope Scope, pageSize int, pageToken string) ([]Member, string, error) {
	if s.member == nil || s.users == nil {
		return nil, "", errNoGroups
	}
	size := pageSize
	switch {
	case size == 0:
		size = defaultMemberPage
	case size < 0 || size > maxMemberPage:
		return nil, "", apperr.Invalid("page_size: 1-%d", maxMemberPage)
	}
	afterTime, afterID, err := parseMemberToken(pageToken)
	if err != nil {
		return nil, "", err
	}
	page, err := s.member.ListScopeBindings(ctx, scope.Project, scope.Group, afterTime, afterID, size)
	if err != nil {
		return nil, "", err
	}
	ids := make([]uuid.UUID, 0, len(page.Bindings))
	for _, b := range page.Bindings {
		ids = append(ids, b.UserID)
	}
	// A binding of a user auth no longer knows is listed without a name.
	names, err := s.users.UserNames(ctx, ids)
	if err != nil {
		return nil, "", err
	}
	out := make([]Member, 0, len(page.Bindings))
	for _, b := range page.Bindings {
		out = append(out, Member{UserID: b.UserID, Username: names[b.UserID], Role: b.RoleName, CreatedAt: b.CreatedAt})
	}
	next := ""
	if page.More && len(page.Bindings) > 0 {
		last := page.Bindings[len(page.Bindings)-1]
		next = memberToken(last.CreatedAt, last.ID)
	}
	return out, next, nil
}

// memberToken is the cursor after a binding: "<created_at unix µs>.<id>",
// base64url. PostgreSQL keeps microseconds, so the cursor is exact.
func memberToken(created time.Time, id uuid.UUID) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(created.UnixMicro(), 10) + "." + id.String()))
}

func parseMemberToken(tok string) (time.Time, uuid.UUID, error) {
	if tok == "" {
		return time.Time{}, uuid.Nil, nil
	}
	bad := apperr.Invalid("page_token: not one this server handed out")
	if len(tok) > 128 {
		return time.Time{}, uuid.Nil, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return time.Time{}, uuid.Nil, bad
	}
	us, idS, ok := strings.Cut(string(b), ".")
	if !ok {
		return time.Time{}, uuid.Nil, bad
	}
	micros, err := strconv.ParseInt(us, 10, 64)
	if err != nil || micros <= 0 {
		return time.Time{}, uuid.Nil, bad
	}
	id, err := uuid.Parse(idS)
	if err != nil {
		return time.Time{}, uuid.Nil, bad
	}
	return time.UnixMicro(micros), id, nil
}

// RemoveMember removes the user's roles on the scope; NotFound when they
// hold none. Callers authorize project:admin on the scope first;
// RemoveMember then checks that caller holds it through their own role
// bindings (rbac CheckManageMembers): a delegate changes no memberships.
func (s *Service) RemoveMember(ctx context.Context, caller access.Principal, scope Scope, username string) error {
	if s.member == nil || s.users == nil {
		return errNoGroups
	}
	if err := s.member.CheckManageMembers(ctx, caller, scope.Project, scope.Group); err != nil {
		return err
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
		if apperr.KindOf(err) == apperr.KindNotFound {
			return uuid.Nil, "", apperr.Invalid("user %q not found", truncate(username))
		}
		return uuid.Nil, "", err
	}
	return id, name, nil
}
