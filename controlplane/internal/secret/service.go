package secret

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/secret/envelope"
	"github.com/hearth-dev/hearth/controlplane/internal/secret/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/shared/logmask"
)

// Usage is what may receive a secret.
type Usage string

// Usages.
const (
	UsagePipeline     Usage = "pipeline"
	UsageAgentSession Usage = "agent_session"
	UsageDeploy       Usage = "deploy"
)

// Limits of a secret.
const (
	// MinValueBytes: shorter values could not be masked in logs without
	// masking ordinary text (GitLab's masked variables need 8 too).
	MinValueBytes = logmask.MinLen
	MaxValueBytes = 64 << 10
	// MaxDescription bounds a description, in characters.
	MaxDescription = 1000
)

var (
	validName        = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)
	validEnvironment = regexp.MustCompile(`^[a-z0-9]([a-z0-9._/-]{0,62}[a-z0-9])?$`)
)

// ValidName reports whether name is a secret name.
func ValidName(name string) bool { return validName.MatchString(name) }

// Secret is a secret's metadata; there is no value.
type Secret struct {
	ID          uuid.UUID
	Scope       Scope
	Name        string
	Environment string
	Protected   bool
	Usages      []Usage
	Description string
	Version     int32
	CreatedAt   time.Time
	UpdatedAt   time.Time
	UpdatedBy   string
}

// Input is a secret to set. A nil Value keeps an existing secret's value.
type Input struct {
	Name        string
	Environment string
	Protected   bool
	// Usages: empty means pipelines only.
	Usages      []Usage
	Description string
	Value       []byte
}

// Projects is what the secrets feature needs of projects and groups: the
// group a project belongs to (uuid.Nil: none), for group secrets, and the
// ids the API's paths name (an unknown one is apperr NotFound).
type Projects interface {
	GroupOf(ctx context.Context, projectID uuid.UUID) (uuid.UUID, error)
	ProjectID(ctx context.Context, owner, name string) (uuid.UUID, error)
	GroupID(ctx context.Context, name string) (uuid.UUID, error)
}

// Deps is what New needs.
type Deps struct {
	DB       *store.DB
	Keys     *envelope.Keyring
	Projects Projects
	Logger   zerolog.Logger
}

// Service keeps secrets.
type Service struct {
	db       *store.DB
	q        *db.Queries
	keys     *envelope.Keyring
	projects Projects
	log      zerolog.Logger
}

// New returns the service. Call Verify before serving.
func New(d Deps) (*Service, error) {
	if d.DB == nil || d.Keys == nil || d.Projects == nil {
		return nil, errors.New("secret: DB, Keys and Projects are required")
	}
	return &Service{db: d.DB, q: db.New(d.DB), keys: d.Keys, projects: d.Projects, log: d.Logger}, nil
}

// Verify checks that the configured root keys open every data key in the
// database: each root key in use must be configured and open one of its
// data keys. A wrong or missing root key is an error at start, never an
// empty secret later.
func (s *Service) Verify(ctx context.Context) error {
	rows, err := s.q.OneKeyPerRoot(ctx)
	if err != nil {
		return err
	}
	for _, r := range rows {
		root, ok := s.keys.Key(r.RootKeyID)
		if !ok {
			return fmt.Errorf("secrets: %d data keys are wrapped by root key %s, which is not configured "+
				"(give it with --secrets-root-key-file, or with --secrets-previous-root-key-file while rotating to a new one)", r.Keys, r.RootKeyID)
		}
		if _, err := root.Unwrap(r.Wrapped, keyAD(r.ID, scopeOf(r.ProjectID, r.GroupID))); err != nil {
			return fmt.Errorf("secrets: root key %s does not open data key %s: the key file holds another key with the same fingerprint, or the database was tampered with", r.RootKeyID, r.ID)
		}
	}
	return nil
}

