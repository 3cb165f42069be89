package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/event"
	"github.com/hearth-dev/hearth/controlplane/internal/notify/internal/db"
)

// notifyChannel wakes the workers: payload "outbox", "emails" or
// "webhooks".
const notifyChannel = "hearth_notify"

// Outbox is the event.Publisher every producer is given.
type Outbox struct{}

var _ event.Publisher = Outbox{}

// Limits of one event, so a producer's bug cannot make rows without bound.
const (
	maxRecipients = 10_000
	maxTitle      = 500
)

// Publish writes e as an outbox row in tx and wakes the fan-out worker
// when tx commits.
func (Outbox) Publish(ctx context.Context, tx pgx.Tx, e event.Event) error {
	if !e.Type.Known() {
		return fmt.Errorf("notify: unknown event type %q", e.Type)
	}
	if len(e.Recipients)+len(e.Participants) > maxRecipients {
		return fmt.Errorf("notify: an event for %d users (at most %d)", len(e.Recipients)+len(e.Participants), maxRecipients)
	}
	if e.ID == uuid.Nil {
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		e.ID = id
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	if len(e.Title) > maxTitle {
		e.Title = e.Title[:maxTitle]
	}
	raw, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("notify: event %s: %w", e.Type, err)
	}
	if err := db.New(tx).InsertOutbox(ctx, db.InsertOutboxParams{ID: e.ID, Event: raw}); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, "SELECT pg_notify($1, 'outbox')", notifyChannel)
	return err
}
