package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/auth/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// InitialAdminPasswordFile is the file under the data directory that
// receives the first administrator's password.
const InitialAdminPasswordFile = "initial-admin-password"

// Initial administrator's account names.
const (
	InitialAdminUsername = "admin"
	InitialAdminEmail    = "admin@hearth.invalid"
)

// Roles is what auth needs of rbac: the installation-wide admin role and the
// permission cache. rbac's service satisfies it.
type Roles interface {
	// IsAdmin reports whether the user holds the installation-wide admin role.
	IsAdmin(ctx context.Context, userID uuid.UUID) (bool, error)
	// SetAdmin grants or removes the admin role inside tx.
	SetAdmin(ctx context.Context, tx pgx.Tx, userID uuid.UUID, admin bool) error
	// Invalidate drops cached decisions after a change that can alter them.
	Invalidate(ctx context.Context) error
	// Effective is what p holds on project (uuid.Nil: installation-wide),
	// already narrowed by a token's scopes.
	Effective(ctx context.Context, p access.Principal, project uuid.UUID) (access.Set, error)
	// KeepAnActiveAdmin refuses when deactivating user would leave no
	// active installation-wide administrator.
	KeepAnActiveAdmin(ctx context.Context, user uuid.UUID) error
}

// SessionConfig times browser sessions. Zero fields take the defaults.
type SessionConfig struct {
	// IdleTimeout ends a session unused for this long (default 24h).
	IdleTimeout time.Duration
	// MaxAge ends a session this long after sign-in whatever its use
	// (default 30 days).
	MaxAge time.Duration
}

// ThrottleConfig bounds failed sign-ins. No limit ever locks an account
// for everyone: an account is only slowed down, and refusals are for the
// address that failed. Zero fields take the defaults.
type ThrottleConfig struct {
	// Window is how long failures are counted (default 15 minutes).
	Window time.Duration
	// PerPair failures from one address (IPv6: its /64) on one account per
	// window refuse that address on that account until the window ends
	// (default 5).
	PerPair int64
	// PerAddress failures from one address across all accounts per window
	// refuse that address (password spraying; default 100).
	PerAddress int64
	// Spacing paces each account, across all addresses: one attempt per
	// Spacing from addresses that already failed on it, and one from
	// addresses that did not (default 1s).
	Spacing time.Duration
}

// Defaults of SessionConfig and ThrottleConfig.
const (
	DefaultSessionIdleTimeout = 24 * time.Hour
	DefaultSessionMaxAge      = 30 * 24 * time.Hour
	DefaultThrottleWindow     = 15 * time.Minute
	DefaultThrottlePerPair    = 5
	DefaultThrottlePerAddress = 100
	DefaultThrottleSpacing    = time.Second
)

// touchInterval is how stale last_seen_at / last_used_at may get before a
// request writes it again.
const touchInterval = time.Minute

