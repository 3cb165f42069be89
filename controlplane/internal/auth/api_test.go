package auth

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

func TestRulesCoverEveryProcedure(t *testing.T) {
	a := NewAPI(nil, false)
	all := a.Rules()
	parts := []access.Rules{SessionAPI{a}.Rules(), UserAPI{a}.Rules(), TokenAPI{a}.Rules()}
	n := 0
	for _, fd := range []protoreflect.FileDescriptor{hearthv1.File_hearth_v1_auth_proto, hearthv1.File_hearth_v1_user_proto, hearthv1.File_hearth_v1_token_proto} {
		for i := range fd.Services().Len() {
			svc := fd.Services().Get(i)
			for j := range svc.Methods().Len() {
				proc := "/" + string(svc.FullName()) + "/" + string(svc.Methods().Get(j).Name())
				r, ok := all[proc]
				if !ok {
					t.Errorf("%s has no rule", proc)
				}
				if !r.Public && !r.Authenticated && r.Permission == 0 {
					t.Errorf("%s: empty rule", proc)
				}
				n++
			}
		}
	}
	total := 0
	for _, p := range parts {
		total += len(p)
	}
	if len(all) != n || total != n {
		t.Errorf("%d rules, %d in the per-service parts, %d procedures", len(all), total, n)
	}
	if !all[hearthv1connect.AuthServiceLoginProcedure].Public || all[hearthv1connect.UserServiceCreateUserProcedure].Permission != access.AdminUsers {
		t.Error("Login must be public and CreateUser need admin:users")
	}
}

// TestAccountRules: what the rules ask beyond signing in. Reading another
// user needs admin:users (decided before any lookup); an API token, whatever
// its scopes, may not change its own account.
func TestAccountRules(t *testing.T) {
	rules := NewAPI(nil, false).Rules()
	me, other := uuid.New(), uuid.New()
	session := access.Principal{Kind: access.User, UserID: me, ViaSession: true}
	token := access.Principal{Kind: access.User, UserID: me, TokenID: uuid.New(), TokenLimit: access.All}
	getUser := rules[hearthv1connect.UserServiceGetUserProcedure].Also
	for _, tc := range []struct {
		id   string
		want []access.Need
	}{
		{me.String(), nil},
		{other.String(), access.NeedOn(access.AdminUsers, uuid.Nil)},
		{"junk", access.NeedOn(access.AdminUsers, uuid.Nil)},
	} {
		got, err := getUser(t.Context(), session, uuid.Nil, &hearthv1.GetUserRequest{Id: tc.id})
		if err != nil || len(got) != len(tc.want) || len(got) == 1 && got[0] != tc.want[0] {
			t.Errorf("GetUser %s: %v %v, want %v", tc.id, got, err, tc.want)
		}
	}
	for _, proc := range []string{hearthv1connect.UserServiceUpdateProfileProcedure, hearthv1connect.UserServiceChangePasswordProcedure} {
		also := rules[proc].Also
		if also == nil {
			t.Fatalf("%s declares nothing beyond signing in", proc)
		}
		if needs, err := also(t.Context(), session, uuid.Nil, nil); err != nil || needs != nil {
			t.Errorf("%s by a session: %v %v", proc, needs, err)
		}
		_, err := also(t.Context(), token, uuid.Nil, nil)
		wantKind(t, err, apperr.KindPermissionDenied)
	}
}

