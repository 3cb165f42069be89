package project

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/names"
	"github.com/hearth-dev/hearth/controlplane/internal/project/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/shared/gitref"
)

// Repositories creates and removes a project's repository (the git feature).
type Repositories interface {
	Create(ctx context.Context, projectID uuid.UUID, defaultBranch string) error
	Remove(ctx context.Context, projectID uuid.UUID) error
	// SetDefaultBranch points the repository's HEAD at branch.
	SetDefaultBranch(ctx context.Context, projectID uuid.UUID, branch string) error
}

// Roles grants the creator a role on the new project and decides which
// private projects a caller may list (rbac).
type Roles interface {
	// CreateBindingTx grants the role to the user on project inside tx,
	// with its audit row, so the project and its owner's binding commit
	// together; a binding the user holds already is an apperr Conflict
	// that leaves tx usable. Invalidate must follow the commit.
	CreateBindingTx(ctx context.Context, tx pgx.Tx, role string, userID, project uuid.UUID) (access.Binding, error)
	// Invalidate drops cached decisions after a committed change.
	Invalidate(ctx context.Context) error
	Authorizer
}

// Memberships manages membership (rbac): bindings on groups and projects,
// and decisions on a group's scope. Which group owns a project is this
// feature's own record (projects.owner_id), which rbac reads through the
// Directory.
type Memberships interface {
	CreateBinding(ctx context.Context, role string, userID, project uuid.UUID) (access.Binding, error)
	CreateGroupBinding(ctx context.Context, role string, userID, group uuid.UUID) (access.Binding, error)
	// CreateGroupBindingTx is CreateGroupBinding inside tx (the group's
	// creation); Roles.Invalidate must follow the commit.
	CreateGroupBindingTx(ctx context.Context, tx pgx.Tx, role string, userID, group uuid.UUID) (access.Binding, error)
	ListBindings(ctx context.Context, f access.BindingFilter) ([]access.Binding, error)
	RemoveMember(ctx context.Context, user, project, group uuid.UUID, keepAdmin bool) (int, error)
	AuthorizeGroup(ctx context.Context, p access.Principal, perm access.Permission, group uuid.UUID) error
	// CheckGrant refuses (PermissionDenied) unless p holds, through its own
	// role bindings on the project or group, project:admin and every
	// permission of role.
	CheckGrant(ctx context.Context, p access.Principal, role string, project, group uuid.UUID) error
	// CheckManageMembers refuses (PermissionDenied) unless p holds
	// project:admin through its own role bindings on the project or group.
	CheckManageMembers(ctx context.Context, p access.Principal, project, group uuid.UUID) error
	// ListScopeBindings pages the bindings on one project or group.
	ListScopeBindings(ctx context.Context, project, group uuid.UUID, afterTime time.Time, afterID uuid.UUID, limit int) (access.ScopeBindingsPage, error)
}

// Users looks users up by name (auth): group names share the owner
// namespace with usernames, and members are named by username.
type Users interface {
	// UserByName returns the user's id and username as stored; apperr
	// NotFound for an unknown user.
	UserByName(ctx context.Context, name string) (uuid.UUID, string, error)
	// UserName returns the username of the user with id.
	UserName(ctx context.Context, id uuid.UUID) (string, error)
	// UserNames returns the usernames of the users with ids in one lookup;
	// unknown ids are absent.
	UserNames(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]string, error)
}

// OwnerRole is the role a project's creator gets on it.
const OwnerRole = access.RoleMaintainer

// Deps is what the service needs.
type Deps struct {
	DB           *store.DB
	Logger       zerolog.Logger
	Repositories Repositories
	Roles        Roles
	// Events receives issue and merge request events (nil: RecordedEvents).
	Events EventSink
	// Memberships and Users serve groups and members; nil: groups, members,
	// and transfers are unavailable.
	Memberships Memberships
	Users       Users
}

// Service manages projects.
type Service struct {
	db     *store.DB
	q      *db.Queries
	log    zerolog.Logger
	repos  Repositories
	roles  Roles
	events EventSink
	member Memberships
	users  Users
}

// New builds the service.
func New(d Deps) (*Service, error) {
	if d.DB == nil || d.Repositories == nil || d.Roles == nil {
		return nil, errors.New("project: DB, Repositories and Roles are required")
	}
	if d.Events == nil {
		d.Events = RecordedEvents{}
	}
	return &Service{
		db: d.DB, q: db.New(d.DB), log: d.Logger, repos: d.Repositories, roles: d.Roles, events: d.Events,
		member: d.Memberships, users: d.Users,
	}, nil
}

// Project is one project.
type Project struct {
	ID uuid.UUID
	// OwnerID is a user's or a group's id, as OwnerKind says.
	OwnerID       uuid.UUID
	OwnerKind     OwnerKind
	Owner         string
	Name          string
	Description   string
	Visibility    access.Visibility
	DefaultBranch string
	CreatedAt     time.Time
	// Archived projects are read-only (requireWritable).
	Archived bool
}

// OwnerKind is what owns a project.
type OwnerKind string

// Owner kinds, as stored.
const (
	OwnedByUser  OwnerKind = "user"
	OwnedByGroup OwnerKind = "group"
)

