package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rs/zerolog"

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

// Deps is what the auth service needs.
type Deps struct {
	DB       *store.DB
	Logger   zerolog.Logger
	Password PasswordParams
}

// Service manages users.
type Service struct {
	db       *store.DB
	queries  *db.Queries
	log      zerolog.Logger
	password PasswordParams
}

// New builds the service.
func New(d Deps) (*Service, error) {
	if d.DB == nil {
		return nil, errors.New("auth: DB is required")
	}
	if d.Password == (PasswordParams{}) {
		d.Password = DefaultPasswordParams
	}
	return &Service{db: d.DB, queries: db.New(d.DB.Pool), log: d.Logger, password: d.Password}, nil
}

// EnsureInitialAdmin creates the administrator "admin" with a random
// password when the installation has no user at all, and writes the password
// to dataDir/initial-admin-password (mode 0600). It never logs the password.
// Safe to call from several replicas at once: one of them creates the user,
// the others find it exists. It reports whether this call created it.
func (s *Service) EnsureInitialAdmin(ctx context.Context, dataDir string) (bool, error) {
	password, err := randomPassword()
	if err != nil {
		return false, err
	}
	hash, err := HashPassword(password, s.password)
	if err != nil {
		return false, err
	}
	// Write the password before the user exists, so a crash in between can
	// never leave an admin whose password nobody knows.
	path := filepath.Join(dataDir, InitialAdminPasswordFile)
	tmp, err := os.CreateTemp(dataDir, InitialAdminPasswordFile+".*")
	if err != nil {
		return false, fmt.Errorf("initial admin password file: %w", err)
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // gone after the rename; otherwise best-effort clean-up.
	if _, err := tmp.WriteString(password + "\n"); err != nil {
		_ = tmp.Close()
		return false, fmt.Errorf("initial admin password file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return false, fmt.Errorf("initial admin password file: %w", err)
	}

	_, err = s.queries.CreateInitialAdmin(ctx, db.CreateInitialAdminParams{
		Username: InitialAdminUsername, Email: InitialAdminEmail, PasswordHash: hash,
	})
	switch err = store.MapError(err); {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrConflict):
		// Users exist already (or another replica just created the admin).
		return false, nil
	case err != nil:
		return false, fmt.Errorf("initial admin: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return true, fmt.Errorf("initial admin password file: %w", err)
	}
	s.log.Info().Str(logfield.User, InitialAdminUsername).Str(logfield.File, path).
		Msg("created the initial administrator; the password is in the file")
	return true, nil
}
