package rbac

import (
	"context"
	"errors"
	"regexp"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/rbac/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
)

// System role names (seeded by the migration; they never change).
const (
	RoleAdmin      = "admin"
	RoleMaintainer = "maintainer"
	RoleDeveloper  = "developer"
	RoleViewer     = "viewer"
)

// DefaultCacheTTL bounds how long a cached decision may outlive a change
// whose invalidation was lost.
const DefaultCacheTTL = 5 * time.Minute

// MaxDelegation is the longest a delegation may last.
const MaxDelegation = 90 * 24 * time.Hour

// maxText bounds role descriptions and delegation reasons (as the schema does).
const maxText = 500

var roleNameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{1,38}$`)

// Cache is what rbac needs of Redis (*cache.Cache satisfies it).
type Cache interface {
	// MGet returns the values at keys in one round trip; nil for a missing key.
	MGet(ctx context.Context, keys ...string) ([][]byte, error)
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// Incr adds one to the integer at key and returns the new value.
	Incr(ctx context.Context, key string) (int64, error)
}

// UserStatus tells whether a user may act (auth implements it).
type UserStatus interface {
	// Active reports whether the user exists and is not deactivated; an
	// unknown user is (false, nil) or store.ErrNotFound.
	Active(ctx context.Context, userID uuid.UUID) (bool, error)
}

// Visibility is who may read a project without a role on it.
type Visibility uint8

// Visibilities. The zero value is the safest.
const (
	// Private: only principals holding project:read on it.
	Private Visibility = iota
	// Internal: any signed-in principal may read it.
	Internal
	// Public: anyone, anonymous too, may read it.
	Public
)

// ProjectVisibility reports a project's visibility (project implements it).
type ProjectVisibility interface {
	// Visibility returns store.ErrNotFound (wrapped) for an unknown project.
	Visibility(ctx context.Context, projectID uuid.UUID) (Visibility, error)
}

// AuditEvent is one mutation to record. It has exactly audit.Event's
// fields, so the wiring converts it: audit.Event(e).
type AuditEvent struct {
	// Action is "<feature>.<verb>", e.g. "role.bind".
	Action string
	// Resource names the target, e.g. "role/<id>".
	Resource string
	// ProjectID scopes the event to a project (uuid.Nil: installation-wide).
	ProjectID uuid.UUID
	// Detail is stored as JSON.
	Detail map[string]any
}

// AuditFunc writes e in tx, the transaction of the mutation it describes.
// The server passes audit.Record (audit imports rbac, so rbac cannot import
// audit):
//
//	func(ctx context.Context, tx pgx.Tx, e rbac.AuditEvent) error {
//		return audit.Record(ctx, tx, audit.Event(e))
//	}
type AuditFunc func(ctx context.Context, tx pgx.Tx, e AuditEvent) error

// Deps is what the rbac service needs.
type Deps struct {
	DB *store.DB
	// Audit records every mutation in its transaction (required).
	Audit AuditFunc
	// Cache holds effective permission sets; nil: every decision is
	// computed from PostgreSQL.
	Cache  Cache
	Logger zerolog.Logger
	// Users is nil until auth provides it: every user is then active.
	Users UserStatus
	// Projects is nil until projects exist: every project id is then unknown.
	Projects ProjectVisibility
	// Groups is nil until groups exist: every group id is then unknown.
	Groups GroupVisibility
	// CacheTTL is the lifetime of a cached set (0: DefaultCacheTTL).
	CacheTTL time.Duration
	// KeyPrefix prefixes the Redis keys ("" : "rbac:").
	KeyPrefix string
	// Now is the clock (nil: time.Now). Delegation expiry is decided with it.
	Now func() time.Time
}

// Service is the authorizer and the manager of roles, bindings and
// delegations.
type Service struct {
	db       *store.DB
	q        *db.Queries
	audit    AuditFunc
	cache    Cache
	log      zerolog.Logger
	users    UserStatus
	projects ProjectVisibility
	groups   GroupVisibility
	ttl      time.Duration
	prefix   string
	now      func() time.Time
	// lastCacheWarn (unix nanoseconds) rate-limits "Redis is down" warnings.
	lastCacheWarn atomic.Int64
}

// New builds the service.
func New(d Deps) (*Service, error) {
	if d.DB == nil {
		return nil, errors.New("rbac: DB is required")
	}
	if d.Audit == nil {
		return nil, errors.New("rbac: Audit is required")
	}
	if d.CacheTTL < 0 {
		return nil, errors.New("rbac: CacheTTL must not be negative")
	}
	s := &Service{
		db: d.DB, q: db.New(d.DB.Pool), audit: d.Audit, cache: d.Cache, log: d.Logger,
		users: d.Users, projects: d.Projects, groups: d.Groups,
		ttl: d.CacheTTL, prefix: d.KeyPrefix, now: d.Now,
	}
	if s.ttl == 0 {
		s.ttl = DefaultCacheTTL
	}
	if s.prefix == "" {
		s.prefix = "rbac:"
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// Role is a named set of permissions.
type Role struct {
	ID          uuid.UUID
	Name        string
	Description string
	Permissions Set
	System      bool
	CreatedAt   time.Time
}

// Binding grants a role to a user, installation-wide (ProjectID and
// GroupID uuid.Nil), on one project or on one group (and so on every
// project the group owns).
type Binding struct {
	ID        uuid.UUID
	RoleID    uuid.UUID
	RoleName  string
	UserID    uuid.UUID
	ProjectID uuid.UUID
	GroupID   uuid.UUID
	CreatedAt time.Time
}

// Delegation lends permissions from a delegator to a delegate.
type Delegation struct {
	ID          uuid.UUID
	DelegatorID uuid.UUID
	DelegateID  uuid.UUID
	// ProjectID is uuid.Nil for an installation-wide delegation.
	ProjectID   uuid.UUID
	Permissions Set
	Reason      string
	CreatedAt   time.Time
	ExpiresAt   time.Time
	// RevokedAt is zero while not revoked.
	RevokedAt time.Time
}

// mutate runs fn in a transaction and, once it has committed, invalidates
// every cached decision.
func (s *Service) mutate(ctx context.Context, fn func(q *db.Queries, tx pgx.Tx) error) error {
	if err := s.db.InTx(ctx, func(tx pgx.Tx) error { return fn(db.New(tx), tx) }); err != nil {
		return err
	}
	s.invalidateAfterCommit(ctx)
	return nil
}

// invalidateAfterCommit bumps the generation even when the caller has gone
// away: the change is committed and must be seen.
func (s *Service) invalidateAfterCommit(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.Invalidate(ctx); err != nil {
		s.log.Error().Err(err).Dur("ttl", s.ttl).
			Msg("rbac: could not invalidate the permission cache; cached decisions may be stale until they expire")
	}
}

// --- Roles ------------------------------------------------------------------

// ListRoles lists the system roles, then the custom roles by name.
func (s *Service) ListRoles(ctx context.Context) ([]Role, error) {
	rows, err := s.q.ListRoles(ctx)
	if err != nil {
		return nil, store.MapError(err)
	}
	out := make([]Role, len(rows))
	for i, r := range rows {
		out[i] = s.role(r)
	}
	return out, nil
}

// CreateRole defines a custom role.
func (s *Service) CreateRole(ctx context.Context, name, description string, perms Set) (Role, error) {
	if !roleNameRE.MatchString(name) {
		return Role{}, apperr.Invalid("role name must be 2 to 39 lowercase letters, digits or dashes, starting with a letter")
	}
	if err := checkText("description", description); err != nil {
		return Role{}, err
	}
	if perms == 0 || perms&^All != 0 {
		return Role{}, apperr.Invalid("a role needs at least one known permission")
	}
	var out Role
	err := s.mutate(ctx, func(q *db.Queries, tx pgx.Tx) error {
		r, err := q.CreateRole(ctx, db.CreateRoleParams{Name: name, Description: description, Permissions: perms.Names()})
		if err != nil {
			if err = store.MapError(err); errors.Is(err, store.ErrConflict) {
				return apperr.Conflict("a role named %q exists", name)
			}
			return err
		}
		out = s.role(r)
		return s.audit(ctx, tx, AuditEvent{
			Action: "role.create", Resource: "role/" + r.ID.String(),
			Detail: map[string]any{"name": name, "permissions": perms.Names()},
		})
	})
	return out, err
}

// UpdateRole changes a custom role: its description when description is
// not nil, its permissions when perms is not empty.
func (s *Service) UpdateRole(ctx context.Context, id uuid.UUID, description *string, perms Set) (Role, error) {
	if description != nil {
		if err := checkText("description", *description); err != nil {
			return Role{}, err
		}
	}
	if perms&^All != 0 {
		return Role{}, apperr.Invalid("unknown permission")
	}
	var out Role
	err := s.mutate(ctx, func(q *db.Queries, tx pgx.Tx) error {
		old, err := q.GetRole(ctx, id)
		if err != nil {
			return notFound(err, "role not found")
		}
		if old.System {
			return apperr.FailedPrecondition("system role %q cannot be changed", old.Name)
		}
		p := db.UpdateRoleParams{ID: id, Description: description}
		if perms != 0 {
			p.Permissions = perms.Names()
		}
		r, err := q.UpdateRole(ctx, p)
		if err != nil {
			return notFound(err, "role not found")
		}
		out = s.role(r)
		detail := map[string]any{"name": r.Name}
		if perms != 0 {
			detail["permissions"] = perms.Names()
			detail["previous_permissions"] = old.Permissions
		}
		if description != nil {
			detail["description_changed"] = true
		}
		return s.audit(ctx, tx, AuditEvent{Action: "role.update", Resource: "role/" + id.String(), Detail: detail})
	})
	return out, err
}

// DeleteRole deletes a custom role and its bindings.
func (s *Service) DeleteRole(ctx context.Context, id uuid.UUID) error {
	return s.mutate(ctx, func(q *db.Queries, tx pgx.Tx) error {
		old, err := q.GetRole(ctx, id)
		if err != nil {
			return notFound(err, "role not found")
		}
		if old.System {
			return apperr.FailedPrecondition("system role %q cannot be deleted", old.Name)
		}
		n, err := q.DeleteRole(ctx, id)
		if err != nil {
			return store.MapError(err)
		}
		if n == 0 {
			return apperr.NotFound("role not found")
		}
		return s.audit(ctx, tx, AuditEvent{
			Action: "role.delete", Resource: "role/" + id.String(),
			Detail: map[string]any{"name": old.Name},
		})
	})
}

// --- Bindings ---------------------------------------------------------------

// BindingFilter selects bindings; zero fields select everything.
type BindingFilter struct {
	UserID    uuid.UUID
	ProjectID uuid.UUID
	GroupID   uuid.UUID
}

// ListBindings lists bindings, oldest first.
func (s *Service) ListBindings(ctx context.Context, f BindingFilter) ([]Binding, error) {
	rows, err := s.q.ListBindings(ctx, db.ListBindingsParams{UserID: optUUID(f.UserID), ProjectID: optUUID(f.ProjectID), GroupID: optUUID(f.GroupID)})
	if err != nil {
		return nil, store.MapError(err)
	}
	out := make([]Binding, len(rows))
	for i, r := range rows {
		out[i] = Binding{
			ID: r.ID, RoleID: r.RoleID, RoleName: r.RoleName, UserID: r.UserID,
			ProjectID: fromUUID(r.ProjectID), GroupID: fromUUID(r.GroupID), CreatedAt: r.CreatedAt.Time,
		}
	}
	return out, nil
}

// CreateBinding grants the role (its id or its name) to the user,
// installation-wide when project is uuid.Nil.
func (s *Service) CreateBinding(ctx context.Context, role string, userID, project uuid.UUID) (Binding, error) {
	return s.createBinding(ctx, role, userID, project, uuid.Nil)
}

// createBinding grants the role on at most one of project and group.
func (s *Service) createBinding(ctx context.Context, role string, userID, project, group uuid.UUID) (Binding, error) {
	if userID == uuid.Nil {
		return Binding{}, apperr.Invalid("user_id is required")
	}
	if err := s.checkUser(ctx, userID); err != nil {
		return Binding{}, err
	}
	if project != uuid.Nil {
		if _, err := s.visibility(ctx, project); err != nil {
			return Binding{}, notFound(err, "project not found")
		}
	}
	if group != uuid.Nil {
		if _, err := s.groupVisibility(ctx, group); err != nil {
			return Binding{}, notFound(err, "group not found")
		}
	}
	var out Binding
	err := s.mutate(ctx, func(q *db.Queries, tx pgx.Tx) error {
		r, err := lookupRole(ctx, q, role)
		if err != nil {
			return err
		}
		b, err := q.CreateBinding(ctx, db.CreateBindingParams{RoleID: r.ID, UserID: userID, ProjectID: optUUID(project), GroupID: optUUID(group)})
		if err != nil {
			if err = store.MapError(err); errors.Is(err, store.ErrConflict) {
				return apperr.Conflict("the user already has role %q there", r.Name)
			}
			return err
		}
		out = Binding{ID: b.ID, RoleID: r.ID, RoleName: r.Name, UserID: userID, ProjectID: project, GroupID: group, CreatedAt: b.CreatedAt.Time}
		detail := map[string]any{"role": r.Name, "role_id": r.ID.String(), "user_id": userID.String()}
		if group != uuid.Nil {
			detail["group_id"] = group.String()
		}
		return s.audit(ctx, tx, AuditEvent{
			Action: "role.bind", Resource: "role_binding/" + b.ID.String(), ProjectID: project, Detail: detail,
		})
	})
	return out, err
}

// DeleteBinding removes a binding. The last installation-wide admin binding
// cannot be removed.
func (s *Service) DeleteBinding(ctx context.Context, id uuid.UUID) error {
	return s.mutate(ctx, func(q *db.Queries, tx pgx.Tx) error {
		b, err := q.GetBinding(ctx, id)
		if err != nil {
			return notFound(err, "role binding not found")
		}
		if b.RoleSystem && b.RoleName == RoleAdmin && !b.ProjectID.Valid && !b.GroupID.Valid {
			if _, err := s.keepOneAdmin(ctx, q, b.UserID); err != nil {
				return err
			}
		}
		n, err := q.DeleteBinding(ctx, id)
		if err != nil {
			return store.MapError(err)
		}
		if n == 0 {
			return apperr.NotFound("role binding not found")
		}
		return s.audit(ctx, tx, AuditEvent{
			Action: "role.unbind", Resource: "role_binding/" + id.String(), ProjectID: fromUUID(b.ProjectID),
			Detail: map[string]any{"role": b.RoleName, "role_id": b.RoleID.String(), "user_id": b.UserID.String()},
		})
	})
}

// keepOneAdmin locks the admin role (serializing every removal of an admin
// binding) and refuses when only one installation-wide admin binding is left.
func (s *Service) keepOneAdmin(ctx context.Context, q *db.Queries, leaving uuid.UUID) (uuid.UUID, error) {
	roleID, err := q.LockSystemRole(ctx, RoleAdmin)
	if err != nil {
		return uuid.Nil, store.MapError(err)
	}
	n, err := s.activeAdminsOtherThan(ctx, q, roleID, leaving)
	if err != nil {
		return uuid.Nil, err
	}
	if n == 0 {
		return uuid.Nil, apperr.FailedPrecondition("the last active installation-wide administrator cannot be removed")
	}
	return roleID, nil
}

// activeAdminsOtherThan counts active users other than leaving who hold
// the admin role installation-wide (deactivated admins do not count: they
// cannot sign in).
func (s *Service) activeAdminsOtherThan(ctx context.Context, q *db.Queries, roleID, leaving uuid.UUID) (int, error) {
	users, err := q.GlobalBindingUsers(ctx, roleID)
	if err != nil {
		return 0, store.MapError(err)
	}
	n := 0
	for _, u := range users {
		if u == leaving {
			continue
		}
		ok, err := s.userActive(ctx, u)
		if err != nil {
			return 0, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// KeepAnActiveAdmin refuses when deactivating user would leave no active
// installation-wide administrator. It takes the admin role's lock for the
// check, as every removal of an admin binding does.
func (s *Service) KeepAnActiveAdmin(ctx context.Context, user uuid.UUID) error {
	isAdmin, err := s.IsAdmin(ctx, user)
	if err != nil || !isAdmin {
		return err
	}
	return s.db.InTx(ctx, func(tx pgx.Tx) error {
		_, err := s.keepOneAdmin(ctx, s.q.WithTx(tx), user)
		return err
	})
}

// --- Admin helpers (for auth) -----------------------------------------------

// IsAdmin reports whether the user holds the admin role installation-wide.
func (s *Service) IsAdmin(ctx context.Context, userID uuid.UUID) (bool, error) {
	ok, err := s.q.HasGlobalSystemRole(ctx, db.HasGlobalSystemRoleParams{RoleName: RoleAdmin, UserID: userID})
	return ok, store.MapError(err)
}

// SetAdmin binds (or unbinds) the admin role installation-wide inside the
// caller's transaction, writing an audit row when something changed.
// Removing the last administrator is refused (apperr FailedPrecondition).
// The caller must call Invalidate once tx has committed.
func (s *Service) SetAdmin(ctx context.Context, tx pgx.Tx, userID uuid.UUID, admin bool) error {
	q := db.New(tx)
	if admin {
		roleID, err := q.LockSystemRole(ctx, RoleAdmin)
		if err != nil {
			return store.MapError(err)
		}
		n, err := q.BindGlobal(ctx, db.BindGlobalParams{RoleID: roleID, UserID: userID})
		if err != nil || n == 0 {
			return store.MapError(err)
		}
		return s.audit(ctx, tx, AuditEvent{
			Action: "role.bind", Resource: "user/" + userID.String(),
			Detail: map[string]any{"role": RoleAdmin, "user_id": userID.String()},
		})
	}
	has, err := q.HasGlobalSystemRole(ctx, db.HasGlobalSystemRoleParams{RoleName: RoleAdmin, UserID: userID})
	if err != nil || !has {
		return store.MapError(err)
	}
	roleID, err := s.keepOneAdmin(ctx, q, userID)
	if err != nil {
		return err
	}
	n, err := q.UnbindGlobal(ctx, db.UnbindGlobalParams{RoleID: roleID, UserID: userID})
	if err != nil || n == 0 {
		return store.MapError(err)
	}
	return s.audit(ctx, tx, AuditEvent{
		Action: "role.unbind", Resource: "user/" + userID.String(),
		Detail: map[string]any{"role": RoleAdmin, "user_id": userID.String()},
	})
}

// --- Delegations ------------------------------------------------------------

// CreateDelegation lends perms on project (uuid.Nil: installation-wide) from
// the delegator to delegate until expires. The delegator must hold every
// permission now through its own role bindings (what was lent to it cannot
// be passed on), and a token may only lend what its scopes cover.
func (s *Service) CreateDelegation(ctx context.Context, delegator Principal, delegate, project uuid.UUID, perms Set, reason string, expires time.Time) (Delegation, error) {
	switch {
	case delegator.IsAnonymous():
		return Delegation{}, apperr.Unauthenticated("sign in first")
	case delegator.Kind != User || delegator.UserID == uuid.Nil:
		return Delegation{}, apperr.PermissionDenied("only users can delegate")
	case delegate == uuid.Nil:
		return Delegation{}, apperr.Invalid("delegate_id is required")
	case delegate == delegator.UserID:
		return Delegation{}, apperr.Invalid("you cannot delegate to yourself")
	case perms == 0 || perms&^All != 0:
		return Delegation{}, apperr.Invalid("a delegation needs at least one known permission")
	case perms&adminPermissions != 0:
		// A delegate holding admin:* could bind itself a role and outlive the
		// delegation: installation administration is never lent.
		return Delegation{}, apperr.Invalid("admin permissions (%s) cannot be delegated", adminPermissions.Intersect(perms))
	}
	if err := checkText("reason", reason); err != nil {
		return Delegation{}, err
	}
	now := s.now()
	if !expires.After(now) {
		return Delegation{}, apperr.Invalid("the expiry must be in the future")
	}
	if expires.Sub(now) > MaxDelegation {
		return Delegation{}, apperr.Invalid("a delegation lasts at most 90 days")
	}
	if delegator.TokenID != uuid.Nil {
		if !delegator.TokenLimit.Contains(perms) {
			return Delegation{}, apperr.PermissionDenied("this token's scopes do not cover %s", (perms &^ delegator.TokenLimit).String())
		}
		if delegator.TokenProject != uuid.Nil && delegator.TokenProject != project {
			return Delegation{}, apperr.PermissionDenied("this token is limited to one project")
		}
	}
	if project != uuid.Nil {
		if _, err := s.visibility(ctx, project); err != nil {
			return Delegation{}, notFound(err, "project not found")
		}
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Delegation{}, err
	}
	var out Delegation
	err = s.mutate(ctx, func(q *db.Queries, tx pgx.Tx) error {
		held, err := bindingSet(ctx, q, delegator.UserID, project)
		if err != nil {
			return err
		}
		if !held.Contains(perms) {
			return apperr.PermissionDenied("you can only delegate permissions you hold (missing %s)", (perms &^ held).String())
		}
		d, err := q.CreateDelegation(ctx, db.CreateDelegationParams{
			ID: id, DelegatorID: delegator.UserID, DelegateID: delegate, ProjectID: optUUID(project),
			Permissions: perms.Names(), Reason: reason, CreatedAt: ts(now), ExpiresAt: ts(expires),
		})
		if err != nil {
			return store.MapError(err)
		}
		out = delegation(d)
		return s.audit(ctx, tx, AuditEvent{
			Action: "delegation.create", Resource: "delegation/" + id.String(), ProjectID: project,
			Detail: map[string]any{
				"delegate_id": delegate.String(), "permissions": perms.Names(),
				"expires_at": expires.UTC().Format(time.RFC3339), "reason": reason,
			},
		})
	})
	return out, err
}

// ListDelegations lists the delegations the caller granted or received (an
// installation-wide admin:roles holder: all of them), newest first, at most
// 1000; only active ones unless includeInactive.
func (s *Service) ListDelegations(ctx context.Context, caller Principal, includeInactive bool) ([]Delegation, error) {
	if caller.IsAnonymous() {
		return nil, apperr.Unauthenticated("sign in first")
	}
	everyone, err := s.isRoleAdmin(ctx, caller)
	if err != nil {
		return nil, err
	}
	rows, err := s.q.ListDelegations(ctx, db.ListDelegationsParams{
		Everyone: everyone, UserID: caller.UserID, IncludeInactive: includeInactive, Now: ts(s.now()),
	})
	if err != nil {
		return nil, store.MapError(err)
	}
	out := make([]Delegation, len(rows))
	for i, r := range rows {
		out[i] = delegation(r)
	}
	return out, nil
}

// RevokeDelegation ends a delegation. Callers authorize first: its
// delegator or an installation-wide admin:roles holder may (the API's
// rule). Revoking a revoked delegation succeeds and changes nothing.
func (s *Service) RevokeDelegation(ctx context.Context, caller Principal, id uuid.UUID) error {
	if caller.IsAnonymous() {
		return apperr.Unauthenticated("sign in first")
	}
	d, err := s.q.GetDelegation(ctx, id)
	if err != nil {
		return notFound(err, "delegation not found")
	}
	revoked := false
	err = s.db.InTx(ctx, func(tx pgx.Tx) error {
		n, err := db.New(tx).RevokeDelegation(ctx, db.RevokeDelegationParams{ID: id, Now: ts(s.now())})
		if err != nil || n == 0 {
			return store.MapError(err)
		}
		revoked = true
		return s.audit(ctx, tx, AuditEvent{
			Action: "delegation.revoke", Resource: "delegation/" + id.String(), ProjectID: fromUUID(d.ProjectID),
			Detail: map[string]any{"delegator_id": d.DelegatorID.String(), "delegate_id": d.DelegateID.String()},
		})
	})
	if err != nil {
		return err
	}
	if revoked {
		s.invalidateAfterCommit(ctx)
	}
	return nil
}

func (s *Service) isRoleAdmin(ctx context.Context, p Principal) (bool, error) {
	eff, err := s.Effective(ctx, p, uuid.Nil)
	return eff.Has(AdminRoles), err
}

// --- helpers ----------------------------------------------------------------

func lookupRole(ctx context.Context, q *db.Queries, role string) (db.Role, error) {
	var (
		r   db.Role
		err error
	)
	if id, perr := uuid.Parse(role); perr == nil {
		r, err = q.GetRole(ctx, id)
	} else {
		if role == "" {
			return r, apperr.Invalid("role is required")
		}
		r, err = q.GetRoleByName(ctx, role)
	}
	if err != nil {
		return r, notFound(err, "role not found")
	}
	return r, nil
}

func (s *Service) checkUser(ctx context.Context, userID uuid.UUID) error {
	if s.users == nil {
		return nil
	}
	if _, err := s.users.Active(ctx, userID); err != nil {
		return notFound(err, "user not found")
	}
	return nil
}

func (s *Service) visibility(ctx context.Context, project uuid.UUID) (Visibility, error) {
	if s.projects == nil {
		return Private, store.ErrNotFound
	}
	return s.projects.Visibility(ctx, project)
}

func (s *Service) role(r db.Role) Role {
	return Role{
		ID: r.ID, Name: r.Name, Description: r.Description, Permissions: s.parseStored(r.Permissions),
		System: r.System, CreatedAt: r.CreatedAt.Time,
	}
}

func delegation(d db.Delegation) Delegation {
	return Delegation{
		ID: d.ID, DelegatorID: d.DelegatorID, DelegateID: d.DelegateID, ProjectID: fromUUID(d.ProjectID),
		Permissions: parseKnown(d.Permissions), Reason: d.Reason, CreatedAt: d.CreatedAt.Time,
		ExpiresAt: d.ExpiresAt.Time, RevokedAt: d.RevokedAt.Time,
	}
}

// parseStored parses permission names read from the database, skipping
// (and logging) names this binary does not know: they grant nothing.
func (s *Service) parseStored(names []string) Set {
	set, unknown := parseLenient(names)
	if unknown != "" {
		s.log.Warn().Str("permission", unknown).Msg("rbac: ignoring an unknown stored permission")
	}
	return set
}

func parseKnown(names []string) Set {
	set, _ := parseLenient(names)
	return set
}

func parseLenient(names []string) (Set, string) {
	var (
		set     Set
		unknown string
	)
	for _, n := range names {
		p, err := ParsePermission(n)
		if err != nil {
			unknown = n
			continue
		}
		set |= SetOf(p)
	}
	return set, unknown
}

func checkText(field, v string) error {
	if len(v) > maxText {
		return apperr.Invalid("%s is longer than %d bytes", field, maxText)
	}
	return nil
}

// notFound turns store.ErrNotFound into a user-safe NotFound and passes
// every other error through.
func notFound(err error, msg string) error {
	err = store.MapError(err)
	if errors.Is(err, store.ErrNotFound) {
		return apperr.NotFound("%s", msg)
	}
	return err
}

func optUUID(id uuid.UUID) pgtype.UUID {
	if id == uuid.Nil {
		return pgtype.UUID{}
	}
	return pgtype.UUID{Bytes: id, Valid: true}
}

func fromUUID(id pgtype.UUID) uuid.UUID {
	if !id.Valid {
		return uuid.Nil
	}
	return id.Bytes
}

func ts(t time.Time) pgtype.Timestamptz { return pgtype.Timestamptz{Time: t, Valid: true} }
