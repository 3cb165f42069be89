package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/event"
	"github.com/hearth-dev/hearth/controlplane/internal/notify/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/notify/webhook"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// Webhook is a webhook's settings; its secret is never returned after
// creation.
type Webhook struct {
	ID                  uuid.UUID
	ProjectID           uuid.UUID // uuid.Nil: installation-wide
	URL                 string
	Events              []event.Type
	Active              bool
	DisabledReason      string
	ConsecutiveFailures int32
	CreatedBy           string
	CreatedAt           time.Time
}

// Delivery is one delivery of an event to a webhook, as the log shows it.
type Delivery struct {
	ID, WebhookID, EventID uuid.UUID
	EventType              string
	State                  string
	Attempts               int32
	NextAttemptAt          time.Time
	LastStatus             int32
	LastDuration           time.Duration
	LastError              string
	RedeliveryOf           uuid.UUID
	CreatedAt              time.Time
	FinishedAt             *time.Time
}

// Limits.
const (
	maxWebhookURL     = 2048
	deliveryBatch     = 50
	maxDeliveriesPage = 200
	secretBytes       = 32
)

func secretAD(id uuid.UUID) string { return "webhook/" + id.String() }

// CreateWebhook registers url for project (uuid.Nil: installation-wide)
// and returns it with its signing secret, shown this once (generated when
// secret is empty).
func (s *Service) CreateWebhook(ctx context.Context, project uuid.UUID, rawURL string, types []event.Type, secret string) (Webhook, string, error) {
	if err := validateTarget(rawURL); err != nil {
		return Webhook{}, "", err
	}
	for _, t := range types {
		if !t.Known() {
			return Webhook{}, "", apperr.Invalid("event type %q is not known", t)
		}
	}
	if secret == "" {
		b := make([]byte, secretBytes)
		if _, err := rand.Read(b); err != nil {
			return Webhook{}, "", err
		}
		secret = hex.EncodeToString(b)
	} else if len(secret) < 16 || len(secret) > 256 {
		return Webhook{}, "", apperr.Invalid("a webhook secret is 16 to 256 characters")
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Webhook{}, "", err
	}
	sealed, err := s.d.Sealer.Seal(ctx, secretAD(id), []byte(secret))
	if err != nil {
		return Webhook{}, "", err
	}
	p := access.PrincipalFrom(ctx)
	var out Webhook
	err = s.db.InTx(ctx, func(tx pgx.Tx) error {
		row, err := s.q.WithTx(tx).InsertWebhook(ctx, db.InsertWebhookParams{
			ID: id, ProjectID: ptr(project), Url: rawURL, SecretSealed: sealed, Events: typeStrings(types),
			CreatedBy: ptr(p.UserID), CreatedByName: p.Username,
		})
		if err != nil {
			return err
		}
		out = webhookFrom(row)
		return audit.Record(ctx, tx, audit.Event{
			Action: "webhook.create", Resource: "webhook/" + id.String(), ProjectID: project,
			Detail: map[string]any{"url": redactURL(rawURL), "events": row.Events},
		})
	})
	return out, secret, err
}

// validateTarget checks a webhook URL's shape when it is saved; where it
// points is checked at every delivery (webhook.Sender), since DNS changes.
func validateTarget(raw string) error {
	if len(raw) > maxWebhookURL {
		return apperr.Invalid("the webhook URL is longer than %d bytes", maxWebhookURL)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return apperr.Invalid("the webhook URL must be an absolute http:// or https:// URL")
	}
	if u.User != nil {
		return apperr.Invalid("the webhook URL must not hold a user or password: the signature authenticates Hearth")
	}
	return nil
}

// redactURL drops a URL's query, which may carry a token, for logs and
// audit rows.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return u.String()
}

func typeStrings(ts []event.Type) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = string(t)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func webhookFrom(r db.Webhook) Webhook {
	w := Webhook{
		ID: r.ID, URL: r.Url, Active: r.Active, DisabledReason: r.DisabledReason,
		ConsecutiveFailures: r.ConsecutiveFailures, CreatedBy: r.CreatedByName, CreatedAt: r.CreatedAt,
	}
	if r.ProjectID != nil {
		w.ProjectID = *r.ProjectID
	}
	for _, t := range r.Events {
		w.Events = append(w.Events, event.Type(t))
	}
	return w
}

// Webhooks lists a project's webhooks (uuid.Nil: the installation's).
func (s *Service) Webhooks(ctx context.Context, project uuid.UUID) ([]Webhook, error) {
	rows, err := s.q.ListWebhooks(ctx, ptr(project))
	if err != nil {
		return nil, err
	}
	out := make([]Webhook, len(rows))
	for i, r := range rows {
		out[i] = webhookFrom(r)
	}
	return out, nil
}

