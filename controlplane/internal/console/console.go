package console

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

// dist is the Vite build (make console); without one it holds only the
// README.md placeholder.
//
//go:embed all:dist
var dist embed.FS

// Cache policies: content-hashed files never change under their name;
// everything else (index.html, favicon) is revalidated on every use.
const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
	assetsPrefix    = "/assets/"
)

// ContentSecurityPolicy lets the console run only its own scripts (no
// inline or eval'd script), talk only to its own origin, and be framed by
// nobody. Inline styles are allowed: the component library (Mantine) sets
// CSS variables through style attributes and <style> elements.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; " +
	"base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// reservedPrefixes are the URL spaces of other handlers (DESIGN.md "One
// listener, one URL space"). A request for one of them that reaches the
// console matched no real route: it gets a 404, never the app.
var reservedPrefixes = []string{
	"/api/", "/hearth.", "/grpc.", "/v1/", "/opentelemetry.", "/ws/",
}

// reservedPaths are exact paths of other handlers.
var reservedPaths = []string{"/api", "/ws", "/healthz", "/readyz", "/metrics"}

// file is one embedded file, ready to serve.
type file struct {
	name        string
	body        []byte
	gzipped     []byte // nil when compression does not pay
	etag        string
	contentType string
	cache       string
}

// Handler serves the console. Build it with New.
type Handler struct {
	files map[string]*file // by URL path ("/index.html", "/assets/x.js")
	index *file            // nil without a build
}

// New loads the embedded build.
func New() (*Handler, error) {
	return newHandler(dist, "dist")
}

// Built reports whether the binary embeds a console build.
func (h *Handler) Built() bool { return h.index != nil }

// newHandler loads the files under root of fsys (tests pass their own).
func newHandler(fsys fs.FS, root string) (*Handler, error) {
	sub, err := fs.Sub(fsys, root)
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	h := &Handler{files: map[string]*file{}}
	err = fs.WalkDir(sub, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || name == "README.md" {
			return err
		}
		body, err := fs.ReadFile(sub, name)
		if err != nil {
			return err
		}
		urlPath := "/" + name
		h.files[urlPath] = newFile(urlPath, body)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("console: reading the embedded build: %w", err)
	}
	h.index = h.files["/index.html"]
	return h, nil
}

func newFile(urlPath string, body []byte) *file {
	sum := sha256.Sum256(body)
	f := &file{
		name:        urlPath,
		body:        body,
		etag:        `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`,
		contentType: mime.TypeByExtension(path.Ext(urlPath)),
		cache:       cacheRevalidate,
	}
	if f.contentType == "" {
		f.contentType = "application/octet-stream"
	}
	if strings.HasPrefix(urlPath, assetsPrefix) {
		f.cache = cacheImmutable
	}
	if compressible(f.contentType) && len(body) > 512 {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(body)
		_ = zw.Close()
		if buf.Len() < len(body)*9/10 {
			f.gzipped = buf.Bytes()
		}
	}
	return f
}

func compressible(contentType string) bool {
	for _, t := range []string{"text/", "application/javascript", "application/json", "image/svg+xml", "application/manifest+json"} {
		if strings.HasPrefix(contentType, t) {
			return true
		}
	}
	return false
}

// ServeHTTP serves a file of the build, index.html for a client-side
// route, or 404.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if Reserved(p) {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	setSecurityHeaders(w.Header())
	if f, ok := h.files[p]; ok && p != "/index.html" {
		serveFile(w, r, f)
		return
	}
	// A missing asset is a 404: answering a stale script URL with HTML
	// only makes the browser's error obscure.
	if missingFile(p) || !acceptsHTML(r) {
		http.NotFound(w, r)
		return
	}
	if h.index == nil {
		servePlaceholder(w, r)
		return
	}
	serveFile(w, r, h.index)
}

// staticExt are extensions of files a browser fetches by itself.
var staticExt = map[string]bool{
	".js": true, ".mjs": true, ".css": true, ".map": true, ".ico": true, ".png": true, ".svg": true,
	".webmanifest": true, ".json": true, ".txt": true, ".woff": true, ".woff2": true,
}