func (in *Input) validate(existing bool) error {
	if !validName.MatchString(in.Name) {
		return apperr.Invalid("secret name %q is not valid: letters, digits and '_', not starting with a digit, at most 128", in.Name)
	}
	if in.Environment != "" && !validEnvironment.MatchString(in.Environment) {
		return apperr.Invalid("environment %q is not valid: lower-case letters, digits, '.', '_', '-' and '/', at most 64", in.Environment)
	}
	if utf8.RuneCountInString(in.Description) > MaxDescription || !utf8.ValidString(in.Description) {
		return apperr.Invalid("description must be valid UTF-8 of at most %d characters", MaxDescription)
	}
	if len(in.Usages) == 0 {
		in.Usages = []Usage{UsagePipeline}
	}
	for _, u := range in.Usages {
		if u != UsagePipeline && u != UsageAgentSession && u != UsageDeploy {
			return apperr.Invalid("usage %q is not one of pipeline, agent_session, deploy", u)
		}
	}
	slices.Sort(in.Usages)
	in.Usages = slices.Compact(in.Usages)
	switch {
	case in.Value == nil && !existing:
		return apperr.Invalid("a new secret needs a value")
	case in.Value == nil:
	case len(in.Value) < MinValueBytes:
		return apperr.Invalid("a secret value must be at least %d bytes, so that it can be masked in job logs", MinValueBytes)
	case len(in.Value) > MaxValueBytes:
		return apperr.Invalid("a secret value must be at most %d bytes", MaxValueBytes)
	}
	return nil
}

// List returns a scope's secrets by name and environment.
func (s *Service) List(ctx context.Context, sc Scope) ([]Secret, error) {
	rows, err := s.q.ListSecrets(ctx, db.ListSecretsParams{ProjectID: sc.projectArg(), GroupID: sc.groupArg()})
	if err != nil {
		return nil, err
	}
	out := make([]Secret, len(rows))
	for i, r := range rows {
		out[i] = toSecret(r)
	}
	return out, nil
}

func toSecret(r db.Secret) Secret {
	us := make([]Usage, len(r.Usages))
	for i, u := range r.Usages {
		us[i] = Usage(u)
	}
	return Secret{
		ID: r.ID, Scope: scopeOf(r.ProjectID, r.GroupID), Name: r.Name, Environment: r.Environment, Protected: r.Protected,
		Usages: us, Description: r.Description, Version: r.Version, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, UpdatedBy: r.UpdatedByName,
	}
}

func usageStrings(us []Usage) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = string(u)
	}
	return out
}

// Set creates a secret or changes it; a value adds a version.
func (s *Service) Set(ctx context.Context, sc Scope, in Input) (Secret, error) {
	p := access.PrincipalFrom(ctx)
	var out Secret
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		cur, err := q.LockSecret(ctx, db.LockSecretParams{ProjectID: sc.projectArg(), GroupID: sc.groupArg(), Name: in.Name, Environment: in.Environment})
		existing := err == nil
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := in.validate(existing); err != nil {
			return err
		}
		var row db.Secret
		if !existing {
			id, err := uuid.NewV7()
			if err != nil {
				return err
			}
			row, err = q.InsertSecret(ctx, db.InsertSecretParams{
				ID: id, ProjectID: sc.projectArg(), GroupID: sc.groupArg(), Name: in.Name, Environment: in.Environment,
				Protected: in.Protected, Usages: usageStrings(in.Usages), Description: in.Description,
				UpdatedBy: ptr(p.UserID), UpdatedByName: p.Username,
			})
			if errors.Is(err, store.ErrNotFound) {
				return apperr.Conflict("secret %s was created at the same time; try again", in.Name)
			}
			if err != nil {
				return err
			}
		} else {
			version := cur.Version
			if in.Value != nil {
				version++
			}
			if row, err = q.UpdateSecret(ctx, db.UpdateSecretParams{
				ID: cur.ID, Protected: in.Protected, Usages: usageStrings(in.Usages), Description: in.Description, Version: version,
				UpdatedBy: ptr(p.UserID), UpdatedByName: p.Username,
			}); err != nil {
				return err
			}
		}
		if in.Value != nil {
			keyID, dek, err := s.activeKey(ctx, q, sc)
			if err != nil {
				return err
			}
			sealed, err := envelope.Seal(dek, in.Value, valueAD(row.ID, sc, row.Version))
			if err != nil {
				return err
			}
			if err := q.InsertVersion(ctx, db.InsertVersionParams{
				SecretID: row.ID, Version: row.Version, KeyID: keyID, Ciphertext: sealed, CreatedBy: ptr(p.UserID), CreatedByName: p.Username,
			}); err != nil {
				return err
			}
		}
		out = toSecret(row)
		return audit.Record(ctx, tx, audit.Event{
			Action: "secret.set", Resource: "secret/" + row.ID.String(), ProjectID: sc.Project,
			Detail: map[string]any{
				"scope": sc.String(), "name": row.Name, "environment": row.Environment, "version": row.Version,
				"value_changed": in.Value != nil, "protected": row.Protected, "usages": row.Usages,
			},
		})
	})
	return out, err
}

