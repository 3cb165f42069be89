package artifact

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline/artifact/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// recordAttempts bounds the retries of recording when concurrent Puts of
// the same (job, name) collide on the unique index: the loser replaces the
// winner's row on its next attempt.
const recordAttempts = 3

// cleanupTimeout bounds deleting objects after the caller's context ended.
const cleanupTimeout = 30 * time.Second

// Put stores the artifact read from r for the job, replacing an earlier
// one of the same name; it expires after expireIn (<= 0: DefaultExpireIn).
// A body larger than MaxBytes is refused (apperr ResourceExhausted, as
// every size limit) and nothing is stored; a bad name is refused (Invalid).
func (s *Store) Put(ctx context.Context, projectID, jobID uuid.UUID, name string, r io.Reader, expireIn time.Duration) (Artifact, error) {
	if !ValidName(name) {
		return Artifact{}, apperr.Invalid("artifact name %q: use 1-%d letters, digits, '.', '_' or '-', not starting with '.'", truncate(name), MaxNameLen)
	}
	if expireIn <= 0 {
		expireIn = DefaultExpireIn
	}
	f, size, sum, err := s.spool(r, name)
	if err != nil {
		return Artifact{}, err
	}
	defer s.removeTemp(f)

	id, err := uuid.NewV7()
	if err != nil {
		return Artifact{}, err
	}
	key := ObjectKey(projectID, jobID, id)
	if err := s.objects.Put(ctx, key, f, size, contentType); err != nil {
		return Artifact{}, fmt.Errorf("storing artifact %q: %w", name, err)
	}
	// PostgreSQL keeps microseconds: the values returned match a later read.
	now := s.now().UTC().Truncate(time.Microsecond)
	params := db.InsertArtifactParams{
		ID: id, ProjectID: projectID, JobID: jobID, Name: name, SizeBytes: size, Sha256: sum,
		ObjectKey: key, CreatedAt: now, ExpiresAt: now.Add(expireIn),
	}
	row, replaced, err := s.record(ctx, params)
	if err != nil {
		s.deleteObject(ctx, key, id)
		return Artifact{}, fmt.Errorf("recording artifact %q: %w", name, err)
	}
	for _, old := range replaced {
		s.deleteObject(ctx, old, id)
	}
	return artifactFrom(row), nil
}

// record inserts the row, deleting the job's earlier artifact of the same
// name in the same transaction, and returns the replaced objects' keys.
func (s *Store) record(ctx context.Context, p db.InsertArtifactParams) (db.Artifact, []string, error) {
	for attempt := 1; ; attempt++ {
		var (
			row      db.Artifact
			replaced []string
		)
		err := s.db.InTx(ctx, func(tx pgx.Tx) error {
			q := s.q.WithTx(tx)
			var err error
			if replaced, err = q.DeleteByName(ctx, db.DeleteByNameParams{JobID: p.JobID, Name: p.Name}); err != nil {
				return err
			}
			row, err = q.InsertArtifact(ctx, p)
			return err
		})
		if errors.Is(err, store.ErrConflict) && attempt < recordAttempts {
			continue // a concurrent Put of the same name committed first
		}
		return row, replaced, err
	}
}

// spool copies r to a temporary file, at most MaxBytes, hashing it, and
// returns the file rewound to its start.
func (s *Store) spool(r io.Reader, name string) (_ *os.File, size int64, sum string, err error) {
	f, err := os.CreateTemp(s.tempDir, "hearth-artifact-*")
	if err != nil {
		return nil, 0, "", fmt.Errorf("spooling artifact %q: %w", name, err)
	}
	defer func() {
		if err != nil {
			s.removeTemp(f)
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(r, s.maxBytes+1))
	if err != nil {
		return nil, 0, "", fmt.Errorf("receiving artifact %q: %w", name, err)
	}
	if n > s.maxBytes {
		return nil, 0, "", apperr.ResourceExhausted("artifact %q is larger than the limit of %d bytes", name, s.maxBytes)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, 0, "", fmt.Errorf("spooling artifact %q: %w", name, err)
	}
	return f, n, hex.EncodeToString(h.Sum(nil)), nil
}

func (s *Store) removeTemp(f *os.File) {
	_ = f.Close()
	if err := os.Remove(f.Name()); err != nil {
		s.log.Warn().Err(err).Str(logfield.File, f.Name()).Msg("removing a spooled artifact failed")
	}
}

// deleteObject removes an object no row points to (any more); a failure
// leaves it orphaned, which is logged.
func (s *Store) deleteObject(ctx context.Context, key string, id uuid.UUID) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if err := s.objects.Delete(ctx, key); err != nil {
		s.log.Warn().Err(err).Str(logfield.ArtifactID, id.String()).Str(logObjectKey, key).Msg("deleting an unreferenced artifact object failed; it stays orphaned")
	}
}

// truncate shortens a hostile name for an error message.
func truncate(s string) string {
	const limit = 40
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "…"
}
