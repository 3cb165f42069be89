package server

import (
	"context"
	"fmt"
	"net"
	"slices"
	"sync"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/config"
	"github.com/hearth-dev/hearth/controlplane/internal/leader"
	"github.com/hearth-dev/hearth/controlplane/internal/supervisor"
	"github.com/hearth-dev/hearth/shared/backoff"
	"github.com/hearth-dev/hearth/shared/logfield"
	"github.com/hearth-dev/hearth/shared/logging"
	"github.com/hearth-dev/hearth/shared/version"
)

// Options are what Run needs besides the context.
type Options struct {
	Config  config.Config
	Logger  zerolog.Logger
	Version version.Info
	// Workers run on every replica; LeaderWorkers only on the Raft leader.
	// Features bring theirs in their module; tests add their own here.
	Workers       []supervisor.Worker
	LeaderWorkers []supervisor.Worker
	// WorkerBackoff spaces worker restarts (zero: backoff.Default).
	WorkerBackoff backoff.Policy
	// RaftTimings tightens Raft for tests (zero: production timings).
	RaftTimings leader.Timings
	// Inspect, when set, receives the authorization rules of every served
	// RPC at start (tests walk them).
	Inspect func(access.Rules)
	// OnReady is called once, with the bound address, when the server serves.
	OnReady func(addr net.Addr)
	// OnServing, when set, runs once the server serves (after OnReady);
	// the stop it returns runs first when the server stops. hearth dev
	// starts its local node agent here.
	OnServing func(ctx context.Context, s Serving) (stop func(context.Context) error, err error)
	// BeforeMerge, when set, runs in each merge attempt between its checks
	// and the merge itself (tests move the target branch there).
	BeforeMerge func(ctx context.Context, projectID uuid.UUID, number int64, attempt int)
	// LogTee, when set, is the tee of Logger's lines: with
	// --self-telemetry-project, the server's own log records are stored
	// there too.
	LogTee *logging.Tee
}

// Serving is what OnServing may use.
type Serving struct {
	// URL reaches this server ("http://127.0.0.1:8080").
	URL string
	// JoinToken creates (when missing) the named cluster and returns a
	// single-use join token for it, valid for an hour.
	JoinToken func(ctx context.Context, cluster string) (string, error)
}

// StartupError is an error found before the server could serve: bad
// configuration or an unreachable dependency. main exits 2 for it.
type StartupError struct{ Err error }

func (e *StartupError) Error() string { return e.Err.Error() }
func (e *StartupError) Unwrap() error { return e.Err }

func startupErr(format string, args ...any) error {
	return &StartupError{Err: fmt.Errorf(format, args...)}
}

// Run starts the control plane in stages (listeners, stores and the
// platform, the feature modules in dependency order, routes, then Raft,
// workers and HTTP) and serves until ctx is cancelled; it then stops
// everything it started in reverse order within the configured shutdown
// timeout. Errors before serving are *StartupError.
func Run(ctx context.Context, o Options) error {
	cfg, log := o.Config, o.Logger
	var stops stopStack
	defer func() { stops.run(log, cfg.ShutdownTimeout) }()

	lns, err := openListeners(ctx, cfg, &stops)
	if err != nil {
		return err
	}
	p, err := openPlatform(ctx, o, &stops)
	if err != nil {
		return err
	}
	feats, err := buildModules(ctx, o, p, publicURL(cfg, lns.main.Addr().String()))
	if err != nil {
		return &StartupError{Err: err}
	}
	for _, m := range feats.list {
		for _, stop := range m.Stops {
			stops.push(m.Name, stop)
		}
	}
	if feats.self != nil && o.LogTee != nil {
		o.LogTee.Attach(feats.self)
		stops.push("self-telemetry logs", func(context.Context) error { o.LogTee.Detach(); return nil })
	}
	if err := p.registerLeaderWorkers(slices.Concat(o.LeaderWorkers, feats.list.LeaderWorkers())); err != nil {
		return &StartupError{Err: err}
	}
	routes, rules, err := newRoutes(routesDeps{
		Logger: log, Registry: p.registry, Authn: feats.authn, Authz: feats.authz,
		APIs: feats.list.APIs(), Mounts: feats.list.Mounts(), Console: feats.console,
		Checks: slices.Concat(p.checks(), feats.list.Checks()),
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
	if stopped, err := p.startRaft(ctx, runCtx, &wg, errs); stopped || err != nil {
		return err // stopped while starting: a clean stop
	}
	wg.Go(func() {
		if err := p.supervisor.Run(runCtx, slices.Concat(o.Workers, feats.list.Workers())...); err != nil {
			errs <- fmt.Errorf("workers: %w", err)
		}
	})
	if err := serveHTTP(runCtx, &wg, &stops, lns.main, withSelfTrace(feats.self, routes), cfg, log, feats.list.Draining(), errs); err != nil {
		return err
	}
	if lns.metrics != nil {
		serveMetrics(runCtx, &wg, &stops, lns.metrics, p.registry, log, errs)
	}
	log.Info().Str(logfield.Address, lns.main.Addr().String()).Str(logfield.Version, o.Version.String()).Msg("hearth is serving")
	runHooks(runCtx, o, &stops, lns.main.Addr(), feats.joinToken)
	select {
	case <-ctx.Done():
		log.Info().Msg("stopping")
		return nil
	case err := <-errs:
		return err
	}
}

// runHooks tells the caller the server serves (OnReady, OnServing).
func runHooks(ctx context.Context, o Options, stops *stopStack, addr net.Addr, joinToken func(context.Context, string) (string, error)) {
	if o.OnReady != nil {
		o.OnReady(addr)
	}
	if o.OnServing == nil {
		return
	}
	stop, err := o.OnServing(ctx, Serving{URL: "http://" + addr.String(), JoinToken: joinToken})
	if err != nil {
		o.Logger.Warn().Err(err).Msg("start-up hook failed; serving without it")
	} else if stop != nil {
		stops.push("local agent", stop)
	}
}
