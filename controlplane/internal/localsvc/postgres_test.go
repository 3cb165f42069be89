package localsvc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestPostgresStartsStopsAndReusesItsCluster(t *testing.T) {
	// A comma: pgx cannot express it in a host, so the socket goes
	// elsewhere; the cluster stays in Dir.
	dir := filepath.Join(testDir(t), "dev,1")
	log := testLogger(t)

	began := time.Now()
	pg, err := StartPostgres(startCtx(t), PostgresOptions{Dir: dir, Logger: log, Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("first start (initdb + start): %v", time.Since(began))
	if strings.HasPrefix(pg.SocketDir(), dir) {
		t.Errorf("socket in %s: a comma cannot be expressed in a pgx host", pg.SocketDir())
	}

	ctx := t.Context()
	if err := pg.CreateDatabase(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	if err := pg.CreateDatabase(ctx, "app"); err != nil {
		t.Fatalf("second CreateDatabase: %v", err)
	}
	conn, err := pgx.Connect(ctx, pg.URL("app"))
	if err != nil {
		t.Fatal(err)
	}
	var one int
	if err := conn.QueryRow(ctx, "select 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("select 1: %d, %v", one, err)
	}
	if _, err := conn.Exec(ctx, "create table kept (v text); insert into kept values ('still here')"); err != nil {
		t.Fatal(err)
	}
	// Fast mode really is on.
	var fsync string
	if err := conn.QueryRow(ctx, "show fsync").Scan(&fsync); err != nil || fsync != "off" {
		t.Errorf("fsync = %q, %v; want off", fsync, err)
	}
	// A session left open must not hold up a fast shutdown.
	defer conn.Close(ctx)

	proc := pg.proc
	sctx, cancel := stopCtx()
	defer cancel()
	began = time.Now()
	if err := pg.Stop(sctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("stop: %v", time.Since(began))
	assertGone(t, proc)

	began = time.Now()
	pg, err = StartPostgres(startCtx(t), PostgresOptions{Dir: dir, Logger: log, Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("second start (existing cluster): %v", time.Since(began))
	defer func() {
		sctx, cancel := stopCtx()
		defer cancel()
		if err := pg.Stop(sctx); err != nil {
			t.Error(err)
		}
		assertGone(t, pg.proc)
	}()
	conn2, err := pgx.Connect(ctx, pg.URL("app"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close(ctx)
	var v string
	if err := conn2.QueryRow(ctx, "select v from kept").Scan(&v); err != nil || v != "still here" {
		t.Fatalf("table from the first start: %q, %v", v, err)
	}
}

func TestPostgresLongDirPutsTheSocketElsewhere(t *testing.T) {
	dir := filepath.Join(testDir(t), strings.Repeat("d", 60), strings.Repeat("e", 60))
	pg, err := StartPostgres(startCtx(t), PostgresOptions{Dir: dir, Logger: testLogger(t), Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(pg.SocketDir(), dir) {
		t.Errorf("socket in %s, which is too long", pg.SocketDir())
	}
	conn, err := pgx.Connect(t.Context(), pg.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.Close(t.Context())
	sctx, cancel := stopCtx()
	defer cancel()
	if err := pg.Stop(sctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(pg.SocketDir()); !os.IsNotExist(err) {
		t.Errorf("temporary socket directory %s left behind (%v)", pg.SocketDir(), err)
	}
}

func TestPostgresMissingBinaries(t *testing.T) {
	_, err := StartPostgres(startCtx(t), PostgresOptions{Dir: testDir(t), Logger: testLogger(t), env: noBinaries(t)})
	want := "PostgreSQL server binaries not found on PATH or in /usr/lib/postgresql/*/bin: install them with 'apt-get install -y postgresql'"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
}

func TestPostgresFindsBinariesOnPath(t *testing.T) {
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	if len(bins) == 0 {
		t.Fatal("no PostgreSQL in /usr/lib/postgresql: install it with 'apt-get install -y postgresql'")
	}
	path := bins[0]
	got, err := findPostgres(t.Context(), &environment{path: &path, pgGlobs: []string{}}, "", "")
	if err != nil || got.dir != bins[0] {
		t.Fatalf("findPostgres = %+v, %v; want %s", got, err, bins[0])
	}
	// Not on PATH: the distribution's directory, highest version first.
	empty := t.TempDir()
	got, err = findPostgres(t.Context(), &environment{path: &empty}, "", "")
	if err != nil || got.dir != bins[len(bins)-1] || got.version != filepath.Base(filepath.Dir(got.dir)) {
		t.Fatalf("findPostgres without PATH = %+v, %v; want %s", got, err, bins[len(bins)-1])
	}
	// An existing cluster of another major version is refused with a reason.
	_, err = findPostgres(t.Context(), &environment{path: &path, pgGlobs: []string{}}, "", "9")
	if err == nil || !strings.Contains(err.Error(), "created by PostgreSQL 9") {
		t.Fatalf("version mismatch: %v", err)
	}
}

func TestPostgresBinDirIsTheOnlyPlaceLooked(t *testing.T) {
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	if len(bins) == 0 {
		t.Fatal("no PostgreSQL in /usr/lib/postgresql: install it with 'apt-get install -y postgresql'")
	}
	got, err := findPostgres(t.Context(), nil, bins[0], "")
	if err != nil || got.dir != bins[0] || got.version == "" {
		t.Fatalf("findPostgres(%s) = %+v, %v", bins[0], got, err)
	}
	empty := t.TempDir()
	_, err = findPostgres(t.Context(), nil, empty, "")
	if err == nil || !strings.HasPrefix(err.Error(), "PostgreSQL server binaries not found in "+empty) {
		t.Fatalf("empty bin dir: %v", err)
	}
}

func TestPostgresFailsEarlyWithTheServersOutput(t *testing.T) {
	began := time.Now()
	_, err := StartPostgres(startCtx(t), PostgresOptions{
		Dir: testDir(t), Logger: testLogger(t), Fast: true,
		Settings: map[string]string{"no_such_setting": "1"},
	})
	if err == nil || !strings.Contains(err.Error(), "no_such_setting") {
		t.Fatalf("err = %v, want the server's complaint about no_such_setting", err)
	}
	if d := time.Since(began); d > 30*time.Second {
		t.Errorf("took %v to notice the server exited", d)
	}
}

func TestPostgresSocketPathWithSpaces(t *testing.T) {
	// Neither the server's directory list nor the URL may split it.
	dir := filepath.Join(testDir(t), "dev data")
	pg, err := StartPostgres(startCtx(t), PostgresOptions{Dir: dir, Logger: testLogger(t), Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		sctx, cancel := stopCtx()
		defer cancel()
		if err := pg.Stop(sctx); err != nil {
			t.Error(err)
		}
	}()
	if pg.SocketDir() != filepath.Join(dir, "run") {
		t.Errorf("socket in %s, want %s", pg.SocketDir(), filepath.Join(dir, "run"))
	}
	conn, err := pgx.Connect(t.Context(), pg.URL("postgres"))
	if err != nil {
		t.Fatalf("connecting with %s: %v", pg.URL("postgres"), err)
	}
	_ = conn.Close(t.Context())
}
