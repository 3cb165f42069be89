package auth

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
)

func TestTokens(t *testing.T) {
	e := newEnv(t)
	u := e.mustCreate(t, context.Background(), "tess", "tess password", false)
	v := e.mustCreate(t, context.Background(), "vic", "vic password!", false)
	ctx := withPrincipal(t.Context(), principalOf(u))
	now := e.clock.Now()
	project := uuid.New()

	for name, in := range map[string]NewToken{
		"no name":       {Scopes: []string{"api"}, ExpiresAt: now.Add(hour)},
		"long name":     {Name: strings.Repeat("n", 101), Scopes: []string{"api"}, ExpiresAt: now.Add(hour)},
		"no scope":      {Name: "x", ExpiresAt: now.Add(hour)},
		"unknown scope": {Name: "x", Scopes: []string{"root"}, ExpiresAt: now.Add(hour)},
		"no expiry":     {Name: "x", Scopes: []string{"api"}},
		"past":          {Name: "x", Scopes: []string{"api"}, ExpiresAt: now.Add(-time.Second)},
		"two years":     {Name: "x", Scopes: []string{"api"}, ExpiresAt: now.AddDate(2, 0, 0)},
	} {
		_, _, err := e.svc.CreateToken(ctx, in)
		if kindOf(err) != apperr.KindInvalid {
			t.Errorf("%s: got %v, want Invalid", name, err)
		}
	}

	tok, secret, err := e.svc.CreateToken(ctx, NewToken{Name: "deploy", Scopes: []string{"repo:write", "read-only", "repo:write"}, ProjectID: project, ExpiresAt: now.AddDate(1, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "hth_") || len(secret) != 47 || tok.Prefix != secret[4:12] {
		t.Fatalf("token %q prefix %q", secret, tok.Prefix)
	}
	if _, err := base64.RawURLEncoding.Strict().DecodeString(secret[4:]); err != nil {
		t.Fatal(err)
	}
	if strings.Join(tok.Scopes, ",") != "read-only,repo:write" {
		t.Errorf("scopes not normalised: %v", tok.Scopes)
	}
	var stored int
	_ = e.db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM api_tokens WHERE token_hash = $1`, hashSecret(secret)).Scan(&stored)
	if stored != 1 {
		t.Fatal("the token is not stored by its hash")
	}

	p, err := e.svc.Authenticate(t.Context(), request("Bearer "+secret, ""))
	if err != nil {
		t.Fatal(err)
	}
	wantLimit, _ := access.ScopePermissions([]string{"read-only", "repo:write"})
	if p.UserID != u.ID || p.TokenID != tok.ID || p.TokenLimit != wantLimit || p.TokenProject != project || p.ViaSession {
		t.Fatalf("token principal %+v", p)
	}

	lastUsed := func() *time.Time {
		var ts *time.Time
		_ = e.db.Pool.QueryRow(t.Context(), `SELECT last_used_at FROM api_tokens WHERE id = $1`, tok.ID).Scan(&ts)
		return ts
	}
	first := lastUsed()
	if first == nil {
		t.Fatal("last_used_at not set on first use")
	}
	e.clock.Advance(20 * time.Second)
	_, _ = e.svc.Authenticate(t.Context(), request("Bearer "+secret, ""))
	if !lastUsed().Equal(*first) {
		t.Error("last_used_at written twice within a minute")
	}
	e.clock.Advance(time.Minute)
	_, _ = e.svc.Authenticate(t.Context(), request("Bearer "+secret, ""))
	if !lastUsed().After(*first) {
		t.Error("last_used_at not refreshed after a minute")
	}

	list, err := e.svc.ListTokens(ctx)
	if err != nil || len(list) != 1 || list[0].ID != tok.ID || list[0].LastUsedAt == nil {
		t.Fatalf("list: %+v %v", list, err)
	}
	if others, _ := e.svc.ListTokens(withPrincipal(t.Context(), principalOf(v))); len(others) != 0 {
		t.Fatalf("another user sees the token: %v", others)
	}

	// A token creates only narrower tokens, for its own project.
	_, _, err = e.svc.CreateToken(withPrincipal(t.Context(), p), NewToken{Name: "wider", Scopes: []string{"api"}, ProjectID: project, ExpiresAt: now.Add(hour)})
	wantKind(t, err, apperr.KindPermissionDenied)
	_, _, err = e.svc.CreateToken(withPrincipal(t.Context(), p), NewToken{Name: "elsewhere", Scopes: []string{"repo:read"}, ExpiresAt: now.Add(hour)})
	wantKind(t, err, apperr.KindPermissionDenied)
	if _, _, err := e.svc.CreateToken(withPrincipal(t.Context(), p), NewToken{Name: "narrow", Scopes: []string{"repo:read"}, ProjectID: project, ExpiresAt: now.Add(48 * hour)}); err != nil {
		t.Fatal(err)
	}

	// Revoke: someone else's token is NotFound; the owner's ends at once.
	wantKind(t, e.svc.RevokeToken(withPrincipal(t.Context(), principalOf(v)), tok.ID), apperr.KindNotFound)
	if err := e.svc.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	wantKind(t, e.svc.RevokeToken(ctx, tok.ID), apperr.KindNotFound)
	_, err = e.svc.Authenticate(t.Context(), request("Bearer "+secret, ""))
	wantKind(t, err, apperr.KindUnauthenticated)

	// Expiry.
	_, short, err := e.svc.CreateToken(ctx, NewToken{Name: "short", Scopes: []string{"api"}, ExpiresAt: e.clock.Now().Add(hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Authenticate(t.Context(), request("Bearer "+short, "")); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(hour)
	_, err = e.svc.Authenticate(t.Context(), request("Bearer "+short, ""))
	wantKind(t, err, apperr.KindUnauthenticated)
	if list, _ := e.svc.ListTokens(ctx); len(list) != 1 || list[0].Name != "narrow" {
		t.Fatalf("expired or revoked tokens listed: %+v", list)
	}
}

func TestBasicAuth(t *testing.T) {
	e := newEnv(t)
	u := e.mustCreate(t, context.Background(), "Gil", "gil's password", false)
	e.mustCreate(t, context.Background(), "hal", "hal's password", false)
	_, secret, err := e.svc.CreateToken(withPrincipal(t.Context(), principalOf(u)), NewToken{Name: "git", Scopes: []string{"repo:read"}, ExpiresAt: e.clock.Now().Add(hour)})
	if err != nil {
		t.Fatal(err)
	}
	basic := func(user, pw string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pw))
	}
	p, err := e.svc.Authenticate(t.Context(), request(basic("gil", secret), ""))
	if err != nil || p.UserID != u.ID || p.TokenID == uuid.Nil || p.TokenLimit != access.SetOf(access.ProjectRead, access.RepoRead) {
		t.Fatalf("basic token: %+v %v", p, err)
	}
	_, err = e.svc.Authenticate(t.Context(), request(basic("hal", secret), ""))
	wantKind(t, err, apperr.KindUnauthenticated)

	p, err = e.svc.Authenticate(t.Context(), request(basic("gil@example.com", "gil's password"), ""))
	if err != nil || p.UserID != u.ID || p.TokenID != uuid.Nil || p.ViaSession {
		t.Fatalf("basic password: %+v %v", p, err)
	}
	_, err = e.svc.Authenticate(t.Context(), request(basic("gil", "not gil's password"), ""))
	wantKind(t, err, apperr.KindUnauthenticated)
	// A password that merely starts like a token is still a password.
	_, err = e.svc.Authenticate(t.Context(), request(basic("gil", "hth_not-a-token"), ""))
	wantKind(t, err, apperr.KindUnauthenticated)
}

func TestHostileCredentialsAreRefusedCleanly(t *testing.T) {
	e := newEnv(t)
	u := e.mustCreate(t, context.Background(), "ivy", "ivy's password", false)
	_, secret, err := e.svc.CreateToken(withPrincipal(t.Context(), principalOf(u)), NewToken{Name: "x", Scopes: []string{"api"}, ExpiresAt: e.clock.Now().Add(hour)})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.svc.Authenticate(t.Context(), request("", ""))
	if err != nil || !p.IsAnonymous() {
		t.Fatalf("no credentials: %+v %v", p, err)
	}
	b64 := base64.StdEncoding.EncodeToString
	for name, c := range map[string]struct{ authz, cookie string }{
		"bearer junk":        {authz: "Bearer abc"},
		"bearer empty":       {authz: "Bearer "},
		"no scheme":          {authz: secret},
		"wrong prefix":       {authz: "Bearer ghp_" + secret[4:]},
		"upper prefix":       {authz: "Bearer HTH_" + secret[4:]},
		"short token":        {authz: "Bearer " + secret[:46]},
		"long token":         {authz: "Bearer " + secret + "A"},
		"non canonical b64":  {authz: "Bearer " + secret[:46] + "_"},
		"unknown token":      {authz: "Bearer hth_" + strings.Repeat("A", 43)},
		"sql token":          {authz: "Bearer hth_' OR 1=1 --" + strings.Repeat("A", 22)},
		"token scheme":       {authz: "Token " + secret},
		"basic not b64":      {authz: "Basic %%%"},
		"basic no colon":     {authz: "Basic " + b64([]byte("ivy"))},
		"basic no user":      {authz: "Basic " + b64([]byte(":"+secret))},
		"basic huge user":    {authz: "Basic " + b64([]byte(strings.Repeat("u", 1000)+":x"))},
		"huge header":        {authz: "Bearer " + strings.Repeat("A", 100000)},
		"cookie junk":        {cookie: "junk"},
		"cookie token":       {cookie: secret},
		"unknown cookie":     {cookie: strings.Repeat("A", 43)},
		"bearer with cookie": {authz: "Bearer nope", cookie: strings.Repeat("A", 43)},
	} {
		p, err := e.svc.Authenticate(t.Context(), request(c.authz, c.cookie))
		if kindOf(err) != apperr.KindUnauthenticated || !p.IsAnonymous() || p.UserID != uuid.Nil {
			t.Errorf("%s: got %+v %v, want Unauthenticated", name, p, err)
		}
	}
	two := request("Bearer "+secret, "")
	two.Header.Add("Authorization", "Bearer "+secret)
	_, err = e.svc.Authenticate(t.Context(), two)
	wantKind(t, err, apperr.KindUnauthenticated)
}

func FuzzParseCredentials(f *testing.F) {
	tok := "hth_" + strings.Repeat("A", 43)
	f.Add("Bearer "+tok, "")
	f.Add("Basic "+base64.StdEncoding.EncodeToString([]byte("u:"+tok)), "")
	f.Add("Basic "+base64.StdEncoding.EncodeToString([]byte("u:pw")), "")
	f.Add("", strings.Repeat("B", 43))
	f.Add("bearer  "+tok+" ", "x")
	f.Add("Basic", "")
	f.Fuzz(func(t *testing.T, authorization, cookie string) {
		c, err := ParseCredentials(authorization, cookie)
		if err != nil {
			if c != (Credentials{}) {
				t.Fatalf("credentials returned with an error: %+v", c)
			}
			return
		}
		switch c.Kind {
		case CredentialNone:
			if authorization != "" || cookie != "" {
				t.Fatalf("credentials ignored: %q %q", authorization, cookie)
			}
		case CredentialBearer, CredentialBasicToken:
			if !wellFormedToken(c.Secret) {
				t.Fatalf("malformed token accepted: %q", c.Secret)
			}
		case CredentialBasicPassword:
			if c.Username == "" || c.Secret == "" || len(c.Secret) > maxPasswordBytes {
				t.Fatalf("bad basic credentials accepted: %+v", c)
			}
		case CredentialSession:
			if authorization != "" || !wellFormedSecret(c.Secret) {
				t.Fatalf("bad session accepted: %+v", c)
			}
		default:
			t.Fatalf("unknown kind %d", c.Kind)
		}
	})
}
