package testsvc

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hearth-dev/hearth/controlplane/internal/localsvc"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
)

const (
	// TemplateDatabase is migrated once per test binary; NewDatabase clones it.
	TemplateDatabase = "hearth_template"
	// sharedDatabase holds the transactions of Tx.
	sharedDatabase = "hearth_shared"
	// databaseMaxConns sizes the pool of a NewDatabase database: tests need
	// a few connections, and many databases exist at once.
	databaseMaxConns = 8
	// sharedMaxConns sizes the pool Tx's transactions come from (one
	// connection per running test).
	sharedMaxConns = 32
)

// postgresSettings suit a server that many short-lived databases share.
var postgresSettings = map[string]string{
	"max_connections": "300",
	"shared_buffers":  "32MB",
}

type postgresState struct {
	once   sync.Once
	server *localsvc.Postgres
	admin  *pgxpool.Pool // on the "postgres" database: CREATE/DROP DATABASE
	err    error

	templateOnce sync.Once
	templateErr  error

	sharedOnce sync.Once
	shared     *store.DB
	sharedErr  error
}

// postgres returns the running server and its admin pool, starting it on
// first use.
func postgres(t testing.TB) (*localsvc.Postgres, *pgxpool.Pool) {
	t.Helper()
	check(t)
	s := &env.pg
	s.once.Do(func() {
		root, err := rootDir()
		if err != nil {
			s.err = err
			return
		}
		ctx, cancel := startCtx()
		defer cancel()
		s.server, s.err = localsvc.StartPostgres(ctx, localsvc.PostgresOptions{
			Dir:      filepath.Join(root, "postgres"),
			Logger:   serviceLogger(),
			Fast:     true,
			Settings: postgresSettings,
		})
		if s.err != nil {
			return
		}
		s.admin, s.err = pgxpool.New(ctx, s.server.URL("postgres"))
		if s.err != nil {
			s.err = fmt.Errorf("testsvc: admin connection: %w", s.err)
		}
	})
	if s.err != nil {
		t.Fatalf("testsvc: PostgreSQL: %v", s.err)
	}
	return s.server, s.admin
}

// template makes sure TemplateDatabase exists and is migrated.
func template(t testing.TB) {
	t.Helper()
	server, admin := postgres(t)
	s := &env.pg
	s.templateOnce.Do(func() {
		ctx, cancel := startCtx()
		defer cancel()
		s.templateErr = migrateTemplate(ctx, server, admin)
	})
	if s.templateErr != nil {
		t.Fatalf("testsvc: template database: %v", s.templateErr)
	}
}

func migrateTemplate(ctx context.Context, server *localsvc.Postgres, admin *pgxpool.Pool) error {
	if err := server.CreateDatabase(ctx, TemplateDatabase); err != nil {
		return err
	}
	db, err := store.Open(ctx, store.Config{URL: server.URL(TemplateDatabase), MaxConns: 2})
	if err != nil {
		return err
	}
	err = store.Migrate(ctx, db, serviceLogger())
	// Closed before cloning: CREATE DATABASE … TEMPLATE refuses a template
	// with sessions.
	db.Close()
	if err != nil {
		return err
	}
	// Nobody connects to the template by mistake (which would make every
	// clone fail) once it is made.
	_, err = admin.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{TemplateDatabase}.Sanitize()+" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false")
	if err != nil {
		return fmt.Errorf("marking the template: %w", err)
	}
	return nil
}

// createDatabase creates a database with a unique name, cloned
// from template ("" for PostgreSQL's empty template1), and drops it at
// cleanup, after the test's own cleanups (which close its pools).
func createDatabase(t testing.TB, template string) string {
	t.Helper()
	_, admin := postgres(t)
	name := uniqueName("t_")
	sql := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if template != "" {
		sql += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	ctx, cancel := startCtx()
	defer cancel()
	if _, err := admin.Exec(ctx, sql); err != nil {
		t.Fatalf("testsvc: creating database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := cleanupCtx()
		defer cancel()
		// FORCE: a session the test left open must not keep the database.
		if _, err := admin.Exec(ctx, "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("testsvc: dropping database %s: %v", name, err)
		}
	})
	return name
}

// NewDatabaseURL creates a fresh, migrated database for the test and
// returns its URL, for code that opens its own pool (a server under test).
// The database is dropped when the test ends.
func NewDatabaseURL(t testing.TB) string {
	t.Helper()
	template(t)
	server, _ := postgres(t)
	return server.URL(createDatabase(t, TemplateDatabase))
}

// NewDatabase creates a fresh, migrated database for the test and returns a
// pool on it, closed and the database dropped when the test ends.
func NewDatabase(t testing.TB) *store.DB {
	t.Helper()
	url := NewDatabaseURL(t)
	ctx, cancel := startCtx()
	defer cancel()
	db, err := store.Open(ctx, store.Config{URL: url, MaxConns: databaseMaxConns})
	if err != nil {
		t.Fatalf("testsvc: opening the test database: %v", err)
	}
	t.Cleanup(db.Close) // runs before the drop registered earlier
	return db
}

// EmptyDatabaseURL creates a fresh database with no migration applied (for
// tests of migrating itself) and returns its URL. It is dropped when the
// test ends.
func EmptyDatabaseURL(t testing.TB) string {
	t.Helper()
	server, _ := postgres(t)
	return server.URL(createDatabase(t, ""))
}

// Tx begins a transaction on a migrated database shared by all tests and
// rolls it back when the test ends, so nothing a test writes through it is
// seen by another. Code under test that commits needs NewDatabase instead.
func Tx(t testing.TB) pgx.Tx {
	t.Helper()
	template(t)
	server, admin := postgres(t)
	s := &env.pg
	s.sharedOnce.Do(func() {
		ctx, cancel := startCtx()
		defer cancel()
		_, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{sharedDatabase}.Sanitize()+" TEMPLATE "+pgx.Identifier{TemplateDatabase}.Sanitize())
		if err != nil {
			s.sharedErr = fmt.Errorf("creating the shared database: %w", err)
			return
		}
		s.shared, s.sharedErr = store.Open(ctx, store.Config{URL: server.URL(sharedDatabase), MaxConns: sharedMaxConns})
	})
	if s.sharedErr != nil {
		t.Fatalf("testsvc: shared database: %v", s.sharedErr)
	}
	ctx, cancel := startCtx()
	defer cancel()
	tx, err := s.shared.Pool.Begin(ctx)
	if err != nil {
		t.Fatalf("testsvc: beginning a transaction: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := cleanupCtx()
		defer cancel()
		if err := tx.Rollback(ctx); err != nil && !errors.Is(err, pgx.ErrTxClosed) {
			t.Errorf("testsvc: rolling back: %v", err)
		}
	})
	return tx
}

func (s *postgresState) stop(ctx context.Context) error {
	if s.shared != nil {
		s.shared.Close()
	}
	if s.admin != nil {
		s.admin.Close()
	}
	if s.server == nil {
		return nil
	}
	return s.server.Stop(ctx)
}
