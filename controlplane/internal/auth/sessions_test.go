package auth

import (
	"context"
	"encoding/base64"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
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
	ctx := withPrincipal(t.Context(), access.Principal{Kind: access.User, UserID: uuid.New()})
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

// TestLoginThrottlingPerAddressAndAccount: failures refuse the address
// that made them on that account, never the account for everyone.
func TestLoginThrottlingPerAddressAndAccount(t *testing.T) {
	e := newEnv(t, func(d *Deps) { d.Throttle = ThrottleConfig{PerPair: 4, PerAddress: 10, Spacing: time.Millisecond} })
	e.mustCreate(t, context.Background(), "tom", "tom's password", false)
	e.mustCreate(t, context.Background(), "ann", "ann's password", false)
	other := audit.Client{IP: netip.MustParseAddr("198.51.100.7")}

	// A success resets the pair's counter.
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
	// That address is refused on that account, whatever the name used or
	// the password, without hashing anything.
	verifies := e.hasher.verifies.Load()
	for _, login := range []string{"tom", "TOM", "tom@example.com"} {
		_, err := e.svc.Login(t.Context(), login, "tom's password", other)
		wantKind(t, err, apperr.KindResourceExhausted)
		if !strings.Contains(err.Error(), "too many sign-in attempts, try again in 15 minutes") {
			t.Errorf("message: %v", err)
		}
		if d, ok := RetryAfter(err); !ok || d <= 14*time.Minute || d > 15*time.Minute {
			t.Errorf("retry after %v %v, want the rest of the 15-minute window", d, ok)
		}
	}
	if e.hasher.verifies.Load() != verifies {
		t.Error("a refused attempt still costs password hashing")
	}
	// The owner elsewhere is not locked out: not by Login, not by Basic.
	if _, err := e.svc.Login(t.Context(), "tom", "tom's password", clientA); err != nil {
		t.Fatalf("another address is refused too: %v", err)
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("tom:tom's password"))
	if _, err := e.svc.Authenticate(t.Context(), request(basic, "")); err != nil {
		t.Fatalf("Basic from another address: %v", err)
	}
	// Another account from the refused address is fine.
	if _, err := e.svc.Login(t.Context(), "ann", "ann's password", other); err != nil {
		t.Fatal(err)
	}

	// Per address, across accounts (spraying): `other` holds 4 failures
	// (refusals and successes are not counted); 6 more reach 10, the next
	// attempt is refused.
	for i := range 6 {
		_, err := e.svc.Login(t.Context(), "ghost"+string(rune('a'+i)), "whatever", other)
		wantKind(t, err, apperr.KindUnauthenticated)
	}
	_, err := e.svc.Login(t.Context(), "ann", "ann's password", other)
	wantKind(t, err, apperr.KindResourceExhausted)
	if _, err := e.svc.Login(t.Context(), "ann", "ann's password", audit.Client{IP: netip.MustParseAddr("203.0.113.9")}); err != nil {
		t.Fatalf("another address is throttled too: %v", err)
	}
	// IPv6: one /64 is one address.
	for i := range 4 {
		ip := netip.MustParseAddr("2001:db8:1:2::" + string(rune('1'+i)))
		_, err := e.svc.Login(t.Context(), "ann", "nope nope nope", audit.Client{IP: ip})
		wantKind(t, err, apperr.KindUnauthenticated)
	}
	_, err = e.svc.Login(t.Context(), "ann", "ann's password", audit.Client{IP: netip.MustParseAddr("2001:db8:1:2::ff")})
	wantKind(t, err, apperr.KindResourceExhausted)
	if _, err := e.svc.Login(t.Context(), "ann", "ann's password", audit.Client{IP: netip.MustParseAddr("2001:db8:1:3::1")}); err != nil {
		t.Fatalf("the next /64 is refused too: %v", err)
	}
}

// TestLoginPacingSlowsAnAccountButNeverLocksIt: attempts on one account
// are spaced, across addresses, by waiting and at worst a refusal with a
// short Retry-After that does not count as a failure.
func TestLoginPacingSlowsAnAccountButNeverLocksIt(t *testing.T) {
	const spacing = 300 * time.Millisecond
	e := newEnv(t, func(d *Deps) { d.Throttle = ThrottleConfig{PerPair: 100, Spacing: spacing} })
	u := e.mustCreate(t, context.Background(), "pat", "pat's password", false)
	x := audit.Client{IP: netip.MustParseAddr("198.51.100.20")}
	y := audit.Client{IP: netip.MustParseAddr("198.51.100.21")}

	// X's first failure is in the fresh lane, its second in the other;
	// each further one waits for that lane's slot.
	start := time.Now()
	for range 4 {
		_, err := e.svc.Login(t.Context(), "pat", "wrong wrong wrong", x)
		wantKind(t, err, apperr.KindUnauthenticated)
	}
	if took := time.Since(start); took < 2*spacing-50*time.Millisecond {
		t.Fatalf("4 failures from one address took %v; want them spaced by %v", took, spacing)
	}
	// The owner from a clean address is not queued behind them.
	start = time.Now()
	if _, err := e.svc.Login(t.Context(), "pat", "pat's password", y); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took >= spacing {
		t.Errorf("a clean address waited %v", took)
	}
	// The right password from the failing address itself still succeeds.
	if _, err := e.svc.Login(t.Context(), "pat", "pat's password", x); err != nil {
		t.Fatalf("never a lockout: %v", err)
	}

	// A slot held longer than the wait: refused briefly, and the attempt
	// is not counted against the address.
	_, err := e.svc.Login(t.Context(), "pat", "wrong wrong wrong", x) // x is in the retry lane again
	wantKind(t, err, apperr.KindUnauthenticated)
	acct := accountKey(u.ID, "pat")
	// Replace the failure's own slot by one that outlasts the wait.
	if err := e.svc.counters.Reset(t.Context(), paceKey(acct, false)); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := e.svc.counters.Acquire(t.Context(), paceKey(acct, false), 2*time.Second); err != nil || !ok {
		t.Fatalf("acquire: %v %v", ok, err)
	}
	pair := pairKey(addressKey(x.IP), acct)
	before, _, _ := e.svc.counters.Count(t.Context(), pair)
	_, err = e.svc.Login(t.Context(), "pat", "pat's password", x)
	wantKind(t, err, apperr.KindResourceExhausted)
	if d, ok := RetryAfter(err); !ok || d <= 0 || d > 2*time.Second || !strings.Contains(err.Error(), "try again in a second") {
		t.Errorf("busy account: retry after %v %v, message %q", d, ok, err.Error())
	}
	if after, _, _ := e.svc.counters.Count(t.Context(), pair); after != before {
		t.Errorf("a paced attempt counted: %d then %d", before, after)
	}
}

// TestLoginFailsClosedWithoutRedis: throttling that fails open would
// invite brute force while Redis is down.
func TestLoginFailsClosedWithoutRedis(t *testing.T) {
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialerRetries: 1, DialTimeout: 100 * time.Millisecond})
	t.Cleanup(func() { _ = dead.Close() })
	e := newEnv(t, func(d *Deps) { d.Counters = NewRedisCounters(dead, "x:") })
	e.mustCreate(t, context.Background(), "red", "red's password", false)
	verifies := e.hasher.verifies.Load()
	_, err := e.svc.Login(t.Context(), "red", "red's password", clientA)
	wantKind(t, err, apperr.KindUnavailable)
	if e.hasher.verifies.Load() != verifies {
		t.Error("a password was checked without throttling")
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
	_, err = e.svc.DeactivateUser(ctx, access.PrincipalFrom(ctx).UserID)
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
	if err := e.svc.CheckCSRF(t.Context(), access.Principal{Kind: access.User, UserID: p.UserID}, ""); err != nil {
		t.Fatal(err)
	}
	// The session's token dies with it.
	if err := e.svc.Logout(t.Context(), s.Secret); err != nil {
		t.Fatal(err)
	}
	wantKind(t, e.svc.CheckCSRF(t.Context(), p, s.CSRFToken), apperr.KindPermissionDenied)
}

// TestCountersNeverOutliveTheirWindow: giving back a reservation after
// its window ended must not leave a counter without expiry, which would
// count failures for ever.
func TestCountersNeverOutliveTheirWindow(t *testing.T) {
	e := newEnv(t)
	c := e.svc.counters
	if n, left, err := c.Incr(t.Context(), "k", 50*time.Millisecond); err != nil || n != 1 || left <= 0 || left > 50*time.Millisecond {
		t.Fatalf("incr: %d %v %v", n, left, err)
	}
	testsvc.WaitFor(t, "the window to end", func() bool {
		n, _, err := c.Count(t.Context(), "k")
		return err == nil && n == 0
	})
	if err := c.Decr(t.Context(), "k"); err != nil {
		t.Fatal(err)
	}
	if n, left, err := c.Count(t.Context(), "k"); err != nil || n != 0 || left != 0 {
		t.Fatalf("after a late give-back: count %d, %v left, %v; want no counter", n, left, err)
	}
	if n, left, err := c.Incr(t.Context(), "k", time.Minute); err != nil || n != 1 || left <= 0 {
		t.Fatalf("a new window: %d %v %v", n, left, err)
	}
}
