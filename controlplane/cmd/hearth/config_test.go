package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

// TestBadConfigurationExitsTwoWithOneLine: every mistake an operator can
// make at start ends with exit code 2 and one readable line on stderr,
// never a stack trace.
func TestBadConfigurationExitsTwoWithOneLine(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	s3 := testsvc.S3(t)
	infra := []string{
		"--redis-url", testsvc.Redis(t),
		"--s3-endpoint", "http://" + s3.Endpoint, "--s3-access-key", s3.AccessKey, "--s3-secret-key", s3.SecretKey,
		"--s3-bucket", s3.Bucket,
	}
	deps := append([]string{"--secrets-root-key-file", rootKeyFile(t)}, infra...)
	withDB := func(args ...string) []string {
		return append(append([]string{"server", "--data-dir", t.TempDir(), "--raft-listen", freeAddr(t),
			"--database-url", testsvc.NewDatabaseURL(t)}, deps...), args...)
	}
	garbage := filepath.Join(t.TempDir(), "garbage.key")
	if err := os.WriteFile(garbage, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	noKey := append([]string{"server", "--data-dir", t.TempDir(), "--raft-listen", freeAddr(t), "--listen", freeAddr(t),
		"--database-url", testsvc.NewDatabaseURL(t)}, infra...)

	cases := []struct {
		name string
		args []string
		want string
	}{
		{"listen port in use", withDB("--listen", busy.Addr().String()),
			"hearth: cannot listen on " + busy.Addr().String() + ": the address is already in use"},
		{"unreachable database", append([]string{"server", "--data-dir", t.TempDir(), "--listen", freeAddr(t),
			"--raft-listen", freeAddr(t), "--database-url", "postgres://hearth@127.0.0.1:1/hearth?connect_timeout=2"}, deps...),
			"hearth: database unreachable:"},
		{"malformed URL", withDB("--listen", freeAddr(t), "--redis-url", "redis://%zz"),
			"hearth: --redis-url is not a valid URL"},
		{"wrong URL scheme", withDB("--listen", freeAddr(t), "--database-url", "mysql://db/hearth"),
			"hearth: --database-url must start with postgres:// or postgresql://"},
		{"no secrets root key", noKey,
			"hearth: no secrets root key: give --secrets-root-key-file or HEARTH_SECRETS_ROOT_KEY"},
		{"malformed secrets root key", append(append([]string{}, noKey...), "--secrets-root-key-file", garbage),
			"hearth: secrets root key: " + garbage + ": the root key is neither base64 nor hex"},
		{"unknown flag", []string{"server", "--no-such-flag"},
			"hearth: flag provided but not defined: -no-such-flag"},
		{"unknown command", []string{"serve"}, `hearth: unknown command "serve"`},
		{"missing PostgreSQL binaries", []string{"dev", "--data-dir", t.TempDir(), "--listen", freeAddr(t),
			"--postgres-bin-dir", t.TempDir()},
			"hearth: PostgreSQL server binaries not found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := startHearth(t, nil, c.args...)
			if code := p.exitCode(t, time.Minute); code != 2 {
				t.Fatalf("exit code %d, want 2\nstderr:\n%s", code, p.stderr.String())
			}
			stderr := strings.TrimRight(p.stderr.String(), "\n")
			lines := strings.Split(stderr, "\n")
			last := lines[len(lines)-1]
			if !strings.HasPrefix(last, c.want) {
				t.Errorf("last line %q, want prefix %q", last, c.want)
			}
			errorLines := 0
			for _, l := range lines {
				if strings.HasPrefix(l, "hearth: ") {
					errorLines++
				}
			}
			if errorLines != 1 {
				t.Errorf("want exactly one error line, got:\n%s", stderr)
			}
			if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic") {
				t.Errorf("stack trace on stderr:\n%s", stderr)
			}
		})
	}
}
