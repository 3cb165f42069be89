package auth

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
)

// Authenticate turns a request's credentials into a principal, for every
// transport (Connect, REST, git HTTP, WebSocket):
//
//   - Authorization: Bearer hth_… — an API token;
//   - Authorization: Basic user:hth_… — an API token whose owner is user (git);
//   - Authorization: Basic user:password — a password, throttled like Login;
//   - the hearth_session cookie — a browser session (ViaSession).
//
// No credentials: access.AnonymousPrincipal and no error. Malformed, unknown,
// expired or revoked credentials: an Unauthenticated *apperr.Error, never
// anonymous (ErrInvalidSession in its chain for a dead session cookie).
func (s *Service) Authenticate(ctx context.Context, r *http.Request) (access.Principal, error) {
	auths := r.Header.Values("Authorization")
	if len(auths) > 1 {
		return access.Principal{}, apperr.Unauthenticated("more than one Authorization header")
	}
	authz := ""
	if len(auths) == 1 {
		authz = auths[0]
		if authz == "" {
			return access.Principal{}, apperr.Unauthenticated("%s", errMalformedAuthorization.Error())
		}
	}
	cookie := ""
	if c, err := r.Cookie(SessionCookieName); err == nil {
		cookie = c.Value
	}
	creds, err := ParseCredentials(authz, cookie)
	if err != nil {
		if err == errMalformedSession { //nolint:errorlint // a sentinel of this package, never wrapped.
			return access.Principal{}, invalidSession()
		}
		return access.Principal{}, apperr.Unauthenticated("%s", err.Error())
	}
	switch creds.Kind {
	case CredentialBearer:
		return s.tokenPrincipal(ctx, creds.Secret)
	case CredentialBasicToken:
		p, err := s.tokenPrincipal(ctx, creds.Secret)
		if err != nil {
			return access.Principal{}, err
		}
		if !strings.EqualFold(p.Username, creds.Username) {
			return access.Principal{}, apperr.Unauthenticated("the token does not belong to user %q", creds.Username)
		}
		return p, nil
	case CredentialBasicPassword:
		ip := RemoteIP(r)
		if c, ok := audit.ClientFrom(ctx); ok {
			ip = c.IP // the middleware's, which believes trusted proxies
		}
		u, err := s.checkPassword(ctx, creds.Username, creds.Secret, ip)
		if err != nil {
			return access.Principal{}, err
		}
		return access.Principal{Kind: access.User, UserID: u.ID, Username: u.Username, MustChangePassword: u.MustChangePassword}, nil
	case CredentialSession:
		return s.sessionPrincipal(ctx, creds.Secret)
	}
	return access.AnonymousPrincipal, nil
}

// RemoteIP is the request's TCP peer address (invalid when unparseable).
// Forwarded headers are not read: Proxies.ClientIP does, for trusted peers.
func RemoteIP(r *http.Request) netip.Addr {
	return parseAddr(r.RemoteAddr)
}

// parseAddr reads "host:port" or a bare address.
func parseAddr(s string) netip.Addr {
	host, _, err := net.SplitHostPort(s)
	if err != nil {
		host = s
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return addr.Unmap()
}
