package auth

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// API implements the AuthService, UserService and TokenService handlers.
type API struct {
	svc *Service
	// secureCookies marks the session cookie Secure on every request (the
	// server speaks TLS or its public URL is https); a request the
	// middleware found to come over https gets Secure too (SecureCookies).
	secureCookies bool
}

var (
	_ hearthv1connect.AuthServiceHandler  = (*API)(nil)
	_ hearthv1connect.UserServiceHandler  = (*API)(nil)
	_ hearthv1connect.TokenServiceHandler = (*API)(nil)
)

// NewAPI returns the handlers. secureCookies is true when clients always
// reach the server over https (TLS, or an https public URL).
func NewAPI(svc *Service, secureCookies bool) *API {
	return &API{svc: svc, secureCookies: secureCookies}
}

// SessionAPI serves AuthService (sign-in, sign-out, GetMe) with the Handler
// and Rules methods the server registers.
type SessionAPI struct{ *API }

// UserAPI serves UserService.
type UserAPI struct{ *API }

// TokenAPI serves TokenService.
type TokenAPI struct{ *API }

// Services returns the three services for the server to register.
func (a *API) Services() (SessionAPI, UserAPI, TokenAPI) {
	return SessionAPI{a}, UserAPI{a}, TokenAPI{a}
}

// Handler returns AuthService's Connect handler and its path prefix.
func (a SessionAPI) Handler(opts ...connect.HandlerOption) (string, http.Handler) {
	return hearthv1connect.NewAuthServiceHandler(a.API, opts...)
}

// Handler returns UserService's Connect handler and its path prefix.
func (a UserAPI) Handler(opts ...connect.HandlerOption) (string, http.Handler) {
	return hearthv1connect.NewUserServiceHandler(a.API, opts...)
}

// Handler returns TokenService's Connect handler and its path prefix.
func (a TokenAPI) Handler(opts ...connect.HandlerOption) (string, http.Handler) {
	return hearthv1connect.NewTokenServiceHandler(a.API, opts...)
}

// Rules declares what each AuthService procedure needs.
func (a SessionAPI) Rules() access.Rules {
	return a.rulesWithPrefix("/" + hearthv1connect.AuthServiceName + "/")
}

// Rules declares what each UserService procedure needs.
func (a UserAPI) Rules() access.Rules {
	return a.rulesWithPrefix("/" + hearthv1connect.UserServiceName + "/")
}

// Rules declares what each TokenService procedure needs.
func (a TokenAPI) Rules() access.Rules {
	return a.rulesWithPrefix("/" + hearthv1connect.TokenServiceName + "/")
}

func (a *API) rulesWithPrefix(prefix string) access.Rules {
	out := access.Rules{}
	for proc, r := range a.Rules() {
		if strings.HasPrefix(proc, prefix) {
			out[proc] = r
		}
	}
	return out
}

// Rules declares what every procedure of the three services needs. Reading
// another user needs admin:users; the caller's own account may be changed
// by a session (or a password), never by an API token, so a leaked token
// cannot become a password change.
func (a *API) Rules() access.Rules {
	public := access.Rule{Public: true}
	authenticated := access.Rule{Authenticated: true}
	admin := access.Rule{Permission: access.AdminUsers}
	noToken := access.Rule{Authenticated: true, Also: refuseTokenAccountChange}
	return access.Rules{
		hearthv1connect.AuthServiceLoginProcedure:  public,
		hearthv1connect.AuthServiceLogoutProcedure: authenticated,
		hearthv1connect.AuthServiceGetMeProcedure:  authenticated,

		hearthv1connect.UserServiceCreateUserProcedure:     admin,
		hearthv1connect.UserServiceListUsersProcedure:      admin,
		hearthv1connect.UserServiceGetUserProcedure:        {Authenticated: true, Also: getUserNeeds},
		hearthv1connect.UserServiceUpdateUserProcedure:     admin,
		hearthv1connect.UserServiceDeactivateUserProcedure: admin,
		hearthv1connect.UserServiceUpdateProfileProcedure:  noToken,
		hearthv1connect.UserServiceChangePasswordProcedure: noToken,

		hearthv1connect.TokenServiceCreateTokenProcedure: authenticated,
		hearthv1connect.TokenServiceListTokensProcedure:  authenticated,
		hearthv1connect.TokenServiceRevokeTokenProcedure: authenticated,
	}
}

