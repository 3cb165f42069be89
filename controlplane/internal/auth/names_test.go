package auth

import "testing"

// The first administrator is created without validateUsername (at
// bootstrap, from a constant): its name must still be one a user may
// take, not a reserved route.
func TestInitialAdminUsernameIsNotReserved(t *testing.T) {
	if err := validateUsername(InitialAdminUsername); err != nil {
		t.Fatalf("the initial administrator's name %q: %v", InitialAdminUsername, err)
	}
	if err := validateUsername("api"); err == nil {
		t.Fatal("validateUsername accepts a reserved name")
	}
}
