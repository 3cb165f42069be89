package auth

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/auth/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// ErrInvalidSession is in the chain of the error Authenticate returns for a
// session cookie that is malformed, unknown, expired or whose user was
// deactivated: the middleware should clear the cookie (ClearSessionCookie),
// and may let a Public procedure (Login) proceed anonymously.
var ErrInvalidSession = errors.New("invalid session")

func invalidSession() error {
	return &apperr.Error{Kind: apperr.KindUnauthenticated, Message: "your session has ended; sign in again", Cause: ErrInvalidSession}
}

func wrongCredentials() error {
	return apperr.Unauthenticated("wrong username or password")
}

// Session is a new browser session. Secret goes in the cookie, CSRFToken
// to the client (the X-CSRF-Token header of its mutations); neither is
// stored.
type Session struct {
	Secret    string
	CSRFToken string
	ExpiresAt time.Time
	User      User
}

// checkPassword verifies login (a username or email) and password,
// throttled (see ThrottleConfig): per address, per (address, account)
// pair, and paced per account. It does the same work whether the user
// exists or not (the dummy hash stands in), and refuses a deactivated user
// exactly like a wrong password.
func (s *Service) checkPassword(ctx context.Context, login, password string, ip netip.Addr) (db.User, error) {
	addrKey := addressKey(ip)
	if _, err := s.reserveAttempt(ctx, addrKey, s.throttle.PerAddress); err != nil {
		return db.User{}, err
	}
	found := false
	var u db.User
	if login != "" && len(login) <= maxLogin {
		var err error
		u, err = s.queries.GetUserByLogin(ctx, login)
		switch {
		case err == nil:
			found = true
		case !errors.Is(err, pgx.ErrNoRows):
			return db.User{}, err
		}
	}
	acctKey := accountKey(u.ID, login)
	pair := pairKey(addrKey, acctKey)
	n, err := s.reserveAttempt(ctx, pair, s.throttle.PerPair)
	if err != nil {
		s.release(ctx, addrKey)
		return db.User{}, err
	}
	// The first attempt of this address on this account in the window has
	// its own pacing lane: the owner signing in from a clean address is
	// never queued behind an attacker's failures.
	slot := paceKey(acctKey, n == 1)
	if err := s.pace(ctx, slot); err != nil {
		// Not tried: give both reservations back, so waiting out the pace
		// never counts towards a refusal.
		s.release(ctx, pair, addrKey)
		return db.User{}, err
	}
	hash := s.dummyHash
	if found {
		hash = u.PasswordHash
	}
	if len(password) > maxPasswordBytes {
		// No account has such a password; hash a bounded prefix so that the
		// work stays the same.
		password = password[:maxPasswordBytes]
		found = false
	}
	ok, err := s.hasher.Verify(password, hash)
	if err != nil {
		s.log.Error().Err(err).Str(logfield.UserID, u.ID.String()).Msg("stored password hash is malformed")
		ok = false
	}
	if !ok || !found || u.DeactivatedAt != nil {
		// The reservations stay counted and the pacing slot stays taken
		// until it expires: that is what slows guessing down.
		return db.User{}, wrongCredentials()
	}
	// A success frees the slot at once (concurrent sign-ins of one user,
	// git's successive requests) and clears this address's record.
	if err := s.counters.Reset(ctx, slot); err != nil {
		s.log.Warn().Err(err).Msg("could not free the sign-in pacing slot")
	}
	if err := s.counters.Reset(ctx, pair); err != nil {
		s.log.Warn().Err(err).Msg("could not reset the sign-in failure counter")
	}
	if err := s.counters.Decr(ctx, addrKey); err != nil {
		s.log.Warn().Err(err).Msg("could not release the sign-in attempt")
	}
	return u, nil
}

// release gives back attempt reservations that were never tried.
func (s *Service) release(ctx context.Context, keys ...string) {
	for _, k := range keys {
		if err := s.counters.Decr(context.WithoutCancel(ctx), k); err != nil {
			s.log.Warn().Err(err).Msg("could not release a sign-in attempt")
		}
	}
}

