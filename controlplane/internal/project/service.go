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

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/project/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/rbac"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
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
	CreateBinding(ctx context.Context, role string, userID, project uuid.UUID) (rbac.Binding, error)
	Authorizer
}

// OwnerRole is the role a project's creator gets on it.
const OwnerRole = rbac.RoleMaintainer

// Deps is what the service needs.
type Deps struct {
	DB           *store.DB
	Logger       zerolog.Logger
	Repositories Repositories
	Roles        Roles
}

// Service manages projects.
type Service struct {
	db    *store.DB
	q     *db.Queries
	log   zerolog.Logger
	repos Repositories
	roles Roles
}

// New builds the service.
func New(d Deps) (*Service, error) {
	if d.DB == nil || d.Repositories == nil || d.Roles == nil {
		return nil, errors.New("project: DB, Repositories and Roles are required")
	}
	return &Service{db: d.DB, q: db.New(d.DB.Pool), log: d.Logger, repos: d.Repositories, roles: d.Roles}, nil
}

// Project is one project.
type Project struct {
	ID            uuid.UUID
	OwnerID       uuid.UUID
	Owner         string
	Name          string
	Description   string
	Visibility    rbac.Visibility
	DefaultBranch string
	CreatedAt     time.Time
}

var (
	validName   = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$`)
	validBranch = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_./-]{0,199}$`)
)

// ValidName reports whether name may name a project (and so a URL path
// segment): no "..", no ".git" suffix, no leading '.' or '-'.
func ValidName(name string) bool {
	return validName.MatchString(name) && !strings.HasSuffix(strings.ToLower(name), ".git") &&
		!strings.Contains(name, "..")
}

// Create makes a project owned by the caller, with its repository, and
// makes the caller its maintainer.
func (s *Service) Create(ctx context.Context, owner rbac.Principal, name, description string, vis rbac.Visibility, defaultBranch string) (Project, error) {
	if owner.IsAnonymous() || owner.Username == "" {
		return Project{}, apperr.Unauthenticated("sign in first")
	}
	if !ValidName(name) {
		return Project{}, apperr.Invalid("project name %q: use 1-100 letters, digits, '.', '_' or '-', not starting with '.' or '-', without '..' or a .git suffix", truncate(name))
	}
	if defaultBranch == "" {
		defaultBranch = "main"
	}
	if !validBranchName(defaultBranch) {
		return Project{}, apperr.Invalid("default branch %q is not a valid branch name", truncate(defaultBranch))
	}
	if len(description) > 2000 {
		return Project{}, apperr.Invalid("description: at most 2000 characters")
	}
	var out Project
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		row, err := s.q.WithTx(tx).CreateProject(ctx, db.CreateProjectParams{
			OwnerID: owner.UserID, OwnerName: owner.Username, Name: name, Description: description,
			Visibility: visibilityName(vis), DefaultBranch: defaultBranch,
		})
		if err != nil {
			if err = store.MapError(err); errors.Is(err, store.ErrConflict) {
				return apperr.Conflict("you already have a project named %q", name)
			}
			return err
		}
		out = fromRow(row)
		if err := audit.Record(ctx, tx, audit.Event{
			Action: "project.create", Resource: "project/" + row.ID.String(), ProjectID: row.ID,
			Detail: map[string]any{"name": name, "visibility": row.Visibility},
		}); err != nil {
			return err
		}
		// The repository is created inside the transaction: if it fails,
		// no project row is left without its repository.
		return s.repos.Create(ctx, row.ID, defaultBranch)
	})
	if err != nil {
		return Project{}, err
	}
	if _, err := s.roles.CreateBinding(ctx, OwnerRole, owner.UserID, out.ID); err != nil {
		s.undoCreate(out.ID)
		return Project{}, fmt.Errorf("making the owner maintainer: %w", err)
	}
	return out, nil
}

func validBranchName(b string) bool {
	return validBranch.MatchString(b) && !strings.Contains(b, "..") && !strings.HasSuffix(b, ".lock") &&
		!strings.Contains(b, "//") && !strings.HasSuffix(b, "/") && !strings.HasSuffix(b, ".")
}

// undoCreate removes a project whose owner could not be bound, so no
// project is left that nobody may administer.
func (s *Service) undoCreate(id uuid.UUID) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.q.DeleteProject(ctx, id); err != nil {
		s.log.Error().Err(err).Str("project_id", id.String()).Msg("could not remove a half-created project")
	}
	if err := s.repos.Remove(ctx, id); err != nil {
		s.log.Error().Err(err).Str("project_id", id.String()).Msg("could not remove a half-created repository")
	}
}

// ByPath finds a project by owner and name (case-insensitively). It does
// not authorize: callers check project:read with the id it returns.
func (s *Service) ByPath(ctx context.Context, owner, name string) (Project, error) {
	if !ValidName(name) || !validName.MatchString(owner) {
		return Project{}, apperr.NotFound("project not found")
	}
	row, err := s.q.GetProjectByPath(ctx, db.GetProjectByPathParams{OwnerName: owner, Name: name})
	if err != nil {
		if err = store.MapError(err); errors.Is(err, store.ErrNotFound) {
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
		return Project{}, store.MapError(err)
	}
	return fromRow(row), nil
}

// Visibility answers rbac: who may read the project.
func (s *Service) Visibility(ctx context.Context, id uuid.UUID) (rbac.Visibility, error) {
	p, err := s.ByID(ctx, id)
	if err != nil {
		return 0, err
	}
	return p.Visibility, nil
}

func fromRow(r db.Project) Project {
	return Project{
		ID: r.ID, OwnerID: r.OwnerID, Owner: r.OwnerName, Name: r.Name, Description: r.Description,
		Visibility: parseVisibility(r.Visibility), DefaultBranch: r.DefaultBranch, CreatedAt: r.CreatedAt,
	}
}

func visibilityName(v rbac.Visibility) string {
	switch v {
	case rbac.Public:
		return "public"
	case rbac.Internal:
		return "internal"
	default:
		return "private"
	}
}

func parseVisibility(s string) rbac.Visibility {
	switch s {
	case "public":
		return rbac.Public
	case "internal":
		return rbac.Internal
	default:
		return rbac.Private
	}
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
