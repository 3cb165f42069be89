package podjob

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearth-dev/hearth/nodeagent/internal/gittest"
)

func initArgs(ws, run, url, sha string, extra ...string) []string {
	return append([]string{"--workspace", ws, "--run-dir", run, "--clone-url", url, "--commit", sha, "--ref", "refs/heads/main"}, extra...)
}

// TestInitChecksOutWithTheTokenFromStdin: job-init reads the payload from
// stdin, writes the job's files (0400) into the run directory, and checks
// the commit out with the token as a bearer credential; the token is in
// neither its output nor the checkout's configuration.
func TestInitChecksOutWithTheTokenFromStdin(t *testing.T) {
	const token = "hct_pod-token-123"
	srv, url, sha := gittest.NewRepo(t, token, map[string]string{"README.md": "hello\n", "src/main.go": "package main\n"})
	ws, run := t.TempDir(), t.TempDir()
	var out bytes.Buffer
	stdin := strings.NewReader(`{"token":"` + token + `","files":{"db_password":"czNjcmV0"}}` + "\n") // "s3cret"
	if err := Init(context.Background(), initArgs(ws, run, url, sha), stdin, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if data, err := os.ReadFile(filepath.Join(ws, "src", "main.go")); err != nil || string(data) != "package main\n" {
		t.Fatalf("checkout: %q %v", data, err)
	}
	head, err := exec.CommandContext(context.Background(), "git", "-C", ws, "rev-parse", "HEAD").Output()
	if err != nil || strings.TrimSpace(string(head)) != sha {
		t.Fatalf("HEAD %q (%v), want %s", head, err, sha)
	}
	st, err := os.Stat(filepath.Join(run, "files", "db_password"))
	if err != nil || st.Mode().Perm() != 0o400 {
		t.Fatalf("secret file: %v %v", st, err)
	}
	if data, _ := os.ReadFile(filepath.Join(run, "files", "db_password")); string(data) != "s3cret" {
		t.Errorf("secret file holds %q", data)
	}
	config, _ := os.ReadFile(filepath.Join(ws, ".git", "config"))
	if strings.Contains(out.String(), token) || strings.Contains(string(config), token) {
		t.Errorf("the token leaked: output %q, config %q", out.String(), config)
	}
	var sawToken bool
	for _, h := range srv.AuthHeaders() {
		sawToken = sawToken || h == "Bearer "+token
	}
	if !sawToken {
		t.Errorf("the git server never saw the bearer token: %q", srv.AuthHeaders())
	}
}

// TestInitWritesSecretVariables: job-init writes each secret variable's
// exact value (newlines, quotes, an empty one) into <run-dir>/env/<NAME>
// (0400, in a 0700 directory) and shows no value in its output; without a
// variable it makes no env directory.
func TestInitWritesSecretVariables(t *testing.T) {
	env := map[string]string{"MY_SECRET": "it's \"q\" $HOME `x` \\\n\n", "EMPTY": "", "_x": "v4lue"}
	line, err := json.Marshal(Payload{Env: env, Files: map[string][]byte{"f": []byte("file")}})
	if err != nil {
		t.Fatal(err)
	}
	run := t.TempDir()
	var out bytes.Buffer
	if err := Init(context.Background(), []string{"--workspace", t.TempDir(), "--run-dir", run}, bytes.NewReader(append(line, '\n')), &out); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(run, EnvDir)); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("env directory: %v %v", st, err)
	}
	entries, _ := os.ReadDir(filepath.Join(run, EnvDir))
	if len(entries) != len(env) {
		t.Errorf("env directory holds %d files, want %d", len(entries), len(env))
	}
	for name, value := range env {
		path := filepath.Join(run, EnvDir, name)
		st, err := os.Stat(path)
		if err != nil || st.Mode().Perm() != 0o400 {
			t.Errorf("%s: %v %v", name, st, err)
		}
		if data, _ := os.ReadFile(path); string(data) != value {
			t.Errorf("%s holds %q, want %q", name, data, value)
		}
	}
	if strings.Contains(out.String(), "v4lue") || strings.Contains(out.String(), "HOME") {
		t.Errorf("job-init's output shows a value: %q", out.String())
	}

	run = t.TempDir()
	if err := Init(context.Background(), []string{"--workspace", t.TempDir(), "--run-dir", run}, strings.NewReader("{}\n"), io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(run, EnvDir)); !os.IsNotExist(err) {
		t.Errorf("an env directory without secret variables: %v", err)
	}
}

// TestInitRefusesBadInput: a wrong token, a hostile file name, a payload
// that is not JSON, a commit that is not an id, and no payload at all
// within the timeout each fail with a clear error.
func TestInitRefusesBadInput(t *testing.T) {
	_, url, sha := gittest.NewRepo(t, "right", map[string]string{"a": "b"})
	cases := []struct {
		name, payload string
		args          []string
		want          string
	}{
		{"wrong token", `{"token":"wrong"}`, initArgs(t.TempDir(), t.TempDir(), url, sha), "fetching"},
		{"file name with a slash", `{"files":{"../etc/passwd":"eA=="}}`, initArgs(t.TempDir(), t.TempDir(), url, sha), "not allowed"},
		{"variable name with a slash", `{"env":{"../../etc/profile":"x"}}`, initArgs(t.TempDir(), t.TempDir(), url, sha), `secret variable name "../../etc/profile" is not allowed`},
		{"variable name with a dot", `{"env":{"A.B":"x"}}`, initArgs(t.TempDir(), t.TempDir(), url, sha), "not allowed"},
		{"not JSON", `token=abc`, initArgs(t.TempDir(), t.TempDir(), url, sha), "not valid JSON"},
		{"bad commit", `{"token":"right"}`, initArgs(t.TempDir(), t.TempDir(), url, "HEAD;rm"), "not a commit id"},
		{"bad URL", `{"token":"right"}`, initArgs(t.TempDir(), t.TempDir(), "file:///etc", sha), "not an http(s) URL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Init(context.Background(), c.args, strings.NewReader(c.payload+"\n"), io.Discard)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want %q", err, c.want)
			}
			if strings.Contains(err.Error(), "right") && c.name != "wrong token" {
				t.Errorf("the error shows the token: %v", err)
			}
		})
	}
	r, w := io.Pipe()
	defer func() { _ = w.Close() }()
	err := Init(context.Background(), initArgs(t.TempDir(), t.TempDir(), url, sha, "--payload-timeout", "200ms"), r, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "no payload") {
		t.Fatalf("no payload: %v", err)
	}
}

// TestArtifactsWritesTheArchiveToStdout: job-artifacts archives the
// matches as tar.gz on stdout and reports unmatched patterns on stderr.
func TestArtifactsWritesTheArchiveToStdout(t *testing.T) {
	ws := t.TempDir()
	if err := os.MkdirAll(filepath.Join(ws, "dist"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ws, "dist", "app"), []byte("binary"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if err := Artifacts(context.Background(), []string{"--workspace", ws, "--", "dist/*", "nothing/**"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(&stdout)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
	}
	if strings.Join(names, ",") != "dist/app" || !strings.Contains(stderr.String(), `no file matches "nothing/**"`) {
		t.Fatalf("archive %v, stderr %q", names, stderr.String())
	}
}

// TestSidecarStopsOnItsContext: job-sidecar idles until told to stop.
func TestSidecarStopsOnItsContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Sidecar(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the sidecar did not stop")
	}
}
