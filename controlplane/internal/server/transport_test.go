package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/config"
	"github.com/hearth-dev/hearth/controlplane/servertest"
)

// sourceClient is an HTTP client whose connections leave from the given
// loopback address (127.0.0.2, 127.0.0.3, …): distinct clients to the
// server without any forwarded header.
func sourceClient(t testing.TB, src string) *http.Client {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	tr := &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 16}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// loginAnswer is what POST /api/v1/auth/login answered.
type loginAnswer struct {
	status int
	header http.Header
	body   string
}

// restLogin signs in over REST with extra headers (X-Forwarded-*).
func restLogin(ctx context.Context, t testing.TB, c *http.Client, base, user, password string, hdr map[string]string) loginAnswer {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": user, "password": password})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/auth/login", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return loginAnswer{}
		}
		t.Errorf("login: %v", err)
		return loginAnswer{}
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	return loginAnswer{status: res.StatusCode, header: res.Header, body: string(b)}
}

// sessionCookie finds the hearth_session Set-Cookie of an answer.
func sessionCookie(t testing.TB, h http.Header) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == "hearth_session" {
			return c
		}
	}
	t.Fatalf("no hearth_session cookie in %v", h.Values("Set-Cookie"))
	return nil
}

// TestSessionCookieIsSecureBehindHTTPS: with an https public URL (TLS
// terminated by a proxy Hearth does not know), the session cookie is
// Secure, set and cleared, and answers carry HSTS.
func TestSessionCookieIsSecureBehindHTTPS(t *testing.T) {
	srv := servertest.Start(t, servertest.WithConfig(func(c *config.Config) { c.PublicURL = "https://hearth.example" }))
	ctx := t.Context()
	c := sourceClient(t, "127.0.0.1")
	a := restLogin(ctx, t, c, srv.URL, servertest.AdminUsername, srv.AdminPassword, nil)
	if a.status != http.StatusOK {
		t.Fatalf("login: %d %s", a.status, a.body)
	}
	if ck := sessionCookie(t, a.header); !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode {
		t.Errorf("session cookie %q: want Secure, HttpOnly, SameSite=Lax", a.header.Values("Set-Cookie"))
	}
	if got := a.header.Get("Strict-Transport-Security"); got != "max-age=31536000" {
		t.Errorf("HSTS %q", got)
	}

	// A dead cookie is cleared with Secure too; so is the cookie on logout.
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/v1/me", nil)
	req.AddCookie(&http.Cookie{Name: "hearth_session", Value: strings.Repeat("A", 43)})
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if ck := sessionCookie(t, res.Header); ck.MaxAge >= 0 || !ck.Secure {
		t.Errorf("clearing a dead cookie: %q, want Max-Age<0 and Secure", res.Header.Values("Set-Cookie"))
	}
	live := sessionCookie(t, a.header)
	var login struct {
		CsrfToken string `json:"csrfToken"`
	}
	_ = json.Unmarshal([]byte(a.body), &login)
	req, _ = http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/api/v1/auth/logout", strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", login.CsrfToken)
	req.AddCookie(&http.Cookie{Name: live.Name, Value: live.Value})
	res, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("logout: %d", res.StatusCode)
	}
	if ck := sessionCookie(t, res.Header); ck.MaxAge >= 0 || !ck.Secure {
		t.Errorf("logout: %q, want Max-Age<0 and Secure", res.Header.Values("Set-Cookie"))
	}
}

// TestForwardedHeadersOnlyFromTrustedProxies: X-Forwarded-Proto and
// X-Forwarded-For count only from a peer in --trusted-proxies; then the
// client address (the nearest untrusted hop) is what the audit log
// records. From anyone else they change nothing.
func TestForwardedHeadersOnlyFromTrustedProxies(t *testing.T) {
	srv := servertest.Start(t, servertest.WithConfig(func(c *config.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32"), netip.MustParsePrefix("10.0.0.0/8")}
	}))
	ctx := t.Context()
	proxy, stranger := sourceClient(t, "127.0.0.2"), sourceClient(t, "127.0.0.3")
	forwarded := map[string]string{
		"X-Forwarded-Proto": "https",
		// client-written junk, the client, then a trusted inner proxy
		"X-Forwarded-For": "192.0.2.66, 203.0.113.50, 10.1.2.3",
	}
	cases := []struct {
		name   string
		client *http.Client
		hdr    map[string]string
		secure bool
		ip     string
	}{
		{"trusted proxy, https", proxy, forwarded, true, "203.0.113.50"},
		{"trusted proxy, plain http", proxy, map[string]string{"X-Forwarded-Proto": "http", "X-Forwarded-For": "203.0.113.51"}, false, "203.0.113.51"},
		{"trusted proxy, no header", proxy, nil, false, "127.0.0.2"},
		{"untrusted peer", stranger, forwarded, false, "127.0.0.3"},
	}
	conn, err := pgx.Connect(ctx, srv.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, c := range cases {
		a := restLogin(ctx, t, c.client, srv.URL, servertest.AdminUsername, srv.AdminPassword, c.hdr)
		if a.status != http.StatusOK {
			t.Fatalf("%s: login %d %s", c.name, a.status, a.body)
		}
		if ck := sessionCookie(t, a.header); ck.Secure != c.secure {
			t.Errorf("%s: cookie Secure=%v, want %v", c.name, ck.Secure, c.secure)
		}
		if hsts := a.header.Get("Strict-Transport-Security") != ""; hsts != c.secure {
			t.Errorf("%s: HSTS sent=%v, want %v", c.name, hsts, c.secure)
		}
		var ip string
		if err := conn.QueryRow(ctx, `SELECT host(client_ip) FROM audit_events WHERE action = 'auth.login'
			ORDER BY occurred_at DESC, id DESC LIMIT 1`).Scan(&ip); err != nil {
			t.Fatal(err)
		}
		if ip != c.ip {
			t.Errorf("%s: audit client %s, want %s", c.name, ip, c.ip)
		}
	}
}
