package server

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/auth"
	"github.com/hearth-dev/hearth/controlplane/internal/config"
)

// Authenticator turns a request's credentials (session cookie, Bearer
// token, Basic) into a principal. No credentials: the anonymous principal
// and no error. Bad credentials: an error (never silently anonymous).
type Authenticator interface {
	Authenticate(ctx context.Context, r *http.Request) (access.Principal, error)
	// CheckCSRF verifies the X-CSRF-Token value of a cookie-authenticated
	// mutation.
	CheckCSRF(ctx context.Context, p access.Principal, token string) error
}

// Authorizer is the one authorizer: may p use perm on project (uuid.Nil:
// installation-wide)? It answers with apperr kinds Unauthenticated,
// PermissionDenied or NotFound.
type Authorizer interface {
	Authorize(ctx context.Context, p access.Principal, perm access.Permission, project uuid.UUID) error
	AuthorizeGroup(ctx context.Context, p access.Principal, perm access.Permission, group uuid.UUID) error
}

// hstsHeader tells browsers to use https only for a year. No
// includeSubDomains: other services may live below Hearth's host name.
const hstsHeader = "max-age=31536000"

// clientPolicy decides, once per request, where it came from and whether
// the client speaks https.
type clientPolicy struct {
	// proxies are believed about X-Forwarded-For and X-Forwarded-Proto.
	proxies auth.Proxies
	// alwaysHTTPS: the public URL is https or this server speaks TLS, so
	// every browser reaches it over https whatever the request says.
	alwaysHTTPS bool
}

func newClientPolicy(cfg config.Config) clientPolicy {
	return clientPolicy{
		proxies:     auth.Proxies(cfg.TrustedProxies),
		alwaysHTTPS: cfg.TLSCert != "" || strings.HasPrefix(strings.ToLower(cfg.PublicURL), "https://"),
	}
}

// withClient records the request's client (its address, believing only
// trusted proxies' X-Forwarded-For) for throttling and the audit log, and
// whether its cookies must be Secure; https responses carry HSTS. It runs
// outside everything else so every layer sees the same answer.
func withClient(policy clientPolicy, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secure := policy.alwaysHTTPS || policy.proxies.HTTPS(r)
		if secure {
			w.Header().Set("Strict-Transport-Security", hstsHeader)
		}
		ctx := audit.WithClient(r.Context(), audit.Client{IP: policy.proxies.ClientIP(r), UserAgent: r.UserAgent()})
		next.ServeHTTP(w, r.WithContext(auth.WithSecureCookies(ctx, secure)))
	})
}

// withAuthentication authenticates every request once, for every transport
// behind it (Connect, REST, git HTTP, WebSocket), and records the client
// for the audit log unless withClient already did. It never rejects by
// itself: whether anonymous or refused credentials may proceed is the
// route's decision.
func withAuthentication(authn Authenticator, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if _, ok := audit.ClientFrom(ctx); !ok {
			ctx = audit.WithClient(ctx, audit.Client{IP: auth.RemoteIP(r), UserAgent: r.UserAgent()})
		}
		p, err := authn.Authenticate(ctx, r)
		if err == nil && isPasswordBasic(p) && !isGitRequest(r.URL.Path) {
			// A browser re-sends cached Basic credentials on its own, even
			// cross-site: a password over Basic would be a CSRF hole on
			// the API. Only git clients may use it.
			err = apperr.Unauthenticated("passwords are accepted over HTTP Basic only by git; use an API token or sign in")
		}
		if err != nil {
			ctx = access.WithAuthError(ctx, err)
			p = access.AnonymousPrincipal
			if errors.Is(err, auth.ErrInvalidSession) {
				// A dead cookie must not stick: clear it, so the browser
				// can sign in again (Login is public and proceeds).
				http.SetCookie(w, auth.ClearSessionCookie(r.TLS != nil || auth.SecureCookies(ctx)))
			}
		}
		next.ServeHTTP(w, r.WithContext(access.WithPrincipal(ctx, p)))
	})
}

// isPasswordBasic reports a user principal that is neither a token nor a
// session: HTTP Basic with a password.
func isPasswordBasic(p access.Principal) bool {
	return p.Kind == access.User && p.TokenID == uuid.Nil && !p.ViaSession
}

// isGitRequest reports the smart-HTTP endpoints git clients call.
func isGitRequest(path string) bool {
	if strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/hearth.") {
		return false
	}
	return strings.HasSuffix(path, "/info/refs") || strings.HasSuffix(path, "/git-upload-pack") ||
		strings.HasSuffix(path, "/git-receive-pack")
}
