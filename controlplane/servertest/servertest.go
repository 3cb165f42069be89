// Package servertest starts a whole control plane in the test's process
// against the real services of testsvc: a fresh database, the shared Redis
// and a fresh S3 bucket, ports :0, a t.TempDir() data directory and tight
// Raft timings. It stops when the test ends.
package servertest

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/hearth-dev/hearth/controlplane/internal/config"
	"github.com/hearth-dev/hearth/controlplane/internal/leader"
	"github.com/hearth-dev/hearth/controlplane/internal/server"
	"github.com/hearth-dev/hearth/controlplane/internal/supervisor"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
	"github.com/hearth-dev/hearth/shared/backoff"
	"github.com/hearth-dev/hearth/shared/version"
)

// Server is a running control plane.
type Server struct {
	// URL is the base URL, e.g. http://127.0.0.1:41234.
	URL string
	// DatabaseURL is the server's own database.
	DatabaseURL string
	// DataDir is the server's data directory.
	DataDir string
}

// Option adjusts the server before it starts.
type Option func(*server.Options)

// WithWorkers adds background workers run on every replica.
func WithWorkers(w ...supervisor.Worker) Option {
	return func(o *server.Options) { o.Workers = append(o.Workers, w...) }
}

// WithLeaderWorkers adds leader-only workers.
func WithLeaderWorkers(w ...supervisor.Worker) Option {
	return func(o *server.Options) { o.LeaderWorkers = append(o.LeaderWorkers, w...) }
}

// startTimeout bounds a start; the first one in a binary also starts the
// shared PostgreSQL, Redis and S3.
const startTimeout = 2 * time.Minute

// Start runs a control plane until the test ends. The calling package's
// TestMain must use testsvc.Main.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s3 := testsvc.S3(t)
	s := &Server{DatabaseURL: testsvc.NewDatabaseURL(t), DataDir: t.TempDir()}
	o := server.Options{
		Config: config.Config{
			Listen:          "127.0.0.1:0",
			DataDir:         s.DataDir,
			LogLevel:        "debug",
			LogFormat:       "json",
			ShutdownTimeout: 10 * time.Second,
			Database: config.Database{
				URL: s.DatabaseURL, MaxConns: 10, ConnectTimeout: 5 * time.Second, StatementTimeout: 30 * time.Second,
			},
			RedisURL: testsvc.Redis(t),
			S3: config.S3{
				Endpoint: "http://" + s3.Endpoint, Region: "us-east-1", Bucket: s3.Bucket,
				AccessKey: s3.AccessKey, SecretKey: s3.SecretKey,
			},
			Raft: config.Raft{Listen: "127.0.0.1:0", NodeID: "test"},
		},
		Logger:        testsvc.Logger(t),
		Version:       version.Info{Version: "test", GoVersion: "go-test"},
		WorkerBackoff: backoff.Policy{Min: time.Millisecond, Max: 20 * time.Millisecond},
		RaftTimings:   leader.FastTimings(),
	}
	for _, opt := range opts {
		opt(&o)
	}
	ready := make(chan string, 1)
	o.OnReady = func(addr net.Addr) { ready <- addr.String() }

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.Run(ctx, o) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server stopped with: %v", err)
		}
	})
	select {
	case addr := <-ready:
		s.URL = "http://" + addr
	case err := <-done:
		t.Fatalf("server did not start: %v", err)
	case <-time.After(startTimeout):
		t.Fatal("server did not start in time")
	}
	return s
}
