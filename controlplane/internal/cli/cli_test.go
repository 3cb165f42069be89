package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/servertest"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

func TestMain(m *testing.M) { testsvc.Main(m) }

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(t.Context(), args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestVersionPrintsClientAndServer(t *testing.T) {
	srv := servertest.Start(t)
	code, stdout, stderr := run(t, "version", "--server", srv.URL)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "client: ") || lines[1] != "server: test (go-test)" {
		t.Fatalf("unexpected output:\n%s", stdout)
	}
}

func TestVersionWithoutServerPrintsClientOnly(t *testing.T) {
	code, stdout, _ := run(t, "version")
	if code != ExitOK || !strings.HasPrefix(stdout, "client: ") || strings.Contains(stdout, "server:") {
		t.Fatalf("exit %d:\n%s", code, stdout)
	}
}

func TestVersionErrors(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"version", "--server", "ftp://x"}, ExitUsage, `hearth: --server "ftp://x": want an http:// or https:// URL`},
		{[]string{"version", "--server", "http://127.0.0.1:1", "--timeout", "2s"}, ExitFailure, "hearth: server http://127.0.0.1:1: unreachable"},
		{[]string{"version", "--bogus"}, ExitUsage, "hearth: flag provided but not defined: -bogus"},
		{[]string{"frobnicate"}, ExitUsage, `hearth: unknown command "frobnicate"`},
		{nil, ExitUsage, "Usage: hearth <command>"},
	}
	for _, c := range cases {
		code, _, stderr := run(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d stderr %q; want %d and %q", c.args, code, stderr, c.code, c.want)
		}
	}
}