// callClient is where the call came from: what the server's middleware
// recorded (the one place that reads forwarded headers, and only from
// trusted proxies), else the peer address and User-Agent.
func callClient(ctx context.Context) audit.Client {
	if c, ok := audit.ClientFrom(ctx); ok {
		return c
	}
	ci, ok := connect.CallInfoForHandlerContext(ctx)
	if !ok {
		return audit.Client{}
	}
	return audit.Client{IP: parseAddr(ci.Peer().Addr), UserAgent: ci.RequestHeader().Get("User-Agent")}
}

// sessionSecret is the caller's session cookie value ("" without one).
func sessionSecret(ctx context.Context) string {
	ci, ok := connect.CallInfoForHandlerContext(ctx)
	if !ok {
		return ""
	}
	r := http.Request{Header: ci.RequestHeader()}
	c, err := r.Cookie(SessionCookieName)
	if err != nil {
		return ""
	}
	return c.Value
}

// withRetryAfter sends a throttled sign-in's wait as the Retry-After
// header (whole seconds, at least 1), and returns err.
func withRetryAfter(ctx context.Context, err error) error {
	d, ok := RetryAfter(err)
	if !ok {
		return err
	}
	if ci, ok := connect.CallInfoForHandlerContext(ctx); ok {
		ci.ResponseHeader().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(d.Seconds())))))
	}
	return err
}

// secure reports whether this call's cookies must be Secure.
func (a *API) secure(ctx context.Context) bool {
	return a.secureCookies || SecureCookies(ctx)
}

func setCookie(ctx context.Context, c *http.Cookie) {
	if ci, ok := connect.CallInfoForHandlerContext(ctx); ok {
		ci.ResponseHeader().Add("Set-Cookie", c.String())
	}
}

// getUserNeeds: reading anyone but oneself needs admin:users, decided
// before the user is looked up, so the answer says nothing of who exists.
func getUserNeeds(_ context.Context, p access.Principal, _ uuid.UUID, req any) ([]access.Need, error) {
	r, ok := req.(*hearthv1.GetUserRequest)
	if !ok {
		return nil, fmt.Errorf("auth: GetUser's rule given a %T", req)
	}
	if id, err := uuid.Parse(r.GetId()); err == nil && p.Kind == access.User && id == p.UserID {
		return nil, nil
	}
	return access.NeedOn(access.AdminUsers, uuid.Nil), nil
}

// refuseTokenAccountChange keeps API tokens from changing the account that
// owns them (profile, password), whatever their scopes.
func refuseTokenAccountChange(_ context.Context, p access.Principal, _ uuid.UUID, _ any) ([]access.Need, error) {
	if p.TokenID != uuid.Nil {
		return nil, apperr.PermissionDenied("an API token cannot change its account; sign in instead")
	}
	return nil, nil
}

func parseID(s, what string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, apperr.Invalid("%s id must be a UUID", what)
	}
	return id, nil
}

