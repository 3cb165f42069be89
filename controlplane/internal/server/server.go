package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/auth"
	"github.com/hearth-dev/hearth/controlplane/internal/cache"
	"github.com/hearth-dev/hearth/controlplane/internal/cluster"
	"github.com/hearth-dev/hearth/controlplane/internal/config"
	"github.com/hearth-dev/hearth/controlplane/internal/console"
	"github.com/hearth-dev/hearth/controlplane/internal/git"
	"github.com/hearth-dev/hearth/controlplane/internal/leader"
	"github.com/hearth-dev/hearth/controlplane/internal/objectstore"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline"
	"github.com/hearth-dev/hearth/controlplane/internal/project"
	"github.com/hearth-dev/hearth/controlplane/internal/rbac"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/controlplane/internal/supervisor"
	"github.com/hearth-dev/hearth/controlplane/internal/system"
	"github.com/hearth-dev/hearth/shared/backoff"
	"github.com/hearth-dev/hearth/shared/logfield"
	"github.com/hearth-dev/hearth/shared/version"
)

// Options are what Run needs besides the context.
type Options struct {
	Config  config.Config
	Logger  zerolog.Logger
	Version version.Info
	// Workers run on every replica; LeaderWorkers only on the Raft leader.
	// Features add theirs here; tests add their own.
	Workers       []supervisor.Worker
	LeaderWorkers []supervisor.Worker
	// WorkerBackoff spaces worker restarts (zero: backoff.Default).
	WorkerBackoff backoff.Policy
	// RaftTimings tightens Raft for tests (zero: production timings).
	RaftTimings leader.Timings
	// Inspect, when set, receives the authorization rules of every served
	// RPC at start (tests walk them).
	Inspect func(rbac.Rules)
	// OnReady is called once, with the bound address, when the server serves.
	OnReady func(addr net.Addr)
	// OnServing, when set, runs once the server serves (after OnReady);
	// the stop it returns runs first when the server stops. hearth dev
	// starts its local node agent here.
	OnServing func(ctx context.Context, s Serving) (stop func(context.Context) error, err error)
	// BeforeMerge, when set, runs in each merge attempt between its checks
	// and the merge itself (tests move the target branch there).
	BeforeMerge func(ctx context.Context, projectID uuid.UUID, number int64, attempt int)
}

// Serving is what OnServing may use.
type Serving struct {
	// URL reaches this server ("http://127.0.0.1:8080").
	URL string
	// JoinToken creates (when missing) the named cluster and returns a
	// single-use join token for it, valid for an hour.
	JoinToken func(ctx context.Context, cluster string) (string, error)
}

// leaderWaitTimeout bounds how long start-up waits for Raft to know a leader.
const leaderWaitTimeout = time.Minute

// StartupError is an error found before the server could serve: bad
// configuration or an unreachable dependency. main exits 2 for it.
type StartupError struct{ Err error }

func (e *StartupError) Error() string { return e.Err.Error() }
func (e *StartupError) Unwrap() error { return e.Err }

func startupErr(format string, args ...any) error {
	return &StartupError{Err: fmt.Errorf(format, args...)}
}

