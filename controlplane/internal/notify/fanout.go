package notify

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/event"
	"github.com/hearth-dev/hearth/controlplane/internal/notify/internal/db"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// fanoutBatch bounds the events one transaction fans out.
const fanoutBatch = 100

// Why a user got a notification.
const (
	reasonRecipient     = "recipient"
	reasonParticipating = "participating"
	reasonWatching      = "watching"
)

// Subscription levels.
const (
	levelWatch       = "watch"
	levelParticipate = "participate"
	levelMute        = "mute"
)

// PayloadSchema versions the JSON of webhook payloads.
const PayloadSchema = "hearth.event.v1"

// fanOut fans out outbox events until none is left; it returns how many.
func (s *Service) fanOut(ctx context.Context) (int, error) {
	total := 0
	for {
		var users []uuid.UUID
		var n int
		err := s.db.InTx(ctx, func(tx pgx.Tx) error {
			var err error
			n, users, err = s.fanOutBatch(ctx, tx)
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		s.announce(ctx, users)
		if n < fanoutBatch {
			return total, nil
		}
	}
}

// fanOutBatch fans out up to fanoutBatch events in tx; it returns how
// many and the users notified.
func (s *Service) fanOutBatch(ctx context.Context, tx pgx.Tx) (int, []uuid.UUID, error) {
	q := s.q.WithTx(tx)
	rows, err := q.ClaimOutbox(ctx, fanoutBatch)
	if err != nil || len(rows) == 0 {
		return 0, nil, err
	}
	var notes []db.InsertNotificationsParams
	var deliveries int
	ids := make([]uuid.UUID, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.ID)
		var e event.Event
		if err := json.Unmarshal(r.Event, &e); err != nil {
			// Written by Publish from a marshalled Event: unreadable means a
			// bug; drop it rather than block the queue.
			s.log.Error().Err(err).Str(logfield.EventID, r.ID.String()).Msg("dropping an unreadable event")
			continue
		}
		if err := s.complete(ctx, &e); err != nil {
			return 0, nil, err
		}
		ns, err := s.recipients(ctx, q, e)
		if err != nil {
			return 0, nil, err
		}
		notes = append(notes, ns...)
		d, err := s.queueDeliveries(ctx, q, e)
		if err != nil {
			return 0, nil, err
		}
		deliveries += d
	}
	var users []uuid.UUID
	if len(notes) > 0 {
		if err := insertNotifications(ctx, q, notes); err != nil {
			return 0, nil, err
		}
		for _, nt := range notes {
			users = append(users, nt.UserID)
		}
		if err := s.ringOthers(ctx, tx, s.d.Mailer != nil, "emails"); err != nil {
			return 0, nil, err
		}
	}
	if err := s.ringOthers(ctx, tx, deliveries > 0, "webhooks"); err != nil {
		return 0, nil, err
	}
	return len(rows), users, q.DeleteOutbox(ctx, ids)
}

// complete names the project of e and makes its path absolute.
func (s *Service) complete(ctx context.Context, e *event.Event) error {
	if e.ProjectID == uuid.Nil {
		return nil
	}
	if e.Project == "" {
		path, err := s.d.Projects.ProjectPath(ctx, e.ProjectID)
		if err != nil {
			return err
		}
		e.Project = path
	}
	if e.Path != "" && !strings.HasPrefix(e.Path, "/") {
		e.Path = "/" + e.Project + "/" + e.Path
	}
	return nil
}

// insertNotifications writes notes in one round trip (a batch: a burst
// on a thread coalesces row by row, which COPY cannot do).
func insertNotifications(ctx context.Context, q *db.Queries, notes []db.InsertNotificationsParams) error {
	var first error
	br := q.InsertNotifications(ctx, notes)
	br.Exec(func(_ int, err error) {
		if err != nil && first == nil {
			first = err
		}
	})
	if err := br.Close(); err != nil && first == nil {
		first = err
	}
	return first
}

// ringOthers wakes a worker on every replica when tx commits.
func (s *Service) ringOthers(ctx context.Context, tx pgx.Tx, when bool, worker string) error {
	if !when {
		return nil
	}
	_, err := tx.Exec(ctx, "SELECT pg_notify($1, $2)", notifyChannel, worker)
	return err
}

// recipients decides who gets e and returns their notifications.
func (s *Service) recipients(ctx context.Context, q *db.Queries, e event.Event) ([]db.InsertNotificationsParams, error) {
	who := map[uuid.UUID]string{}
	muted := map[uuid.UUID]bool{}
	if e.ProjectID != uuid.Nil {
		personal := e.Type.Personal()
		if len(e.Participants) > 0 && e.Subject != "" && !personal {
			if err := q.JoinThread(ctx, db.JoinThreadParams{UserIds: e.Participants, ProjectID: e.ProjectID, Subject: e.Subject}); err != nil {
				return nil, err
			}
		}
		subs, err := q.ProjectSubscriptions(ctx, db.ProjectSubscriptionsParams{ProjectID: e.ProjectID, Subject: e.Subject})
		if err != nil {
			return nil, err
		}
		for _, sub := range subs {
			switch {
			case sub.Level == levelMute:
				muted[sub.UserID] = true // mentions too
			case personal:
			case sub.Subject == "" && sub.Level == levelWatch:
				if who[sub.UserID] == "" {
					who[sub.UserID] = reasonWatching
				}
			case sub.Subject != "":
				who[sub.UserID] = reasonParticipating
			}
		}
		if !personal {
			for _, id := range e.Participants {
				who[id] = reasonParticipating
			}
		}
	}
	for _, id := range e.Recipients {
		who[id] = reasonRecipient
	}
	delete(who, uuid.Nil)
	if e.Type != event.WebhookDisabled { // the owner learns of it even from their own change
		delete(who, e.ActorID)
	}
	now := s.now()
	var out []db.InsertNotificationsParams
	for id, reason := range who {
		if muted[id] {
			continue
		}
		if e.ProjectID != uuid.Nil {
			err := s.d.Authz.Authorize(ctx, access.Principal{Kind: access.User, UserID: id}, access.ProjectRead, e.ProjectID)
			if err != nil {
				if apperr.KindOf(err) == apperr.KindInternal && !errors.Is(err, context.Canceled) {
					return nil, err // not a refusal: try the event again
				}
				continue // may no longer read the project
			}
		}
		nid, err := uuid.NewV7()
		if err != nil {
			return nil, err
		}
		n := db.InsertNotificationsParams{
			ID: nid, UserID: id, EventID: e.ID, Type: string(e.Type), ProjectID: ptr(e.ProjectID), Subject: e.Subject,
			Title: e.Title, Path: e.Path, ActorName: e.Actor, Reason: reason, EmailState: "none",
		}
		if s.d.Mailer != nil {
			due := now.Add(s.d.Email.Coalesce)
			n.EmailState, n.EmailDue = "pending", &due
		}
		out = append(out, n)
	}
	return out, nil
}

// queueDeliveries queues e for every active webhook that wants it.
func (s *Service) queueDeliveries(ctx context.Context, q *db.Queries, e event.Event) (int, error) {
	hooks, err := q.WebhooksFor(ctx, db.WebhooksForParams{ProjectID: ptr(e.ProjectID), Type: string(e.Type)})
	if err != nil || len(hooks) == 0 {
		return 0, err
	}
	payload, err := json.Marshal(s.payload(e))
	if err != nil {
		return 0, err
	}
	for _, h := range hooks {
		id, err := uuid.NewV7()
		if err != nil {
			return 0, err
		}
		if err := q.InsertDelivery(ctx, db.InsertDeliveryParams{ID: id, WebhookID: h, EventID: e.ID, EventType: string(e.Type), Payload: payload}); err != nil {
			return 0, err
		}
	}
	return len(hooks), nil
}

// Payload is a webhook's JSON body (schema PayloadSchema).
type Payload struct {
	Schema     string         `json:"schema"`
	ID         string         `json:"id"`
	Type       string         `json:"type"`
	OccurredAt time.Time      `json:"occurred_at"`
	Project    *PayloadRef    `json:"project,omitempty"`
	Actor      *PayloadRef    `json:"actor,omitempty"`
	Subject    string         `json:"subject,omitempty"`
	Title      string         `json:"title"`
	URL        string         `json:"url,omitempty"`
	Data       map[string]any `json:"data,omitempty"`
}

// PayloadRef names a project ("owner/name") or a user (username).
type PayloadRef struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

func (s *Service) payload(e event.Event) Payload {
	p := Payload{Schema: PayloadSchema, ID: e.ID.String(), Type: string(e.Type), OccurredAt: e.At.UTC(), Subject: e.Subject, Title: e.Title, Data: e.Data}
	if e.ProjectID != uuid.Nil {
		p.Project = &PayloadRef{ID: e.ProjectID.String(), Name: e.Project}
	}
	if e.ActorID != uuid.Nil {
		p.Actor = &PayloadRef{ID: e.ActorID.String(), Name: e.Actor}
	}
	if e.Path != "" {
		p.URL = s.d.PublicURL + e.Path
	}
	return p
}

// announce tells the streams of users they have something new.
func (s *Service) announce(ctx context.Context, users []uuid.UUID) {
	if s.d.PubSub == nil {
		return
	}
	seen := map[uuid.UUID]bool{}
	for _, u := range users {
		if seen[u] {
			continue
		}
		seen[u] = true
		if err := s.d.PubSub.Publish(ctx, userChannel(u), []byte("new")); err != nil {
			// Streams fall back to polling; nothing is lost.
			s.log.Debug().Err(err).Msg("could not announce a notification")
			return
		}
	}
}

func userChannel(u uuid.UUID) string { return "hearth:notify:" + u.String() }

func ptr(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}
