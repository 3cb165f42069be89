package console

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

const (
	testIndex = `<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>`
	testJS    = `console.log("hearth")`
)

func testBuild(t *testing.T) *Handler {
	t.Helper()
	h, err := newHandler(fstest.MapFS{
		"dist/README.md":               {Data: []byte("placeholder")},
		"dist/index.html":              {Data: []byte(testIndex)},
		"dist/assets/index-abc123.js":  {Data: []byte(testJS + strings.Repeat("\n// padding", 200))},
		"dist/assets/index-def456.css": {Data: []byte("body{margin:0}")},
		"dist/favicon.svg":             {Data: []byte("<svg/>")},
	}, "dist")
	if err != nil {
		t.Fatal(err)
	}
	if !h.Built() {
		t.Fatal("Built() = false with an index.html")
	}
	return h
}

func do(h http.Handler, method, target string, header map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

var browser = map[string]string{"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}

func TestServesIndexAtRoot(t *testing.T) {
	h := testBuild(t)
	w := do(h, http.MethodGet, "/", browser)
	if w.Code != http.StatusOK || w.Body.String() != testIndex {
		t.Fatalf("GET / = %d %q", w.Code, w.Body.String())
	}
	if got := w.Header().Get("Cache-Control"); got != "no-cache" {
		t.Errorf("index Cache-Control = %q, want no-cache", got)
	}
	if got := w.Header().Get("Content-Type"); !strings.HasPrefix(got, "text/html") {
		t.Errorf("index Content-Type = %q", got)
	}
	assertSecurityHeaders(t, w.Header())
}

func TestServesHashedAssetWithLongCache(t *testing.T) {
	h := testBuild(t)
	w := do(h, http.MethodGet, "/assets/index-abc123.js", nil)
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Body.String(), testJS) {
		t.Fatalf("GET asset = %d %.40q", w.Code, w.Body.String())
	}
	if got := w.Header().Get("Cache-Control"); got != cacheImmutable {
		t.Errorf("asset Cache-Control = %q, want %q", got, cacheImmutable)
	}
	if got := w.Header().Get("Content-Type"); !strings.Contains(got, "javascript") {
		t.Errorf("asset Content-Type = %q", got)
	}
	if w.Header().Get("Content-Encoding") != "" {
		t.Error("gzip sent to a client that did not ask for it")
	}
	assertSecurityHeaders(t, w.Header())

	// Not content-hashed: revalidated.
	if got := do(h, http.MethodGet, "/favicon.svg", nil).Header().Get("Cache-Control"); got != "no-cache" {
		t.Errorf("favicon Cache-Control = %q, want no-cache", got)
	}
}

func TestGzipAndConditionalRequests(t *testing.T) {
	h := testBuild(t)
	w := do(h, http.MethodGet, "/assets/index-abc123.js", map[string]string{"Accept-Encoding": "gzip, br"})
	if w.Header().Get("Content-Encoding") != "gzip" || w.Header().Get("Vary") != "Accept-Encoding" {
		t.Fatalf("headers %v: want gzip and Vary", w.Header())
	}
	zr, err := gzip.NewReader(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil || !strings.HasPrefix(string(plain), testJS) {
		t.Fatalf("gunzip: %v %.40q", err, plain)
	}
	if got, want := w.Header().Get("Content-Length"), strconv.Itoa(len(h.files["/assets/index-abc123.js"].gzipped)); got != want {
		t.Errorf("gzip Content-Length = %q, want %s", got, want)
	}
	etag := w.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if w := do(h, http.MethodGet, "/assets/index-abc123.js", map[string]string{"If-None-Match": etag}); w.Code != http.StatusNotModified {
		t.Errorf("If-None-Match = %d, want 304", w.Code)
	}
}

func TestClientRoutesGetIndex(t *testing.T) {
	h := testBuild(t)
	for _, p := range []string{"/projects", "/alice/demo", "/alice/demo/issues/3", "/alice/hearth.js", "/alice/demo.git", "/sign-in?next=%2Fprojects"} {
		w := do(h, http.MethodGet, p, browser)
		if w.Code != http.StatusOK || w.Body.String() != testIndex {
			t.Errorf("GET %s = %d %.30q, want index.html", p, w.Code, w.Body.String())
		}
		if got := w.Header().Get("Cache-Control"); got != "no-cache" {
			t.Errorf("GET %s Cache-Control = %q", p, got)
		}
	}
	// curl and fetch send */*; no Accept at all counts too.
	for _, accept := range []string{"*/*", ""} {
		if w := do(h, http.MethodGet, "/projects", map[string]string{"Accept": accept}); w.Code != http.StatusOK {
			t.Errorf("Accept %q: %d, want 200", accept, w.Code)
		}
	}
}

func TestHead(t *testing.T) {
	h := testBuild(t)
	for _, p := range []string{"/", "/projects", "/assets/index-abc123.js"} {
		w := do(h, http.MethodHead, p, browser)
		if w.Code != http.StatusOK || w.Body.Len() != 0 {
			t.Errorf("HEAD %s = %d with %d body bytes", p, w.Code, w.Body.Len())
		}
		if w.Header().Get("Content-Length") == "" || w.Header().Get("Content-Type") == "" {
			t.Errorf("HEAD %s: headers %v", p, w.Header())
		}
	}
}

func TestNotTheApp(t *testing.T) {
	h := testBuild(t)
	cases := []struct {
		method, path string
		header       map[string]string
		want         int
	}{
		{http.MethodGet, "/assets/index-old999.js", nil, http.StatusNotFound},
		{http.MethodGet, "/favicon.ico", nil, http.StatusNotFound},
		{http.MethodGet, "/projects", map[string]string{"Accept": "application/json"}, http.StatusNotFound},
		{http.MethodGet, "/projects", map[string]string{"Accept": "text/html;q=0"}, http.StatusNotFound},
		{http.MethodPost, "/projects", browser, http.StatusMethodNotAllowed},
		{http.MethodDelete, "/", browser, http.StatusMethodNotAllowed},
		// Other handlers' URL spaces never get the app, whatever Accept says.
		{http.MethodGet, "/api/v1/nope", browser, http.StatusNotFound},
		{http.MethodGet, "/api", browser, http.StatusNotFound},
		{http.MethodGet, "/hearth.v1.NopeService/Nope", browser, http.StatusNotFound},
		{http.MethodGet, "/hearth.agent.v1.AgentService/Connect", browser, http.StatusNotFound},
		{http.MethodGet, "/v1/traces", browser, http.StatusNotFound},
		{http.MethodGet, "/ws/terminal/1", browser, http.StatusNotFound},
		{http.MethodGet, "/healthz", browser, http.StatusNotFound},
		{http.MethodGet, "/readyz", browser, http.StatusNotFound},
		{http.MethodGet, "/metrics", browser, http.StatusNotFound},
		{http.MethodPost, "/hearth.v1.NopeService/Nope", browser, http.StatusNotFound},
		// A repository's URL space is git's: its config or hooks are no page.
		{http.MethodGet, "/alice/tools.git/config", browser, http.StatusNotFound},
		{http.MethodGet, "/alice/Tools.GIT/hooks/pre-receive", browser, http.StatusNotFound},
		{http.MethodGet, "/a/b/c/d.git/info/refs", browser, http.StatusNotFound},
	}
	for _, c := range cases {
		w := do(h, c.method, c.path, c.header)
		if w.Code != c.want {
			t.Errorf("%s %s (%v) = %d, want %d", c.method, c.path, c.header, w.Code, c.want)
		}
		if strings.Contains(w.Body.String(), "<div id=\"root\">") {
			t.Errorf("%s %s: answered with the app", c.method, c.path)
		}
	}
}

func TestPlaceholderWithoutBuild(t *testing.T) {
	h, err := newHandler(fstest.MapFS{"dist/README.md": {Data: []byte("placeholder")}}, "dist")
	if err != nil {
		t.Fatal(err)
	}
	if h.Built() {
		t.Fatal("Built() = true without index.html")
	}
	for _, p := range []string{"/", "/projects", "/alice/demo"} {
		w := do(h, http.MethodGet, p, browser)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "make console") {
			t.Errorf("GET %s = %d %q, want the placeholder", p, w.Code, w.Body.String())
		}
		assertSecurityHeaders(t, w.Header())
	}
	if w := do(h, http.MethodHead, "/", browser); w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Errorf("HEAD / = %d with %d bytes", w.Code, w.Body.Len())
	}
	if w := do(h, http.MethodGet, "/README.md", browser); strings.Contains(w.Body.String(), "placeholder") && !strings.Contains(w.Body.String(), "make console") {
		t.Error("the placeholder README is served as a file")
	}
	for _, p := range []string{"/api/v1/x", "/assets/..%2f..%2fetc%2fpasswd", "/alice/demo.git/config"} {
		if w := do(h, http.MethodGet, p, browser); w.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, w.Code)
		}
	}
}