// activeKey returns the scope's active DEK, creating it on first use.
func (s *Service) activeKey(ctx context.Context, q *db.Queries, sc Scope) (uuid.UUID, []byte, error) {
	for range 2 {
		k, err := q.ActiveKey(ctx, db.ActiveKeyParams{ProjectID: sc.projectArg(), GroupID: sc.groupArg()})
		if err == nil {
			dek, err := s.unwrap(k.ID, sc, k.Wrapped, k.RootKeyID)
			return k.ID, dek, err
		}
		if !errors.Is(err, store.ErrNotFound) {
			return uuid.Nil, nil, err
		}
		if _, err := s.createKey(ctx, q, sc); err != nil {
			return uuid.Nil, nil, err
		}
	}
	return uuid.Nil, nil, errors.New("secret: the scope's data key vanished while it was created")
}

// createKey inserts a new active DEK for the scope (none if a concurrent
// transaction just did; the caller reads the active one again).
func (s *Service) createKey(ctx context.Context, q *db.Queries, sc Scope) (uuid.UUID, error) {
	dek, err := envelope.NewDEK()
	if err != nil {
		return uuid.Nil, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.Nil, err
	}
	root := s.keys.Primary()
	wrapped, err := root.Wrap(dek, keyAD(id, sc))
	if err != nil {
		return uuid.Nil, err
	}
	_, err = q.InsertKey(ctx, db.InsertKeyParams{ID: id, ProjectID: sc.projectArg(), GroupID: sc.groupArg(), Wrapped: wrapped, RootKeyID: root.ID()})
	return id, err
}

func (s *Service) unwrap(keyID uuid.UUID, sc Scope, wrapped []byte, rootID string) ([]byte, error) {
	root, ok := s.keys.Key(rootID)
	if !ok {
		return nil, fmt.Errorf("secret: data key %s is wrapped by root key %s, which is not configured", keyID, rootID)
	}
	dek, err := root.Unwrap(wrapped, keyAD(keyID, sc))
	if err != nil {
		return nil, fmt.Errorf("secret: data key %s: %w", keyID, err)
	}
	return dek, nil
}

// Delete deletes a secret and every version of it.
func (s *Service) Delete(ctx context.Context, sc Scope, name, environment string) error {
	return s.db.InTx(ctx, func(tx pgx.Tx) error {
		n, err := s.q.WithTx(tx).DeleteSecret(ctx, db.DeleteSecretParams{ProjectID: sc.projectArg(), GroupID: sc.groupArg(), Name: name, Environment: environment})
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.NotFound("secret not found")
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "secret.delete", Resource: "secret/" + sc.String() + "/" + name, ProjectID: sc.Project,
			Detail: map[string]any{"scope": sc.String(), "name": name, "environment": environment},
		})
	})
}