// testServer serves the three services behind a minimal stand-in for the
// server's authentication middleware.
func testServer(t *testing.T, e *env) *httptest.Server {
	t.Helper()
	a := NewAPI(e.svc, false)
	mux := http.NewServeMux()
	for _, h := range []interface {
		Handler(...connect.HandlerOption) (string, http.Handler)
	}{SessionAPI{a}, UserAPI{a}, TokenAPI{a}} {
		path, handler := h.Handler()
		mux.Handle(path, handler)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := e.svc.Authenticate(r.Context(), r)
		if err != nil {
			http.Error(w, "unauthenticated", http.StatusUnauthorized)
			return
		}
		mux.ServeHTTP(w, r.WithContext(access.WithPrincipal(r.Context(), p)))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestAPILoginSetsTheCookie(t *testing.T) {
	e := newEnv(t)
	ctx, _ := e.adminCtx(t)
	e.mustCreate(t, ctx, "web", "web password!", false)
	srv := testServer(t, e)
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	authc := hearthv1connect.NewAuthServiceClient(hc, srv.URL)
	users := hearthv1connect.NewUserServiceClient(hc, srv.URL)
	tokens := hearthv1connect.NewTokenServiceClient(hc, srv.URL)

	if _, err := authc.Login(t.Context(), &hearthv1.LoginRequest{Username: "web", Password: "wrong password"}); err == nil {
		t.Fatal("wrong password accepted")
	}
	res, err := authc.Login(t.Context(), &hearthv1.LoginRequest{Username: "web", Password: "web password!"})
	if err != nil {
		t.Fatal(err)
	}
	if res.GetCsrfToken() == "" || res.GetUser().GetUsername() != "web" || !res.GetUser().GetActive() || res.GetUser().GetAdmin() {
		t.Fatalf("login response %v", res)
	}
	var cookie *http.Cookie
	for _, c := range jar.Cookies(mustURL(t, srv.URL)) {
		if c.Name == SessionCookieName {
			cookie = c
		}
	}
	if cookie == nil {
		t.Fatal("no session cookie set")
	}
	me, err := authc.GetMe(t.Context(), &hearthv1.GetMeRequest{})
	if err != nil || me.GetUser().GetUsername() != "web" || len(me.GetPermissions()) != 0 {
		t.Fatalf("GetMe: %v %v", me, err)
	}
	// GetUser: yourself (anybody else needs admin:users: the rule's, see
	// TestAccountRules).
	if _, err := users.GetUser(t.Context(), &hearthv1.GetUserRequest{Id: me.GetUser().GetId()}); err != nil {
		t.Fatal(err)
	}
	created, err := tokens.CreateToken(t.Context(), &hearthv1.CreateTokenRequest{Name: "cli", Scopes: []string{"api"}, ExpireTime: timestamppb.New(time.Now().Add(time.Hour))})
	if err != nil || !strings.HasPrefix(created.GetToken(), TokenPrefix) {
		t.Fatalf("create token: %v %v", created, err)
	}
	// The token works on its own, without the cookie.
	bearer := hearthv1connect.NewAuthServiceClient(http.DefaultClient, srv.URL, connect.WithInterceptors(connect.UnaryInterceptorFunc(func(next connect.UnaryFunc) connect.UnaryFunc {
		return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
			req.Header().Set("Authorization", "Bearer "+created.GetToken())
			return next(ctx, req)
		}
	})))
	if me, err := bearer.GetMe(t.Context(), &hearthv1.GetMeRequest{}); err != nil || me.GetUser().GetUsername() != "web" {
		t.Fatalf("GetMe with the token: %v %v", me, err)
	}

	if _, err := authc.Logout(t.Context(), &hearthv1.LogoutRequest{}); err != nil {
		t.Fatal(err)
	}
	for _, c := range jar.Cookies(mustURL(t, srv.URL)) {
		if c.Name == SessionCookieName {
			t.Fatal("logout left the cookie")
		}
	}
	// The old cookie no longer works even if replayed.
	r := request("", cookie.Value)
	if _, err := e.svc.Authenticate(t.Context(), r); err == nil {
		t.Fatal("the session survived logout")
	}
}

func TestSessionCookieAttributes(t *testing.T) {
	c := SessionCookie("s", time.Now().Add(time.Hour), true)
	if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Name != "hearth_session" {
		t.Fatalf("cookie %+v", c)
	}
	if s := SessionCookie("s", time.Now(), false).String(); strings.Contains(s, "Secure") {
		t.Fatalf("Secure without TLS: %s", s)
	}
	if cl := ClearSessionCookie(false); cl.MaxAge >= 0 || !strings.Contains(cl.String(), "Max-Age=0") {
		t.Fatalf("clearing cookie %s", cl.String())
	}
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