var validName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$`)

// ValidName reports whether name may name a project (and so a URL path
// segment): no "..", no ".git" suffix, no leading '.' or '-'.
func ValidName(name string) bool {
	return validName.MatchString(name) && !strings.HasSuffix(strings.ToLower(name), ".git") &&
		!strings.Contains(name, "..")
}

// Create makes a project owned by the caller, with its repository, and
// makes the caller its maintainer.
func (s *Service) Create(ctx context.Context, owner access.Principal, name, description string, vis access.Visibility, defaultBranch string) (Project, error) {
	return s.CreateIn(ctx, owner, "", name, description, vis, defaultBranch)
}

// CreateIn makes a project in namespace: a group, where the caller needs
// project:admin (its maintainers create projects, as in GitLab) and whose
// members then reach the project through their group roles; or, when
// namespace is empty or the caller's username, the caller's own namespace,
// making the caller the project's maintainer.
func (s *Service) CreateIn(ctx context.Context, owner access.Principal, namespace, name, description string, vis access.Visibility, defaultBranch string) (Project, error) {
	if owner.IsAnonymous() || owner.Username == "" {
		return Project{}, apperr.Unauthenticated("sign in first")
	}
	ns, err := s.namespace(ctx, owner, namespace)
	if err != nil {
		return Project{}, err
	}
	if !ValidName(name) {
		return Project{}, invalidName(name)
	}
	if err := names.CheckProject(name); err != nil {
		return Project{}, err
	}
	if defaultBranch == "" {
		defaultBranch = "main"
	}
	if !gitref.ValidBranchName(defaultBranch) {
		return Project{}, apperr.Invalid("default branch %q is not a valid branch name", truncate(defaultBranch))
	}
	if len(description) > 2000 {
		return Project{}, apperr.Invalid("description: at most 2000 characters")
	}
	var out Project
	err = s.db.InTx(ctx, func(tx pgx.Tx) error {
		row, err := s.q.WithTx(tx).CreateProject(ctx, db.CreateProjectParams{
			OwnerID: ns.id, OwnerName: ns.name, OwnerKind: string(ns.kind), Name: name, Description: description,
			Visibility: visibilityName(vis), DefaultBranch: defaultBranch,
		})
		if err != nil {
			if errors.Is(err, store.ErrConflict) {
				return apperr.Conflict("%s already has a project named %q", ns.name, name)
			}
			return err
		}
		out = fromRow(row)
		if err := audit.Record(ctx, tx, audit.Event{
			Action: "project.create", Resource: "project/" + row.ID.String(), ProjectID: row.ID,
			Detail: map[string]any{"name": name, "visibility": row.Visibility, "namespace": ns.name, "namespace_kind": string(ns.kind)},
		}); err != nil {
			return err
		}
		if err := s.bindOwner(ctx, tx, ns, owner, row.ID); err != nil {
			return err
		}
		// The repository is created last inside the transaction: if it
		// fails, no project row is left without its repository.
		return s.repos.Create(ctx, row.ID, defaultBranch)
	})
	if err != nil {
		return Project{}, err
	}
	s.invalidate(ctx)
	return out, nil
}

// bindOwner, in the transaction creating the project, makes the creator
// its maintainer, so no project is ever left that nobody may administer. A
// group's project needs no binding: the group's maintainers administer it
// (rbac asks the Directory which group owns a project).
func (s *Service) bindOwner(ctx context.Context, tx pgx.Tx, ns owner, creator access.Principal, project uuid.UUID) error {
	if ns.kind == OwnedByGroup {
		return nil
	}
	if _, err := s.roles.CreateBindingTx(ctx, tx, OwnerRole, creator.UserID, project); err != nil {
		return fmt.Errorf("making the owner maintainer: %w", err)
	}
	return nil
}

// ByPath finds a project by owner and name (case-insensitively). It does
// not authorize: callers check project:read with the id it returns.
func (s *Service) ByPath(ctx context.Context, owner, name string) (Project, error) {
	if !ValidName(name) || !validName.MatchString(owner) {
		return Project{}, apperr.NotFound("project not found")
	}
	row, err := s.q.GetProjectByPath(ctx, db.GetProjectByPathParams{OwnerName: owner, Name: name})
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return Project{}, apperr.NotFound("project not found")
		}
		return Project{}, err
	}
	return fromRow(row), nil
}

// ByID finds a project by id (no authorization).
func (s *Service) ByID(ctx context.Context, id uuid.UUID) (Project, error) {
	row, err := s.q.GetProject(ctx, id)
	if err != nil {
		return Project{}, err
	}
	return fromRow(row), nil
}

func fromRow(r db.Project) Project {
	return Project{
		ID: r.ID, OwnerID: r.OwnerID, OwnerKind: OwnerKind(r.OwnerKind), Owner: r.OwnerName, Name: r.Name,
		Description: r.Description, Visibility: parseVisibility(r.Visibility), DefaultBranch: r.DefaultBranch,
		CreatedAt: r.CreatedAt, Archived: r.ArchivedAt != nil,
	}
}

func visibilityName(v access.Visibility) string {
	switch v {
	case access.Public:
		return "public"
	case access.Internal:
		return "internal"
	default:
		return "private"
	}
}

func parseVisibility(s string) access.Visibility {
	switch s {
	case "public":
		return access.Public
	case "internal":
		return access.Internal
	default:
		return access.Private
	}
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
