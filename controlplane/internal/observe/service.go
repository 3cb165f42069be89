package observe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/event"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/otlpconv"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/query"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/wal"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// Objects is the S3 bucket (objectstore.Store): Parquet files are put
// whole and read by ranges.
type Objects interface {
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	ReadAt(ctx context.Context, key string, p []byte, off int64) (int, error)
	Delete(ctx context.Context, key string) error
}

// Authorizer is the one authorizer.
type Authorizer interface {
	Authorize(ctx context.Context, p access.Principal, perm access.Permission, project uuid.UUID) error
}

// Projects resolves a project's path to its id.
type Projects interface {
	ProjectID(ctx context.Context, owner, name string) (uuid.UUID, error)
}

// Config shapes ingest and storage (config.Observe, passed down).
type Config struct {
	// WALDir holds this replica's write-ahead log.
	WALDir string
	// Replica names this replica in the files it flushes (its Raft id).
	Replica       string
	SegmentBytes  int64
	FlushInterval time.Duration
	// Retention applies to projects that set none.
	Retention       time.Duration
	MaxRequestBytes int64
	// Rate and Burst bound the items per second of one project.
	Rate   float64
	Burst  int
	Limits otlpconv.Limits
	// AlertInterval spaces the leader's evaluations of alert rules.
	AlertInterval time.Duration
}

// withDefaults fills what c leaves zero with the flags' defaults.
func (c Config) withDefaults() Config {
	orDefault := func(v *int64, def int64) {
		if *v <= 0 {
			*v = def
		}
	}
	orDefault(&c.SegmentBytes, 64<<20)
	orDefault(&c.MaxRequestBytes, 16<<20)
	if c.FlushInterval <= 0 {
		c.FlushInterval = time.Minute
	}
	if c.Retention <= 0 {
		c.Retention = 30 * 24 * time.Hour
	}
	if c.Rate <= 0 {
		c.Rate = 200000
	}
	if c.Burst <= 0 {
		c.Burst = int(2 * c.Rate)
	}
	if c.AlertInterval <= 0 {
		c.AlertInterval = 15 * time.Second
	}
	if c.Limits == (otlpconv.Limits{}) {
		c.Limits = otlpconv.DefaultLimits()
	}
	return c
}

// Deps is what the feature needs.
type Deps struct {
	DB         *store.DB
	Objects    Objects
	Authz      Authorizer
	Projects   Projects
	Logger     zerolog.Logger
	Registerer prometheus.Registerer
	// Events receives alerts as they fire and resolve, in the evaluator's
	// transaction (notify.Outbox); nil: dropped.
	Events event.Publisher
	Config Config
	// Now is the clock (tests); nil: time.Now.
	Now func() time.Time
	// SelfProject ("owner/name"), when set, receives Hearth's own
	// telemetry (Self); SelfProjects finds or creates it.
	SelfProject  string
	SelfProjects SelfProjects
}

// Service is the observe feature of one replica.
type Service struct {
	d       Deps
	log     zerolog.Logger
	now     func() time.Time
	wal     *wal.WAL
	hot     *hotStore
	engine  *query.Engine
	tail    *tailHub
	batches *batchLog
	// self is Hearth's own telemetry (nil: off).
	self    *SelfTelemetry
	limits  *projectLimits
	metrics *ingestMetrics
	// flushMu serialises flushes (the worker's and Close's last one).
	flushMu sync.Mutex
	// encPool recycles WAL encoding buffers.
	encPool sync.Pool
}

