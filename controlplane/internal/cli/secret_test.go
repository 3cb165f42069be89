package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/servertest"
)

// TestSecretCommands: set from stdin and from a file, list (names and
// versions, never values), delete, through a real server; a value is
// never taken from an argument; a read-only token lists but cannot set.
func TestSecretCommands(t *testing.T) {
	srv := servertest.Start(t)
	admin := srv.AdminToken(t)
	t.Setenv("HEARTH_CONFIG_DIR", t.TempDir())
	t.Setenv("HEARTH_SERVER", srv.URL)
	t.Setenv("HEARTH_TOKEN", admin)
	if code, _, stderr := runIn(t, "", "project", "create", "app"); code != ExitOK {
		t.Fatalf("project create: %s", stderr)
	}
	const value = "s3cr3t-value-from-stdin"
	code, stdout, stderr := runIn(t, value, "secret", "set", "DB_PASSWORD", "--project", "admin/app", "--protected")
	if code != ExitOK || !strings.Contains(stdout, "DB_PASSWORD version 1") {
		t.Fatalf("set: %d %q %s", code, stdout, stderr)
	}
	file := filepath.Join(t.TempDir(), "value")
	if err := os.WriteFile(file, []byte("second-value-from-a-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr = runIn(t, "", "secret", "set", "DB_PASSWORD", "--project", "admin/app", "--from-file", file); code != ExitOK || !strings.Contains(stdout, "version 2") {
		t.Fatalf("set from a file: %d %q %s", code, stdout, stderr)
	}
	if code, _, stderr = runIn(t, "instance-wide-value", "secret", "set", "SHARED", "--instance"); code != ExitOK {
		t.Fatalf("instance set: %s", stderr)
	}
	code, stdout, _ = runIn(t, "", "secret", "list", "--project", "admin/app")
	if code != ExitOK || !strings.Contains(stdout, "DB_PASSWORD") || !strings.Contains(stdout, "admin") ||
		strings.Contains(stdout, value) || strings.Contains(stdout, "second-value") {
		t.Fatalf("list: %d\n%s", code, stdout)
	}
	if fields := strings.Fields(strings.Split(stdout, "\n")[1]); len(fields) < 4 || fields[2] != "2" || fields[3] != "false" {
		t.Fatalf("list row (version 2, no longer protected): %q", fields)
	}
	if code, stdout, _ = runIn(t, "", "secret", "list", "--instance"); code != ExitOK || !strings.Contains(stdout, "SHARED") {
		t.Fatalf("instance list: %d\n%s", code, stdout)
	}

	// Usage errors: a value as an argument, no scope, two scopes, no value.
	for _, args := range [][]string{
		{"secret", "set", "X_TOKEN", "the-value-as-an-argument", "--project", "admin/app"},
		{"secret", "set", "X_TOKEN"},
		{"secret", "list", "--project", "admin/app", "--instance"},
		{"secret", "set", "X_TOKEN", "--project", "admin/app"},
	} {
		if code, _, stderr := runIn(t, "", args...); code != ExitUsage || stderr == "" {
			t.Errorf("%v: exit %d %q", args, code, stderr)
		}
	}
	// The server refuses a short value (it could not be masked).
	if code, _, stderr = runIn(t, "short", "secret", "set", "X_TOKEN", "--project", "admin/app"); code != ExitFailure || !strings.Contains(stderr, "at least 8 bytes") {
		t.Fatalf("short value: %d %q", code, stderr)
	}

	// A read-only token neither lists (secret:read is not a read of the
	// project), nor sets, nor deletes.
	t.Setenv("HEARTH_TOKEN", srv.Token(t, "admin", srv.AdminPassword, "read-only"))
	if code, _, stderr = runIn(t, "", "secret", "list", "--project", "admin/app"); code != ExitFailure || !strings.Contains(stderr, "permission") {
		t.Fatalf("read-only list: %d %q", code, stderr)
	}
	if code, _, stderr = runIn(t, "another-value-123", "secret", "set", "DB_PASSWORD", "--project", "admin/app"); code != ExitFailure || !strings.Contains(stderr, "permission") {
		t.Fatalf("read-only set: %d %q", code, stderr)
	}
	if code, _, _ = runIn(t, "", "secret", "delete", "DB_PASSWORD", "--project", "admin/app"); code != ExitFailure {
		t.Fatalf("read-only delete: %d", code)
	}

	t.Setenv("HEARTH_TOKEN", admin)
	if code, stdout, stderr = runIn(t, "", "secret", "delete", "DB_PASSWORD", "--project", "admin/app"); code != ExitOK || !strings.Contains(stdout, "deleted DB_PASSWORD") {
		t.Fatalf("delete: %d %q %s", code, stdout, stderr)
	}
	if code, _, stderr = runIn(t, "", "secret", "delete", "DB_PASSWORD", "--project", "admin/app"); code != ExitFailure || !strings.Contains(stderr, "not found") {
		t.Fatalf("delete again: %d %q", code, stderr)
	}
}
