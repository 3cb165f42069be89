package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"time"
)

// Names on the wire.
const (
	// SessionCookieName is the browser session's cookie.
	SessionCookieName = "hearth_session"
	// CSRFHeader carries the session's CSRF token on mutations that the
	// session cookie authenticates.
	CSRFHeader = "X-CSRF-Token"
	// TokenPrefix starts every API token.
	TokenPrefix = "hth_"
)

const (
	secretBytes = 32
	// secretLen is the length of a secret's base64url (no padding) text.
	secretLen = 43
	// tokenLen is the length of an API token: prefix and secret.
	tokenLen = len(TokenPrefix) + secretLen
	// displayPrefixLen characters after TokenPrefix are kept to recognise a token.
	displayPrefixLen = 8
	// maxAuthorization bounds the Authorization header we parse.
	maxAuthorization = 4096
	// maxLogin bounds a username or email given at sign-in.
	maxLogin = 254
)

// randomSecret returns 32 random bytes as base64url without padding.
func randomSecret() (string, error) {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// hashSecret is what the database stores and indexes.
func hashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// wellFormedSecret reports whether s is 43 base64url characters decoding
// to 32 bytes (canonical encoding only).
func wellFormedSecret(s string) bool {
	if len(s) != secretLen {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return err == nil && len(b) == secretBytes
}

// newToken returns a fresh API token: "hth_" + 43 characters.
func newToken() (string, error) {
	s, err := randomSecret()
	if err != nil {
		return "", err
	}
	return TokenPrefix + s, nil
}

// wellFormedToken reports whether t looks like an API token.
func wellFormedToken(t string) bool {
	return len(t) == tokenLen && strings.HasPrefix(t, TokenPrefix) && wellFormedSecret(t[len(TokenPrefix):])
}

// CredentialKind says which credential a request carries.
type CredentialKind uint8

// Credential kinds.
const (
	CredentialNone CredentialKind = iota
	// CredentialBearer: Authorization: Bearer hth_…
	CredentialBearer
	// CredentialBasicToken: Authorization: Basic user:hth_… (git clients).
	CredentialBasicToken
	// CredentialBasicPassword: Authorization: Basic user:password.
	CredentialBasicPassword
	// CredentialSession: the hearth_session cookie.
	CredentialSession
)

// Credentials are a request's parsed, not yet verified, credentials.
type Credentials struct {
	Kind CredentialKind
	// Username is Basic's user name.
	Username string
	// Secret is the token, the password or the session secret.
	Secret string
}

// Parse errors; their text is safe to show.
var (
	errMalformedAuthorization = errors.New("malformed Authorization header")
	errUnsupportedScheme      = errors.New("unsupported Authorization scheme (use Bearer or Basic)")
	errMalformedToken         = errors.New("malformed API token")
	errMalformedSession       = errors.New("malformed session cookie")
)

// ParseCredentials reads an Authorization header value (authorization) and
// the session cookie's value (cookie, "" when absent). The header wins over
// the cookie. No credential at all is CredentialNone and no error; anything
// malformed is an error, never "anonymous".
func ParseCredentials(authorization, cookie string) (Credentials, error) {
	if authorization == "" {
		if cookie == "" {
			return Credentials{}, nil
		}
		if !wellFormedSecret(cookie) {
			return Credentials{}, errMalformedSession
		}
		return Credentials{Kind: CredentialSession, Secret: cookie}, nil
	}
	if len(authorization) > maxAuthorization {
		return Credentials{}, errMalformedAuthorization
	}
	scheme, rest, ok := strings.Cut(authorization, " ")
	if !ok {
		return Credentials{}, errMalformedAuthorization
	}
	rest = strings.TrimSpace(rest)
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		if !wellFormedToken(rest) {
			return Credentials{}, errMalformedToken
		}
		return Credentials{Kind: CredentialBearer, Secret: rest}, nil
	case strings.EqualFold(scheme, "Basic"):
		raw, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return Credentials{}, errMalformedAuthorization
		}
		user, secret, ok := strings.Cut(string(raw), ":")
		if !ok || user == "" || secret == "" || len(user) > maxLogin || len(secret) > maxPasswordBytes {
			return Credentials{}, errMalformedAuthorization
		}
		if strings.HasPrefix(secret, TokenPrefix) && wellFormedToken(secret) {
			return Credentials{Kind: CredentialBasicToken, Username: user, Secret: secret}, nil
		}
		return Credentials{Kind: CredentialBasicPassword, Username: user, Secret: secret}, nil
	}
	return Credentials{}, errUnsupportedScheme
}

// SessionCookie is the cookie that carries a session's secret: HttpOnly,
// SameSite=Lax, Path=/, Secure when the client speaks https (TLS here, an
// https public URL, or a trusted proxy's X-Forwarded-Proto). Plain-http
// loopback development cannot keep a Secure cookie, hence the parameter.
func SessionCookie(secret string, expires time.Time, secure bool) *http.Cookie {
	return &http.Cookie{ //nolint:gosec // G124: Secure follows whether the client speaks https; HttpOnly and SameSite are set.
		Name: SessionCookieName, Value: secret, Path: "/", Expires: expires,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
	}
}

// ClearSessionCookie removes the session cookie from the browser.
func ClearSessionCookie(secure bool) *http.Cookie {
	return &http.Cookie{ //nolint:gosec // G124: Secure follows whether the client speaks https; HttpOnly and SameSite are set.
		Name: SessionCookieName, Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(0, 0),
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
	}
}