func (a *API) toProto(ctx context.Context, u User) (*hearthv1.User, error) {
	admin, err := a.svc.roles.IsAdmin(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	return &hearthv1.User{
		Id: u.ID.String(), Username: u.Username, Email: u.Email, DisplayName: u.DisplayName,
		Admin: admin, Active: u.Active(), MustChangePassword: u.MustChangePassword,
		CreateTime: timestamppb.New(u.CreatedAt), UpdateTime: timestamppb.New(u.UpdatedAt),
	}, nil
}

func tokenToProto(t Token) *hearthv1.Token {
	out := &hearthv1.Token{
		Id: t.ID.String(), Name: t.Name, Scopes: t.Scopes, Prefix: t.Prefix,
		CreateTime: timestamppb.New(t.CreatedAt), ExpireTime: timestamppb.New(t.ExpiresAt),
	}
	if t.ProjectID != uuid.Nil {
		out.ProjectId = t.ProjectID.String()
	}
	if t.LastUsedAt != nil {
		out.LastUsedTime = timestamppb.New(*t.LastUsedAt)
	}
	return out
}

// Login implements AuthServiceHandler: it sets the session cookie.
func (a *API) Login(ctx context.Context, req *hearthv1.LoginRequest) (*hearthv1.LoginResponse, error) {
	s, err := a.svc.Login(ctx, req.GetUsername(), req.GetPassword(), callClient(ctx))
	if err != nil {
		return nil, withRetryAfter(ctx, err)
	}
	setCookie(ctx, SessionCookie(s.Secret, s.ExpiresAt, a.secure(ctx)))
	u, err := a.toProto(ctx, s.User)
	if err != nil {
		return nil, err
	}
	return &hearthv1.LoginResponse{User: u, CsrfToken: s.CSRFToken, ExpireTime: timestamppb.New(s.ExpiresAt)}, nil
}

// Logout implements AuthServiceHandler: it ends the cookie's session and
// clears the cookie.
func (a *API) Logout(ctx context.Context, _ *hearthv1.LogoutRequest) (*hearthv1.LogoutResponse, error) {
	if secret := sessionSecret(ctx); secret != "" {
		if err := a.svc.Logout(ctx, secret); err != nil {
			return nil, err
		}
	}
	setCookie(ctx, ClearSessionCookie(a.secure(ctx)))
	return &hearthv1.LogoutResponse{}, nil
}

// GetMe implements AuthServiceHandler.
func (a *API) GetMe(ctx context.Context, _ *hearthv1.GetMeRequest) (*hearthv1.GetMeResponse, error) {
	p := access.PrincipalFrom(ctx)
	if p.IsAnonymous() {
		return nil, apperr.Unauthenticated("sign in first")
	}
	u, err := a.svc.GetUser(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	perms, err := a.svc.roles.Effective(ctx, p, uuid.Nil)
	if err != nil {
		return nil, err
	}
	pu, err := a.toProto(ctx, u)
	if err != nil {
		return nil, err
	}
	return &hearthv1.GetMeResponse{User: pu, Permissions: perms.Names()}, nil
}

// CreateUser implements UserServiceHandler.
func (a *API) CreateUser(ctx context.Context, req *hearthv1.CreateUserRequest) (*hearthv1.CreateUserResponse, error) {
	u, err := a.svc.CreateUser(ctx, NewUser{
		Username: req.GetUsername(), Email: req.GetEmail(), DisplayName: req.GetDisplayName(),
		Password: req.GetPassword(), Admin: req.GetAdmin(),
	})
	if err != nil {
		return nil, err
	}
	pu, err := a.toProto(ctx, u)
	if err != nil {
		return nil, err
	}
	return &hearthv1.CreateUserResponse{User: pu}, nil
}

// ListUsers implements UserServiceHandler.
func (a *API) ListUsers(ctx context.Context, req *hearthv1.ListUsersRequest) (*hearthv1.ListUsersResponse, error) {
	users, next, err := a.svc.ListUsers(ctx, ListUsersOptions{
		PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken(), Query: req.GetQuery(),
	})
	if err != nil {
		return nil, err
	}
	out := &hearthv1.ListUsersResponse{NextPageToken: next, Users: make([]*hearthv1.User, 0, len(users))}
	for _, u := range users {
		pu, err := a.toProto(ctx, u)
		if err != nil {
			return nil, err
		}
		out.Users = append(out.Users, pu)
	}
	return out, nil
}

// GetUser implements UserServiceHandler: yourself, or anyone with
// admin:users; anyone else is NotFound.
func (a *API) GetUser(ctx context.Context, req *hearthv1.GetUserRequest) (*hearthv1.GetUserResponse, error) {
	id, err := parseID(req.GetId(), "user")
	if err != nil {
		return nil, err
	}
	u, err := a.svc.GetUser(ctx, id)
	if err != nil {
		return nil, err
	}
	pu, err := a.toProto(ctx, u)
	if err != nil {
		return nil, err
	}
	return &hearthv1.GetUserResponse{User: pu}, nil
}

// UpdateUser implements UserServiceHandler.
func (a *API) UpdateUser(ctx context.Context, req *hearthv1.UpdateUserRequest) (*hearthv1.UpdateUserResponse, error) {
	id, err := parseID(req.GetId(), "user")
	if err != nil {
		return nil, err
	}
	u, err := a.svc.UpdateUser(ctx, id, UserUpdate{
		Email: req.Email, DisplayName: req.DisplayName, Password: req.Password, Admin: req.Admin, Active: req.Active,
	})
	if err != nil {
		return nil, err
	}
	pu, err := a.toProto(ctx, u)
	if err != nil {
		return nil, err
	}
	return &hearthv1.UpdateUserResponse{User: pu}, nil
}

// DeactivateUser implements UserServiceHandler.
func (a *API) DeactivateUser(ctx context.Context, req *hearthv1.DeactivateUserRequest) (*hearthv1.DeactivateUserResponse, error) {
	id, err := parseID(req.GetId(), "user")
	if err != nil {
		return nil, err
	}
	u, err := a.svc.DeactivateUser(ctx, id)
	if err != nil {
		return nil, err
	}
	pu, err := a.toProto(ctx, u)
	if err != nil {
		return nil, err
	}
	return &hearthv1.DeactivateUserResponse{User: pu}, nil
}

// UpdateProfile implements UserServiceHandler.
func (a *API) UpdateProfile(ctx context.Context, req *hearthv1.UpdateProfileRequest) (*hearthv1.UpdateProfileResponse, error) {
	u, err := a.svc.UpdateProfile(ctx, ProfileUpdate{Email: req.Email, DisplayName: req.DisplayName})
	if err != nil {
		return nil, err
	}
	pu, err := a.toProto(ctx, u)
	if err != nil {
		return nil, err
	}
	return &hearthv1.UpdateProfileResponse{User: pu}, nil
}

// ChangePassword implements UserServiceHandler: the caller's current
// session survives, every other one ends.
func (a *API) ChangePassword(ctx context.Context, req *hearthv1.ChangePasswordRequest) (*hearthv1.ChangePasswordResponse, error) {
	keep := ""
	if access.PrincipalFrom(ctx).ViaSession {
		keep = sessionSecret(ctx)
	}
	if err := a.svc.ChangePassword(ctx, req.GetCurrentPassword(), req.GetNewPassword(), keep, callClient(ctx)); err != nil {
		return nil, withRetryAfter(ctx, err)
	}
	return &hearthv1.ChangePasswordResponse{}, nil
}

// CreateToken implements TokenServiceHandler.
func (a *API) CreateToken(ctx context.Context, req *hearthv1.CreateTokenRequest) (*hearthv1.CreateTokenResponse, error) {
	in := NewToken{Name: req.GetName(), Scopes: req.GetScopes()}
	if req.GetProjectId() != "" {
		id, err := parseID(req.GetProjectId(), "project")
		if err != nil {
			return nil, err
		}
		in.ProjectID = id
	}
	if req.GetExpireTime() != nil {
		if err := req.GetExpireTime().CheckValid(); err != nil {
			return nil, apperr.Invalid("invalid expiry time")
		}
		in.ExpiresAt = req.GetExpireTime().AsTime()
	}
	t, secret, err := a.svc.CreateToken(ctx, in)
	if err != nil {
		return nil, err
	}
	return &hearthv1.CreateTokenResponse{Info: tokenToProto(t), Token: secret}, nil
}

// ListTokens implements TokenServiceHandler.
func (a *API) ListTokens(ctx context.Context, _ *hearthv1.ListTokensRequest) (*hearthv1.ListTokensResponse, error) {
	ts, err := a.svc.ListTokens(ctx)
	if err != nil {
		return nil, err
	}
	out := &hearthv1.ListTokensResponse{Tokens: make([]*hearthv1.Token, len(ts))}
	for i, t := range ts {
		out.Tokens[i] = tokenToProto(t)
	}
	return out, nil
}

// RevokeToken implements TokenServiceHandler.
func (a *API) RevokeToken(ctx context.Context, req *hearthv1.RevokeTokenRequest) (*hearthv1.RevokeTokenResponse, error) {
	id, err := parseID(req.GetId(), "token")
	if err != nil {
		return nil, err
	}
	if err := a.svc.RevokeToken(ctx, id); err != nil {
		return nil, err
	}
	return &hearthv1.RevokeTokenResponse{}, nil
}
