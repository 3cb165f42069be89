package session

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/nodeagent/internal/identity"
	"github.com/hearth-dev/hearth/nodeagent/internal/runner"
	"github.com/hearth-dev/hearth/shared/backoff"
	"github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1/agentv1connect"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// Defaults of Deps and Tuning.
const (
	DefaultCapacity       = 4
	MaxCapacity           = 1000
	DefaultMaxJobLogBytes = 1 << 30
	DefaultRotateEvery    = 12 * time.Hour
	DefaultStableAfter    = time.Minute
	DefaultPollInterval   = 20 * time.Millisecond
	DefaultWindow         = 4 << 20
	DefaultChunkSize      = 1 << 20
	DefaultWelcomeTimeout = 30 * time.Second
	DefaultResendAfter    = 10 * time.Second
	DefaultAckedFlush     = time.Second
	DefaultUploadChunk    = 256 << 10
)

// JobsDir is the directory of job directories inside the data directory.
const JobsDir = "jobs"

// Deps is what a Session needs.
type Deps struct {
	// Server is the control plane's base URL: http:// (h2c, for loopback
	// and trusted networks) or https://.
	Server string
	// DataDir holds identity.json and jobs/ (created 0700).
	DataDir string
	// Identity keeps the agent's identity (nil: identity.json in DataDir).
	Identity identity.Store
	// JoinToken registers the agent when Identity holds none yet;
	// ignored (and said so in the log) when it has one. Never logged.
	JoinToken string
	// Name (empty: the host name) and Labels are sent at registration;
	// Labels also in every Hello.
	Name   string
	Labels map[string]string
	// Capacity is how many jobs run at once (1-1000; 0: DefaultCapacity).
	Capacity int
	Runner   runner.Runner
	// MaxJobLogBytes bounds one job's log (all steps); beyond it the job is
	// cancelled and fails "log limit exceeded" (0: DefaultMaxJobLogBytes).
	MaxJobLogBytes int64
	// RotateEvery is the credential rotation period (0: DefaultRotateEvery).
	RotateEvery time.Duration
	// OTLPEndpoint is the URL of the agent's OTLP receiver as jobs reach
	// it (empty: the agent receives no OTLP). Jobs with a token get the
	// OpenTelemetry exporter variables pointing there (telemetry.go).
	OTLPEndpoint string
	Logger       zerolog.Logger
	// Tuning: zero values take the defaults; tests shorten them.
	Tuning Tuning
}

// Tuning are the session's timings and sizes.
type Tuning struct {
	// Backoff paces reconnects, registration and upload retries
	// (backoff.Default).
	Backoff backoff.Policy
	// StableAfter: a stream that reached Welcome and lived this long resets
	// the reconnect backoff.
	StableAfter time.Duration
	// PollInterval: how often the logs of active jobs are checked.
	PollInterval time.Duration
	// Window: unacknowledged log bytes in flight, per agent.
	Window int
	// ChunkSize: LogChunk.data at most (the protocol allows 1 MiB).
	ChunkSize int
	// WelcomeTimeout: how long to wait for Welcome after Hello.
	WelcomeTimeout time.Duration
	// ResendAfter: log bytes or a status unacknowledged for this long (with
	// no ack at all meanwhile) are sent again on the same stream.
	ResendAfter time.Duration
	// AckedFlush: acknowledged offsets are written to disk at most this
	// often per job (a stale file only causes duplicates, which the control
	// plane drops).
	AckedFlush time.Duration
	// UploadChunk: bytes per UploadArtifact data message.
	UploadChunk int
	// RotateRetry paces credential rotation retries (1s to 5min).
	RotateRetry backoff.Policy
}

