package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/audit/internal/db"
)

// Event is one mutation to record. The actor and client come from the
// request context.
type Event struct {
	// Action is "<feature>.<verb>", e.g. "user.create", "role.bind".
	Action string
	// Resource names the target, e.g. "user/<id>".
	Resource string
	// ProjectID scopes the event to a project (uuid.Nil: installation-wide).
	ProjectID uuid.UUID
	// Detail is stored as JSON. Never put a secret, token or password here.
	Detail map[string]any
}

// Client describes where a request came from.
type Client struct {
	IP        netip.Addr
	UserAgent string
}

type clientKey struct{}

// WithClient returns ctx carrying the request's client, for Record.
func WithClient(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

// ClientFrom returns the client the server's middleware recorded for
// this request, and whether there was one.
func ClientFrom(ctx context.Context) (Client, bool) {
	c, ok := ctx.Value(clientKey{}).(Client)
	return c, ok
}

func clientFrom(ctx context.Context) Client {
	c, _ := ClientFrom(ctx)
	return c
}

const maxUserAgent = 512

// Record writes e in tx, the transaction of the mutation it describes.
func Record(ctx context.Context, tx pgx.Tx, e Event) error {
	p := access.PrincipalFrom(ctx)
	c := clientFrom(ctx)
	detail := e.Detail
	if detail == nil {
		detail = map[string]any{}
	}
	if p.TokenID != uuid.Nil {
		detail["token_id"] = p.TokenID.String()
	}
	raw, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("audit detail: %w", err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return err
	}
	ua := c.UserAgent
	if len(ua) > maxUserAgent {
		ua = ua[:maxUserAgent]
	}
	var ip *netip.Addr
	if c.IP.IsValid() {
		addr := c.IP
		ip = &addr
	}
	err = db.New(tx).InsertEvent(ctx, db.InsertEventParams{
		ID:        id,
		ActorID:   optionalUUID(p.UserID),
		ActorName: p.Username,
		Action:    e.Action,
		Resource:  e.Resource,
		ProjectID: optionalUUID(e.ProjectID),
		Detail:    raw,
		ClientIp:  ip,
		UserAgent: ua,
	})
	return err
}

func optionalUUID(id uuid.UUID) pgtype.UUID {
	if id == uuid.Nil {
		return pgtype.UUID{}
	}
	return pgtype.UUID{Bytes: id, Valid: true}
}

// Filter selects events; zero fields select everything.
type Filter struct {
	ActorID      uuid.UUID
	ActionPrefix string
	ProjectID    uuid.UUID
	Since        time.Time
	// Before pages: events strictly older than this (time, id) position.
	BeforeTime time.Time
	BeforeID   uuid.UUID
	Limit      int
}
