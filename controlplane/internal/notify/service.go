package notify

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/notify/email"
	"github.com/hearth-dev/hearth/controlplane/internal/notify/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/notify/webhook"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
)

// Authorizer is the one authorizer: a recipient who may no longer read
// the project gets nothing of it.
type Authorizer interface {
	Authorize(ctx context.Context, p access.Principal, perm access.Permission, project uuid.UUID) error
}

// Users is what notify needs of accounts: where to email a user, and
// whether they are still active.
type Users interface {
	Contact(ctx context.Context, userID uuid.UUID) (Contact, error)
}

// Contact is a user's name and email address ("" : none).
type Contact struct {
	Username, Name, Email string
	Active                bool
}

// PubSub fans live notifications out to the replica holding a user's
// stream (the platform's Redis); nil: streams poll.
type PubSub interface {
	Publish(ctx context.Context, channel string, message []byte) error
	Subscribe(ctx context.Context, channel string) (<-chan []byte, error)
}

// Sealer keeps webhook secrets sealed at rest (the secrets feature).
type Sealer interface {
	Seal(ctx context.Context, ad string, plaintext []byte) ([]byte, error)
	Open(ctx context.Context, ad string, sealed []byte) ([]byte, error)
}

// Mailer sends one email (email.Mailer); nil: no email channel.
type Mailer interface {
	Send(ctx context.Context, msg email.Message) error
}

// Sender delivers one webhook request (webhook.Sender).
type Sender interface {
	Send(ctx context.Context, req webhook.Request) webhook.Result
}

// EmailPolicy shapes the email channel.
type EmailPolicy struct {
	// Coalesce: a notification waits this long for others of the same
	// user to join its email (default 30s).
	Coalesce time.Duration
	// MinInterval: at most one email per user per interval (default 1m);
	// what arrives meanwhile goes in the next one.
	MinInterval time.Duration
	// MaxPerEmail bounds the notifications one email lists (default 50).
	MaxPerEmail int
}

// WebhookPolicy shapes webhook retries.
type WebhookPolicy struct {
	// MaxAttempts per delivery (default 8), spaced by exponential backoff
	// from FirstRetry (default 10s) up to MaxBackoff (default 1h).
	MaxAttempts int
	FirstRetry  time.Duration
	MaxBackoff  time.Duration
	// DisableAfter: a webhook is disabled after this many deliveries in a
	// row failed for good (default 5).
	DisableAfter int
	// PerSecond and Burst limit the deliveries to one webhook, per
	// replica (default 50 a second, bursts of twice that); the rest wait
	// their turn in the queue.
	PerSecond float64
	Burst     int
}

// Deps is what New needs.
type Deps struct {
	DB       *store.DB
	Logger   zerolog.Logger
	Projects Projects
	Authz    Authorizer
	Users    Users
	PubSub   PubSub
	Mailer   Mailer
	Sender   Sender
	Sealer   Sealer
	// PublicURL prefixes the paths of events in emails and payloads.
	PublicURL string
	Email     EmailPolicy
	Webhooks  WebhookPolicy
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Service is the notifications feature.
type Service struct {
	d    Deps
	db   *store.DB
	q    *db.Queries
	log  zerolog.Logger
	now  func() time.Time
	wake wakers
	rate *limiters
}

// New returns the service.
func New(d Deps) (*Service, error) {
	if d.DB == nil || d.Projects == nil || d.Authz == nil || d.Users == nil || d.Sender == nil || d.Sealer == nil {
		return nil, errors.New("notify: DB, Projects, Authz, Users, Sender and Sealer are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	d.Email = d.Email.withDefaults()
	d.Webhooks = d.Webhooks.withDefaults()
	return &Service{
		d: d, db: d.DB, q: db.New(d.DB), log: d.Logger, now: d.Now, wake: newWakers(),
		rate: newLimiters(d.Webhooks.PerSecond, d.Webhooks.Burst),
	}, nil
}

func (p EmailPolicy) withDefaults() EmailPolicy {
	if p.Coalesce == 0 {
		p.Coalesce = 30 * time.Second
	}
	if p.MinInterval == 0 {
		p.MinInterval = time.Minute
	}
	if p.MaxPerEmail <= 0 {
		p.MaxPerEmail = 50
	}
	return p
}

func (p WebhookPolicy) withDefaults() WebhookPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 8
	}
	if p.FirstRetry <= 0 {
		p.FirstRetry = 10 * time.Second
	}
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = time.Hour
	}
	if p.DisableAfter <= 0 {
		p.DisableAfter = 5
	}
	if p.PerSecond <= 0 {
		p.PerSecond = 50
	}
	if p.Burst <= 0 {
		p.Burst = int(2 * p.PerSecond)
	}
	return p
}

// wakers are the workers' doorbells, rung by the listener.
type wakers struct {
	outbox, emails, webhooks chan struct{}
}

func newWakers() wakers {
	return wakers{outbox: make(chan struct{}, 1), emails: make(chan struct{}, 1), webhooks: make(chan struct{}, 1)}
}

func ring(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// ringAll wakes every worker (after a listener reconnect, notifications
// may have been missed).
func (w wakers) ringAll() {
	ring(w.outbox)
	ring(w.emails)
	ring(w.webhooks)
}