// Deps is what the auth service needs.
type Deps struct {
	DB     *store.DB
	Logger zerolog.Logger
	// Roles binds and reads the admin role (rbac). Required.
	Roles Roles
	// Counters holds the sign-in failure counters (Redis). Required; see
	// NewRedisCounters.
	Counters Counters
	// Password is argon2id's cost (zero: DefaultPasswordParams).
	Password PasswordParams
	// Hasher overrides the argon2id hasher built from Password (tests).
	Hasher   Hasher
	Sessions SessionConfig
	Throttle ThrottleConfig
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Namespaces says which names groups hold (usernames and group names
	// share the /{owner}/… URL space); nil: none.
	Namespaces Namespaces
}

// Namespaces answers whether a name is taken outside auth (by a group).
type Namespaces interface {
	NameTaken(ctx context.Context, name string) (bool, error)
}

// Service manages users, sessions and API tokens.
type Service struct {
	db       *store.DB
	queries  *db.Queries
	log      zerolog.Logger
	roles    Roles
	names    Namespaces
	counters Counters
	hasher   Hasher
	// dummyHash is verified when a sign-in names no user, so that unknown
	// and known users cost the same work.
	dummyHash string
	sessions  SessionConfig
	throttle  ThrottleConfig
	now       func() time.Time
}

// New builds the service. It hashes a random password once (the dummy hash
// for unknown users), so it costs one password hash.
func New(d Deps) (*Service, error) {
	switch {
	case d.DB == nil:
		return nil, errors.New("auth: DB is required")
	case d.Roles == nil:
		return nil, errors.New("auth: Roles is required")
	case d.Counters == nil:
		return nil, errors.New("auth: Counters is required")
	}
	if d.Password == (PasswordParams{}) {
		d.Password = DefaultPasswordParams
	}
	if d.Hasher == nil {
		d.Hasher = Argon2Hasher{Params: d.Password}
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	d.Sessions.IdleTimeout = orDefault(d.Sessions.IdleTimeout, DefaultSessionIdleTimeout)
	d.Sessions.MaxAge = orDefault(d.Sessions.MaxAge, DefaultSessionMaxAge)
	d.Throttle.Window = orDefault(d.Throttle.Window, DefaultThrottleWindow)
	d.Throttle.PerPair = orDefault(d.Throttle.PerPair, DefaultThrottlePerPair)
	d.Throttle.PerAddress = orDefault(d.Throttle.PerAddress, DefaultThrottlePerAddress)
	d.Throttle.Spacing = orDefault(d.Throttle.Spacing, DefaultThrottleSpacing)
	if d.Sessions.IdleTimeout < 0 || d.Sessions.MaxAge < 0 || d.Throttle.Window < 0 ||
		d.Throttle.PerPair < 0 || d.Throttle.PerAddress < 0 || d.Throttle.Spacing < time.Millisecond {
		return nil, errors.New("auth: negative session or throttle setting")
	}
	dummyPassword, err := randomSecret()
	if err != nil {
		return nil, err
	}
	dummy, err := d.Hasher.Hash(dummyPassword)
	if err != nil {
		return nil, fmt.Errorf("auth: dummy hash: %w", err)
	}
	return &Service{
		db: d.DB, queries: db.New(d.DB), log: d.Logger, roles: d.Roles, names: d.Namespaces, counters: d.Counters,
		hasher: d.Hasher, dummyHash: dummy, sessions: d.Sessions, throttle: d.Throttle, now: d.Now,
	}, nil
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// EnsureInitialAdmin creates the administrator "admin" when the
// installation has no user at all and binds it the admin role in the same
// transaction. With password empty it picks a random one, writes it to
// dataDir/initial-admin-password (mode 0600, before the user exists, so a
// crash can never leave an admin whose password nobody knows) and makes the
// admin change it at first sign-in; with a password (HEARTH_ADMIN_PASSWORD)
// it writes no file. It never logs the password. Safe to call from several
// replicas at once: one of them creates the user, the others find it exists.
// It reports whether this call created it.
func (s *Service) EnsureInitialAdmin(ctx context.Context, dataDir, password string) (bool, error) {
	given := password != ""
	if given {
		if err := validatePassword(password); err != nil {
			return false, fmt.Errorf("initial admin password: %w", err)
		}
	} else {
		var err error
		if password, err = randomPassword(); err != nil {
			return false, err
		}
	}
	hash, err := s.hasher.Hash(password)
	if err != nil {
		return false, err
	}

	var tmpName string
	if !given {
		tmp, err := os.CreateTemp(dataDir, InitialAdminPasswordFile+".*")
		if err != nil {
			return false, fmt.Errorf("initial admin password file: %w", err)
		}
		tmpName = tmp.Name()
		defer os.Remove(tmpName) //nolint:errcheck // gone after the rename; otherwise best-effort clean-up.
		if _, err := tmp.WriteString(password + "\n"); err != nil {
			_ = tmp.Close()
			return false, fmt.Errorf("initial admin password file: %w", err)
		}
		if err := tmp.Close(); err != nil {
			return false, fmt.Errorf("initial admin password file: %w", err)
		}
	}

	var id uuid.UUID
	err = s.db.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		id, err = db.New(tx).CreateInitialAdmin(ctx, db.CreateInitialAdminParams{
			Username: InitialAdminUsername, Email: InitialAdminEmail, PasswordHash: hash,
			MustChangePassword: !given,
		})
		if err != nil {
			return err
		}
		if err := s.roles.SetAdmin(ctx, tx, id, true); err != nil {
			return fmt.Errorf("bind the admin role: %w", err)
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "user.create", Resource: userResource(id),
			Detail: map[string]any{"username": InitialAdminUsername, "admin": true, "bootstrap": true},
		})
	})
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrConflict):
		// Users exist already (or another replica just created the admin).
		return false, nil
	case err != nil:
		return false, fmt.Errorf("initial admin: %w", err)
	}
	s.invalidate(ctx)
	if given {
		s.log.Info().Str(logfield.User, InitialAdminUsername).
			Msg("created the initial administrator with the configured password")
		return true, nil
	}
	path := filepath.Join(dataDir, InitialAdminPasswordFile)
	if err := os.Rename(tmpName, path); err != nil {
		return true, fmt.Errorf("initial admin password file: %w", err)
	}
	s.log.Info().Str(logfield.User, InitialAdminUsername).Str(logfield.File, path).
		Msg("created the initial administrator; the password is in the file")
	return true, nil
}

// invalidate drops rbac's cache after a committed change. The change stands
// whatever happens here, so a failure is logged, not returned.
func (s *Service) invalidate(ctx context.Context) {
	if err := s.roles.Invalidate(context.WithoutCancel(ctx)); err != nil {
		s.log.Error().Err(err).Msg("could not invalidate the permission cache")
	}
}

func userResource(id uuid.UUID) string  { return "user/" + id.String() }
func tokenResource(id uuid.UUID) string { return "token/" + id.String() }
