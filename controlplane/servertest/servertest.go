// Package servertest starts a whole control plane in the test's process
// against the real services of testsvc: a fresh database, the shared Redis
// and a fresh S3 bucket, ports :0, a t.TempDir() data directory and tight
// Raft timings. It stops when the test ends.
package servertest

import (
	"context"
	"io"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/config"
	"github.com/hearth-dev/hearth/controlplane/internal/leader"
	"github.com/hearth-dev/hearth/controlplane/internal/secret/envelope"
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
	// RedisURL is the Redis database the server uses.
	RedisURL string
	// AdminPassword is the password of the initial administrator "admin".
	AdminPassword string
	// Rules are the authorization rules of every served RPC.
	Rules access.Rules

	s3 config.S3
	// Secrets is the root key configuration, shared with replicas.
	Secrets config.Secrets
	stop    func()
}

// Stop stops the server now (a restart test starts another replica with
// SharingStateWith). Calling it again, or the test's cleanup after it, does
// nothing more.
func (s *Server) Stop() { s.stop() }

// AdminUsername is the initial administrator's name.
const AdminUsername = "admin"

// adminPassword is what test servers give the initial administrator.
const adminPassword = "test-admin-password-1234"

// Option adjusts the server before it starts.
type Option func(*server.Options)

// SharingStateWith makes the server a second replica of other: the same
// database, Redis and S3 bucket (its own data directory and Raft).
func SharingStateWith(other *Server) Option {
	return func(o *server.Options) {
		o.Config.Database.URL = other.DatabaseURL
		o.Config.RedisURL = other.RedisURL
		o.Config.S3 = other.s3
		o.Config.Secrets = other.Secrets
	}
}

// WithConfig adjusts the configuration (pipeline timings, limits).
func WithConfig(f func(*config.Config)) Option {
	return func(o *server.Options) { f(&o.Config) }
}

// ListenOn makes the server listen on host (a free port) instead of
// 127.0.0.1: a kubetest node's address, which pods reach. Clone URLs
// follow, since the public URL defaults to the bound address.
func ListenOn(host string) Option {
	return func(o *server.Options) { o.Config.Listen = net.JoinHostPort(host, "0") }
}

// ReaperGrace sets how long the job reaper waits for a silent agent
// (servertest's default is 3 s): an agent that must wait for a Lease after
// a crash needs longer.
func ReaperGrace(d time.Duration) Option {
	return func(o *server.Options) { o.Config.Pipeline.ReaperGrace = d }
}

// SMTP sends notification emails to a plain SMTP server at addr
// (loopback), from hearth@example.test, coalescing for 100ms and at most
// one per user per minute.
func SMTP(addr string) Option {
	return func(o *server.Options) {
		host, port, _ := net.SplitHostPort(addr)
		n, _ := strconv.Atoi(port)
		o.Config.Notify.SMTPHost, o.Config.Notify.SMTPPort, o.Config.Notify.SMTPTLS = host, n, "none"
		o.Config.Notify.SMTPFrom = "Hearth <hearth@example.test>"
		o.Config.Notify.EmailCoalesce, o.Config.Notify.EmailMinInterval = 100*time.Millisecond, time.Minute
	}
}

// Webhooks sets the webhook policy: the first retry's delay, the attempts
// per delivery, the failed deliveries in a row that disable a webhook,
// and whether loopback receivers are allowed (they are refused unless
// allowlisted, like any private address).
func Webhooks(firstRetry time.Duration, maxAttempts, disableAfter int, allowLoopback bool) Option {
	return func(o *server.Options) {
		n := &o.Config.Notify
		n.WebhookFirstRetry, n.WebhookMaxAttempts, n.WebhookDisableAfter = firstRetry, maxAttempts, disableAfter
		n.WebhookAllow = nil
		if allowLoopback {
			n.WebhookAllow = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
		}
	}
}

// LogTo sends the server's log to w instead of the test's log (a test
// that scans what the server logged; it prints w itself on failure).
func LogTo(w io.Writer) Option {
	return func(o *server.Options) { o.Logger = zerolog.New(w).With().Timestamp().Logger() }
}

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
	s := &Server{DataDir: t.TempDir(), AdminPassword: adminPassword}
	o := server.Options{
		Config: config.Config{
			Listen:          "127.0.0.1:0",
			DataDir:         s.DataDir,
			LogLevel:        "debug",
			LogFormat:       "json",
			ShutdownTimeout: 10 * time.Second,
			Database: config.Database{
				MaxConns: 10, ConnectTimeout: 5 * time.Second, StatementTimeout: 30 * time.Second,
			},
			Auth: config.Auth{
				AdminPassword: adminPassword, SessionIdle: time.Hour, SessionMaxAge: 24 * time.Hour,
				// Cheap hashes: tests sign in often; the parameters' cost is measured by benchmarks.
				PasswordMemoryKiB: 8 * 1024, PasswordTime: 1, PasswordThreads: 1,
			},
			S3: config.S3{
				Endpoint: "http://" + s3.Endpoint, Region: "us-east-1", Bucket: s3.Bucket,
				AccessKey: s3.AccessKey, SecretKey: s3.SecretKey,
			},
			Raft: config.Raft{Listen: "127.0.0.1:0", NodeID: "test"},
			// Tight agent timings: tests wait for streams and the reaper.
			Pipeline: config.Pipeline{
				AgentHeartbeat: 200 * time.Millisecond, MaxStreamAge: time.Minute,
				ReaperGrace: 3 * time.Second, MaxArtifactBytes: 64 << 20,
			},
		},
		Logger:        testsvc.Logger(t),
		Version:       version.Info{Version: "test", GoVersion: "go-test"},
		WorkerBackoff: backoff.Policy{Min: time.Millisecond, Max: 20 * time.Millisecond},
		RaftTimings:   leader.FastTimings(),
	}
	keyFile := filepath.Join(t.TempDir(), "secrets-root-key")
	if _, err := envelope.EnsureKeyFile(keyFile); err != nil {
		t.Fatal(err)
	}
	o.Config.Secrets.RootKeyFile = keyFile
	for _, opt := range opts {
		opt(&o)
	}
	if o.Config.Database.URL == "" {
		o.Config.Database.URL = testsvc.NewDatabaseURL(t)
	}
	if o.Config.RedisURL == "" {
		o.Config.RedisURL = testsvc.Redis(t)
	}
	s.DatabaseURL, s.RedisURL, s.s3, s.DataDir, s.Secrets = o.Config.Database.URL, o.Config.RedisURL, o.Config.S3, o.Config.DataDir, o.Config.Secrets
	o.Inspect = func(rules access.Rules) { s.Rules = rules }
	ready := make(chan string, 1)
	o.OnReady = func(addr net.Addr) { ready <- addr.String() }

	ctx, cancel := context.WithCancel(context.Background())
	finished := make(chan struct{})
	var runErr error
	go func() { runErr = server.Run(ctx, o); close(finished) }()
	var once sync.Once
	s.stop = func() {
		once.Do(func() {
			cancel()
			<-finished
			if runErr != nil {
				t.Errorf("server stopped with: %v", runErr)
			}
		})
	}
	t.Cleanup(s.stop)
	select {
	case addr := <-ready:
		s.URL = "http://" + addr
	case <-finished:
		t.Fatalf("server did not start: %v", runErr)
	case <-time.After(startTimeout):
		t.Fatal("server did not start in time")
	}
	return s
}
