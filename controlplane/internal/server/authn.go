package server

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/auth"
	"github.com/hearth-dev/hearth/controlplane/internal/rbac"
)

// Authenticator turns a request's credentials (session cookie, Bearer
// token, Basic) into a principal. No credentials: the anonymous principal
// and no error. Bad credentials: an error (never silently anonymous).
type Authenticator interface {
	Authenticate(ctx context.Context, r *http.Request) (rbac.Principal, error)
	// CheckCSRF verifies the X-CSRF-Token value of a cookie-authenticated
	// mutation.
	CheckCSRF(ctx context.Context, p rbac.Principal, token string) error
}

// Authorizer is the one authorizer: may p use perm on project (uuid.Nil:
// installation-wide)? It answers with apperr kinds Unauthenticated,
// PermissionDenied or NotFound.
type Authorizer interface {
	Authorize(ctx context.Context, p rbac.Principal, perm rbac.Permission, project uuid.UUID) error
	AuthorizeGroup(ctx context.Context, p rbac.Principal, perm rbac.Permission, group uuid.UUID) error
}

// withAuthentication authenticates every request once, for every transport
// behind it (Connect, REST, and later git HTTP and WebSocket), and records
// the client for the audit log. It never rejects by itself: whether
// anonymous or refused credentials may proceed is the route's decision.
func withAuthentication(authn Authenticator, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := audit.WithClient(r.Context(), audit.Client{IP: auth.RemoteIP(r), UserAgent: r.UserAgent()})
		p, err := authn.Authenticate(ctx, r)
		if err == nil && isPasswordBasic(p) && !isGitRequest(r.URL.Path) {
			// A browser re-sends cached Basic credentials on its own, even
			// cross-site: a password over Basic would be a CSRF hole on
			// the API. Only git clients may use it.
			err = apperr.Unauthenticated("passwords are accepted over HTTP Basic only by git; use an API token or sign in")
		}
		if err != nil {
			ctx = rbac.WithAuthError(ctx, err)
			p = rbac.AnonymousPrincipal
			if errors.Is(err, auth.ErrInvalidSession) {
				// A dead cookie must not stick: clear it, so the browser
				// can sign in again (Login is public and proceeds).
				http.SetCookie(w, auth.ClearSessionCookie(r.TLS != nil))
			}
		}
		next.ServeHTTP(w, r.WithContext(rbac.WithPrincipal(ctx, p)))
	})
}

// isPasswordBasic reports a user principal that is neither a token nor a
// session: HTTP Basic with a password.
func isPasswordBasic(p rbac.Principal) bool {
	return p.Kind == rbac.User && p.TokenID == uuid.Nil && !p.ViaSession
}

// isGitRequest reports the smart-HTTP endpoints git clients call.
func isGitRequest(path string) bool {
	if strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/hearth.") {
		return false
	}
	return strings.HasSuffix(path, "/info/refs") || strings.HasSuffix(path, "/git-upload-pack") ||
		strings.HasSuffix(path, "/git-receive-pack")
}
