package config

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func serverArgs(extra ...string) []string {
	return append([]string{
		"--database-url", "postgres://u:p@db.example/hearth",
		"--redis-url", "redis://cache.example:6379/0",
		"--s3-endpoint", "https://s3.example", "--s3-access-key", "k", "--s3-secret-key", "s",
		"--secrets-root-key-file", "/etc/hearth/root.key",
	}, extra...)
}

func TestParseServerDefaults(t *testing.T) {
	c, err := Parse(ModeServer, "server", serverArgs(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:8080" || c.DataDir != "./.hearth" || c.LogFormat != "json" || c.S3.Bucket != "hearth" {
		t.Fatalf("unexpected defaults: %+v", c)
	}
}

func TestParseDevNeedsNoURLs(t *testing.T) {
	c, err := Parse(ModeDev, "dev", nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Database.URL != "" || c.LogFormat != "console" {
		t.Fatalf("unexpected dev config: %+v", c)
	}
}

func TestParseEnvironmentAndFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "hearth.yaml")
	if err := os.WriteFile(file, []byte("log-level: debug\nlisten: 127.0.0.1:9000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HEARTH_LISTEN", "127.0.0.1:9100")
	c, err := Parse(ModeServer, "server", serverArgs("--config", file), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	// The environment wins over the file; the file fills what is left.
	if c.Listen != "127.0.0.1:9100" || c.LogLevel != "debug" {
		t.Fatalf("precedence wrong: listen=%s level=%s", c.Listen, c.LogLevel)
	}
}

func TestParseReportsEveryProblemOnItsOwnLine(t *testing.T) {
	_, err := Parse(ModeServer, "server", []string{
		"--listen", "nonsense", "--log-level", "loud", "--database-url", "mysql://x/y",
	}, io.Discard)
	var cerr *Error
	if !errors.As(err, &cerr) {
		t.Fatalf("want *Error, got %v", err)
	}
	want := []string{
		`--listen "nonsense": want host:port`,
		`--log-level "loud": want debug, info, warn or error`,
		"--database-url must start with postgres:// or postgresql://",
		"--redis-url is required",
		"--s3-endpoint is required",
	}
	for _, w := range want {
		found := false
		for _, p := range cerr.Problems {
			if p == w {
				found = true
			}
		}
		if !found {
			t.Errorf("missing problem %q in:\n%s", w, err)
		}
	}
	for _, p := range cerr.Problems {
		if strings.Contains(p, "\n") {
			t.Errorf("problem spans lines: %q", p)
		}
	}
}

func TestParseNeverEchoesSecretsInURLs(t *testing.T) {
	_, err := Parse(ModeServer, "server", serverArgs("--redis-url", "http://user:hunter2@cache"), io.Discard)
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error must reject the URL without echoing it: %v", err)
	}
}

func TestParseUnknownFlag(t *testing.T) {
	_, err := Parse(ModeServer, "server", []string{"--no-such-flag"}, io.Discard)
	if err == nil || err.Error() != "flag provided but not defined: -no-such-flag" {
		t.Fatalf("got %v", err)
	}
}

func TestParseRequiresTLSOffLoopback(t *testing.T) {
	_, err := Parse(ModeServer, "server", serverArgs("--listen", "0.0.0.0:8080"), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "not a loopback address") {
		t.Fatalf("got %v", err)
	}
	if _, err := Parse(ModeServer, "server", serverArgs("--listen", "0.0.0.0:8080", "--allow-plaintext"), io.Discard); err != nil {
		t.Fatalf("--allow-plaintext should allow it: %v", err)
	}
}

// TestDevTakesAFreeRaftPort: two `hearth dev` on one machine must not both
// claim 127.0.0.1:8301; production keeps a stable port.
func TestDevTakesAFreeRaftPort(t *testing.T) {
	dev, err := Parse(ModeDev, "dev", nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if dev.Raft.Listen != "127.0.0.1:0" {
		t.Errorf("dev --raft-listen default %q, want a free loopback port", dev.Raft.Listen)
	}
	given, err := Parse(ModeDev, "dev", []string{"--raft-listen", "127.0.0.1:9301"}, io.Discard)
	if err != nil || given.Raft.Listen != "127.0.0.1:9301" {
		t.Errorf("a given --raft-listen is kept: %q %v", given.Raft.Listen, err)
	}
	srv, err := Parse(ModeServer, "server", serverArgs(), io.Discard)
	if err != nil || srv.Raft.Listen != "127.0.0.1:8301" {
		t.Errorf("server --raft-listen default %q %v, want 127.0.0.1:8301", srv.Raft.Listen, err)
	}
}

func TestParseTrustedProxiesAndMetricsListen(t *testing.T) {
	t.Setenv("HEARTH_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7,2001:db8::/32,::ffff:198.51.100.1")
	c, err := Parse(ModeServer, "server", serverArgs("--metrics-listen", "127.0.0.1:9090"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range c.TrustedProxies {
		got = append(got, p.String())
	}
	want := "10.0.0.0/8 192.0.2.7/32 2001:db8::/32 198.51.100.1/32"
	if strings.Join(got, " ") != want || c.MetricsListen != "127.0.0.1:9090" {
		t.Fatalf("trusted proxies %v metrics %q; want %s", got, c.MetricsListen, want)
	}
	_, err = Parse(ModeServer, "server", serverArgs("--trusted-proxies", "10.0.0.0/8,proxy.example", "--metrics-listen", "9090"), io.Discard)
	if err == nil || !strings.Contains(err.Error(), `--trusted-proxies: "proxy.example" is neither an address nor a CIDR`) ||
		!strings.Contains(err.Error(), `--metrics-listen "9090": want host:port`) {
		t.Fatalf("got %v", err)
	}
	t.Setenv("HEARTH_TRUSTED_PROXIES", "")
	if c, err := Parse(ModeServer, "server", serverArgs(), io.Discard); err != nil || c.TrustedProxies != nil || c.MetricsListen != "" {
		t.Fatalf("defaults: %v %q %v", c.TrustedProxies, c.MetricsListen, err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add("--listen", "127.0.0.1:8080", "--database-url", "postgres://a@b/c")
	f.Add("--s3-endpoint", "http://[::1", "--redis-url", "redis://%zz")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		_, err := Parse(ModeDev, "dev", []string{k1, v1, k2, v2}, io.Discard)
		var cerr *Error
		if err != nil && !errors.Is(err, ErrHelp) && !errors.As(err, &cerr) {
			t.Fatalf("unexpected error type %T: %v", err, err)
		}
	})
}

// TestParseSecretsRootKey: a server without a root key, or with two, does
// not start, with a line that says what to give; dev may leave it out
// (it generates one).
func TestParseSecretsRootKey(t *testing.T) {
	noKey := []string{
		"--database-url", "postgres://u:p@db.example/hearth", "--redis-url", "redis://cache.example:6379/0",
		"--s3-endpoint", "https://s3.example", "--s3-access-key", "k", "--s3-secret-key", "s",
	}
	_, err := Parse(ModeServer, "server", noKey, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "no secrets root key: give --secrets-root-key-file or HEARTH_SECRETS_ROOT_KEY") {
		t.Fatalf("no key: %v", err)
	}
	t.Setenv("HEARTH_SECRETS_ROOT_KEY", "c2VjcmV0")
	c, err := Parse(ModeServer, "server", noKey, io.Discard)
	if err != nil || c.Secrets.RootKey != "c2VjcmV0" {
		t.Fatalf("key from the environment: %+v %v", c.Secrets, err)
	}
	if _, err := Parse(ModeServer, "server", serverArgs(), io.Discard); err == nil || !strings.Contains(err.Error(), "both give the secrets root key") {
		t.Fatalf("two keys: %v", err)
	}
	t.Setenv("HEARTH_SECRETS_ROOT_KEY", "")
	if c, err := Parse(ModeDev, "dev", nil, io.Discard); err != nil || c.Secrets.RootKeyFile != "" {
		t.Fatalf("dev without a key: %+v %v", c.Secrets, err)
	}
}
