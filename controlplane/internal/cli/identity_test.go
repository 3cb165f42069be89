package cli

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/servertest"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

func runIn(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(t.Context(), args, strings.NewReader(stdin), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// TestLoginTokenUserRoleLogout drives the identity commands against a real
// control plane, as an administrator would.
func TestLoginTokenUserRoleLogout(t *testing.T) {
	srv := servertest.Start(t)
	configDir := t.TempDir()
	t.Setenv("HEARTH_CONFIG_DIR", configDir)
	t.Setenv("HEARTH_SERVER", "")
	t.Setenv("HEARTH_TOKEN", "")

	code, stdout, stderr := runIn(t, srv.AdminPassword+"\n", "login", "--server", srv.URL, "--username", "admin", "--password-stdin")
	if code != ExitOK || !strings.Contains(stdout, "Signed in to "+srv.URL+" as admin") {
		t.Fatalf("login: %d\n%s\n%s", code, stdout, stderr)
	}
	credFile := filepath.Join(configDir, "credentials.json")
	st, err := os.Stat(credFile)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v %v", st, err)
	}
	raw, _ := os.ReadFile(credFile)
	var creds Credentials
	if err := json.Unmarshal(raw, &creds); err != nil || !strings.HasPrefix(creds.Token, "hth_") {
		t.Fatalf("stored credentials: %s %v", raw, err)
	}

	code, stdout, stderr = runIn(t, "ada-password-1234\n", "user", "create", "--username", "ada", "--email", "ada@example.test", "--password-stdin")
	if code != ExitOK || !strings.Contains(stdout, "ada") {
		t.Fatalf("user create: %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, _ = runIn(t, "", "user", "list")
	if code != ExitOK || !strings.Contains(stdout, "ada@example.test") || !strings.Contains(stdout, "admin") {
		t.Fatalf("user list: %d\n%s", code, stdout)
	}
	code, stdout, _ = runIn(t, "", "role", "list")
	for _, role := range []string{"admin", "maintainer", "developer", "viewer"} {
		if code != ExitOK || !strings.Contains(stdout, role) {
			t.Fatalf("role list lacks %s: %d\n%s", role, code, stdout)
		}
	}
	code, _, stderr = runIn(t, "", "role", "create", "--name", "reviewer", "--permissions", "project:read,repo:read")
	if code != ExitOK {
		t.Fatalf("role create: %d %s", code, stderr)
	}
	code, stdout, stderr = runIn(t, "", "token", "create", "--name", "ci", "--scopes", "repo:read")
	if code != ExitOK || !strings.HasPrefix(stdout, "hth_") {
		t.Fatalf("token create: %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, _ = runIn(t, "", "token", "list")
	if code != ExitOK || !strings.Contains(stdout, "ci") || !strings.Contains(stdout, "repo:read") || strings.Contains(stdout, "hth_") {
		t.Fatalf("token list (must never show secrets): %d\n%s", code, stdout)
	}

	code, stdout, _ = runIn(t, "", "logout")
	if code != ExitOK || !strings.Contains(stdout, "Signed out") {
		t.Fatalf("logout: %d %s", code, stdout)
	}
	if _, err := os.Stat(credFile); !os.IsNotExist(err) {
		t.Fatal("logout left the credentials file")
	}
	// The stored token was revoked on the server, not only forgotten.
	t.Setenv("HEARTH_TOKEN", creds.Token)
	code, _, stderr = runIn(t, "", "user", "list", "--server", srv.URL)
	if code != ExitFailure || !strings.Contains(stderr, "unauthenticated") {
		t.Fatalf("revoked token still works: %d %s", code, stderr)
	}
}

func TestLoginWithWrongPasswordFails(t *testing.T) {
	srv := servertest.Start(t)
	t.Setenv("HEARTH_CONFIG_DIR", t.TempDir())
	code, _, stderr := runIn(t, "wrong-password\n", "login", "--server", srv.URL, "--username", "admin", "--password-stdin")
	if code != ExitFailure || !strings.Contains(stderr, "sign-in failed") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}

// TestLoginChangesAPasswordThatMustChange: hearth login asks for a new
// password when the server requires one, then proceeds.
func TestLoginChangesAPasswordThatMustChange(t *testing.T) {
	srv := servertest.Start(t)
	t.Setenv("HEARTH_CONFIG_DIR", t.TempDir())
	adminToken := srv.AdminToken(t)
	u := srv.CreateUser(t, adminToken, "erin", "erin-password-123", false)
	reset := "temporary-password-1"
	if _, err := hearthv1connect.NewUserServiceClient(http.DefaultClient, srv.URL, servertest.BearerOption(adminToken)).
		UpdateUser(t.Context(), &hearthv1.UpdateUserRequest{Id: u.GetId(), Password: &reset}); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runIn(t, reset+"\nerin-new-password-1\n", "login", "--server", srv.URL, "--username", "erin", "--password-stdin")
	if code != ExitOK || !strings.Contains(stderr, "must be changed") || !strings.Contains(stdout, "Signed in") {
		t.Fatalf("login: %d\n%s\n%s", code, stdout, stderr)
	}
	srv.Login(t, "erin", "erin-new-password-1") // the new password works
}

func TestClusterCommands(t *testing.T) {
	srv := servertest.Start(t)
	t.Setenv("HEARTH_CONFIG_DIR", t.TempDir())
	t.Setenv("HEARTH_SERVER", srv.URL)
	t.Setenv("HEARTH_TOKEN", srv.AdminToken(t))
	code, id, stderr := runIn(t, "", "cluster", "create", "--name", "edge-1", "--labels", "region=eu,gpu=no")
	if code != ExitOK {
		t.Fatalf("cluster create: %d %s", code, stderr)
	}
	code, stdout, _ := runIn(t, "", "cluster", "list")
	if code != ExitOK || !strings.Contains(stdout, "edge-1") || !strings.Contains(stdout, "gpu=no,region=eu") {
		t.Fatalf("cluster list: %d\n%s", code, stdout)
	}
	code, stdout, stderr = runIn(t, "", "cluster", "token", "create", "--cluster", strings.TrimSpace(id), "--expires", "1h")
	if code != ExitOK || !strings.HasPrefix(stdout, "hjt_") {
		t.Fatalf("token create: %d\n%s\n%s", code, stdout, stderr)
	}
	if code, _, stderr = runIn(t, "", "cluster", "create", "--name", "Bad Name"); code != ExitFailure || !strings.Contains(stderr, "invalid_argument") {
		t.Fatalf("bad cluster name: %d %s", code, stderr)
	}
}