// Run starts the control plane in stages and serves until ctx is cancelled,
// then stops everything it started in reverse order within the configured
// shutdown timeout. Errors before serving are *StartupError.
func Run(ctx context.Context, o Options) error {
	cfg, log := o.Config, o.Logger
	var stops stopStack
	defer func() { stops.run(log, cfg.ShutdownTimeout) }()

	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return startupErr("data directory: %w", err)
	}
	// Listen first: a busy port is the cheapest mistake to report.
	ln, err := listen(ctx, cfg.Listen)
	if err != nil {
		return &StartupError{Err: err}
	}
	stops.push("listener", func(context.Context) error { return ignoreClosed(ln.Close()) })
	var metricsLn net.Listener
	if cfg.MetricsListen != "" {
		if metricsLn, err = listen(ctx, cfg.MetricsListen); err != nil {
			return startupErr("--metrics-listen: %w", err)
		}
		stops.push("metrics listener", func(context.Context) error { return ignoreClosed(metricsLn.Close()) })
	}

	db, err := store.Open(ctx, store.Config{
		URL:              cfg.Database.URL,
		MaxConns:         int32(cfg.Database.MaxConns), //nolint:gosec // G115: validated small positive number.
		MinConns:         int32(cfg.Database.MinConns), //nolint:gosec // G115: validated small non-negative number.
		ConnectTimeout:   cfg.Database.ConnectTimeout,
		StatementTimeout: cfg.Database.StatementTimeout,
	})
	if err != nil {
		return &StartupError{Err: err}
	}
	stops.push("database", func(context.Context) error { db.Close(); return nil })
	if err := store.Migrate(ctx, db, log.With().Str(logfield.Component, "migrate").Logger()); err != nil {
		return &StartupError{Err: err}
	}

	redis, err := cache.Open(ctx, cfg.RedisURL, cfg.Database.ConnectTimeout)
	if err != nil {
		return &StartupError{Err: err}
	}
	stops.push("redis", func(context.Context) error { return redis.Close() })

	objects, err := objectstore.Open(ctx, objectstore.Config{
		Endpoint: cfg.S3.Endpoint, Region: cfg.S3.Region, Bucket: cfg.S3.Bucket,
		AccessKey: cfg.S3.AccessKey, SecretKey: cfg.S3.SecretKey,
	})
	if err != nil {
		return &StartupError{Err: err}
	}

	ident, err := newIdentity(ctx, o, db, redis)
	if err != nil {
		return &StartupError{Err: err}
	}
	leaderWorkers := append(slices.Clone(o.LeaderWorkers), supervisor.Worker{Name: "session-purge", Run: func(ctx context.Context) error {
		return ident.auth.RunSessionPurge(ctx, auth.SessionPurgeInterval)
	}})

	reg := newRegistry()
	super, err := supervisor.New(supervisor.Deps{
		Logger:     log.With().Str(logfield.Component, "supervisor").Logger(),
		Registerer: reg,
		Backoff:    o.WorkerBackoff,
	})
	if err != nil {
		return &StartupError{Err: err}
	}
	consensus, err := leader.New(leader.Deps{
		Logger:     log.With().Str(logfield.Component, "leader").Logger(),
		Registerer: reg,
		Supervisor: super,
		Backoff:    o.WorkerBackoff,
		DataDir:    cfg.DataDir,
		NodeID:     cfg.Raft.NodeID,
		BindAddr:   cfg.Raft.Listen,
		Timings:    o.RaftTimings,
		Epochs:     db, // fences leader-only writes in PostgreSQL
	})
	if err != nil {
		return &StartupError{Err: err}
	}

	storage := git.Storage{Root: filepath.Join(cfg.DataDir, "repositories")}
	browser := git.Browser{Storage: storage, Git: storage.Git}
	gitStore := git.NewPGStore(db)
	repositories, err := git.NewRepositories(browser, gitStore)
	if err != nil {
		return &StartupError{Err: err}
	}
	projects, err := project.New(project.Deps{
		DB: db, Logger: log.With().Str(logfield.Component, "project").Logger(), Repositories: repositories, Roles: ident.rbac,
		Memberships: ident.rbac, Users: ident.auth,
	})
	if err != nil {
		return &StartupError{Err: err}
	}
	ident.projects.of = projects
	ident.groups.of = projects
	ident.groupNames.of = projects
	gitProjects := projectResolver{projects}
	clusters, err := cluster.New(cluster.Deps{
		DB: db, Logger: log.With().Str(logfield.Component, "cluster").Logger(),
	})
	if err != nil {
		return &StartupError{Err: err}
	}
	pl, err := newPipelines(pipelineDeps{
		cfg: cfg, log: log, db: db, redis: redis, objects: objects, auth: ident.auth, authz: ident.rbac, clusters: clusters,
		projects: pipelineProjects{svc: projects, publicURL: strings.TrimRight(publicURL(cfg, ln.Addr().String()), "/")},
		repos:    repositories,
	})
	if err != nil {
		return &StartupError{Err: err}
	}
	leaderWorkers = append(leaderWorkers, pl.leaderWorkers...)
	for _, w := range leaderWorkers {
		if err := consensus.Register(w.Name, w.Run); err != nil {
			return &StartupError{Err: err}
		}
	}
	pushes := &pushTrigger{store: gitStore, pipelines: pl.service}
	mergeRequests, err := project.NewMergeRequests(projects, project.MergeRequestDeps{
		Logger: log.With().Str(logfield.Component, "merge-requests").Logger(),
		Repos:  repositories, Pipelines: mergeRequestPipelines{pl.service},
		Committers: committers{ident.auth}, Pushes: pushes, BeforeMerge: o.BeforeMerge,
	})
	if err != nil {
		return &StartupError{Err: err}
	}
	pushes.mergeRequests = mergeRequests
	pushWorkers, err := pushes.workers(!cfg.Git.NoPushWorker, log)
	if err != nil {
		return &StartupError{Err: err}
	}
	webConsole, err := console.New()
	if err != nil {
		return &StartupError{Err: err}
	}
	if !webConsole.Built() {
		log.Info().Msg("this binary has no web console build: / explains how to make one (make console)")
	}
	gitHTTP, err := git.NewHTTP(git.HTTPDeps{
		Storage: storage, Git: storage.Git, Projects: gitProjects, Authz: ident.rbac,
		Events: pushes, Rules: gitStore, Fallback: webConsole,
		Logger: log.With().Str(logfield.Component, "git").Logger(),
		Limits: git.Limits{MaxPushBytes: cfg.Git.MaxPushBytes, Global: cfg.Git.MaxProcesses, PerRepo: cfg.Git.MaxPerRepo},
	})
	if err != nil {
		return &StartupError{Err: err}
	}

	sessionAPI, userAPI, tokenAPI := ident.authAPI.Services()
	routes, rules, err := newRoutes(routesDeps{
		Logger:   log,
		Registry: reg,
		Authn:    ident.auth,
		Authz:    ident.rbac,
		APIs: []apiHandler{
			system.NewAPI(o.Version),
			sessionAPI, userAPI, tokenAPI,
			rbac.NewRoleAPI(ident.rbac), rbac.NewDelegationAPI(ident.rbac),
			audit.NewAPI(ident.audit),
			project.NewAPI(projects, publicURL(cfg, ln.Addr().String())),
			project.NewIssueAPI(projects),
			project.NewMergeRequestAPI(mergeRequests, repositories),
			project.NewGroupAPI(projects),
			git.NewRepositoryAPI(browser, gitProjects),
			git.NewRefRuleAPI(gitStore, gitProjects),
			cluster.NewAPI(clusters),
			cluster.NewRegistrationAPI(clusters),
			pl.gateway,
			pipeline.NewAPI(pl.service),
		},
		Mounts: []func(*http.ServeMux){
			func(mux *http.ServeMux) {
				git.RegisterDownloads(mux, git.DownloadDeps{Browser: browser, Projects: gitProjects, Authz: ident.rbac})
				pipeline.RegisterDownloads(mux, pipeline.DownloadDeps{Pipelines: pl.service, Authz: ident.rbac})
			},
			// The catch-all "/": git smart HTTP paths; everything else goes
			// to the console (client-side routes; API-shaped paths 404).
			gitHTTP.Register,
		},
		Console: webConsole,
		Checks: []Check{
			{Name: "postgres", Func: db.Ping},
			{Name: "redis", Func: redis.Ping},
			{Name: "s3", Func: objects.Ping},
			{Name: "raft", Func: func(context.Context) error { return consensus.Ready() }},
		},
	})
	if err != nil {
		return &StartupError{Err: err}
	}
	if o.Inspect != nil {
		o.Inspect(rules)
	}

	// From here on everything runs until ctx is cancelled.
	runCtx, cancelRun := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	errs := make(chan error, 4) // raft, workers, http, metrics http
	stops.push("background work", func(stopCtx context.Context) error {
		cancelRun()
		return waitGroup(stopCtx, &wg)
	})

	raftDone := make(chan error, 1)
	wg.Go(func() { raftDone <- consensus.Run(runCtx) })
	// Serve only once Raft runs and knows a leader, so a Raft port in use or
	// a broken raft.db is a start-up error like any other.
	waitCtx, cancelWait := context.WithTimeout(ctx, leaderWaitTimeout)
	err = consensus.WaitLeader(waitCtx)
	cancelWait()
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped while starting: a clean stop
		}
		if errors.Is(err, leader.ErrNotRunning) {
			if runErr := <-raftDone; runErr != nil {
				err = runErr
			}
		}
		return startupErr("raft: %w", err)
	}
	wg.Go(func() {
		if err := <-raftDone; err != nil {
			errs <- fmt.Errorf("raft: %w", err)
		}
	})
	wg.Go(func() {
		workers := append(slices.Clone(o.Workers), pl.workers...)
		workers = append(workers, supervisor.Worker{Name: "merge-request-refresh", Run: mergeRequests.Run})
		workers = append(workers, pushWorkers...)
		if err := super.Run(runCtx, workers...); err != nil {
			errs <- fmt.Errorf("workers: %w", err)
		}
	})

	srv := &http.Server{
		Handler:           withClient(newClientPolicy(cfg), routes),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          newStdLogger(log),
		BaseContext:       func(net.Listener) context.Context { return runCtx },
	}
	srv.Protocols = new(http.Protocols)
	srv.Protocols.SetHTTP1(true)
	srv.Protocols.SetHTTP2(true)
	if cfg.TLSCert == "" {
		// h2c: gRPC clients and node agents speak HTTP/2 without TLS on
		// loopback (or behind a TLS-terminating proxy).
		srv.Protocols.SetUnencryptedHTTP2(true)
	} else {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return startupErr("TLS certificate: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ln = tlsListener(ln, srv.TLSConfig)
	}
	// Agent streams are long-lived: tell them to reconnect elsewhere, or
	// Shutdown would wait for them until the deadline.
	srv.RegisterOnShutdown(pl.gateway.DrainAll)
	stops.push("http", func(stopCtx context.Context) error {
		err := srv.Shutdown(stopCtx)
		if errors.Is(err, context.DeadlineExceeded) {
			_ = srv.Close() // long-lived streams do not end by themselves
		}
		return err
	})
	wg.Go(func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs <- fmt.Errorf("http: %w", err)
		}
	})

	if metricsLn != nil {
		serveMetrics(runCtx, &wg, &stops, metricsLn, reg, log, errs)
	}
	log.Info().Str(logfield.Address, ln.Addr().String()).Str(logfield.Version, o.Version.String()).Msg("hearth is serving")
	if o.OnReady != nil {
		o.OnReady(ln.Addr())
	}
	if o.OnServing != nil {
		stop, err := o.OnServing(runCtx, Serving{
			URL:       "http://" + ln.Addr().String(),
			JoinToken: func(ctx context.Context, name string) (string, error) { return localJoinToken(ctx, clusters, name) },
		})
		if err != nil {
			log.Warn().Err(err).Msg("start-up hook failed; serving without it")
		} else if stop != nil {
			stops.push("local agent", stop)
		}
	}
	select {
	case <-ctx.Done():
		log.Info().Msg("stopping")
		return nil
	case err := <-errs:
		return err
	}
}

