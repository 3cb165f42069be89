package server_test

import (
	"net/http"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hearth-dev/hearth/controlplane/servertest"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// TestNoPathFromLimitedRightsToAdmin covers the escalations a review
// found: admin:users alone must not reach the admin role, delegated rights
// must never include admin:*, and limited tokens must not manage the
// account.
func TestNoPathFromLimitedRightsToAdmin(t *testing.T) {
	srv := servertest.Start(t)
	ctx := t.Context()
	adminToken := srv.AdminToken(t)
	admin := servertest.BearerOption(adminToken)
	roles := hearthv1connect.NewRoleServiceClient(http.DefaultClient, srv.URL, admin)
	if _, err := roles.CreateRole(ctx, &hearthv1.CreateRoleRequest{Name: "user-manager", Permissions: []string{"admin:users"}}); err != nil {
		t.Fatal(err)
	}
	helpdesk := srv.CreateUser(t, adminToken, "helpdesk", "helpdesk-password-1", false)
	if _, err := roles.CreateRoleBinding(ctx, &hearthv1.CreateRoleBindingRequest{Role: "user-manager", UserId: helpdesk.GetId()}); err != nil {
		t.Fatal(err)
	}
	hdToken := srv.Token(t, "helpdesk", "helpdesk-password-1", "admin") // ∩ what helpdesk holds: admin:users
	users := hearthv1connect.NewUserServiceClient(http.DefaultClient, srv.URL, servertest.BearerOption(hdToken))
	yes := true
	if _, err := users.UpdateUser(ctx, &hearthv1.UpdateUserRequest{Id: helpdesk.GetId(), Admin: &yes}); codeOf(err) != "permission_denied" {
		t.Errorf("admin:users promoting itself: %v", err)
	}
	if _, err := users.CreateUser(ctx, &hearthv1.CreateUserRequest{Username: "sock", Email: "s@example.test", Password: "sock-password-123", Admin: true}); codeOf(err) != "permission_denied" {
		t.Errorf("admin:users creating an admin: %v", err)
	}
	me, err := hearthv1connect.NewAuthServiceClient(http.DefaultClient, srv.URL, admin).GetMe(ctx, &hearthv1.GetMeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	newPassword := "taken-over-password-1"
	if _, err := users.UpdateUser(ctx, &hearthv1.UpdateUserRequest{Id: me.GetUser().GetId(), Password: &newPassword}); codeOf(err) != "permission_denied" {
		t.Errorf("admin:users resetting an administrator's password: %v", err)
	}
	if _, err := users.DeactivateUser(ctx, &hearthv1.DeactivateUserRequest{Id: me.GetUser().GetId()}); codeOf(err) != "permission_denied" {
		t.Errorf("admin:users deactivating an administrator: %v", err)
	}
	if _, err := users.CreateUser(ctx, &hearthv1.CreateUserRequest{Username: "plain", Email: "p@example.test", Password: "plain-password-123"}); err != nil {
		t.Errorf("admin:users creating a plain user: %v", err)
	}

	// An administrator cannot lend admin:* at all.
	delegations := hearthv1connect.NewDelegationServiceClient(http.DefaultClient, srv.URL, admin)
	_, err = delegations.CreateDelegation(ctx, &hearthv1.CreateDelegationRequest{
		DelegateId: helpdesk.GetId(), Permissions: []string{"admin:roles"}, Reason: "fix a binding",
		ExpireTime: timestamppb.New(time.Now().Add(time.Hour)),
	})
	if codeOf(err) != "invalid_argument" {
		t.Errorf("delegating admin:roles: %v", err)
	}

	// A repo:read token cannot revoke its owner's other tokens.
	narrow := srv.Token(t, "helpdesk", "helpdesk-password-1", "repo:read")
	list, err := hearthv1connect.NewTokenServiceClient(http.DefaultClient, srv.URL, servertest.BearerOption(hdToken)).ListTokens(ctx, &hearthv1.ListTokensRequest{})
	if err != nil || len(list.GetTokens()) == 0 {
		t.Fatalf("list tokens: %v", err)
	}
	narrowTokens := hearthv1connect.NewTokenServiceClient(http.DefaultClient, srv.URL, servertest.BearerOption(narrow))
	if _, err := narrowTokens.RevokeToken(ctx, &hearthv1.RevokeTokenRequest{Id: list.GetTokens()[0].GetId()}); codeOf(err) != "permission_denied" {
		t.Errorf("repo:read token revoking a token: %v", err)
	}

	// A password over Basic is for git only, never the API.
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/v1/me", nil)
	req.SetBasicAuth("helpdesk", "helpdesk-password-1")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("password over Basic on the API: %d, want 401", res.StatusCode)
	}
}

// TestResetPasswordMustBeChangedFirst: after an admin resets a password,
// the user can do nothing but change it (and read who they are).
func TestResetPasswordMustBeChangedFirst(t *testing.T) {
	srv := servertest.Start(t)
	ctx := t.Context()
	adminToken := srv.AdminToken(t)
	u := srv.CreateUser(t, adminToken, "dora", "dora-password-123", false)
	reset := "temporary-password-1"
	if _, err := hearthv1connect.NewUserServiceClient(http.DefaultClient, srv.URL, servertest.BearerOption(adminToken)).
		UpdateUser(ctx, &hearthv1.UpdateUserRequest{Id: u.GetId(), Password: &reset}); err != nil {
		t.Fatal(err)
	}
	sess := srv.Login(t, "dora", reset)
	if !sess.User.GetMustChangePassword() {
		t.Fatal("login does not say the password must change")
	}
	tokens := hearthv1connect.NewTokenServiceClient(sess.HTTP, srv.URL, sess.Options()...)
	create := func() error {
		_, err := tokens.CreateToken(ctx, &hearthv1.CreateTokenRequest{Name: "x", Scopes: []string{"api"}, ExpireTime: timestamppb.New(time.Now().Add(time.Hour))})
		return err
	}
	if err := create(); codeOf(err) != "failed_precondition" {
		t.Fatalf("before changing the password: %v", err)
	}
	if _, err := hearthv1connect.NewAuthServiceClient(sess.HTTP, srv.URL, sess.Options()...).GetMe(ctx, &hearthv1.GetMeRequest{}); err != nil {
		t.Fatalf("GetMe must stay allowed: %v", err)
	}
	if _, err := hearthv1connect.NewUserServiceClient(sess.HTTP, srv.URL, sess.Options()...).
		ChangePassword(ctx, &hearthv1.ChangePasswordRequest{CurrentPassword: reset, NewPassword: "dora-new-password-1"}); err != nil {
		t.Fatal(err)
	}
	if err := create(); err != nil {
		t.Fatalf("after changing the password: %v", err)
	}
}
