package joblog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/pipeline/joblog/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/shared/logfield"
)

const (
	// MaxChunkBytes bounds the data of one Append (the agent protocol's
	// limit for a LogChunk).
	MaxChunkBytes = 1 << 20
	// MaxStep is the highest log step accepted (steps are 0 for the
	// checkout, then one per script step; a job has far fewer).
	MaxStep = 1023

	// DefaultPollInterval is how often Follow re-reads the store when Redis
	// is unavailable.
	DefaultPollInterval = time.Second
	// DefaultResyncInterval is how often Follow re-reads the store while
	// Redis works, in case a message (the end marker above all) was lost.
	DefaultResyncInterval = 10 * time.Second

	// readRows is how many chunks one query reads (agents send at most
	// 64 KiB per chunk, so usually about 1 MiB).
	readRows = 16
	// pieceBytes is the size of the pieces Follow sends from S3.
	pieceBytes = 64 << 10
	// publishTimeout bounds one Redis publish; it runs after the commit
	// even if the caller has gone.
	publishTimeout = 5 * time.Second

	channelPrefix = "hearth:joblog:"
	contentType   = "text/plain"

	logStep = "step"
)

// Objects is the object storage finished logs live in (objectstore.Store).
type Objects interface {
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	Delete(ctx context.Context, key string) error
}

// PubSub carries live log pieces between replicas (cache.Cache).
type PubSub interface {
	Publish(ctx context.Context, channel string, message []byte) error
	// Subscribe delivers the channel's messages until ctx is done, then
	// closes the returned channel.
	Subscribe(ctx context.Context, channel string) (<-chan []byte, error)
}

// Deps is what the store needs.
type Deps struct {
	DB      *store.DB
	Objects Objects
	// PubSub may be nil: nothing is published and Follow polls.
	PubSub PubSub
	Logger zerolog.Logger
	// PollInterval: see DefaultPollInterval (0: the default).
	PollInterval time.Duration
	// ResyncInterval: see DefaultResyncInterval (0: the default).
	ResyncInterval time.Duration
}

// Store stores job logs.
type Store struct {
	db      *store.DB
	q       *db.Queries
	objects Objects
	pubsub  PubSub
	log     zerolog.Logger
	poll    time.Duration
	resync  time.Duration

	// quietUntil (Unix nanoseconds) is when publishing is tried again
	// after a failure; publishFailing is set while it fails (to log the
	// change, not every failure).
	quietUntil     atomic.Int64
	publishFailing atomic.Bool
}

// New builds the store.
func New(d Deps) (*Store, error) {
	if d.DB == nil {
		return nil, errors.New("joblog: DB is required")
	}
	if d.Objects == nil {
		return nil, errors.New("joblog: Objects is required")
	}
	if d.PollInterval < 0 || d.ResyncInterval < 0 {
		return nil, errors.New("joblog: intervals must not be negative")
	}
	s := &Store{
		db: d.DB, q: db.New(d.DB), objects: d.Objects, pubsub: d.PubSub, log: d.Logger,
		poll: d.PollInterval, resync: d.ResyncInterval,
	}
	if s.poll == 0 {
		s.poll = DefaultPollInterval
	}
	if s.resync == 0 {
		s.resync = DefaultResyncInterval
	}
	return s, nil
}

// ObjectKey is where Finish puts a step's log in object storage.
func ObjectKey(jobID uuid.UUID, step uint32) string {
	return fmt.Sprintf("logs/%s/%d.log", jobID, step)
}

func channel(jobID uuid.UUID) string { return channelPrefix + jobID.String() }

// Lengths returns the stored length of every step's log, index = step;
// steps without output are 0. A job without any log has none.
func (s *Store) Lengths(ctx context.Context, jobID uuid.UUID) ([]uint64, error) {
	rows, err := s.q.StepEnds(ctx, jobID)
	if err != nil {
		return nil, err
	}
	out := []uint64{}
	for _, r := range rows {
		for len(out) < int(r.Step) {
			out = append(out, 0)
		}
		out = append(out, uint64(r.EndOffset)) //nolint:gosec // G115: CHECK (end_offset >= 0)
	}
	return out, nil
}

// publish sends a message after a commit. Losing it only delays followers
// until their next re-read, so a failure is logged, not returned: the data
// is stored and the caller must not retry because of it.
//
// After a failure, publishing is skipped for PollInterval: Redis is most
// likely down, which broke every follower's subscription too, so they are
// polling; and the appends calling publish (one agent's chunks are stored
// one after the other) must not each wait out Redis's timeouts meanwhile.
func (s *Store) publish(ctx context.Context, jobID uuid.UUID, msg []byte) {
	if s.pubsub == nil || time.Now().UnixNano() < s.quietUntil.Load() {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
	defer cancel()
	err := s.pubsub.Publish(ctx, channel(jobID), msg)
	switch {
	case err != nil:
		s.quietUntil.Store(time.Now().Add(s.poll).UnixNano())
		if !s.publishFailing.Swap(true) {
			s.log.Warn().Err(err).Str(logfield.JobID, jobID.String()).Dur(logfield.Retry, s.poll).
				Msg("publishing live job log updates failed; followers catch up by re-reading the store")
		}
	case s.publishFailing.Swap(false):
		s.log.Info().Msg("publishing live job log updates works again")
	}
}