// WebhookOf returns a webhook of project (uuid.Nil: installation-wide);
// one of another scope is not found.
func (s *Service) WebhookOf(ctx context.Context, project, id uuid.UUID) (Webhook, error) {
	r, err := s.q.GetWebhook(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && deref(r.ProjectID) != project) {
		return Webhook{}, apperr.NotFound("webhook not found")
	}
	if err != nil {
		return Webhook{}, err
	}
	return webhookFrom(r), nil
}

// DeleteWebhook deletes a webhook of project and its delivery log.
func (s *Service) DeleteWebhook(ctx context.Context, project, id uuid.UUID) error {
	if _, err := s.WebhookOf(ctx, project, id); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := s.q.WithTx(tx).DeleteWebhook(ctx, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "webhook.delete", Resource: "webhook/" + id.String(), ProjectID: project})
	})
}

// SetWebhookActive turns a webhook on (resetting its failure count) or off.
func (s *Service) SetWebhookActive(ctx context.Context, project, id uuid.UUID, active bool) (Webhook, error) {
	if _, err := s.WebhookOf(ctx, project, id); err != nil {
		return Webhook{}, err
	}
	var out Webhook
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		reason := ""
		if !active {
			reason = "turned off by " + access.PrincipalFrom(ctx).Username
		}
		row, err := s.q.WithTx(tx).SetWebhookActive(ctx, db.SetWebhookActiveParams{ID: id, Active: active, DisabledReason: reason})
		if err != nil {
			return err
		}
		out = webhookFrom(row)
		return audit.Record(ctx, tx, audit.Event{Action: "webhook.set_active", Resource: "webhook/" + id.String(), ProjectID: project, Detail: map[string]any{"active": active}})
	})
	return out, err
}

// Deliveries pages through a webhook's delivery log, newest first.
func (s *Service) Deliveries(ctx context.Context, project, webhookID, before uuid.UUID, limit int) ([]Delivery, error) {
	if _, err := s.WebhookOf(ctx, project, webhookID); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > maxDeliveriesPage {
		limit = maxDeliveriesPage
	}
	rows, err := s.q.ListDeliveries(ctx, db.ListDeliveriesParams{WebhookID: webhookID, Before: ptr(before), MaxRows: int32(limit)})
	if err != nil {
		return nil, err
	}
	out := make([]Delivery, len(rows))
	for i, r := range rows {
		out[i] = Delivery{
			ID: r.ID, WebhookID: r.WebhookID, EventID: r.EventID, EventType: r.EventType, State: r.State, Attempts: r.Attempts,
			NextAttemptAt: r.NextAttemptAt, LastStatus: r.LastStatus, LastDuration: time.Duration(r.LastDurationUs) * time.Microsecond,
			LastError: r.LastError, RedeliveryOf: deref(r.RedeliveryOf), CreatedAt: r.CreatedAt, FinishedAt: r.FinishedAt,
		}
	}
	return out, nil
}

// Redeliver queues a delivery's payload again, as a new delivery.
func (s *Service) Redeliver(ctx context.Context, project, webhookID, deliveryID uuid.UUID) (uuid.UUID, error) {
	if _, err := s.WebhookOf(ctx, project, webhookID); err != nil {
		return uuid.Nil, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.Nil, err
	}
	err = s.db.InTx(ctx, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		d, err := q.GetDelivery(ctx, db.GetDeliveryParams{ID: deliveryID, WebhookID: webhookID})
		if errors.Is(err, store.ErrNotFound) {
			return apperr.NotFound("delivery not found")
		}
		if err != nil {
			return err
		}
		if err := q.InsertDelivery(ctx, db.InsertDeliveryParams{
			ID: id, WebhookID: webhookID, EventID: d.EventID, EventType: d.EventType, Payload: d.Payload, RedeliveryOf: &d.ID,
		}); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "SELECT pg_notify($1, 'webhooks')", notifyChannel); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "webhook.redeliver", Resource: "webhook/" + webhookID.String(), ProjectID: project,
			Detail: map[string]any{"delivery_id": deliveryID.String(), "new_delivery_id": id.String()}})
	})
	return id, err
}

// deliver sends the due deliveries, batch by batch, until none is due.
func (s *Service) deliver(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := s.deliverBatch(ctx)
		total += n
		if err != nil || n < deliveryBatch {
			return total, err
		}
	}
}

