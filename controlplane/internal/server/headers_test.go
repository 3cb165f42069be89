package server_test

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/servertest"
)

// TestAPIAnswersAreNeitherSniffedNorStored: every API answer, success or
// error, from every layer (REST, Connect, OpenAPI, 404s, body refusals,
// probes) carries nosniff and no-store, while the console keeps its own
// caching (long-lived assets, revalidated index).
func TestAPIAnswersAreNeitherSniffedNorStored(t *testing.T) {
	srv := servertest.Start(t)
	cases := []struct {
		name, method, path, contentType, body string
		status                                int
	}{
		{"REST", "GET", "/api/v1/version", "", "", 200},
		{"REST error from the handler", "GET", "/api/v1/projects/alice/nope", "", "", 401},
		{"REST broken body", "POST", "/api/v1/auth/login", "application/json", "{", 400},
		{"REST unknown route", "GET", "/api/v1/no-such-route", "", "", 404},
		{"API unknown route", "GET", "/api/nothing", "", "", 404},
		{"OpenAPI JSON", "GET", "/api/openapi.json", "", "", 200},
		{"OpenAPI YAML", "GET", "/api/openapi.yaml", "", "", 200},
		{"Connect", "POST", "/hearth.v1.SystemService/GetVersion", "application/json", "{}", 200},
		{"Connect error", "POST", "/hearth.v1.UserService/ListUsers", "application/json", "{}", 401},
		{"Connect unknown service", "POST", "/hearth.v1.NoSuchService/Nope", "application/json", "{}", 404},
		{"probe", "GET", "/healthz", "", "", 200},
	}
	for _, c := range cases {
		var body []byte
		if c.body != "" {
			body = []byte(c.body)
		}
		a := sendBody(t, c.method, srv.URL+c.path, c.contentType, body, nil)
		if a.status != c.status {
			t.Errorf("%s: %s %s = %d, want %d: %.200s", c.name, c.method, c.path, a.status, c.status, a.raw)
		}
		if got := a.header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q, want nosniff", c.name, got)
		}
		if got := a.header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", c.name, got)
		}
	}

	// The console's caching is its own.
	root := sendBody(t, http.MethodGet, srv.URL+"/", "", nil, nil)
	if cc := root.header.Get("Cache-Control"); cc == "no-store" || cc == "" {
		t.Errorf("GET /: Cache-Control %q, want the console's own", cc)
	}
	asset := regexp.MustCompile(`/assets/[A-Za-z0-9._-]+\.js`).FindString(root.raw)
	if asset == "" {
		t.Log("this binary has no console build: no asset to check")
		return
	}
	a := sendBody(t, http.MethodGet, srv.URL+asset, "", nil, nil)
	if cc := a.header.Get("Cache-Control"); a.status != 200 || !regexp.MustCompile(`max-age=\d{6,}`).MatchString(cc) {
		t.Errorf("GET %s: %d Cache-Control %q, want long-lived caching", asset, a.status, cc)
	}
}
