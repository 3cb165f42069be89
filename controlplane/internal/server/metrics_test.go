package server_test

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/internal/config"
	"github.com/hearth-dev/hearth/controlplane/servertest"
)

// TestMetricsNeedAnAdminOnTheMainPort: /metrics on the main port answers
// administrators only (admin:audit through the authorizer: an admin's
// session, or a token with the admin scope); --metrics-listen serves it
// without authentication, and nothing else.
func TestMetricsNeedAnAdminOnTheMainPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	scrapeAddr := ln.Addr().String()
	_ = ln.Close()
	srv := servertest.Start(t, servertest.WithConfig(func(c *config.Config) { c.MetricsListen = scrapeAddr }))
	adminToken := srv.AdminToken(t)
	apiToken := srv.Token(t, servertest.AdminUsername, srv.AdminPassword, "api")
	srv.CreateUser(t, adminToken, "metricsuser", "metrics user password", false)
	userToken := srv.Token(t, "metricsuser", "metrics user password", "admin")
	adminSession := srv.Login(t, servertest.AdminUsername, srv.AdminPassword)

	get := func(c *http.Client, url, token string) (int, http.Header, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header, string(b)
	}
	const metric = "hearth_leader_is_leader"
	cases := []struct {
		name   string
		client *http.Client
		token  string
		status int
	}{
		{"anonymous", http.DefaultClient, "", http.StatusUnauthorized},
		{"unknown token", http.DefaultClient, "hth_" + strings.Repeat("x", 43), http.StatusUnauthorized},
		{"non-admin, even with the admin scope", http.DefaultClient, userToken, http.StatusForbidden},
		{"admin with an api-scoped token", http.DefaultClient, apiToken, http.StatusForbidden},
		{"admin with an admin-scoped token", http.DefaultClient, adminToken, http.StatusOK},
		{"admin's session", adminSession.HTTP, "", http.StatusOK},
	}
	for _, c := range cases {
		status, hdr, body := get(c.client, srv.URL+"/metrics", c.token)
		if status != c.status {
			t.Errorf("%s: /metrics %d, want %d: %.200s", c.name, status, c.status, body)
			continue
		}
		if status == http.StatusOK && !strings.Contains(body, metric) {
			t.Errorf("%s: no %s in %.200s", c.name, metric, body)
		}
		if status == http.StatusForbidden && !strings.Contains(body, "admin:audit is required (an administrator; a token needs the admin scope)") {
			t.Errorf("%s: the refusal does not name the permission it needs: %.200s", c.name, body)
		}
		if status != http.StatusOK && strings.Contains(body, metric) {
			t.Errorf("%s: refused, yet metrics in the body", c.name)
		}
		if status == http.StatusUnauthorized && hdr.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", c.name)
		}
	}

	status, _, body := get(http.DefaultClient, "http://"+scrapeAddr+"/metrics", "")
	if status != http.StatusOK || !strings.Contains(body, metric) {
		t.Fatalf("--metrics-listen /metrics: %d %.200s", status, body)
	}
	if status, _, _ := get(http.DefaultClient, "http://"+scrapeAddr+"/api/v1/version", ""); status != http.StatusNotFound {
		t.Errorf("--metrics-listen serves more than /metrics: %d", status)
	}
}