// deliverBatch claims due deliveries (SKIP LOCKED: replicas share the
// queue), sends each and records the outcome in the same transaction, so
// a delivery is never sent twice by two workers; a crash between the send
// and the commit sends it again (at least once, like every webhook
// system; receivers dedupe on X-Hearth-Delivery).
func (s *Service) deliverBatch(ctx context.Context) (int, error) {
	var n int
	var disabled []event.Event
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		rows, err := q.ClaimDeliveries(ctx, db.ClaimDeliveriesParams{Now: s.now(), MaxRows: deliveryBatch})
		if err != nil {
			return err
		}
		n = len(rows)
		for _, r := range rows {
			ev, err := s.attempt(ctx, q, r)
			if err != nil {
				return err
			}
			if ev != nil {
				disabled = append(disabled, *ev)
			}
		}
		for _, ev := range disabled {
			if err := (Outbox{}).Publish(ctx, tx, ev); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// attempt sends one delivery and records how it went; it returns the
// event telling the owner when the webhook was disabled by this failure.
func (s *Service) attempt(ctx context.Context, q *db.Queries, r db.ClaimDeliveriesRow) (*event.Event, error) {
	if !r.Active {
		// Disabled after it was queued: end it without sending.
		return nil, q.RecordAttempt(ctx, db.RecordAttemptParams{ID: r.ID, State: "failed", NextAttemptAt: s.now(), LastError: "the webhook is disabled"})
	}
	if wait := s.rate.wait(r.WebhookID, s.now()); wait > 0 {
		return nil, q.PostponeDelivery(ctx, db.PostponeDeliveryParams{ID: r.ID, NextAttemptAt: s.now().Add(wait)})
	}
	secret, err := s.d.Sealer.Open(ctx, secretAD(r.WebhookID), r.SecretSealed)
	if err != nil {
		return nil, fmt.Errorf("webhook %s secret: %w", r.WebhookID, err)
	}
	res := s.d.Sender.Send(ctx, webhook.Request{URL: r.Url, Secret: secret, Event: r.EventType, DeliveryID: r.ID.String(), Body: r.Payload})
	if ctx.Err() != nil {
		return nil, ctx.Err() // stopping: the delivery stays due
	}
	p := db.RecordAttemptParams{
		ID: r.ID, State: "succeeded", NextAttemptAt: s.now(), LastStatus: int32(res.StatusCode), //nolint:gosec // G115: an HTTP status.
		LastDurationUs: res.Duration.Microseconds(),
	}
	if res.Err == nil {
		if err := q.RecordAttempt(ctx, p); err != nil {
			return nil, err
		}
		return nil, q.WebhookSucceeded(ctx, r.WebhookID)
	}
	p.LastError = truncate(res.Err.Error(), 500)
	attempts := r.Attempts + 1
	if attempts < int32(s.d.Webhooks.MaxAttempts) && !res.Refused { //nolint:gosec // G115: a small policy number.
		p.State, p.NextAttemptAt = "pending", s.now().Add(s.backoff(int(attempts)))
		return nil, q.RecordAttempt(ctx, p)
	}
	p.State = "failed"
	if err := q.RecordAttempt(ctx, p); err != nil {
		return nil, err
	}
	s.log.Warn().Str(logfield.WebhookID, r.WebhookID.String()).Str(logfield.DeliveryID, r.ID.String()).Str(logfield.Reason, p.LastError).Msg("a webhook delivery failed for good")
	f, err := q.WebhookFailed(ctx, r.WebhookID)
	if err != nil || f.ConsecutiveFailures < int32(s.d.Webhooks.DisableAfter) { //nolint:gosec // G115: a small policy number.
		return nil, err
	}
	reason := fmt.Sprintf("disabled after %d deliveries in a row failed; the last: %s", f.ConsecutiveFailures, p.LastError)
	if n, err := q.DisableWebhook(ctx, db.DisableWebhookParams{ID: r.WebhookID, Reason: reason}); err != nil || n == 0 {
		return nil, err
	}
	ev := event.Event{
		Type: event.WebhookDisabled, ProjectID: deref(f.ProjectID), Subject: "webhook " + r.WebhookID.String(),
		Title: "Webhook to " + redactURL(f.Url) + " was disabled", Recipients: []uuid.UUID{deref(f.CreatedBy)},
		Data: map[string]any{"webhook_id": r.WebhookID.String(), "reason": reason},
	}
	// The console's delivery log of the webhook (a relative path is the
	// project's; notify completes it).
	ev.Path = "/-/admin/webhooks/" + r.WebhookID.String()
	if ev.ProjectID != uuid.Nil {
		ev.Path = "-/settings/webhooks/" + r.WebhookID.String()
	}
	return &ev, nil
}

// backoff is the wait before attempt n+1: FirstRetry·2^(n-1), capped.
func (s *Service) backoff(n int) time.Duration {
	d := s.d.Webhooks.FirstRetry
	for i := 1; i < n && d < s.d.Webhooks.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, s.d.Webhooks.MaxBackoff)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func deref(id *uuid.UUID) uuid.UUID {
	if id == nil {
		return uuid.Nil
	}
	return *id
}
