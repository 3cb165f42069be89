package localsvc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/shared/logfield"
)

const errRedisMissing = "redis-server not found on PATH: install it with 'apt-get install -y redis-server'"

// RedisOptions configure StartRedis.
type RedisOptions struct {
	// Dir is redis-server's working directory. Nothing is persisted there;
	// it is created when missing.
	Dir string
	// Logger receives the server's output at debug level.
	Logger zerolog.Logger
	// AllowInProcess lets StartRedis fall back to miniredis, an in-process
	// Redis-protocol server on a loopback port, when redis-server is not
	// installed (hearth dev on a bare machine). Tests leave it off: they
	// must run against the real server.
	AllowInProcess bool
	// Databases is the number of logical databases (redis-server's
	// "databases"); 0 keeps the server's default of 16.
	Databases int
	// Port is the loopback port to listen on; 0 picks a free one. A fixed
	// port lets a stopped server come back at the same address (fault
	// tests restart Redis under a running control plane).
	Port int

	env *environment // tests: where binaries are looked up, which ports
}

// Redis is a running Redis server on a loopback port.
type Redis struct {
	addr string
	proc *process             // redis-server, or
	mini *miniredis.Miniredis // the in-process fallback
	log  zerolog.Logger
}

// StartRedis starts redis-server without persistence on a free loopback
// port and returns once it answers PING.
func StartRedis(ctx context.Context, opts RedisOptions) (*Redis, error) {
	ctx, cancel := withStartTimeout(ctx)
	defer cancel()
	log := opts.Logger
	began := time.Now()
	bin, ok := lookPath("redis-server", opts.env.pathList())
	if !ok {
		if !opts.AllowInProcess {
			return nil, errors.New(errRedisMissing)
		}
		return startMiniredis(log)
	}
	if opts.Dir == "" {
		return nil, errors.New("redis: no directory given")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	if opts.Port != 0 {
		// The caller chose the port: a taken one is its error, not ours
		// to work around.
		r, err := startRedisOn(ctx, bin, dir, opts.Port, opts.Databases, log)
		if err != nil {
			return nil, fmt.Errorf("redis: %w", err)
		}
		log.Info().Str(logfield.Address, r.addr).Dur(logfield.Duration, time.Since(began)).Msg("Redis is ready")
		return r, nil
	}
	for attempt := 1; ; attempt++ {
		port, err := opts.env.port(ctx)
		if err != nil {
			return nil, fmt.Errorf("redis: %w", err)
		}
		r, err := startRedisOn(ctx, bin, dir, port, opts.Databases, log)
		if err == nil {
			log.Info().Str(logfield.Address, r.addr).Dur(logfield.Duration, time.Since(began)).Msg("Redis is ready")
			return r, nil
		}
		if !portTaken(err) || attempt == portAttempts {
			return nil, fmt.Errorf("redis: %w", err)
		}
		log.Debug().Int(logfield.Attempt, attempt).Msg("redis-server lost its port to another process; retrying on another")
	}
}

func startRedisOn(ctx context.Context, bin, dir string, port, databases int, log zerolog.Logger) (*Redis, error) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	args := []string{
		"--bind", "127.0.0.1",
		"--port", strconv.Itoa(port),
		"--save", "", // Redis holds only what can be lost: no snapshots,
		"--appendonly", "no", // no append-only file
		"--dir", dir,
		"--daemonize", "no",
		"--logfile", "", // stdout, which goes to the logger
	}
	if databases > 0 {
		args = append(args, "--databases", strconv.Itoa(databases))
	}
	proc, err := startProcess(procSpec{
		name:        "redis-server",
		path:        bin,
		args:        args,
		env:         childEnv(),
		dir:         dir,
		stopSignal:  syscall.SIGTERM,
		deathSignal: syscall.SIGTERM,
		log:         log,
	})
	if err != nil {
		return nil, err
	}
	if err := waitReady(ctx, proc, func(ctx context.Context) error { return ping(ctx, addr) }); err != nil {
		proc.kill()
		return nil, err
	}
	return &Redis{addr: addr, proc: proc, log: log}, nil
}

// ping sends one PING over a fresh connection: a probe that needs no client
// library and leaves no goroutine or pooled connection behind.
func ping(ctx context.Context, addr string) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	// Reads do not watch ctx: closing the connection unblocks them.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	reply, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(reply, "+PONG") {
		// "-LOADING …" and the like: up, but not serving yet.
		return fmt.Errorf("PING answered %q", strings.TrimSpace(reply))
	}
	return nil
}

func startMiniredis(log zerolog.Logger) (*Redis, error) {
	m := miniredis.NewMiniRedis()
	if err := m.StartAddr("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("redis: starting in-process miniredis: %w", err)
	}
	log.Warn().Str(logfield.Address, m.Addr()).Msg("redis-server not found, using an in-process Redis (miniredis); install it with 'apt-get install -y redis-server'")
	return &Redis{addr: m.Addr(), mini: m, log: log}, nil
}

// Addr is the server's host:port.
func (r *Redis) Addr() string { return r.addr }

// URL is a go-redis URL for database 0.
func (r *Redis) URL() string { return "redis://" + r.addr + "/0" }

// InProcess reports whether this is the miniredis fallback.
func (r *Redis) InProcess() bool { return r.mini != nil }

// Stop shuts the server down and waits; when ctx ends first it kills it.
func (r *Redis) Stop(ctx context.Context) error {
	if r.mini != nil {
		r.mini.Close()
		return nil
	}
	if err := r.proc.stop(ctx); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	r.log.Debug().Msg("Redis stopped")
	return nil
}