// serveMetrics serves the unauthenticated scrape port (--metrics-listen).
func serveMetrics(ctx context.Context, wg *sync.WaitGroup, stops *stopStack, ln net.Listener, reg *prometheus.Registry,
	log zerolog.Logger, errs chan<- error,
) {
	srv := &http.Server{
		Handler:           scrapeHandler(reg),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          newStdLogger(log),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	stops.push("metrics http", func(stopCtx context.Context) error { return srv.Shutdown(stopCtx) })
	wg.Go(func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs <- fmt.Errorf("metrics http: %w", err)
		}
	})
	log.Info().Str(logfield.Address, ln.Addr().String()).Msg("serving unauthenticated /metrics")
}

func listen(ctx context.Context, addr string) (net.Listener, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err == nil {
		return ln, nil
	}
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("cannot listen on %s: the address is already in use", addr)
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Err != nil {
		return nil, fmt.Errorf("cannot listen on %s: %w", addr, opErr.Err)
	}
	return nil, fmt.Errorf("cannot listen on %s: %w", addr, err)
}

func tlsListener(ln net.Listener, cfg *tls.Config) net.Listener {
	cfg = cfg.Clone()
	cfg.NextProtos = []string{"h2", "http/1.1"}
	return tls.NewListener(ln, cfg)
}

func ignoreClosed(err error) error {
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

func waitGroup(ctx context.Context, wg *sync.WaitGroup) error {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
