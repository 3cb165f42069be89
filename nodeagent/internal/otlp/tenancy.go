package otlp

import (
	"net/http"
	"strings"
)

// Tenancy decides whose telemetry a request carries: the token it is
// forwarded under, which the control plane authenticates and whose
// project becomes the tenant. ok is false when the request maps to no
// tenant: it is refused (401) and counted as unmapped. It is called
// before the body is read. A Tenancy must not log the token.
type Tenancy func(r *http.Request) (token string, ok bool)

// maxTokenLen bounds a token taken from a header (Hearth's are far
// shorter).
const maxTokenLen = 4096

// BearerToken is the tenancy of jobs: the request's own
// `Authorization: Bearer <token>` (a job exports with the token its
// OTEL_EXPORTER_OTLP_HEADERS carries).
func BearerToken(r *http.Request) (string, bool) {
	h := r.Header.Values("Authorization")
	if len(h) != 1 {
		return "", false
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(h[0]), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" || len(token) > maxTokenLen {
		return "", false
	}
	for i := range len(token) {
		// Printable ASCII only: a token is forwarded as a protobuf string
		// and put back into an HTTP header by the control plane.
		if token[i] <= ' ' || token[i] > '~' {
			return "", false
		}
	}
	return token, true
}
