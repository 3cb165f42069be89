package server_test

import (
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/servertest"
)

// principal is one kind of caller of the tables.
type principal struct {
	name string
	// user is the world user acting ("" : anonymous or bad credentials).
	user string
	// token is sent as a Bearer token (bad: a token nobody issued).
	token string
	bad   bool
	// limit is the token's scopes as permissions (tokens only).
	limit access.Set
	// tokenProject is the only project the token may touch (uuid.Nil: any).
	tokenProject uuid.UUID
	// session signs in with a cookie; csrf: mutations carry its CSRF token.
	session *servertest.Session
	csrf    bool
	// mustChange: the user must change their password before anything else.
	mustChange bool
	// password signs in again (sessions ended by Logout); basicPassword:
	// it is sent over HTTP Basic (git only).
	password      string
	basicPassword bool
}

func (p *principal) isToken() bool { return p.token != "" && !p.bad }

// httpClient is the client carrying the principal's cookies.
func (p *principal) httpClient() *http.Client {
	if p.session != nil {
		return p.session.HTTP
	}
	return http.DefaultClient
}

// authorize adds the principal's credentials to a request (cookies come
// with httpClient).
func (p *principal) authorize(r *http.Request) {
	switch {
	case p.token != "":
		r.Header.Set("Authorization", "Bearer "+p.token)
	case p.session != nil && p.csrf:
		r.Header.Set("X-CSRF-Token", p.session.CSRF)
	}
}

// makePrincipals returns every kind of caller, those holding least first.
func (w *world) makePrincipals(t testing.TB, mustChangePassword string) []*principal {
	t.Helper()
	scopes := func(names ...string) access.Set {
		s, err := access.ScopePermissions(names)
		must(t, "scopes", err)
		return s
	}
	api, admin := scopes("api"), scopes("admin")
	user := func(name string) *principal {
		limit := api
		if name == "admin" || name == "helpdesk" {
			limit = admin
		}
		return &principal{name: name, user: name, token: w.tokens[name], limit: limit}
	}
	readOnly := w.srv.Token(t, "owner", worldPass, "read-only")
	limited := w.projectToken(t, "owner", w.priv.id)
	devSession := w.srv.Login(t, "developer", worldPass)
	noCSRF := w.srv.Login(t, "developer", worldPass)
	mustChange := w.srv.Login(t, "mustchange", mustChangePassword)
	return []*principal{
		{name: "anonymous"},
		{name: "bad-token", token: "hth_" + "0000000000000000000000000000000000000000000", bad: true},
		user("outsider"),
		{name: "read-only-token", user: "owner", token: readOnly, limit: scopes("read-only")},
		{name: "session-without-csrf", user: "developer", session: noCSRF, password: worldPass},
		{name: "must-change-password", user: "mustchange", session: mustChange, csrf: true, mustChange: true, password: mustChangePassword},
		user("former"),
		user("reader"),
		user("helpdesk"),
		user("delegate"),
		{name: "project-token", user: "owner", token: limited, limit: api, tokenProject: w.priv.id},
		user("developer"),
		{name: "developer-session", user: "developer", session: devSession, csrf: true, password: worldPass},
		user("maintainer"),
		user("owner"),
		user("admin"),
	}
}