func (t Tuning) withDefaults() Tuning {
	if t.Backoff.Min <= 0 {
		t.Backoff = backoff.Default
	}
	if t.RotateRetry.Min <= 0 {
		t.RotateRetry = backoff.Policy{Min: time.Second, Max: 5 * time.Minute}
	}
	set := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	set(&t.StableAfter, DefaultStableAfter)
	set(&t.PollInterval, DefaultPollInterval)
	set(&t.WelcomeTimeout, DefaultWelcomeTimeout)
	set(&t.ResendAfter, DefaultResendAfter)
	set(&t.AckedFlush, DefaultAckedFlush)
	if t.Window <= 0 {
		t.Window = DefaultWindow
	}
	if t.ChunkSize <= 0 || t.ChunkSize > 1<<20 {
		t.ChunkSize = DefaultChunkSize
	}
	if t.UploadChunk <= 0 {
		t.UploadChunk = DefaultUploadChunk
	}
	return t
}

// Session is the node agent's session with the control plane. Run it once.
type Session struct {
	d    Deps
	t    Tuning
	log  zerolog.Logger
	base *url.URL
	jobs string // <data-dir>/jobs

	holder *identity.Holder
	reg    agentv1connect.RegistrationServiceClient
	agents agentv1connect.AgentServiceClient

	// Owned by Run's goroutine.
	byID   map[string]*job
	cur    *stream
	events chan event
	fatal  chan error
	wg     sync.WaitGroup // every goroutine Run started

	pollTimer *time.Timer
	pollC     <-chan time.Time // pollTimer.C while armed, else nil

	// newestEpoch is the newest leadership epoch seen in a Welcome or a
	// command, over every stream of this process (see fresh).
	newestEpoch uint64

	// ready is closed once agents is set (AgentService), ended when Run
	// returns.
	ready, ended chan struct{}
}

// New checks d and returns a Session.
func New(d Deps) (*Session, error) {
	u, err := url.Parse(d.Server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server %q: want an http:// or https:// URL", d.Server)
	}
	if d.DataDir == "" {
		return nil, errors.New("a data directory is required")
	}
	if d.Runner == nil {
		return nil, errors.New("a runner is required")
	}
	if d.Identity == nil {
		d.Identity = identity.Dir(d.DataDir)
	}
	if d.Capacity == 0 {
		d.Capacity = DefaultCapacity
	}
	if d.Capacity < 1 || d.Capacity > MaxCapacity {
		return nil, fmt.Errorf("capacity %d: want 1-%d", d.Capacity, MaxCapacity)
	}
	if d.MaxJobLogBytes == 0 {
		d.MaxJobLogBytes = DefaultMaxJobLogBytes
	}
	if d.MaxJobLogBytes < 0 {
		return nil, fmt.Errorf("max job log bytes %d: want a positive number", d.MaxJobLogBytes)
	}
	if d.RotateEvery == 0 {
		d.RotateEvery = DefaultRotateEvery
	}
	if d.RotateEvery < 0 {
		return nil, fmt.Errorf("rotate every %s: want a positive duration", d.RotateEvery)
	}
	if d.Name == "" {
		d.Name, _ = os.Hostname()
		if d.Name == "" {
			d.Name = "hearth-agent"
		}
	}
	dir, err := filepath.Abs(d.DataDir)
	if err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	d.DataDir = dir
	s := &Session{
		d: d, t: d.Tuning.withDefaults(), base: u, jobs: filepath.Join(dir, JobsDir),
		log:    d.Logger.With().Str(logfield.Component, "session").Logger(),
		byID:   map[string]*job{},
		events: make(chan event, 64),
		fatal:  make(chan error, 1),
		ready:  make(chan struct{}),
		ended:  make(chan struct{}),
	}
	return s, nil
}

