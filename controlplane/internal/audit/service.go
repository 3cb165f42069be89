package audit

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/audit/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
)

// Page sizes for List.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// Service reads the audit log.
type Service struct {
	queries *db.Queries
}

// New returns the reader.
func New(database *store.DB) (*Service, error) {
	if database == nil {
		return nil, errors.New("audit: DB is required")
	}
	return &Service{queries: db.New(database)}, nil
}

// Entry is one recorded event.
type Entry struct {
	ID         uuid.UUID
	OccurredAt time.Time
	ActorID    uuid.UUID
	ActorName  string
	Action     string
	Resource   string
	ProjectID  uuid.UUID
	Detail     []byte // JSON
	Client     Client
}

// List returns events matching f, newest first, and the cursor of the next
// page ("" on the last one).
func (s *Service) List(ctx context.Context, f Filter, pageToken string) ([]Entry, string, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultPageSize
	}
	limit = min(limit, MaxPageSize)
	p := db.ListEventsParams{
		ActorID:   optionalUUID(f.ActorID),
		ProjectID: optionalUUID(f.ProjectID),
		MaxRows:   int32(limit) + 1,
	}
	if f.ActionPrefix != "" {
		p.ActionPrefix = &f.ActionPrefix
	}
	if !f.Since.IsZero() {
		p.Since = pgtype.Timestamptz{Time: f.Since, Valid: true}
	}
	if pageToken != "" {
		t, id, err := decodeCursor(pageToken)
		if err != nil {
			return nil, "", apperr.Invalid("page_token is not one this server issued")
		}
		p.BeforeTime = pgtype.Timestamptz{Time: t, Valid: true}
		p.BeforeID = optionalUUID(id)
	}
	rows, err := s.queries.ListEvents(ctx, p)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		next = encodeCursor(last.OccurredAt.Time, last.ID)
	}
	out := make([]Entry, len(rows))
	for i, r := range rows {
		e := Entry{
			ID: r.ID, OccurredAt: r.OccurredAt.Time, ActorName: r.ActorName, Action: r.Action,
			Resource: r.Resource, Detail: r.Detail, Client: Client{UserAgent: r.UserAgent},
		}
		if r.ActorID.Valid {
			e.ActorID = r.ActorID.Bytes
		}
		if r.ProjectID.Valid {
			e.ProjectID = r.ProjectID.Bytes
		}
		if r.ClientIp != nil {
			e.Client.IP = *r.ClientIp
		}
		out[i] = e
	}
	return out, next, nil
}

// A cursor is the (time, id) of the last event of a page: 8 bytes of Unix
// microseconds and 16 of UUID, base64url.
func encodeCursor(t time.Time, id uuid.UUID) string {
	b := make([]byte, 24)
	binary.BigEndian.PutUint64(b, uint64(t.UnixMicro()))
	copy(b[8:], id[:])
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (time.Time, uuid.UUID, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != 24 {
		return time.Time{}, uuid.Nil, errors.New("bad cursor")
	}
	id, err := uuid.FromBytes(b[8:])
	if err != nil {
		return time.Time{}, uuid.Nil, err
	}
	return time.UnixMicro(int64(binary.BigEndian.Uint64(b))), id, nil //nolint:gosec // G115: round-trips encodeCursor.
}
