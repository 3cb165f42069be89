package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/golang-migrate/migrate/v4"
	pgxmigrate "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/migrations"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// MigrationsTable records the applied schema version (golang-migrate's).
const MigrationsTable = "schema_migrations"

// Migrate applies every pending migration of the migrations module. It holds
// a PostgreSQL advisory lock while it works (golang-migrate's pgx driver
// takes it), so replicas starting together apply each migration exactly
// once; the others wait and find nothing left to do.
func Migrate(ctx context.Context, db *DB, log zerolog.Logger) error {
	src, err := iofs.New(migrations.FS, ".")
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	sqlDB := stdlib.OpenDBFromPool(db.Pool)
	defer func() { _ = sqlDB.Close() }()
	driver, err := pgxmigrate.WithInstance(sqlDB, &pgxmigrate.Config{MigrationsTable: MigrationsTable})
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "hearth", driver)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	// Close releases the connection the driver holds for its advisory lock;
	// without it the pool could never close.
	defer func() { _, _ = m.Close() }()
	m.Log = migrateLogger{log: log}

	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-ctx.Done():
			m.GracefulStop <- true
		case <-stop:
		}
	}()

	before, _, err := m.Version()
	if err != nil && !errors.Is(err, migrate.ErrNilVersion) {
		return fmt.Errorf("migrations: %w", err)
	}
	switch err := m.Up(); {
	case errors.Is(err, migrate.ErrNoChange):
		log.Info().Uint(logfield.Version, before).Msg("database schema is up to date")
		return nil
	case err != nil:
		return fmt.Errorf("migrations: %w", err)
	}
	after, _, err := m.Version()
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	log.Info().Uint(logfield.From, before).Uint(logfield.To, after).Msg("applied database migrations")
	return nil
}

// migrateLogger sends golang-migrate's progress lines to zerolog.
type migrateLogger struct{ log zerolog.Logger }

func (l migrateLogger) Printf(format string, v ...any) {
	l.log.Info().Msg(strings.TrimSpace(fmt.Sprintf(format, v...)))
}

func (l migrateLogger) Verbose() bool { return false }