// Login checks login (a username or an email) and password and starts a
// session. Failures are throttled per client address and account (see
// ThrottleConfig); unknown users, wrong passwords and deactivated users
// are refused alike.
func (s *Service) Login(ctx context.Context, login, password string, client audit.Client) (Session, error) {
	u, err := s.checkPassword(ctx, login, password, client.IP)
	if err != nil {
		return Session{}, err
	}
	secret, err := randomSecret()
	if err != nil {
		return Session{}, err
	}
	csrf, err := randomSecret()
	if err != nil {
		return Session{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Session{}, err
	}
	now := s.now()
	expires := now.Add(s.sessions.MaxAge)
	var ip *netip.Addr
	if client.IP.IsValid() {
		addr := client.IP
		ip = &addr
	}
	ua := client.UserAgent
	if len(ua) > 512 {
		ua = ua[:512]
	}
	// The audit row's actor is the user signing in.
	actx := access.WithPrincipal(ctx, access.Principal{Kind: access.User, UserID: u.ID, Username: u.Username, ViaSession: true})
	err = s.db.InTx(ctx, func(tx pgx.Tx) error {
		if err := db.New(tx).CreateSession(ctx, db.CreateSessionParams{
			ID: id, UserID: u.ID, TokenHash: hashSecret(secret), CsrfHash: hashSecret(csrf),
			Now: now, ExpiresAt: expires, ClientIp: ip, UserAgent: ua,
		}); err != nil {
			return err
		}
		return audit.Record(actx, tx, audit.Event{
			Action: "auth.login", Resource: "session/" + id.String(),
			Detail: map[string]any{"expires_at": expires.UTC().Format(time.RFC3339)},
		})
	})
	if err != nil {
		return Session{}, err
	}
	return Session{Secret: secret, CSRFToken: csrf, ExpiresAt: expires, User: userFrom(u)}, nil
}

// Logout ends the session whose secret is given. An unknown or malformed
// secret is not an error: the session is gone either way.
func (s *Service) Logout(ctx context.Context, secret string) error {
	if !wellFormedSecret(secret) {
		return nil
	}
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		row, err := db.New(tx).DeleteSessionByHash(ctx, hashSecret(secret))
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "auth.logout", Resource: "session/" + row.ID.String()})
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// sessionPrincipal authenticates a session secret, enforcing the idle and
// absolute expiry and refreshing last_seen_at at most once a minute.
func (s *Service) sessionPrincipal(ctx context.Context, secret string) (access.Principal, error) {
	if !wellFormedSecret(secret) {
		return access.Principal{}, invalidSession()
	}
	row, err := s.queries.GetSessionByHash(ctx, hashSecret(secret))
	if errors.Is(err, pgx.ErrNoRows) {
		return access.Principal{}, invalidSession()
	}
	if err != nil {
		return access.Principal{}, err
	}
	now := s.now()
	if row.DeactivatedAt != nil || !now.Before(row.ExpiresAt) || now.Sub(row.LastSeenAt) >= s.sessions.IdleTimeout {
		if err := s.queries.DeleteSession(ctx, row.ID); err != nil {
			s.log.Warn().Err(err).Msg("could not delete an ended session")
		}
		return access.Principal{}, invalidSession()
	}
	if now.Sub(row.LastSeenAt) >= touchInterval {
		if err := s.queries.TouchSession(ctx, db.TouchSessionParams{ID: row.ID, Now: now}); err != nil {
			s.log.Warn().Err(err).Msg("could not refresh a session")
		}
	}
	return access.Principal{
		Kind: access.User, UserID: row.UserID, Username: row.Username, ViaSession: true, SessionID: row.ID,
		MustChangePassword: row.MustChangePassword,
	}, nil
}

// CheckCSRF verifies the X-CSRF-Token value of a mutation authenticated by
// a session cookie: it must be the CSRF token of a live session of the same
// user (compared as SHA-256 hashes through a unique index). Principals not
// authenticated by a cookie pass: a cross-site page cannot make a browser
// attach their credentials.
func (s *Service) CheckCSRF(ctx context.Context, p access.Principal, token string) error {
	if !p.ViaSession {
		return nil
	}
	denied := apperr.PermissionDenied("missing or invalid %s header", CSRFHeader)
	if !wellFormedSecret(token) {
		return denied
	}
	now := s.now()
	sessionID, err := s.queries.GetSessionByCSRF(ctx, db.GetSessionByCSRFParams{
		CsrfHash: hashSecret(token), Now: now, IdleBefore: now.Add(-s.sessions.IdleTimeout),
	})
	// The token must be the calling session's own: another live session's
	// token (say, one leaked from a different browser) does not do.
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && sessionID != p.SessionID) {
		return denied
	}
	return err
}

// PurgeExpiredSessions deletes sessions past their absolute or idle expiry
// (a periodic leader-only job; lookups refuse them anyway).
func (s *Service) PurgeExpiredSessions(ctx context.Context) (int64, error) {
	now := s.now()
	n, err := s.queries.DeleteExpiredSessions(ctx, db.DeleteExpiredSessionsParams{
		Now: now, IdleBefore: now.Add(-s.sessions.IdleTimeout),
	})
	return n, err
}
