package localsvc

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/shared/logfield"
)

const (
	versitygw = "versitygw"
	// toolDir is where scripts/tools.sh (make tools) installs pinned tools,
	// relative to the repository root.
	toolDir = ".tools/bin"

	errVersitygwMissing = "versitygw not found on PATH or in .tools/bin of a parent directory: install it with 'make tools' or 'go install github.com/versity/versitygw/cmd/versitygw@v1.8.0'"
)

// S3Options configure StartS3.
type S3Options struct {
	// Dir holds the buckets (Dir/data, one directory per bucket, objects as
	// plain files). It is created when missing; buckets already in it are
	// served again.
	Dir string
	// Logger receives the server's output at debug level.
	Logger zerolog.Logger
	// Binary is the versitygw executable; empty: PATH, then .tools/bin in
	// the working directory, the executable's directory or their parents.
	Binary string

	env *environment // tests: where binaries are looked up, which ports
}

// S3 is a running S3 server (versitygw's POSIX backend) on a loopback port,
// with one root account whose keys are random per start.
type S3 struct {
	endpoint  string
	accessKey string
	secretKey string
	dataDir   string
	proc      *process
	log       zerolog.Logger
}

// StartS3 starts versitygw on a free loopback port and returns once it
// answers HTTP.
func StartS3(ctx context.Context, opts S3Options) (*S3, error) {
	ctx, cancel := withStartTimeout(ctx)
	defer cancel()
	log := opts.Logger
	began := time.Now()
	bin, err := findVersitygw(opts.Binary, opts.env)
	if err != nil {
		return nil, err
	}
	if opts.Dir == "" {
		return nil, errors.New("s3: no directory given")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	dataDir := filepath.Join(dir, "data")
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	for attempt := 1; ; attempt++ {
		port, err := opts.env.port(ctx)
		if err != nil {
			return nil, fmt.Errorf("s3: %w", err)
		}
		s, err := startS3On(ctx, bin, dir, dataDir, port, log)
		if err == nil {
			log.Info().Str(logfield.Address, s.endpoint).Dur(logfield.Duration, time.Since(began)).Msg("S3 server is ready")
			return s, nil
		}
		if !portTaken(err) || attempt == portAttempts {
			return nil, fmt.Errorf("s3: %w", err)
		}
		log.Debug().Int(logfield.Attempt, attempt).Msg("versitygw lost its port to another process; retrying on another")
	}
}

func startS3On(ctx context.Context, bin, dir, dataDir string, port int, log zerolog.Logger) (*S3, error) {
	s := &S3{
		endpoint: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		// Fresh keys each start: the POSIX backend keeps no accounts (there
		// is no IAM directory), so old buckets stay readable with new keys.
		accessKey: rand.Text()[:20],
		secretKey: rand.Text() + rand.Text()[:14],
		dataDir:   dataDir,
		log:       log,
	}
	proc, err := startProcess(procSpec{
		name: versitygw,
		path: bin,
		args: []string{"--port", s.endpoint, "--quiet", "posix", dataDir},
		// The keys travel in the environment, readable only by us, rather
		// than on the command line, which every local user can see.
		// childEnv drops any other VGW_* variable, so no IAM, event or
		// metrics service is configured from the developer's shell.
		env:         childEnv("ROOT_ACCESS_KEY_ID="+s.accessKey, "ROOT_SECRET_ACCESS_KEY="+s.secretKey),
		dir:         dir,
		stopSignal:  syscall.SIGTERM,
		deathSignal: syscall.SIGTERM,
		log:         log,
	})
	if err != nil {
		return nil, err
	}
	// A probe client of its own, without keep-alive, so that probing leaves
	// no idle connection (and its goroutines) behind.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	probeURL := "http://" + s.endpoint + "/"
	err = waitReady(ctx, proc, func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, probeURL, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		// Any answer (403 for an unsigned request) means it serves.
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.Body.Close()
	})
	if err != nil {
		proc.kill()
		return nil, err
	}
	s.proc = proc
	return s, nil
}

// findVersitygw looks for the binary: explicit path, PATH, then the
// repository's tool directory above the working directory or the
// executable (where 'make tools' puts it).
func findVersitygw(explicit string, env *environment) (string, error) {
	if explicit != "" {
		if !isExecutable(explicit) {
			return "", fmt.Errorf("s3: %s is not an executable file", explicit)
		}
		return explicit, nil
	}
	if p, ok := lookPath(versitygw, env.pathList()); ok {
		return p, nil
	}
	var starts []string
	cwd, exe := "", ""
	if env != nil {
		cwd, exe = env.cwd, env.exe
	}
	if cwd == "" {
		cwd, _ = os.Getwd()
	}
	if exe == "" {
		if p, err := os.Executable(); err == nil {
			exe = p
		}
	}
	if cwd != "" {
		starts = append(starts, cwd)
	}
	if exe != "" {
		starts = append(starts, filepath.Dir(exe))
	}
	for _, start := range starts {
		for d := start; ; d = filepath.Dir(d) {
			if p := filepath.Join(d, toolDir, versitygw); isExecutable(p) {
				return p, nil
			}
			if d == filepath.Dir(d) {
				break
			}
		}
	}
	return "", errors.New(errVersitygwMissing)
}

// Endpoint is the server's host:port (plain HTTP).
func (s *S3) Endpoint() string { return s.endpoint }

// AccessKey is the root account's access key.
func (s *S3) AccessKey() string { return s.accessKey }

// SecretKey is the root account's secret key.
func (s *S3) SecretKey() string { return s.secretKey }

// DataDir is the directory holding the buckets, one directory each.
func (s *S3) DataDir() string { return s.dataDir }

// Stop shuts the server down and waits; when ctx ends first it kills it.
func (s *S3) Stop(ctx context.Context) error {
	if err := s.proc.stop(ctx); err != nil {
		return fmt.Errorf("s3: %w", err)
	}
	s.log.Debug().Msg("S3 server stopped")
	return nil
}