// Run registers the agent if it has no identity yet, resumes the jobs its
// data directory holds, then keeps a stream to the control plane open
// (reconnecting as agent.proto says) and runs what it is told, until ctx
// ends (nil) or the control plane refuses the agent for good (an error;
// identity.ErrUnauthenticated when its credential was refused).
//
// When Run returns, every goroutine it started has stopped and every job
// handle is detached (runner.Detacher): jobs keep running in their own
// process groups for the next Run to Resume.
func (s *Session) Run(ctx context.Context) error {
	defer close(s.ended)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := s.prepareDirs(); err != nil {
		return err
	}
	plain := newHTTPClient(s.base, nil)
	defer plain.CloseIdleConnections()
	id, err := s.identity(ctx, plain)
	if err != nil {
		if ctx.Err() != nil {
			return nil // stopped while registering
		}
		return err
	}
	s.holder = identity.NewHolder(s.d.Identity, id)
	authed := newHTTPClient(s.base, s.holder.Credential)
	defer authed.CloseIdleConnections()
	s.reg = agentv1connect.NewRegistrationServiceClient(authed, s.base.String())
	s.agents = agentv1connect.NewAgentServiceClient(authed, s.base.String())
	close(s.ready)
	s.log = s.log.With().Str(logfield.AgentID, id.AgentID).Logger()

	defer s.detachAll()
	if err := s.loadJobs(ctx); err != nil {
		return err
	}
	rot := &identity.Rotator{
		Holder: s.holder, Client: s.reg, Every: s.d.RotateEvery, Retry: s.t.RotateRetry,
		Logger: s.log.With().Str(logfield.Worker, "credential rotation").Logger(),
	}
	s.wg.Go(func() {
		if err := rot.Run(ctx); err != nil {
			s.fail(err)
		}
	})
	err = s.loop(ctx)
	cancel()
	if s.cur != nil {
		s.cur.close()
		s.cur = nil
	}
	s.wg.Wait()
	return err
}

// fail reports a fatal error from any goroutine; the first one wins.
func (s *Session) fail(err error) {
	select {
	case s.fatal <- err:
	default:
	}
}

func (s *Session) prepareDirs() error {
	for _, d := range []string{s.d.DataDir, s.jobs} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("data directory: %w", err)
		}
		st, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("data directory: %w", err)
		}
		// It holds the credential. Search (o+x) alone is allowed: the
		// process runner's per-job users must reach their own directory.
		if st.Mode().Perm()&0o076 != 0 {
			if err := os.Chmod(d, 0o700); err != nil { //nolint:gosec // G302: a directory needs x; 0700 is owner-only
				return fmt.Errorf("data directory %s is readable by others and cannot be restricted: %w", d, err)
			}
			s.log.Warn().Str(logfield.File, d).Msg("restricted the data directory to its owner (mode 0700)")
		}
	}
	return nil
}

// identity loads the agent's identity or registers with the join token.
func (s *Session) identity(ctx context.Context, plain *http.Client) (identity.Identity, error) {
	id, err := s.d.Identity.Load(ctx)
	if err == nil {
		if s.d.JoinToken != "" {
			s.log.Info().Str(logfield.AgentID, id.AgentID).Msg("the data directory holds an identity; ignoring the join token")
		}
		return id, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return identity.Identity{}, err
	}
	if s.d.JoinToken == "" {
		return identity.Identity{}, fmt.Errorf("%s holds no identity and no join token was given: register with --join-token", s.d.Identity)
	}
	reg := agentv1connect.NewRegistrationServiceClient(plain, s.base.String())
	return identity.Register(ctx, reg, s.d.Identity, identity.Registration{
		JoinToken: s.d.JoinToken, Name: s.d.Name, Labels: s.d.Labels, RunnerKind: s.d.Runner.Kind(),
	}, s.t.Backoff, s.log)
}

// runningIDs are the jobs the agent holds (running or finishing), sorted.
func (s *Session) runningIDs() []string {
	ids := make([]string, 0, len(s.byID))
	for id := range s.byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// detachAll lets go of every running job without ending it.
func (s *Session) detachAll() {
	for _, j := range s.byID {
		if d, ok := j.handle.(runner.Detacher); ok && !j.done {
			d.Detach()
		}
		j.closeFiles()
	}
}
