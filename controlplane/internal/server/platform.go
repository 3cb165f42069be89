package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hearth-dev/hearth/controlplane/internal/cache"
	"github.com/hearth-dev/hearth/controlplane/internal/config"
	"github.com/hearth-dev/hearth/controlplane/internal/leader"
	"github.com/hearth-dev/hearth/controlplane/internal/module"
	"github.com/hearth-dev/hearth/controlplane/internal/objectstore"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/controlplane/internal/supervisor"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// leaderWaitTimeout bounds how long start-up waits for Raft to know a leader.
const leaderWaitTimeout = time.Minute

// listeners are the bound ports: the main one and, with --metrics-listen,
// the unauthenticated scrape port.
type listeners struct {
	main, metrics net.Listener
}

// openListeners binds first: a busy port is the cheapest mistake to report.
func openListeners(ctx context.Context, cfg config.Config, stops *stopStack) (listeners, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return listeners{}, startupErr("data directory: %w", err)
	}
	var l listeners
	var err error
	if l.main, err = listen(ctx, cfg.Listen); err != nil {
		return listeners{}, &StartupError{Err: err}
	}
	stops.push("listener", func(context.Context) error { return ignoreClosed(l.main.Close()) })
	if cfg.MetricsListen != "" {
		if l.metrics, err = listen(ctx, cfg.MetricsListen); err != nil {
			return listeners{}, startupErr("--metrics-listen: %w", err)
		}
		stops.push("metrics listener", func(context.Context) error { return ignoreClosed(l.metrics.Close()) })
	}
	return l, nil
}

// platform is what every feature stands on: the stores, the metrics
// registry, the worker supervisor and Raft.
type platform struct {
	db         *store.DB
	redis      *cache.Cache
	objects    *objectstore.Store
	registry   *prometheus.Registry
	supervisor *supervisor.Supervisor
	consensus  *leader.Service
}

// openPlatform connects the stores (migrating the database) and builds the
// supervisor and Raft.
func openPlatform(ctx context.Context, o Options, stops *stopStack) (*platform, error) {
	cfg, log := o.Config, o.Logger
	db, err := store.Open(ctx, store.Config{
		URL:              cfg.Database.URL,
		MaxConns:         int32(cfg.Database.MaxConns), //nolint:gosec // G115: validated small positive number.
		MinConns:         int32(cfg.Database.MinConns), //nolint:gosec // G115: validated small non-negative number.
		ConnectTimeout:   cfg.Database.ConnectTimeout,
		StatementTimeout: cfg.Database.StatementTimeout,
	})
	if err != nil {
		return nil, &StartupError{Err: err}
	}
	stops.push("database", func(context.Context) error { db.Close(); return nil })
	if err := store.Migrate(ctx, db, log.With().Str(logfield.Component, "migrate").Logger()); err != nil {
		return nil, &StartupError{Err: err}
	}
	redis, err := cache.Open(ctx, cfg.RedisURL, cfg.Database.ConnectTimeout)
	if err != nil {
		return nil, &StartupError{Err: err}
	}
	stops.push("redis", func(context.Context) error { return redis.Close() })
	objects, err := objectstore.Open(ctx, objectstore.Config{
		Endpoint: cfg.S3.Endpoint, Region: cfg.S3.Region, Bucket: cfg.S3.Bucket,
		AccessKey: cfg.S3.AccessKey, SecretKey: cfg.S3.SecretKey,
	})
	if err != nil {
		return nil, &StartupError{Err: err}
	}
	p := &platform{db: db, redis: redis, objects: objects, registry: newRegistry()}
	if p.supervisor, err = supervisor.New(supervisor.Deps{
		Logger:     log.With().Str(logfield.Component, "supervisor").Logger(),
		Registerer: p.registry,
		Backoff:    o.WorkerBackoff,
	}); err != nil {
		return nil, &StartupError{Err: err}
	}
	if p.consensus, err = leader.New(leader.Deps{
		Logger:     log.With().Str(logfield.Component, "leader").Logger(),
		Registerer: p.registry,
		Supervisor: p.supervisor,
		Backoff:    o.WorkerBackoff,
		DataDir:    cfg.DataDir,
		NodeID:     cfg.Raft.NodeID,
		BindAddr:   cfg.Raft.Listen,
		Timings:    o.RaftTimings,
		Epochs:     db, // fences leader-only writes in PostgreSQL
	}); err != nil {
		return nil, &StartupError{Err: err}
	}
	return p, nil
}

// checks are the platform's readiness checks.
func (p *platform) checks() []module.Check {
	return []module.Check{
		{Name: "postgres", Func: p.db.Ping},
		{Name: "redis", Func: p.redis.Ping},
		{Name: "s3", Func: p.objects.Ping},
		{Name: "raft", Func: func(context.Context) error { return p.consensus.Ready() }},
	}
}

// registerLeaderWorkers hands Raft the workers it runs while leading.
func (p *platform) registerLeaderWorkers(workers []supervisor.Worker) error {
	for _, w := range workers {
		if err := p.consensus.Register(w.Name, w.Run); err != nil {
			return err
		}
	}
	return nil
}

// startRaft runs Raft until runCtx ends and waits until it knows a leader,
// so a Raft port in use or a broken raft.db is a start-up error like any
// other. stopped reports that ctx ended while waiting: a clean stop.
func (p *platform) startRaft(ctx, runCtx context.Context, wg *sync.WaitGroup, errs chan<- error) (stopped bool, err error) {
	raftDone := make(chan error, 1)
	wg.Go(func() { raftDone <- p.consensus.Run(runCtx) })
	waitCtx, cancelWait := context.WithTimeout(ctx, leaderWaitTimeout)
	err = p.consensus.WaitLeader(waitCtx)
	cancelWait()
	select {
	case <-ctx.Done():
		return true, nil
	default:
	}
	if err != nil {
		if errors.Is(err, leader.ErrNotRunning) {
			if runErr := <-raftDone; runErr != nil {
				err = runErr
			}
		}
		return false, startupErr("raft: %w", err)
	}
	wg.Go(func() {
		if err := <-raftDone; err != nil {
			errs <- fmt.Errorf("raft: %w", err)
		}
	})
	return false, nil
}
