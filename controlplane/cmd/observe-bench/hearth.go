package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"slices"
	"time"

	"connectrpc.com/connect"
	"github.com/rs/zerolog"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hearth-dev/hearth/controlplane/internal/localsvc"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// What a real `hearth server` runs on — PostgreSQL, Redis and the S3
// server, as the tests start them — and the server itself, started the
// way e2e/process_test.go does.

const adminPassword = "observe-bench-admin-password"

// helpers are the services hearth needs.
type helpers struct {
	pg          *localsvc.Postgres
	redis       *localsvc.Redis
	s3          *localsvc.S3
	databaseURL string
	bucket      string
}

func startHelpers(ctx context.Context, dir string) (*helpers, error) {
	log := zerolog.Nop()
	pg, err := localsvc.StartPostgres(ctx, localsvc.PostgresOptions{Dir: filepath.Join(dir, "pg"), Logger: log, Fast: true})
	if err != nil {
		return nil, err
	}
	h := &helpers{pg: pg, bucket: "observe-bench"}
	if err := pg.CreateDatabase(ctx, "hearth"); err != nil {
		h.stop()
		return nil, err
	}
	h.databaseURL = pg.URL("hearth")
	if h.redis, err = localsvc.StartRedis(ctx, localsvc.RedisOptions{Dir: filepath.Join(dir, "redis"), Logger: log}); err != nil {
		h.stop()
		return nil, err
	}
	if h.s3, err = localsvc.StartS3(ctx, localsvc.S3Options{Dir: filepath.Join(dir, "s3"), Logger: log}); err != nil {
		h.stop()
		return nil, err
	}
	return h, nil
}

func (h *helpers) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if h.s3 != nil {
		_ = h.s3.Stop(ctx)
	}
	if h.redis != nil {
		_ = h.redis.Stop(ctx)
	}
	_ = h.pg.Stop(ctx)
}

// hearthSpec is how to start (and restart, on the same state) hearth.
type hearthSpec struct {
	bin     []string // the binary and any arguments before "server"
	dataDir string
	listen  string
	raft    string
	env     []string
	h       *helpers
}

func newHearthSpec(bin, dir string, h *helpers) (*hearthSpec, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	return &hearthSpec{
		bin: []string{bin}, dataDir: filepath.Join(dir, "hearth"), listen: freeAddr(), raft: freeAddr(), h: h,
		env: []string{
			"HEARTH_ADMIN_PASSWORD=" + adminPassword, "HEARTH_S3_SECRET_KEY=" + h.s3.SecretKey(),
			"HEARTH_SECRETS_ROOT_KEY=" + base64.StdEncoding.EncodeToString(key),
		},
	}, nil
}

func (s *hearthSpec) url() string { return "http://" + s.listen }

// start runs `hearth server` pinned to cpus ("" for none) and waits until
// it is ready. The rate limit is lifted far above what one replica can
// take: the benchmark measures cost, not the limiter.
func (s *hearthSpec) start(ctx context.Context, name, cpus, logPath string) (*server, error) {
	args := slices.Concat(s.bin[1:], []string{"server",
		"--listen", s.listen, "--raft-listen", s.raft, "--node-id", "bench", "--data-dir", s.dataDir,
		"--log-level", "warn", "--log-format", "json",
		"--database-url", s.h.databaseURL, "--redis-url", s.h.redis.URL(),
		"--s3-endpoint", "http://" + s.h.s3.Endpoint(), "--s3-bucket", s.h.bucket, "--s3-access-key", s.h.s3.AccessKey(),
		"--observe-rate", "100000000", "--observe-burst", "200000000",
	})
	srv, err := start(name, cpus, logPath, s.bin[0], args, s.env)
	if err != nil {
		return nil, err
	}
	srv.grpcAddr, srv.httpURL = s.listen, s.url()
	if err := srv.waitHTTP(ctx, s.url()+"/readyz", false); err != nil {
		srv.stop()
		return nil, fmt.Errorf("%w (see %s)", err, logPath)
	}
	return srv, nil
}

