package servertest

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// Session is a signed-in browser-like client: a cookie jar and the CSRF
// token to send with mutations.
type Session struct {
	HTTP *http.Client
	CSRF string
	User *hearthv1.User
}

// Options returns client options sending the CSRF header.
func (s *Session) Options() []connect.ClientOption {
	return []connect.ClientOption{connect.WithInterceptors(headers{"X-CSRF-Token": s.CSRF})}
}

// Login signs in with a password and returns the session.
func (s *Server) Login(t testing.TB, username, password string) *Session {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Jar: jar}
	res, err := hearthv1connect.NewAuthServiceClient(client, s.URL).Login(context.Background(),
		&hearthv1.LoginRequest{Username: username, Password: password})
	if err != nil {
		t.Fatalf("login as %s: %v", username, err)
	}
	return &Session{HTTP: client, CSRF: res.GetCsrfToken(), User: res.GetUser()}
}

// Token signs in as username and creates an API token with scopes.
func (s *Server) Token(t testing.TB, username, password string, scopes ...string) string {
	t.Helper()
	return s.ProjectToken(t, username, password, "", scopes...)
}

// ProjectToken is Token restricted to one project (its id; "": none).
func (s *Server) ProjectToken(t testing.TB, username, password, projectID string, scopes ...string) string {
	t.Helper()
	sess := s.Login(t, username, password)
	res, err := hearthv1connect.NewTokenServiceClient(sess.HTTP, s.URL, sess.Options()...).CreateToken(context.Background(),
		&hearthv1.CreateTokenRequest{Name: "test", Scopes: scopes, ProjectId: projectID, ExpireTime: timestamppb.New(time.Now().Add(time.Hour))})
	if err != nil {
		t.Fatalf("token for %s: %v", username, err)
	}
	return res.GetToken()
}

// AdminToken is an admin-scoped token of the initial administrator.
func (s *Server) AdminToken(t testing.TB) string {
	t.Helper()
	return s.Token(t, AdminUsername, s.AdminPassword, "admin")
}

// CreateUser creates a user through the API with an admin token and
// returns it.
func (s *Server) CreateUser(t testing.TB, adminToken, username, password string, admin bool) *hearthv1.User {
	t.Helper()
	res, err := hearthv1connect.NewUserServiceClient(http.DefaultClient, s.URL, BearerOption(adminToken)).CreateUser(context.Background(),
		&hearthv1.CreateUserRequest{Username: username, Email: username + "@example.test", Password: password, Admin: admin})
	if err != nil {
		t.Fatalf("create user %s: %v", username, err)
	}
	return res.GetUser()
}

// BearerOption authenticates a client with a token.
func BearerOption(token string) connect.ClientOption {
	return connect.WithInterceptors(headers{"Authorization": "Bearer " + token})
}

type headers map[string]string

func (h headers) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		for k, v := range h {
			req.Header().Set(k, v)
		}
		return next(ctx, req)
	}
}

func (h headers) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return func(ctx context.Context, spec connect.Spec) connect.StreamingClientConn {
		conn := next(ctx, spec)
		for k, v := range h {
			conn.RequestHeader().Set(k, v)
		}
		return conn
	}
}

func (h headers) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}
