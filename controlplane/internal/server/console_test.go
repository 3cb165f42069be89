package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/servertest"
)

// TestConsoleOwnsOnlyTheRestOfTheURLSpace: "/" and client-side routes get
// the console (its build, or the page saying how to make one) with its
// security headers; API, Connect, git, probe and metrics paths keep their
// own handlers and never answer with the console's HTML.
func TestConsoleOwnsOnlyTheRestOfTheURLSpace(t *testing.T) {
	srv := servertest.Start(t)
	type response struct {
		StatusCode int
		Header     http.Header
	}
	do := func(method, path, accept string) (response, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), method, srv.URL+path, nil)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return response{res.StatusCode, res.Header}, string(b)
	}
	const html = "text/html,application/xhtml+xml,*/*;q=0.8"

	res, root := do(http.MethodGet, "/", html)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET / = %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") ||
		res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("GET / security headers: %v", res.Header)
	}
	for _, deep := range []string{"/projects", "/alice/demo/issues/1", "/admin/users"} {
		res, body := do(http.MethodGet, deep, html)
		if res.StatusCode != http.StatusOK || body != root {
			t.Errorf("GET %s = %d, not the page / serves", deep, res.StatusCode)
		}
	}
	if res, body := do(http.MethodHead, "/projects", html); res.StatusCode != http.StatusOK || body != "" {
		t.Errorf("HEAD /projects = %d %q", res.StatusCode, body)
	}

	for _, c := range []struct {
		method, path string
		want         int
	}{
		{http.MethodGet, "/healthz", http.StatusOK},
		{http.MethodGet, "/metrics", http.StatusUnauthorized}, // administrators only
		{http.MethodGet, "/api/v1/version", http.StatusOK},
		{http.MethodGet, "/api/openapi.json", http.StatusOK},
		{http.MethodGet, "/api/v1/no-such-route", http.StatusNotFound},
		{http.MethodGet, "/api/v1/projects/alice/nope", http.StatusUnauthorized},
		{http.MethodPost, "/hearth.v1.NoSuchService/Nope", http.StatusNotFound},
		{http.MethodGet, "/hearth.v1.NoSuchService/Nope", http.StatusNotFound},
		{http.MethodGet, "/v1/traces", http.StatusMethodNotAllowed}, // OTLP/HTTP takes POST
		{http.MethodGet, "/v1/no-such-signal", http.StatusNotFound},
		{http.MethodGet, "/ws/nothing", http.StatusNotFound},
		// Git smart HTTP: the git handler answers (asks for credentials
		// or says no such repository), not the console.
		{http.MethodGet, "/alice/nope.git/info/refs?service=git-upload-pack", 0},
		{http.MethodPost, "/projects", http.StatusMethodNotAllowed},
	} {
		res, body := do(c.method, c.path, html)
		if c.want != 0 && res.StatusCode != c.want {
			t.Errorf("%s %s = %d, want %d", c.method, c.path, res.StatusCode, c.want)
		}
		if body == root || strings.Contains(body, "make console") || strings.Contains(body, `<div id="root">`) {
			t.Errorf("%s %s answered with the console", c.method, c.path)
		}
	}
}