// missingFile reports a request for a build file that does not exist:
// anything under /assets/, or a top-level name with a static file's
// extension (/favicon.ico). Deeper paths are client routes even with a dot
// in them: project names may hold dots (/alice/hearth.js).
func missingFile(p string) bool {
	if strings.HasPrefix(p, assetsPrefix) {
		return true
	}
	return strings.Count(p, "/") == 1 && staticExt[strings.ToLower(path.Ext(p))]
}

// Reserved reports whether p belongs to another handler's URL space.
func Reserved(p string) bool {
	for _, prefix := range reservedPrefixes {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	for _, exact := range reservedPaths {
		if p == exact {
			return true
		}
	}
	return isRepositoryPath(p)
}

// isRepositoryPath reports a path below a repository's ".git" URL
// ("/alice/tools.git/config"): git's handler serves what exists there,
// and anything else must not look like a page of the app. The clone URL
// itself ("/alice/tools.git", pasted into a browser) is the project's page.
func isRepositoryPath(p string) bool {
	segments := strings.Split(strings.ToLower(strings.TrimSuffix(p, "/")), "/")
	for _, segment := range segments[:len(segments)-1] {
		if strings.HasSuffix(segment, ".git") {
			return true
		}
	}
	return false
}

// acceptsHTML reports whether the client takes an HTML page: browsers
// navigating send text/html; a client that names only other types (an API
// client asking for JSON) gets a 404 instead of the app. No Accept header,
// or */*, counts as yes.
func acceptsHTML(r *http.Request) bool {
	accept := r.Header.Values("Accept")
	if strings.TrimSpace(strings.Join(accept, "")) == "" {
		return true
	}
	for _, v := range accept {
		for part := range strings.SplitSeq(v, ",") {
			mediaType, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			mediaType = strings.ToLower(strings.TrimSpace(mediaType))
			if mediaType != "text/html" && mediaType != "text/*" && mediaType != "*/*" {
				continue
			}
			if q := strings.ReplaceAll(params, " ", ""); q == "q=0" || strings.Contains(q, "q=0;") || strings.HasSuffix(q, "q=0") {
				continue
			}
			return true
		}
	}
	return false
}

func serveFile(w http.ResponseWriter, r *http.Request, f *file) {
	hdr := w.Header()
	hdr.Set("Content-Type", f.contentType)
	hdr.Set("Cache-Control", f.cache)
	hdr.Set("ETag", f.etag)
	body := f.body
	if f.gzipped != nil {
		hdr.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			hdr.Set("Content-Encoding", "gzip")
			// ServeContent leaves the length of encoded content unset; the
			// whole encoded body is sent (no ranges of it).
			hdr.Set("Content-Length", strconv.Itoa(len(f.gzipped)))
			r.Header.Del("Range")
			body = f.gzipped
		}
	}
	// ServeContent answers If-None-Match (304), HEAD and ranges. The ETag
	// names the content, whichever encoding carries it.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

func acceptsGzip(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for part := range strings.SplitSeq(v, ",") {
			coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			if strings.EqualFold(strings.TrimSpace(coding), "gzip") && strings.ReplaceAll(params, " ", "") != "q=0" {
				return true
			}
		}
	}
	return false
}

func setSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
}

// placeholderPage is what a binary built without the console serves.
const placeholderPage = `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Hearth</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}code{background:#8882;padding:0 .25em}</style>
<h1>Hearth</h1>
<p>The control plane is running, but this binary was built without the web console.</p>
<p>To build it, run <code>make console</code> in the Hearth repository (it needs Node.js and npm),
then rebuild hearth (<code>make build</code>, or <code>make run</code> for <code>hearth dev</code>).</p>
<p>The API works meanwhile: <a href="/api/openapi.json">/api/openapi.json</a>,
<a href="/api/v1/version">/api/v1/version</a>.</p>
</html>
`

func servePlaceholder(w http.ResponseWriter, r *http.Request) {
	if !acceptsHTML(r) {
		http.NotFound(w, r)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Cache-Control", cacheRevalidate)
	// The placeholder's own <style> is inline; scripts stay forbidden.
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(placeholderPage))
	}
}
