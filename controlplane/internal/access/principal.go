package access

import "github.com/google/uuid"

// PrincipalKind says who is calling.
type PrincipalKind uint8

// Principal kinds.
const (
	Anonymous PrincipalKind = iota
	User
	// AgentSession is an AI agent session acting under a delegation (later).
	AgentSession
)

// Principal is the authenticated caller of one request, whatever the
// transport (session cookie, Bearer token, Basic with a token or password,
// agent credential). Authentication builds it; Authorize decides with it.
type Principal struct {
	Kind PrincipalKind
	// UserID is the user acting (the token's owner for a token).
	UserID uuid.UUID
	// Username is for logs and audit only; decisions use UserID.
	Username string
	// TokenID is set when an API token authenticated the request.
	TokenID uuid.UUID
	// TokenLimit is the token's scopes as permissions; it bounds every
	// decision for this request. Zero TokenID: no limit.
	TokenLimit Set
	// TokenProject, when not uuid.Nil, is the only project the token may
	// touch; installation-wide permissions are refused.
	TokenProject uuid.UUID
	// ViaSession is true when a session cookie authenticated the request
	// (mutations then need the CSRF header of that very session).
	ViaSession bool
	// SessionID is the session that authenticated the request, if any.
	SessionID uuid.UUID
	// MustChangePassword: the user signed in with a password they must
	// replace (a generated or admin-reset one) before doing anything else.
	MustChangePassword bool
}

// IsAnonymous reports whether nobody signed in.
func (p Principal) IsAnonymous() bool { return p.Kind == Anonymous }

// AnonymousPrincipal is the caller without credentials.
var AnonymousPrincipal = Principal{Kind: Anonymous}
