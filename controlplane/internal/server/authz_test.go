package server_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hearth-dev/hearth/controlplane/servertest"
)

// call makes a Connect JSON call with an empty message and returns the
// HTTP status and the Connect error code ("" on success).
func call(t *testing.T, base, procedure string, auth func(*http.Request)) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, base+procedure, strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	if auth != nil {
		auth(req)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", procedure, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	code := ""
	if res.StatusCode != http.StatusOK {
		code = string(body)
		if i := strings.Index(code, `"code":"`); i >= 0 {
			code = code[i+8:]
			code = code[:strings.IndexByte(code, '"')]
		}
	}
	return res.StatusCode, code, res.Header
}

func bearer(token string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
}

// TestTokenScopeDecidesTheSameOnEveryTransport: a read-only token of an
// administrator may not list users, whether it arrives as Bearer or as a
// Basic password, over Connect or REST; an admin-scoped one may, and so may
// the administrator's session.
func TestTokenScopeDecidesTheSameOnEveryTransport(t *testing.T) {
	srv := servertest.Start(t)
	readOnly := srv.Token(t, servertest.AdminUsername, srv.AdminPassword, "read-only")
	admin := srv.Token(t, servertest.AdminUsername, srv.AdminPassword, "admin")
	basic := func(token string) func(*http.Request) {
		return func(r *http.Request) {
			r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(servertest.AdminUsername+":"+token)))
		}
	}
	rest := func(auth func(*http.Request)) int {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/api/v1/users", nil)
		auth(req)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	const listUsers = "/hearth.v1.UserService/ListUsers"
	for name, tc := range map[string]struct {
		auth func(*http.Request)
		want int
	}{
		"read-only bearer": {bearer(readOnly), http.StatusForbidden},
		"read-only basic":  {basic(readOnly), http.StatusForbidden},
		"admin bearer":     {bearer(admin), http.StatusOK},
		"admin basic":      {basic(admin), http.StatusOK},
	} {
		if status, _, _ := call(t, srv.URL, listUsers, tc.auth); status != tc.want {
			t.Errorf("%s over Connect: %d, want %d", name, status, tc.want)
		}
		if status := rest(tc.auth); status != tc.want {
			t.Errorf("%s over REST: %d, want %d", name, status, tc.want)
		}
	}
	sess := srv.Login(t, servertest.AdminUsername, srv.AdminPassword)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/api/v1/users", nil)
	res, err := sess.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("admin session over REST: %d", res.StatusCode)
	}
}

// TestSessionMutationsNeedTheCSRFToken: a cookie alone cannot change
// anything.
func TestSessionMutationsNeedTheCSRFToken(t *testing.T) {
	srv := servertest.Start(t)
	sess := srv.Login(t, servertest.AdminUsername, srv.AdminPassword)
	body := `{"name":"x","scopes":["api"],"expireTime":"` + time.Now().Add(time.Hour).UTC().Format(time.RFC3339) + `"}`
	other := srv.Login(t, servertest.AdminUsername, srv.AdminPassword) // a second session of the same user
	for _, csrf := range []string{"", "wrong", other.CSRF, sess.CSRF} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/api/v1/tokens", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if csrf != "" {
			req.Header.Set("X-CSRF-Token", csrf)
		}
		res, err := sess.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		want := http.StatusForbidden
		if csrf == sess.CSRF {
			want = http.StatusOK
		}
		if res.StatusCode != want {
			t.Errorf("CSRF %q: %d, want %d", csrf, res.StatusCode, want)
		}
	}
}

// TestStaleSessionCookieIsClearedAndDoesNotBlockSignIn: a browser holding
// a dead cookie gets 401 on protected calls, the cookie cleared, and can
// still sign in.
func TestStaleSessionCookieIsClearedAndDoesNotBlockSignIn(t *testing.T) {
	srv := servertest.Start(t)
	stale := func(r *http.Request) { r.AddCookie(&http.Cookie{Name: "hearth_session", Value: "not-a-live-session"}) }
	status, code, header := call(t, srv.URL, "/hearth.v1.AuthService/GetMe", stale)
	if status != http.StatusUnauthorized || code != "unauthenticated" {
		t.Fatalf("GetMe with a stale cookie: %d %s", status, code)
	}
	if !strings.Contains(header.Get("Set-Cookie"), "hearth_session=;") {
		t.Errorf("stale cookie not cleared: %q", header.Get("Set-Cookie"))
	}
	body := `{"username":"admin","password":"` + srv.AdminPassword + `"}`
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/api/v1/auth/login", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	stale(req)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("REST login with a stale cookie: %d", res.StatusCode)
	}
	found := false
	for _, c := range res.Cookies() {
		if c.Name == "hearth_session" && c.Value != "" && c.HttpOnly {
			found = true
		}
	}
	if !found {
		t.Fatalf("REST login set no HttpOnly session cookie: %v", res.Header["Set-Cookie"])
	}
}
