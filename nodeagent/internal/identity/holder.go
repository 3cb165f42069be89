package identity

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"connectrpc.com/connect"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/shared/backoff"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1/agentv1connect"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// Holder is the identity in use, safe for concurrent use: every call reads
// the credential from it; Rotate replaces it.
type Holder struct {
	store Store
	mu    sync.Mutex // held across a whole Rotate: never two at once
	cur   sync.RWMutex
	id    Identity
}

// NewHolder serves id, kept in store.
func NewHolder(store Store, id Identity) *Holder { return &Holder{store: store, id: id} }

// Get returns the identity in use.
func (h *Holder) Get() Identity {
	h.cur.RLock()
	defer h.cur.RUnlock()
	return h.id
}

// Credential returns the credential to present.
func (h *Holder) Credential() string { return h.Get().Credential }

// Rotate asks for a new credential, writes it to disk and then switches to
// it. UNAUTHENTICATED wraps ErrUnauthenticated. On any error the held
// credential is unchanged (and still valid unless revoked).
func (h *Holder) Rotate(ctx context.Context, client agentv1connect.RegistrationServiceClient) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	old := h.Get()
	res, err := client.RotateCredential(ctx, &agentv1.RotateCredentialRequest{})
	if err != nil {
		if connect.CodeOf(err) == connect.CodeUnauthenticated {
			return fmt.Errorf("rotating the credential: %w", errors.Join(ErrUnauthenticated, err))
		}
		return fmt.Errorf("rotating the credential: %w", err)
	}
	next := old
	next.PreviousCredential = old.Credential
	next.Credential = res.GetCredential()
	next.IssuedAt = time.Now().UTC()
	if next.Credential == "" {
		return errors.New("rotating the credential: the control plane answered an empty credential")
	}
	// The old credential stays valid for the overlap, so failing here
	// loses nothing: the next attempt rotates again with it.
	if err := h.store.Save(ctx, next); err != nil {
		return fmt.Errorf("saving the rotated credential: %w", err)
	}
	h.cur.Lock()
	h.id = next
	h.cur.Unlock()
	return nil
}

// Rotator rotates a Holder's credential every Every, measured from when the
// credential was issued (so restarts do not postpone rotation forever).
type Rotator struct {
	Holder *Holder
	// Client must present Holder's credential (see session's HTTP client).
	Client agentv1connect.RegistrationServiceClient
	Every  time.Duration
	// Retry paces attempts after a failure.
	Retry  backoff.Policy
	Logger zerolog.Logger
}

// Run rotates until ctx ends (returning nil) or the credential is refused
// (returning an error wrapping ErrUnauthenticated).
func (r *Rotator) Run(ctx context.Context) error {
	if r.Every <= 0 {
		return errors.New("identity: Rotator.Every must be positive")
	}
	for {
		issued := r.Holder.Get().IssuedAt
		wait := r.Every
		if !issued.IsZero() {
			wait = time.Until(issued.Add(r.Every))
		}
		if !sleep(ctx, wait) {
			return nil
		}
		for attempt := 0; ; attempt++ {
			err := r.Holder.Rotate(ctx, r.Client)
			if err == nil {
				r.Logger.Info().Msg("rotated the agent credential")
				break
			}
			stopping := ctx.Err() != nil // then err is only the cancellation
			if errors.Is(err, ErrUnauthenticated) && !stopping {
				return err
			}
			if !stopping {
				r.Logger.Warn().Err(err).Int(logfield.Attempt, attempt+1).Msg("rotating the credential failed; retrying")
			}
			if !r.Retry.Sleep(ctx, attempt) {
				return nil
			}
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
