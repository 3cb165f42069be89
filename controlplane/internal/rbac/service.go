package rbac

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/rbac/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// DefaultCacheTTL bounds how long a cached decision may outlive a change
// whose invalidation was lost.
const DefaultCacheTTL = 5 * time.Minute

// maxText bounds role descriptions and delegation reasons (as the schema does).
const maxText = 500

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

// ProjectVisibility reports a project's visibility (project implements it).
type ProjectVisibility interface {
	// Visibility returns store.ErrNotFound (wrapped) for an unknown project.
	Visibility(ctx context.Context, projectID uuid.UUID) (access.Visibility, error)
}

// Deps is what the rbac service needs.
type Deps struct {
	DB *store.DB
	// Cache holds effective permission sets; nil: every decision is
	// computed from PostgreSQL.
	Cache  Cache
	Logger zerolog.Logger
	// Users is nil until auth provides it: every user is then active.
	Users UserStatus
	// Projects is nil until projects exist: every project id is then unknown.
	Projects ProjectVisibility
	// Groups is nil until groups exist: every group id is then unknown
	// and no project has one.
	Groups Groups
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
	cache    Cache
	log      zerolog.Logger
	users    UserStatus
	projects ProjectVisibility
	groups   Groups
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
	if d.CacheTTL < 0 {
		return nil, errors.New("rbac: CacheTTL must not be negative")
	}
	s := &Service{
		db: d.DB, q: db.New(d.DB), cache: d.Cache, log: d.Logger,
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
		s.log.Error().Err(err).Dur(logfield.TTL, s.ttl).
			Msg("rbac: could not invalidate the permission cache; cached decisions may be stale until they expire")
	}
}

func (s *Service) checkUser(ctx context.Context, userID uuid.UUID) error {
	if s.users == nil {
		return nil
	}
	if _, err := s.users.Active(ctx, userID); err != nil {
		return apperr.IfNotFound(err, "user not found")
	}
	return nil
}

func (s *Service) visibility(ctx context.Context, project uuid.UUID) (access.Visibility, error) {
	if s.projects == nil {
		return access.Private, store.ErrNotFound
	}
	return s.projects.Visibility(ctx, project)
}

// parseStored parses permission names read from the database, skipping
// (and logging) names this binary does not know: they grant nothing.
func (s *Service) parseStored(names []string) access.Set {
	set, unknown := parseLenient(names)
	if unknown != "" {
		s.log.Warn().Str(logfield.Permission, unknown).Msg("rbac: ignoring an unknown stored permission")
	}
	return set
}

func parseKnown(names []string) access.Set {
	set, _ := parseLenient(names)
	return set
}

func parseLenient(names []string) (access.Set, string) {
	var (
		set     access.Set
		unknown string
	)
	for _, n := range names {
		p, err := access.ParsePermission(n)
		if err != nil {
			unknown = n
			continue
		}
		set |= access.SetOf(p)
	}
	return set, unknown
}

func checkText(field, v string) error {
	if len(v) > maxText {
		return apperr.Invalid("%s is longer than %d bytes", field, maxText)
	}
	return nil
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
