package artifact

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/objectstore"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline/artifact/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
)

const (
	// DefaultMaxBytes bounds one artifact when Deps.MaxBytes is 0.
	DefaultMaxBytes = 1 << 30
	// DefaultExpireIn is the lifetime Put gives when asked for none.
	DefaultExpireIn = 30 * 24 * time.Hour
	// MaxNameLen bounds an artifact's name.
	MaxNameLen = 100

	// expiryBatch is how many expired artifacts one query fetches.
	expiryBatch = 100
	contentType = "application/octet-stream"

	logObjectKey = "object_key"
)

// Objects is the object storage artifacts live in (objectstore.Store). Get
// returns an error wrapping objectstore.ErrNotFound for a missing object.
type Objects interface {
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	Delete(ctx context.Context, key string) error
}

// Deps is what the store needs.
type Deps struct {
	DB      *store.DB
	Objects Objects
	Logger  zerolog.Logger
	// MaxBytes bounds one artifact (0: DefaultMaxBytes).
	MaxBytes int64
	// TempDir holds uploads while they are spooled ("": os.TempDir()).
	TempDir string
	// Now is the clock (nil: time.Now); tests inject theirs.
	Now func() time.Time
}

// Artifact describes a stored artifact.
type Artifact struct {
	ID, ProjectID, JobID uuid.UUID
	Name                 string
	Size                 int64
	// SHA256 is the content's hash, lowercase hex.
	SHA256               string
	CreatedAt, ExpiresAt time.Time
}

// Store stores artifacts.
type Store struct {
	db       *store.DB
	q        *db.Queries
	objects  Objects
	log      zerolog.Logger
	maxBytes int64
	tempDir  string
	now      func() time.Time
}

// New builds the store.
func New(d Deps) (*Store, error) {
	switch {
	case d.DB == nil:
		return nil, errors.New("artifact: DB is required")
	case d.Objects == nil:
		return nil, errors.New("artifact: Objects is required")
	case d.MaxBytes < 0:
		return nil, errors.New("artifact: MaxBytes must not be negative")
	}
	s := &Store{
		db: d.DB, q: db.New(d.DB), objects: d.Objects, log: d.Logger,
		maxBytes: d.MaxBytes, tempDir: d.TempDir, now: d.Now,
	}
	if s.maxBytes == 0 {
		s.maxBytes = DefaultMaxBytes
	}
	if s.tempDir == "" {
		s.tempDir = os.TempDir()
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

var validName = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$`)

// ValidName reports whether name may name an artifact: 1-100 letters,
// digits, '.', '_' or '-', not starting with '.' (so never "." or "..",
// never a path, never hidden).
func ValidName(name string) bool { return validName.MatchString(name) }

// ObjectKey is where an artifact's bytes are stored.
func ObjectKey(projectID, jobID, id uuid.UUID) string {
	return fmt.Sprintf("artifacts/%s/%s/%s", projectID, jobID, id)
}

// List returns the job's artifacts that have not expired, by name.
func (s *Store) List(ctx context.Context, jobID uuid.UUID) ([]Artifact, error) {
	rows, err := s.q.ListArtifacts(ctx, db.ListArtifactsParams{JobID: jobID, Now: s.now()})
	if err != nil {
		return nil, err
	}
	out := make([]Artifact, len(rows))
	for i, r := range rows {
		out[i] = artifactFrom(r)
	}
	return out, nil
}

var errNotFound = apperr.NotFound("artifact not found")

// Get returns an artifact that has not expired.
func (s *Store) Get(ctx context.Context, id uuid.UUID) (Artifact, error) {
	row, err := s.get(ctx, id)
	if err != nil {
		return Artifact{}, err
	}
	return artifactFrom(row), nil
}

func (s *Store) get(ctx context.Context, id uuid.UUID) (db.Artifact, error) {
	row, err := s.q.GetArtifact(ctx, db.GetArtifactParams{ID: id, Now: s.now()})
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return db.Artifact{}, errNotFound
		}
		return db.Artifact{}, err
	}
	return row, nil
}

// Open returns an artifact that has not expired and its content, which
// the caller closes.
func (s *Store) Open(ctx context.Context, id uuid.UUID) (io.ReadCloser, Artifact, error) {
	row, err := s.get(ctx, id)
	if err != nil {
		return nil, Artifact{}, err
	}
	r, err := s.objects.Get(ctx, row.ObjectKey)
	if err != nil {
		if errors.Is(err, objectstore.ErrNotFound) {
			// Expired and deleted since the row was read.
			return nil, Artifact{}, errNotFound
		}
		return nil, Artifact{}, fmt.Errorf("opening artifact %s: %w", id, err)
	}
	return r, artifactFrom(row), nil
}

func artifactFrom(r db.Artifact) Artifact {
	return Artifact{
		ID: r.ID, ProjectID: r.ProjectID, JobID: r.JobID, Name: r.Name, Size: r.SizeBytes, SHA256: r.Sha256,
		CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt,
	}
}