// New opens the replica's WAL and replays the segments not yet flushed
// into memory; segments another run already flushed are deleted.
func New(ctx context.Context, d Deps) (*Service, error) {
	if d.DB == nil || d.Objects == nil || d.Authz == nil || d.Projects == nil {
		return nil, errors.New("observe: DB, Objects, Authz and Projects are required")
	}
	if d.Config.Replica == "" || d.Config.WALDir == "" {
		return nil, errors.New("observe: a replica name and a WAL directory are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	d.Config = d.Config.withDefaults()
	w, err := wal.Open(wal.Options{Dir: d.Config.WALDir, SegmentBytes: d.Config.SegmentBytes, Logger: d.Logger})
	if err != nil {
		return nil, fmt.Errorf("telemetry WAL: %w", err)
	}
	// Segment ids restart in a new WAL directory: the WAL's own id keeps
	// its segments apart from an earlier disk's in observe_flushed_segments.
	walID, err := walIdentity(d.Config.WALDir)
	if err != nil {
		_ = w.Close()
		return nil, err
	}
	d.Config.Replica += "/" + walID
	s := &Service{
		d: d, log: d.Logger, now: d.Now, wal: w, hot: newHotStore(), tail: newTailHub(), batches: newBatchLog(),
		limits: newProjectLimits(d.Config.Rate, d.Config.Burst),
	}
	s.engine = &query.Engine{Hot: s, Catalog: catalog{s}, Objects: d.Objects}
	if d.SelfProject != "" {
		if d.SelfProjects == nil {
			_ = w.Close()
			return nil, errors.New("observe: SelfProjects is required with SelfProject")
		}
		if s.self, err = s.newSelfTelemetry(d.SelfProject, d.SelfProjects); err != nil {
			_ = w.Close()
			return nil, err
		}
	}
	if s.metrics, err = newIngestMetrics(d.Registerer, s); err != nil {
		_ = w.Close()
		return nil, err
	}
	if err := s.replay(ctx); err != nil {
		_ = w.Close()
		return nil, err
	}
	return s, nil
}

// replay loads every sealed segment not recorded as flushed into the hot
// store, and removes those that were (the run that flushed them died
// before it could).
func (s *Service) replay(ctx context.Context) error {
	flushed, err := s.flushedSegments(ctx)
	if err != nil {
		return err
	}
	for _, seg := range s.wal.Sealed() {
		if _, done := flushed[seg]; done {
			if err := s.wal.Remove(seg); err != nil {
				return err
			}
			continue
		}
		var rows int
		err := s.wal.Replay(seg, func(_ wal.Position, payload []byte) error {
			key, b, err := decodeEntry(payload)
			if err != nil {
				return err
			}
			if key != "" {
				s.batches.add(key, s.now())
			}
			rows += b.Len()
			s.hot.add(seg, b)
			return nil
		})
		if err != nil {
			return fmt.Errorf("telemetry WAL segment %d: %w", seg, err)
		}
		s.log.Info().Uint64(logfield.Segment, seg).Int(logfield.Rows, rows).Msg("telemetry WAL segment replayed")
	}
	return nil
}

// Self is Hearth's own telemetry, nil when --self-telemetry-project is
// not set (its methods do nothing then).
func (s *Service) Self() *SelfTelemetry { return s.self }

// Close stops appending and closes the WAL; what is in it stays for the
// next start.
func (s *Service) Close() error { return s.wal.Close() }

// ErrUnavailable means the batch could not be made durable: the client
// should retry (OTLP's retryable UNAVAILABLE).
var ErrUnavailable = errors.New("telemetry could not be stored; retry")

// store makes b durable in the WAL, then visible to queries and tails.
// key, when set, is the batch's idempotency key (kept in the entry).
func (s *Service) store(ctx context.Context, key string, b *record.Batch) error {
	if b.Len() == 0 && key == "" {
		return nil
	}
	bufp, _ := s.encPool.Get().(*[]byte)
	if bufp == nil {
		bufp = new([]byte)
	}
	*bufp = appendEntry((*bufp)[:0], key, b)
	pos, err := s.wal.Append(ctx, *bufp)
	if cap(*bufp) <= 4<<20 {
		s.encPool.Put(bufp)
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.log.Error().Err(err).Msg("telemetry WAL append failed")
		return ErrUnavailable
	}
	s.hot.add(pos.Segment, b)
	if len(b.Logs) > 0 {
		s.tail.publish(b.Project, b.Logs)
	}
	return nil
}

// walIdentity returns the id stored in the WAL directory, creating it on
// first use.
func walIdentity(dir string) (string, error) {
	path := filepath.Join(dir, "wal-id")
	if b, err := os.ReadFile(path); err == nil { //nolint:gosec // G304: the WAL directory the operator configured
		id, err := uuid.ParseBytes(bytes.TrimSpace(b))
		if err != nil {
			return "", fmt.Errorf("telemetry WAL id %s: %w", path, err)
		}
		return id.String(), nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	id := uuid.NewString()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(id+"\n"), 0o600); err != nil {
		return "", err
	}
	if err := syncFile(tmp); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", err
	}
	return id, syncFile(dir)
}

func syncFile(path string) error {
	f, err := os.Open(path) //nolint:gosec // G304: a file or directory of the configured WAL directory
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
