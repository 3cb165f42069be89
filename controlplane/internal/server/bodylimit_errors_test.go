package server_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/servertest"
)

// apiAnswer is one answer in the API's JSON error form.
type apiAnswer struct {
	status int
	header http.Header
	Code   string `json:"code"`
	Msg    string `json:"message"`
	raw    string
}

func sendBody(t *testing.T, method, url, contentType string, body []byte, header map[string]string) apiAnswer {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), method, url, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	a := apiAnswer{status: res.StatusCode, header: res.Header, raw: string(b)}
	_ = json.Unmarshal(b, &a)
	return a
}

func gzipBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// leaksInternals reports text a caller should never see: protobuf's error
// prefix (with a space or a no-break space), Go type names, a 5xx.
func leaksInternals(a apiAnswer) bool {
	low := strings.ToLower(a.raw)
	return strings.Contains(low, "proto:") || strings.Contains(a.raw, "*hearthv1.") ||
		strings.Contains(a.raw, "unmarshal into") || a.status >= 500
}

// TestMalformedBodiesAreInvalidArgument: a body that is not what the API
// takes is the caller's fault, 400 invalid_argument with a message saying
// what is wrong, over REST and Connect alike, never a 5xx with protobuf's
// internals.
func TestMalformedBodiesAreInvalidArgument(t *testing.T) {
	srv := servertest.Start(t)
	loginPath := "/hearth.v1.AuthService/Login"
	cases := []struct {
		name, method, path, contentType string
		body                            []byte
		header                          map[string]string
		status                          int
		code, says                      string
	}{
		{"REST broken JSON", "POST", "/api/v1/auth/login", "application/json", []byte(`{"username": `), nil,
			400, "invalid_argument", "not valid JSON"},
		{"REST broken JSON under path variables", "POST", "/api/v1/projects/alice/demo/issues", "application/json",
			[]byte(`{"title": `), nil, 400, "invalid_argument", "not valid JSON"},
		{"REST wrong field type under path variables", "PATCH", "/api/v1/projects/alice/demo/issues/1", "application/json",
			[]byte(`{"title": []}`), nil, 400, "invalid_argument", "title"},
		{"REST unknown enum name", "POST", "/api/v1/projects", "application/json",
			[]byte(`{"name":"enum","visibility":"VISIBILITY_EVERYONE"}`), nil, 400, "invalid_argument", "visibility"},
		{"REST not an object", "POST", "/api/v1/auth/login", "application/json", []byte(`not json`), nil,
			400, "invalid_argument", "not valid JSON"},
		{"REST wrong field type", "POST", "/api/v1/auth/login", "application/json", []byte(`{"username": 5}`), nil,
			400, "invalid_argument", "username"},
		{"REST broken JSON, gzip", "POST", "/api/v1/auth/login", "application/json", gzipBytes(t, []byte(`{"username`)),
			map[string]string{"Content-Encoding": "gzip"}, 400, "invalid_argument", "not valid JSON"},
		{"REST body that is not gzip", "POST", "/api/v1/auth/login", "application/json", []byte(`{"username":"x"}`),
			map[string]string{"Content-Encoding": "gzip"}, 400, "invalid_argument", "not valid gzip"},
		{"REST unknown encoding", "POST", "/api/v1/auth/login", "application/json", []byte(`{}`),
			map[string]string{"Content-Encoding": "br"}, 415, "invalid_argument", "unsupported Content-Encoding"},
		{"REST unknown query parameter", "GET", "/api/v1/version?nope=1", "", nil, nil,
			400, "invalid_argument", `unknown query parameter "nope"`},
		{"REST query parameter inside a string", "GET", "/api/v1/projects/alice/demo?owner.x=1", "", nil, nil,
			400, "invalid_argument", "owner"},
		{"REST body on a GET", "GET", "/api/v1/version", "application/json", []byte(`{"x":1}`), nil,
			400, "invalid_argument", "no body"},
		{"Connect broken JSON", "POST", loginPath, "application/json", []byte(`{"username": `), nil,
			400, "invalid_argument", "not valid JSON"},
		{"Connect wrong field type", "POST", loginPath, "application/json; charset=utf-8", []byte(`{"username": 5}`), nil,
			400, "invalid_argument", "username"},
		{"Connect unknown enum name", "POST", "/hearth.v1.ProjectService/CreateProject", "application/json",
			[]byte(`{"name":"enum","visibility":"VISIBILITY_EVERYONE"}`), nil, 400, "invalid_argument", "visibility"},
		{"Connect broken JSON, gzip", "POST", loginPath, "application/json", gzipBytes(t, []byte(`{"user`)),
			map[string]string{"Content-Encoding": "gzip"}, 400, "invalid_argument", "not valid JSON"},
		{"Connect broken protobuf", "POST", loginPath, "application/proto", []byte{0x0a, 0xff, 0x01}, nil,
			400, "invalid_argument", "not valid protobuf"},
	}
	for _, c := range cases {
		a := sendBody(t, c.method, srv.URL+c.path, c.contentType, c.body, c.header)
		if a.status != c.status || a.Code != c.code || !strings.Contains(a.Msg, c.says) {
			t.Errorf("%s: %d %q %q, want %d %s saying %q", c.name, a.status, a.Code, a.Msg, c.status, c.code, c.says)
		}
		if leaksInternals(a) {
			t.Errorf("%s: the answer shows internals: %d %s", c.name, a.status, a.raw)
		}
	}

	// Fields the server does not know (a newer client's) are still ignored.
	login := fmt.Sprintf(`{"username":%q,"password":%q,"fromTheFuture":1}`, servertest.AdminUsername, srv.AdminPassword)
	for _, path := range []string{"/api/v1/auth/login", "/hearth.v1.AuthService/Login"} {
		if a := sendBody(t, http.MethodPost, srv.URL+path, "application/json", []byte(login), nil); a.status != http.StatusOK {
			t.Errorf("%s with an unknown field: %d %s", path, a.status, a.raw)
		}
	}

	// Every REST error has the one JSON error form, whoever raised it.
	for _, c := range []struct {
		path   string
		status int
		code   string
	}{
		{"/api/v1/projects/alice/nope", http.StatusUnauthorized, "unauthenticated"},
		{"/api/v1/no-such-route", http.StatusNotFound, "not_found"},
		{"/api/nothing", http.StatusNotFound, "not_found"},
	} {
		a := sendBody(t, http.MethodGet, srv.URL+c.path, "", nil, nil)
		if a.status != c.status || a.Code != c.code || a.Msg == "" {
			t.Errorf("GET %s: %d %s, want %d with code %q", c.path, a.status, a.raw, c.status, c.code)
		}
	}
}
