package server_test

import (
	"net/http"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/servertest"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// TestChangesTakeEffectOnTheNextRequestOnEveryReplica: two replicas share
// PostgreSQL and Redis; a role removed, a token revoked or a user
// deactivated through one is enforced by the other on the very next call,
// although the other had the old decision cached.
func TestChangesTakeEffectOnTheNextRequestOnEveryReplica(t *testing.T) {
	one := servertest.Start(t)
	two := servertest.Start(t, servertest.SharingStateWith(one))
	adminToken := one.AdminToken(t)
	ctx := t.Context()

	user := one.CreateUser(t, adminToken, "carol", "carol-password-123", true)
	token := one.Token(t, "carol", "carol-password-123", "admin")
	carolOnTwo := hearthv1connect.NewUserServiceClient(http.DefaultClient, two.URL, servertest.BearerOption(token))
	listUsers := func() error {
		_, err := carolOnTwo.ListUsers(ctx, &hearthv1.ListUsersRequest{})
		return err
	}
	if err := listUsers(); err != nil {
		t.Fatalf("carol as admin on replica two: %v", err)
	}
	if err := listUsers(); err != nil { // now cached on two
		t.Fatal(err)
	}

	// Remove carol's admin role through replica one.
	usersOnOne := hearthv1connect.NewUserServiceClient(http.DefaultClient, one.URL, servertest.BearerOption(adminToken))
	notAdmin := false
	if _, err := usersOnOne.UpdateUser(ctx, &hearthv1.UpdateUserRequest{Id: user.GetId(), Admin: &notAdmin}); err != nil {
		t.Fatal(err)
	}
	if err := listUsers(); codeOf(err) != "permission_denied" {
		t.Fatalf("after losing the admin role, replica two answered %v", err)
	}

	// Revoke a token through one: refused by two at once.
	token2 := one.Token(t, "carol", "carol-password-123", "api")
	tokensOnTwo := hearthv1connect.NewTokenServiceClient(http.DefaultClient, two.URL, servertest.BearerOption(token2))
	list, err := tokensOnTwo.ListTokens(ctx, &hearthv1.ListTokensRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var id string
	for _, tk := range list.GetTokens() {
		if tk.GetScopes()[0] == "api" {
			id = tk.GetId()
		}
	}
	tokensOnOne := hearthv1connect.NewTokenServiceClient(http.DefaultClient, one.URL, servertest.BearerOption(token2))
	if _, err := tokensOnOne.RevokeToken(ctx, &hearthv1.RevokeTokenRequest{Id: id}); err != nil {
		t.Fatal(err)
	}
	if _, err := tokensOnTwo.ListTokens(ctx, &hearthv1.ListTokensRequest{}); codeOf(err) != "unauthenticated" {
		t.Fatalf("revoked token on replica two: %v", err)
	}

	// Deactivate carol through one: her remaining token dies on two.
	if _, err := usersOnOne.DeactivateUser(ctx, &hearthv1.DeactivateUserRequest{Id: user.GetId()}); err != nil {
		t.Fatal(err)
	}
	if err := listUsers(); codeOf(err) != "unauthenticated" {
		t.Fatalf("deactivated user's token on replica two: %v", err)
	}
}
