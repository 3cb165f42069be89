package auth

import (
	"context"
	"encoding/base64"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/rbac"
)

func TestLoginAndSessions(t *testing.T) {
	e := newEnv(t, func(d *Deps) { d.Sessions = SessionConfig{IdleTimeout: time.Hour, MaxAge: 3 * time.Hour} })
	u := e.mustCreate(t, context.Background(), "sam", "sam's password", false)

	s, err := e.svc.Login(t.Context(), "SAM", "sam's password", clientA)
	if err != nil {
		t.Fatal(err)
	}
	if s.User.ID != u.ID || !wellFormedSecret(s.Secret) || !wellFormedSecret(s.CSRFToken) || s.Secret == s.CSRFToken {
		t.Fatalf("session %+v", s)
	}
	var stored int
	if err := e.db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM sessions WHERE token_hash = $1 OR token_hash = convert_to($2, 'UTF8')`, hashSecret(s.Secret), s.Secret).Scan(&stored); err != nil || stored != 1 {
		t.Fatalf("the session is not stored by hash: %d %v", stored, err)
	}
	p, err := e.svc.Authenticate(t.Context(), request("", s.Secret))
	if err != nil || p.UserID != u.ID || !p.ViaSession || p.TokenID != uuid.Nil || p.Username != "sam" {
		t.Fatalf("session principal %+v %v", p, err)
	}

	lastSeen := func() time.Time {
		var ts time.Time
		if err := e.db.Pool.QueryRow(t.Context(), `SELECT last_seen_at FROM sessions WHERE token_hash = $1`, hashSecret(s.Secret)).Scan(&ts); err != nil {
			t.Fatal(err)
		}
		return ts
	}
	first := lastSeen()
	e.clock.Advance(30 * time.Second)
	if _, err := e.svc.Authenticate(t.Context(), request("", s.Secret)); err != nil {
		t.Fatal(err)
	}
	if !lastSeen().Equal(first) {
		t.Error("last_seen_at written within a minute")
	}
	e.clock.Advance(45 * time.Second)
	if _, err := e.svc.Authenticate(t.Context(), request("", s.Secret)); err != nil {
		t.Fatal(err)
	}
	if !lastSeen().After(first) {
		t.Error("last_seen_at not refreshed after a minute")
	}

	// Idle expiry.
	e.clock.Advance(time.Hour)
	_, err = e.svc.Authenticate(t.Context(), request("", s.Secret))
	wantKind(t, err, apperr.KindUnauthenticated)
	if !errorsIsInvalidSession(err) {
		t.Errorf("an idle session's error lacks ErrInvalidSession: %v", err)
	}

	// Absolute expiry, even when used every few minutes.
	s, err = e.svc.Login(t.Context(), "sam", "sam's password", clientA)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		e.clock.Advance(35 * time.Minute)
		if _, err := e.svc.Authenticate(t.Context(), request("", s.Secret)); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Advance(10 * time.Minute)
	_, err = e.svc.Authenticate(t.Context(), request("", s.Secret))
	wantKind(t, err, apperr.KindUnauthenticated)

	// Logout.
	s, err = e.svc.Login(t.Context(), "sam", "sam's password", clientA)
	if err != nil {
		t.Fatal(err)
	}
	p, _ = e.svc.Authenticate(t.Context(), request("", s.Secret))
	if err := e.svc.Logout(withPrincipal(t.Context(), p), s.Secret); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Authenticate(t.Context(), request("", s.Secret))
	wantKind(t, err, apperr.KindUnauthenticated)
	if err := e.svc.Logout(t.Context(), s.Secret); err != nil {
		t.Fatalf("a second logout: %v", err)
	}
	// Sessions nobody looks up again are purged.
	if _, err := e.svc.Login(t.Context(), "sam", "sam's password", clientA); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * time.Hour)
	if n, err := e.svc.PurgeExpiredSessions(t.Context()); err != nil || n != 1 {
		t.Fatalf("purge: %d %v", n, err)
	}
}

func errorsIsInvalidSession(err error) bool {
	e, ok := apperr.As(err)
	return ok && e.Cause == ErrInvalidSession //nolint:errorlint // the exact sentinel is the contract.
}

func TestLoginDoesTheSameWorkForUnknownUsers(t *testing.T) {
	e := newEnv(t)
	e.mustCreate(t, context.Background(), "known", "known password", false)
	gone := e.mustCreate(t, context.Background(), "gone", "gone password", false)
	ctx := withPrincipal(t.Context(), rbac.Principal{Kind: rbac.User, UserID: uuid.New()})
	if _, err := e.svc.DeactivateUser(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}

	check := func(login, password string, wantDummy int64) {
		t.Helper()
		v0, d0 := e.hasher.verifies.Load(), e.hasher.dummies.Load()
		_, err := e.svc.Login(t.Context(), login, password, clientA)
		wantKind(t, err, apperr.KindUnauthenticated)
		if err.Error() != "wrong username or password" {
			t.Errorf("%s: message %q reveals more than a wrong password", login, err.Error())
		}
		if v := e.hasher.verifies.Load() - v0; v != 1 {
			t.Errorf("%s: %d verifications, want exactly 1", login, v)
		}
		if d := e.hasher.dummies.Load() - d0; d != wantDummy {
			t.Errorf("%s: %d dummy verifications, want %d", login, d, wantDummy)
		}
	}
	check("known", "wrong password!", 0)
	check("nobody", "wrong password!", 1)
	check("nobody@example.com", "wrong password!", 1)
	check("gone", "gone password", 0) // deactivated: refused like a wrong password
	check(strings.Repeat("x", 100000), "whatever", 1)
	check("known", strings.Repeat("p", 100000), 0)
	check("x' OR '1'='1", "' OR '1'='1", 1)
}

func TestLoginThrottlingPerAccountAndAddress(t *testing.T) {
	e := newEnv(t, func(d *Deps) { d.Throttle = ThrottleConfig{PerAccount: 4, PerAddress: 10} })
	e.mustCreate(t, context.Background(), "tom", "tom's password", false)
	e.mustCreate(t, context.Background(), "ann", "ann's password", false)
	other := audit.Client{IP: netip.MustParseAddr("198.51.100.7")}

	// A success resets the account's counter.
	for range 3 {
		_, err := e.svc.Login(t.Context(), "tom", "nope nope nope", clientA)
		wantKind(t, err, apperr.KindUnauthenticated)
	}
	if _, err := e.svc.Login(t.Context(), "tom", "tom's password", clientA); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		_, err := e.svc.Login(t.Context(), "tom", "nope nope nope", other)
		wantKind(t, err, apperr.KindUnauthenticated)
	}
	// Locked, whatever the address, the name used, or the password.
	verifies := e.hasher.verifies.Load()
	for _, login := range []string{"tom", "TOM", "tom@example.com"} {
		_, err := e.svc.Login(t.Context(), login, "tom's password", clientA)
		wantKind(t, err, apperr.KindResourceExhausted)
		if !strings.Contains(err.Error(), "too many sign-in attempts, try again in 15 minutes") {
			t.Errorf("message: %v", err)
		}
	}
	if e.hasher.verifies.Load() != verifies {
		t.Error("a locked account still costs password hashing")
	}
	// Another account is unaffected; so is Basic auth's count the same.
	if _, err := e.svc.Login(t.Context(), "ann", "ann's password", clientA); err != nil {
		t.Fatal(err)
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("tom:tom's password"))
	_, err := e.svc.Authenticate(t.Context(), request(basic, ""))
	wantKind(t, err, apperr.KindResourceExhausted)

	// Per address: failures on many unknown accounts from one address.
	for i := range 10 {
		_, err := e.svc.Login(t.Context(), "ghost"+string(rune('a'+i)), "whatever", other)
		if i < 6 { // `other` already has 4 failures
			wantKind(t, err, apperr.KindUnauthenticated)
		}
	}
	_, err = e.svc.Login(t.Context(), "ann", "ann's password", other)
	wantKind(t, err, apperr.KindResourceExhausted)
	if _, err := e.svc.Login(t.Context(), "ann", "ann's password", audit.Client{IP: netip.MustParseAddr("203.0.113.9")}); err != nil {
		t.Fatalf("another address is throttled too: %v", err)
	}
}

func TestDeactivationEndsSessionsAndTokensAtOnce(t *testing.T) {
	e := newEnv(t)
	ctx, _ := e.adminCtx(t)
	u := e.mustCreate(t, ctx, "dora", "dora's password", false)
	s, err := e.svc.Login(t.Context(), "dora", "dora's password", clientA)
	if err != nil {
		t.Fatal(err)
	}
	_, secret, err := e.svc.CreateToken(withPrincipal(t.Context(), principalOf(u)), NewToken{Name: "ci", Scopes: []string{"repo:write"}, ExpiresAt: e.clock.Now().Add(hour)})
	if err != nil {
		t.Fatal(err)
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("dora:"+secret))
	for _, r := range []struct{ authz, cookie string }{{"", s.Secret}, {"Bearer " + secret, ""}, {basic, ""}} {
		if _, err := e.svc.Authenticate(t.Context(), request(r.authz, r.cookie)); err != nil {
			t.Fatal(err)
		}
	}
	inv := e.roles.invalidated.Load()
	got, err := e.svc.DeactivateUser(ctx, u.ID)
	if err != nil || got.Active() {
		t.Fatalf("deactivate: %+v %v", got, err)
	}
	if e.roles.invalidated.Load() == inv {
		t.Error("deactivation did not invalidate the permission cache")
	}
	for _, r := range []struct{ authz, cookie string }{{"", s.Secret}, {"Bearer " + secret, ""}, {basic, ""}} {
		_, err := e.svc.Authenticate(t.Context(), request(r.authz, r.cookie))
		wantKind(t, err, apperr.KindUnauthenticated)
	}
	var sessions, live int
	_ = e.db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM sessions WHERE user_id = $1`, u.ID).Scan(&sessions)
	_ = e.db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL`, u.ID).Scan(&live)
	if sessions != 0 || live != 0 {
		t.Fatalf("%d sessions and %d tokens left", sessions, live)
	}
	if active, err := e.svc.Active(t.Context(), u.ID); err != nil || active {
		t.Fatalf("Active after deactivation: %v %v", active, err)
	}
	if active, err := e.svc.Active(t.Context(), uuid.New()); err != nil || active {
		t.Fatalf("Active of nobody: %v %v", active, err)
	}
	_, err = e.svc.Login(t.Context(), "dora", "dora's password", clientA)
	wantKind(t, err, apperr.KindUnauthenticated)

	yes := true
	if _, err := e.svc.UpdateUser(ctx, u.ID, UserUpdate{Active: &yes}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Login(t.Context(), "dora", "dora's password", clientA); err != nil {
		t.Fatalf("reactivated user cannot sign in: %v", err)
	}
	if _, err := e.svc.Authenticate(t.Context(), request("Bearer "+secret, "")); kindOf(err) != apperr.KindUnauthenticated {
		t.Fatal("reactivation revived a revoked token")
	}
	_, err = e.svc.DeactivateUser(ctx, rbac.PrincipalFrom(ctx).UserID)
	wantKind(t, err, apperr.KindFailedPrecondition)
}

func TestCSRF(t *testing.T) {
	e := newEnv(t)
	e.mustCreate(t, context.Background(), "cy", "cy's password!", false)
	e.mustCreate(t, context.Background(), "di", "di's password!", false)
	s, err := e.svc.Login(t.Context(), "cy", "cy's password!", clientA)
	if err != nil {
		t.Fatal(err)
	}
	other, err := e.svc.Login(t.Context(), "di", "di's password!", clientA)
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.svc.Authenticate(t.Context(), request("", s.Secret))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.CheckCSRF(t.Context(), p, s.CSRFToken); err != nil {
		t.Fatalf("right token refused: %v", err)
	}
	for _, bad := range []string{"", "x", s.Secret, other.CSRFToken, s.CSRFToken + "A", strings.Repeat("A", 43)} {
		wantKind(t, e.svc.CheckCSRF(t.Context(), p, bad), apperr.KindPermissionDenied)
	}
	// Not cookie-authenticated: no CSRF needed.
	if err := e.svc.CheckCSRF(t.Context(), rbac.Principal{Kind: rbac.User, UserID: p.UserID}, ""); err != nil {
		t.Fatal(err)
	}
	// The session's token dies with it.
	if err := e.svc.Logout(t.Context(), s.Secret); err != nil {
		t.Fatal(err)
	}
	wantKind(t, e.svc.CheckCSRF(t.Context(), p, s.CSRFToken), apperr.KindPermissionDenied)
}
