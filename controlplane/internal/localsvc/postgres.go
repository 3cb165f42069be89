package localsvc

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/shared/logfield"
)

// PostgresSuperuser is the superuser role of a cluster started here.
const PostgresSuperuser = "hearth"

// defaultPostgresGlobs is where Debian and Ubuntu install server binaries
// (they are not on PATH there).
var defaultPostgresGlobs = []string{"/usr/lib/postgresql/*/bin"}

const (
	// maxSocketPath is the longest unix socket path Linux accepts
	// (sun_path is 108 bytes with the terminating NUL).
	maxSocketPath = 107
	// pgSocketName is the socket file PostgreSQL creates for the default
	// port; the port is irrelevant as nothing listens on TCP.
	pgSocketName = ".s.PGSQL.5432"
	// pgRunAs is the system user initdb and postgres run as under root.
	pgRunAs = "postgres"

	errPostgresMissing = "PostgreSQL server binaries not found on PATH or in /usr/lib/postgresql/*/bin: install them with 'apt-get install -y postgresql'"
)

// PostgresOptions configure StartPostgres.
type PostgresOptions struct {
	// Dir holds the cluster (Dir/data) and its socket (Dir/run). It is
	// created when missing; a cluster already in it is reused. Under root
	// it is handed to the postgres user, which must be able to reach it.
	Dir string
	// Logger receives the server's output at debug level.
	Logger zerolog.Logger
	// Fast trades durability for speed (fsync, synchronous_commit and
	// full_page_writes off; initdb --no-sync): for tests, whose data may be
	// lost on a machine crash.
	Fast bool
	// Settings are extra server settings (postgres -c name=value), e.g.
	// max_connections.
	Settings map[string]string
	// BinDir, when set, is the only place initdb and postgres are looked
	// for (instead of PATH, then /usr/lib/postgresql/*/bin).
	BinDir string

	env *environment // tests: where binaries are looked up
}

// Postgres is a running PostgreSQL cluster that listens only on a unix
// socket.
type Postgres struct {
	proc      *process
	dataDir   string
	socketDir string
	// tempSocketDir is removed at Stop: the socket lives outside Dir when
	// Dir is too long for a socket path.
	tempSocketDir string
	log           zerolog.Logger
}

