package server

import (
	"net/http"
	"strings"
)

// apiPathPrefixes are the paths whose answers are API data (JSON, protobuf,
// probe and metric text), never a page or a download: the console, git and
// the download routes set their own caching.
var apiPathPrefixes = []string{"/api/", "/hearth.", "/healthz", "/readyz", "/metrics"}

// isAPIPath reports whether path is answered by the API.
func isAPIPath(path string) bool {
	for _, p := range apiPathPrefixes {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// withAPIHeaders marks every API answer, success or error, as not to be
// sniffed into another content type (a JSON error echoing input must not
// become HTML) nor stored by any cache (answers carry a caller's data).
// It runs before authentication, so its refusals carry them too.
func withAPIHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isAPIPath(r.URL.Path) {
			h := w.Header()
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}