// TestEmbeddedBuild checks whatever the binary embeds: a build serves an
// index that loads its scripts from /assets/; no build serves the
// placeholder.
func TestEmbeddedBuild(t *testing.T) {
	h, err := New()
	if err != nil {
		t.Fatal(err)
	}
	w := do(h, http.MethodGet, "/", browser)
	if w.Code != http.StatusOK {
		t.Fatalf("GET / = %d", w.Code)
	}
	body := w.Body.String()
	if h.Built() {
		if !strings.Contains(body, `src="/assets/`) {
			t.Errorf("embedded index.html loads no script from /assets/: %.200q", body)
		}
		if strings.Contains(strings.ReplaceAll(body, `type="module"`, ""), "<script>") {
			t.Error("embedded index.html has an inline script, which the CSP forbids")
		}
	} else if !strings.Contains(body, "make console") {
		t.Errorf("no build, and the page does not say how to make one: %q", body)
	}
}

func assertSecurityHeaders(t *testing.T, h http.Header) {
	t.Helper()
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self';", "frame-ancestors 'none'", "object-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(strings.Split(strings.Split(csp, "script-src")[1], ";")[0], "unsafe") {
		t.Errorf("CSP allows unsafe scripts: %q", csp)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" {
		t.Errorf("headers %v", h)
	}
}
