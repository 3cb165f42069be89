package project

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/project/internal/db"
)

// EventKind names what happened; notifications will subscribe to kinds.
type EventKind string

// Event kinds.
const (
	EventIssueCreated         EventKind = "issue.created"
	EventIssueCommented       EventKind = "issue.commented"
	EventIssueClosed          EventKind = "issue.closed"
	EventMergeRequestCreated  EventKind = "merge_request.created"
	EventMergeRequestComment  EventKind = "merge_request.commented"
	EventMergeRequestReviewed EventKind = "merge_request.reviewed"
	EventMergeRequestMerged   EventKind = "merge_request.merged"
	EventMergeRequestClosed   EventKind = "merge_request.closed"
	EventReviewRequested      EventKind = "merge_request.review_requested"
	// EventMentioned: users were mentioned ("@name") in an issue, a merge
	// request or a comment; they are its Recipients.
	EventMentioned EventKind = "mentioned"
)

// Event is one thing that happened in a project that someone may want to
// hear about.
type Event struct {
	ID        uuid.UUID
	Kind      EventKind
	ProjectID uuid.UUID
	// ActorID and Actor are who did it (uuid.Nil: the system).
	ActorID uuid.UUID
	Actor   string
	// Subject is "#12" for an issue, "!3" for a merge request.
	Subject string
	// Detail is kind-specific ("title", "comment_id", "reviewers", ...).
	Detail map[string]any
	At     time.Time
	// Project is the project's "owner/name" (publish fills it).
	Project string
	// Recipients are the users the event is for (requested reviewers).
	Recipients []uuid.UUID
}

// IssueSubject names an issue as an event's subject ("#12").
func IssueSubject(number int64) string { return "#" + strconv.FormatInt(number, 10) }

// MergeRequestSubject names a merge request as an event's subject ("!3").
func MergeRequestSubject(number int64) string { return "!" + strconv.FormatInt(number, 10) }

// EventSink receives events inside the transaction of the change they
// describe, so an event exists exactly when its change does. The notify
// feature will implement it; until then RecordedEvents keeps them.
type EventSink interface {
	Publish(ctx context.Context, tx pgx.Tx, e Event) error
}

// RecordedEvents is the EventSink that stores events in project_events.
type RecordedEvents struct{}

// Publish stores e in tx.
func (RecordedEvents) Publish(ctx context.Context, tx pgx.Tx, e Event) error {
	if e.ID == uuid.Nil {
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		e.ID = id
	}
	if e.Detail == nil {
		e.Detail = map[string]any{}
	}
	detail, err := json.Marshal(e.Detail)
	if err != nil {
		return fmt.Errorf("event detail: %w", err)
	}
	var actor *uuid.UUID
	if e.ActorID != uuid.Nil {
		actor = &e.ActorID
	}
	return db.New(tx).InsertEvent(ctx, db.InsertEventParams{
		ID: e.ID, ProjectID: e.ProjectID, Kind: string(e.Kind), ActorID: actor, ActorName: e.Actor,
		Subject: e.Subject, Detail: detail,
	})
}

// publish sends e, attributed to the caller in ctx, to the service's sink.
func (s *Service) publish(ctx context.Context, tx pgx.Tx, e Event) error {
	if e.ActorID == uuid.Nil {
		p := access.PrincipalFrom(ctx)
		e.ActorID, e.Actor = p.UserID, p.Username
	}
	if e.Project == "" {
		// In tx: a lookup on another connection while tx holds one could
		// wait forever for the pool under load.
		row, err := s.q.WithTx(tx).GetProject(ctx, e.ProjectID)
		if err != nil {
			return err
		}
		e.Project = row.OwnerName + "/" + row.Name
	}
	return s.events.Publish(ctx, tx, e)
}

// Events lists a project's recorded events after the given one (uuid.Nil:
// from the first), oldest first, at most limit (1-500).
func (s *Service) Events(ctx context.Context, projectID, after uuid.UUID, limit int) ([]Event, error) {
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	rows, err := s.q.ListEvents(ctx, db.ListEventsParams{ProjectID: projectID, After: after, Max: int32(limit)})
	if err != nil {
		return nil, err
	}
	out := make([]Event, 0, len(rows))
	for _, r := range rows {
		e := Event{ID: r.ID, Kind: EventKind(r.Kind), ProjectID: r.ProjectID, Actor: r.ActorName, Subject: r.Subject, At: r.CreatedAt}
		if r.ActorID != nil {
			e.ActorID = *r.ActorID
		}
		if err := json.Unmarshal(r.Detail, &e.Detail); err != nil {
			return nil, fmt.Errorf("event %s: %w", r.ID, err)
		}
		out = append(out, e)
	}
	return out, nil
}