// StartPostgres starts a PostgreSQL cluster in opts.Dir, creating it first
// when the directory holds none, and returns once it accepts connections.
func StartPostgres(ctx context.Context, opts PostgresOptions) (*Postgres, error) {
	ctx, cancel := withStartTimeout(ctx)
	defer cancel()
	if opts.Dir == "" {
		return nil, errors.New("postgres: no directory given")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	log := opts.Logger
	began := time.Now()
	dataDir := filepath.Join(dir, "data")

	clusterVersion, err := readClusterVersion(dataDir)
	if err != nil {
		return nil, err
	}
	bin, err := findPostgres(ctx, opts.env, opts.BinDir, clusterVersion)
	if err != nil {
		return nil, err
	}

	cred, err := postgresCredential()
	if err != nil {
		return nil, err
	}
	if err := mkdirOwned(dir, cred); err != nil {
		return nil, err
	}
	if err := checkReachable(dir, cred); err != nil {
		return nil, err
	}

	if clusterVersion == "" {
		if err := initdb(ctx, bin, dir, dataDir, cred, opts.Fast, log); err != nil {
			return nil, err
		}
		log.Info().Str(logfield.File, dataDir).Dur(logfield.Duration, time.Since(began)).Msg("created PostgreSQL cluster")
	}

	pg := &Postgres{dataDir: dataDir, log: log}
	pg.socketDir = filepath.Join(dir, "run")
	if len(pg.socketDir)+1+len(pgSocketName) > maxSocketPath || strings.ContainsAny(pg.socketDir, `,"`) {
		// Too long for a socket path, or not expressible in a connection
		// URL (pgx, like libpq, splits the host on commas even when
		// escaped): use a short private directory instead.
		tmp, err := os.MkdirTemp("", "hearth-pg-")
		if err != nil {
			return nil, fmt.Errorf("postgres: socket directory: %w", err)
		}
		pg.socketDir, pg.tempSocketDir = tmp, tmp
	}
	if err := mkdirOwned(pg.socketDir, cred); err != nil {
		pg.removeTempSocketDir()
		return nil, err
	}
	if err := checkReachable(pg.socketDir, cred); err != nil {
		pg.removeTempSocketDir()
		return nil, err
	}

	args := []string{
		"-D", dataDir,
		"-c", "listen_addresses=",
		// A list setting: quoted, so that a space in the path is not taken
		// for a separator (commas and quotes were ruled out above).
		"-c", "unix_socket_directories=" + `"` + pg.socketDir + `"`,
		"-c", "unix_socket_permissions=0700",
	}
	if opts.Fast {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	names := make([]string, 0, len(opts.Settings))
	for name := range opts.Settings {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		args = append(args, "-c", name+"="+opts.Settings[name])
	}
	proc, err := startProcess(procSpec{
		name: "postgres",
		path: filepath.Join(bin.dir, "postgres"),
		args: args,
		env:  childEnv("LC_ALL=C"),
		dir:  dir,
		cred: cred,
		// SIGINT is PostgreSQL's fast shutdown: roll back sessions, checkpoint, exit.
		stopSignal: syscall.SIGINT,
		// SIGQUIT is its immediate shutdown: the postmaster takes its
		// backends down with it instead of orphaning them.
		deathSignal: syscall.SIGQUIT,
		log:         log,
	})
	if err != nil {
		pg.removeTempSocketDir()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	pg.proc = proc

	err = waitReady(ctx, proc, func(ctx context.Context) error {
		conn, err := pgx.Connect(ctx, pg.URL("postgres"))
		if err != nil {
			return err
		}
		return conn.Close(ctx)
	})
	if err != nil {
		proc.kill()
		pg.removeTempSocketDir()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	log.Info().Str(logfield.Address, pg.socketDir).Str(logfield.Version, bin.version).
		Dur(logfield.Duration, time.Since(began)).Msg("PostgreSQL is ready")
	return pg, nil
}

// URL is a pgx connection URL for database dbname as the superuser, over
// the unix socket.
func (pg *Postgres) URL(dbname string) string {
	// pgx percent-decodes but, like libpq, does not turn '+' into a space.
	escape := func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }
	return "postgres://" + PostgresSuperuser + "@/" + escape(dbname) +
		"?host=" + escape(pg.socketDir) + "&sslmode=disable"
}

// SocketDir is the directory of the server's unix socket.
func (pg *Postgres) SocketDir() string { return pg.socketDir }

// DataDir is the cluster's data directory.
func (pg *Postgres) DataDir() string { return pg.dataDir }

// CreateDatabase creates database name unless it exists.
func (pg *Postgres) CreateDatabase(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, pg.URL("postgres"))
	if err != nil {
		return fmt.Errorf("postgres: connecting: %w", err)
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("postgres: looking up database %q: %w", name, err)
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // duplicate_database: created concurrently
		return nil
	}
	if err != nil {
		return fmt.Errorf("postgres: creating database %q: %w", name, err)
	}
	return nil
}

// Stop shuts the server down fast (sessions rolled back, a checkpoint
// written) and waits; when ctx ends first it kills the server's process
// group.
func (pg *Postgres) Stop(ctx context.Context) error {
	err := pg.proc.stop(ctx)
	pg.removeTempSocketDir()
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	pg.log.Debug().Msg("PostgreSQL stopped")
	return nil
}

// Kill ends the server at once, as a crash would: SIGKILL to the
// postmaster and its backends, no shutdown checkpoint. The next
// StartPostgres on the same directory recovers the cluster from its WAL;
// with Fast, that WAL lacks the last commits (synchronous_commit is off:
// they were acknowledged before being written), unless Settings turned
// synchronous_commit back on.
func (pg *Postgres) Kill() {
	pg.proc.kill()
	pg.removeTempSocketDir()
	pg.log.Debug().Msg("PostgreSQL killed")
}

func (pg *Postgres) removeTempSocketDir() {
	if pg.tempSocketDir != "" {
		_ = os.RemoveAll(pg.tempSocketDir)
	}
}

// initdb creates the cluster in a scratch directory and renames it into
// place, so that an interrupted initdb never leaves a half-made cluster
// that the next start would take for a real one.
func initdb(ctx context.Context, bin postgresBin, dir, dataDir string, cred *syscall.Credential, fast bool, log zerolog.Logger) error {
	scratch := dataDir + ".initdb"
	if err := os.RemoveAll(scratch); err != nil {
		return fmt.Errorf("postgres: removing the leftover %s: %w", scratch, err)
	}
	args := []string{
		"-D", scratch,
		"-U", PostgresSuperuser,
		"--auth-local=trust", // only the socket, in a directory only we can enter
		"--auth-host=reject", // and nothing listens on TCP anyway
		"--encoding=UTF8",
		"--locale=C",
		"--no-instructions",
	}
	if fast {
		args = append(args, "--no-sync")
	}
	proc, err := startProcess(procSpec{
		name:        "initdb",
		path:        filepath.Join(bin.dir, "initdb"),
		args:        args,
		env:         childEnv("LC_ALL=C"),
		dir:         dir,
		cred:        cred,
		stopSignal:  syscall.SIGTERM,
		deathSignal: syscall.SIGKILL,
		log:         log,
	})
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	if err := proc.wait(ctx); err != nil {
		_ = os.RemoveAll(scratch)
		return fmt.Errorf("postgres: %w", err)
	}
	if err := os.Rename(scratch, dataDir); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	return nil
}

// readClusterVersion returns the major version of the cluster in dataDir,
// or "" when there is none.
func readClusterVersion(dataDir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, "PG_VERSION")) //nolint:gosec // G304: the cluster directory is the caller's own
	if errors.Is(err, os.ErrNotExist) {
		if entries, _ := os.ReadDir(dataDir); len(entries) > 0 {
			return "", fmt.Errorf("postgres: %s is not empty but holds no PostgreSQL cluster: move it away", dataDir)
		}
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("postgres: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// postgresBin is a directory holding initdb and postgres.
type postgresBin struct {
	dir     string
	version string // major version; "" until asked
}

var pgVersionRE = regexp.MustCompile(`\(PostgreSQL\) (\d+)`)

// findPostgres picks the server binaries: PATH first, then the
// distribution directories, highest version first. An existing cluster
// needs binaries of its own major version.
func findPostgres(ctx context.Context, env *environment, binDir, clusterVersion string) (postgresBin, error) {
	if binDir != "" {
		if !isExecutable(filepath.Join(binDir, "postgres")) || !isExecutable(filepath.Join(binDir, "initdb")) {
			return postgresBin{}, fmt.Errorf("PostgreSQL server binaries not found in %s: install them with 'apt-get install -y postgresql' or point --postgres-bin-dir at the directory holding initdb and postgres", binDir)
		}
		c := postgresBin{dir: binDir}
		c.version = binaryVersion(ctx, c)
		if clusterVersion != "" && c.version != clusterVersion {
			return postgresBin{}, fmt.Errorf("postgres: the cluster was created by PostgreSQL %s but %s holds PostgreSQL %s", clusterVersion, binDir, c.version)
		}
		return c, nil
	}
	var candidates []postgresBin
	if p, ok := lookPath("postgres", env.pathList()); ok {
		if dir := filepath.Dir(p); isExecutable(filepath.Join(dir, "initdb")) {
			candidates = append(candidates, postgresBin{dir: dir})
		}
	}
	globs := defaultPostgresGlobs
	if env != nil && env.pgGlobs != nil {
		globs = env.pgGlobs
	}
	var packaged []postgresBin
	for _, g := range globs {
		dirs, _ := filepath.Glob(g) // the pattern is ours and valid
		for _, dir := range dirs {
			if isExecutable(filepath.Join(dir, "postgres")) && isExecutable(filepath.Join(dir, "initdb")) {
				packaged = append(packaged, postgresBin{dir: dir, version: filepath.Base(filepath.Dir(dir))})
			}
		}
	}
	sort.SliceStable(packaged, func(i, j int) bool { return versionLess(packaged[j].version, packaged[i].version) })
	candidates = append(candidates, packaged...)
	if len(candidates) == 0 {
		return postgresBin{}, errors.New(errPostgresMissing)
	}
	if clusterVersion == "" {
		c := candidates[0]
		c.version = binaryVersion(ctx, c)
		return c, nil
	}
	var seen []string
	for _, c := range candidates {
		c.version = binaryVersion(ctx, c)
		if c.version == clusterVersion {
			return c, nil
		}
		seen = append(seen, c.version+" ("+c.dir+")")
	}
	return postgresBin{}, fmt.Errorf("postgres: the cluster was created by PostgreSQL %s but only these binaries were found: %s; install PostgreSQL %s or remove the cluster",
		clusterVersion, strings.Join(seen, ", "), clusterVersion)
}

// binaryVersion is the major version of the binaries in c: known from the
// distribution's directory name, or asked of postgres (which answers
// --version even as root).
func binaryVersion(ctx context.Context, c postgresBin) string {
	if c.version != "" {
		return c.version
	}
	out, err := exec.CommandContext(ctx, filepath.Join(c.dir, "postgres"), "--version").Output() //nolint:gosec // G204: the binary found on PATH or in the distribution's directory
	if m := pgVersionRE.FindSubmatch(out); err == nil && m != nil {
		return string(m[1])
	}
	return "unknown"
}

// versionLess compares major versions numerically ("9.6" < "15").
func versionLess(a, b string) bool {
	fa, errA := strconv.ParseFloat(a, 64)
	fb, errB := strconv.ParseFloat(b, 64)
	if errA != nil || errB != nil {
		return a < b
	}
	return fa < fb
}

// postgresCredential is who initdb and postgres run as: ourselves, or the
// postgres system user when we are root (PostgreSQL refuses to run as root).
func postgresCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(pgRunAs)
	if err != nil {
		return nil, fmt.Errorf("postgres: PostgreSQL refuses to run as root and there is no %q user to run it as: create one with 'useradd --system %s' or run hearth as another user", pgRunAs, pgRunAs)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("postgres: user %s: uid %q: %w", pgRunAs, u.Uid, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("postgres: user %s: gid %q: %w", pgRunAs, u.Gid, err)
	}
	// Groups is empty on purpose: root's supplementary groups are dropped.
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

// checkReachable fails when cred cannot reach dir: a 0700 ancestor (a home
// directory, a test's temporary directory) would otherwise make the server
// fail later with a less helpful message.
func checkReachable(dir string, cred *syscall.Credential) error {
	if cred == nil {
		return nil
	}
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
		if !searchable(fi, cred) {
			return fmt.Errorf("postgres: PostgreSQL runs as user %s, which cannot enter %s (mode %v): use a directory it can reach, or allow it with 'chmod o+x %s'",
				pgRunAs, d, fi.Mode().Perm(), d)
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

// searchable reports whether cred may traverse the directory fi.
func searchable(fi os.FileInfo, cred *syscall.Credential) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	perm := fi.Mode().Perm()
	switch {
	case st.Uid == cred.Uid:
		return perm&0o100 != 0
	case st.Gid == cred.Gid:
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}

// mkdirOwned creates dir (mode 0700; missing parents 0755, so that they
// do not lock the server's user out) and, under root, hands it to the user
// the server runs as.
func mkdirOwned(dir string, cred *syscall.Credential) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil { //nolint:gosec // G301: parents must stay searchable by the postgres user; dir itself is 0700
		return fmt.Errorf("postgres: %w", err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("postgres: %w", err)
	}
	if cred == nil {
		return nil
	}
	if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	return nil
}