// tokens are the credentials of the benchmark's two projects.
type tokens struct {
	ingestProject string // the id of owner/ingest
	ingestWriter  string // observe:write on owner/ingest
	queryProject  string // the id of owner/query
	queryReader   string // observe:read on owner/query
}

// setUp signs in as the initial admin, creates the projects "ingest" and
// "query" and the project tokens.
func setUp(ctx context.Context, url string) (tokens, error) {
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	login, err := hearthv1connect.NewAuthServiceClient(client, url).Login(ctx, &hearthv1.LoginRequest{Username: "admin", Password: adminPassword})
	if err != nil {
		return tokens{}, fmt.Errorf("signing in: %w", err)
	}
	csrf := connect.WithInterceptors(header{"X-CSRF-Token", login.GetCsrfToken()})
	projects := hearthv1connect.NewProjectServiceClient(client, url, csrf)
	tokenSvc := hearthv1connect.NewTokenServiceClient(client, url, csrf)
	token := func(project, scope string) (string, error) {
		res, err := tokenSvc.CreateToken(ctx, &hearthv1.CreateTokenRequest{
			Name: "bench-" + scope, Scopes: []string{scope}, ProjectId: project, ExpireTime: timestamppb.New(time.Now().Add(24 * time.Hour)),
		})
		return res.GetToken(), err
	}
	var t tokens
	for _, name := range []string{"ingest", "query"} {
		p, err := projects.CreateProject(ctx, &hearthv1.CreateProjectRequest{Name: name})
		if err != nil {
			return t, fmt.Errorf("creating project %s: %w", name, err)
		}
		id := p.GetProject().GetId()
		if name == "ingest" {
			t.ingestProject = id
			if t.ingestWriter, err = token(id, "observe:write"); err != nil {
				return t, err
			}
			continue
		}
		t.queryProject = id
		if t.queryReader, err = token(id, "observe:read"); err != nil {
			return t, err
		}
	}
	return t, nil
}

// header is a client interceptor setting one request header.
type header struct{ key, value string }

func (h header) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		req.Header().Set(h.key, h.value)
		return next(ctx, req)
	}
}

func (h header) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (h header) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}

// collectorConfig writes an OpenTelemetry Collector configuration: OTLP
// gRPC and HTTP on loopback, the batch processor, and exporter (nop, or
// file: protobuf to path), for traces and logs; its own telemetry off.
func collectorConfig(path, grpcAddr, httpAddr, exporter, outPath string) error {
	exp := "  nop: {}\n"
	if exporter == "file" {
		// Rotation bounds the disk a long run fills.
		exp = fmt.Sprintf("  file:\n    path: %s\n    format: proto\n    rotation: {max_megabytes: 256, max_backups: 2}\n", outPath)
	}
	cfg := fmt.Sprintf(`receivers:
  otlp:
    protocols:
      grpc: {endpoint: "%s"}
      http: {endpoint: "%s"}
processors:
  batch: {}
exporters:
%sservice:
  telemetry:
    metrics: {level: none}
    logs: {level: warn}
  pipelines:
    traces: {receivers: [otlp], processors: [batch], exporters: [%s]}
    logs: {receivers: [otlp], processors: [batch], exporters: [%s]}
`, grpcAddr, httpAddr, exp, exporter, exporter)
	return os.WriteFile(path, []byte(cfg), 0o600)
}

// startCollector runs a collector binary pinned to cpus.
func startCollector(ctx context.Context, name, bin, exporter, dir, cpus string) (*server, error) {
	grpcAddr, httpAddr := freeAddr(), freeAddr()
	cfg := filepath.Join(dir, name+".yaml")
	if err := collectorConfig(cfg, grpcAddr, httpAddr, exporter, filepath.Join(dir, name+"-out.binpb")); err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, name+".log")
	srv, err := start(name, cpus, logPath, bin, []string{"--config", cfg}, nil)
	if err != nil {
		return nil, err
	}
	srv.grpcAddr, srv.httpURL = grpcAddr, "http://"+httpAddr
	for _, a := range []string{grpcAddr, httpAddr} {
		if err := srv.waitTCP(ctx, a); err != nil {
			srv.stop()
			return nil, fmt.Errorf("%w (see %s)", err, logPath)
		}
	}
	return srv, nil
}
