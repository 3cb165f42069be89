// Package devenv is `hearth dev`: the control plane on one machine with
// embedded defaults. For every dependency given no URL it starts a real
// server under the data directory — PostgreSQL from the machine's binaries,
// redis-server (or an in-process Redis-protocol server when it is missing),
// versitygw for S3 — so dev runs the same client code paths as production.
// A second start reuses the same data. Stopping stops them all.
package devenv

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/auth"
	"github.com/hearth-dev/hearth/controlplane/internal/config"
	"github.com/hearth-dev/hearth/controlplane/internal/localsvc"
	"github.com/hearth-dev/hearth/controlplane/internal/secret/envelope"
	"github.com/hearth-dev/hearth/controlplane/internal/server"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// DatabaseName is the database hearth dev creates in its PostgreSQL.
const DatabaseName = "hearth"

// SecretsRootKeyFile is the root key hearth dev generates in its data
// directory (mode 0600) when none is given.
const SecretsRootKeyFile = "secrets-root-key"

// stopTimeout bounds stopping each local service.
const stopTimeout = 10 * time.Second

// Run starts the missing local services, then the control plane, and
// prints where to find it on stdout. It returns when ctx is cancelled and
// everything has stopped.
func Run(ctx context.Context, o server.Options, stdout io.Writer) error {
	dataDir, err := filepath.Abs(o.Config.DataDir)
	if err != nil {
		return &server.StartupError{Err: fmt.Errorf("--data-dir: %w", err)}
	}
	// o+x (traverse, not list): PostgreSQL runs as its own user when hearth
	// runs as root and must reach its directory below this one.
	if err := os.MkdirAll(dataDir, 0o751); err != nil { //nolint:gosec // G301: o+x only lets PostgreSQL's user reach its own subdirectory; nothing is listable.
		return &server.StartupError{Err: fmt.Errorf("--data-dir: %w", err)}
	}
	o.Config.DataDir = dataDir
	log := o.Logger
	if o.Config.Secrets.RootKeyFile == "" && o.Config.Secrets.RootKey == "" {
		// Dev keeps its root key beside its database: fine for one machine,
		// which is all dev is. Losing the file loses every secret.
		path := filepath.Join(dataDir, SecretsRootKeyFile)
		created, err := envelope.EnsureKeyFile(path)
		if err != nil {
			return &server.StartupError{Err: fmt.Errorf("secrets root key: %w", err)}
		}
		if created {
			log.Info().Str(logfield.File, path).Msg("generated the secrets root key; back it up with the data directory")
		}
		o.Config.Secrets.RootKeyFile = path
	}

	var stops []func(context.Context) error
	defer func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stopCtx, cancel := context.WithTimeout(context.Background(), stopTimeout)
			if err := stops[i](stopCtx); err != nil {
				log.Warn().Err(err).Msg("stopping a local service failed")
			}
			cancel()
		}
	}()

	if o.Config.Database.URL == "" {
		pg, err := localsvc.StartPostgres(ctx, localsvc.PostgresOptions{
			Dir: filepath.Join(dataDir, "postgres"), Logger: component(log, "postgres"),
			BinDir: o.Config.PostgresBinDir,
		})
		if err != nil {
			return &server.StartupError{Err: err}
		}
		stops = append(stops, pg.Stop)
		if err := pg.CreateDatabase(ctx, DatabaseName); err != nil {
			return &server.StartupError{Err: err}
		}
		o.Config.Database.URL = pg.URL(DatabaseName)
	}
	if o.Config.RedisURL == "" {
		r, err := localsvc.StartRedis(ctx, localsvc.RedisOptions{
			Dir: filepath.Join(dataDir, "redis"), Logger: component(log, "redis"), AllowInProcess: true,
		})
		if err != nil {
			return &server.StartupError{Err: err}
		}
		stops = append(stops, r.Stop)
		o.Config.RedisURL = r.URL()
	}
	if o.Config.S3.Endpoint == "" {
		s3, err := localsvc.StartS3(ctx, localsvc.S3Options{
			Dir: filepath.Join(dataDir, "s3"), Logger: component(log, "s3"),
		})
		if err != nil {
			return &server.StartupError{Err: err}
		}
		stops = append(stops, s3.Stop)
		o.Config.S3.Endpoint = "http://" + s3.Endpoint()
		o.Config.S3.AccessKey = s3.AccessKey()
		o.Config.S3.SecretKey = s3.SecretKey()
	}

	if o.Config.LocalAgent.Enabled {
		o.OnServing = localAgent(o.Config, dataDir, component(log, "agent"))
	}
	onReady := o.OnReady
	o.OnReady = func(addr net.Addr) {
		printWelcome(stdout, addr, dataDir)
		if onReady != nil {
			onReady(addr)
		}
	}
	return server.Run(ctx, o)
}

// localAgent starts hearth-agent with the process runner once the server
// serves, so a push runs its pipeline on this machine. A missing binary is
// a warning, not an error: everything else works without an agent.
func localAgent(cfg config.Config, dataDir string, log zerolog.Logger) func(context.Context, server.Serving) (func(context.Context) error, error) {
	return func(ctx context.Context, s server.Serving) (func(context.Context) error, error) {
		agent, err := localsvc.StartAgent(ctx, localsvc.AgentOptions{
			Binary: cfg.LocalAgent.Binary, Dir: filepath.Join(dataDir, "agent"), Server: s.URL,
			Capacity: cfg.LocalAgent.Capacity, Logger: log,
			JoinToken: func(ctx context.Context) (string, error) { return s.JoinToken(ctx, "local") },
		})
		if err != nil {
			return nil, err
		}
		log.Info().Msg("local node agent started (cluster \"local\", process runner)")
		return agent.Stop, nil
	}
}

func component(log zerolog.Logger, name string) zerolog.Logger {
	return log.With().Str(logfield.Component, name).Logger()
}

func printWelcome(w io.Writer, addr net.Addr, dataDir string) {
	passwordFile := filepath.Join(dataDir, auth.InitialAdminPasswordFile)
	fmt.Fprintf(w, "\nHearth is running at http://%s\n", addr)
	if _, err := os.Stat(passwordFile); err == nil {
		fmt.Fprintf(w, "Sign in as %q with the password in %s\n", auth.InitialAdminUsername, passwordFile)
	}
	fmt.Fprintf(w, "Press Ctrl-C to stop.\n\n")
}
