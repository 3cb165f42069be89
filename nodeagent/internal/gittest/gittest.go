// Package gittest serves git repositories over smart HTTP for the node
// agent's tests (git-http-backend behind a test server), optionally
// demanding a bearer token as Hearth's git endpoint does.
package gittest

import (
	"context"
	"net"
	"net/http"
	"net/http/cgi" //nolint:gosec // G504: tests only, on Go 1.26
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Server serves bare repositories over smart HTTP with git-http-backend
// and, when token is set, demands "Authorization: Bearer <token>".
type Server struct {
	URL     string
	mu      sync.Mutex
	headers []string
}

// AuthHeaders are the Authorization headers of every request so far.
func (g *Server) AuthHeaders() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.headers...)
}

// NewRepo creates a bare repository with one commit (files) served by a
// new Server and returns the server, the clone URL and the commit id.
func NewRepo(t testing.TB, token string, files map[string]string) (*Server, string, string) {
	t.Helper()
	return NewRepoOn(t, "127.0.0.1", token, files)
}

// NewRepoOn is NewRepo with the server listening on host (a kubetest
// node's address, which pods reach).
func NewRepoOn(t testing.TB, host, token string, files map[string]string) (*Server, string, string) {
	t.Helper()
	root := t.TempDir()
	src := filepath.Join(root, "src")
	gitEnv := append(os.Environ(), "HOME="+root, "GIT_CONFIG_NOSYSTEM=1", "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	run := func(dir string, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(context.Background(), "git", args...) //nolint:gosec // G204: the test's own git commands
		cmd.Dir = dir
		cmd.Env = gitEnv
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	run(root, "init", "-q", "-b", "main", src)
	for name, content := range files {
		p := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	run(src, "add", "-A")
	run(src, "commit", "-q", "--allow-empty", "-m", "first commit")
	sha := run(src, "rev-parse", "HEAD")
	run(root, "clone", "-q", "--bare", src, filepath.Join(root, "repos", "proj.git"))

	execPath := run(root, "--exec-path")
	backend := &cgi.Handler{
		Path: filepath.Join(execPath, "git-http-backend"),
		Env:  []string{"GIT_PROJECT_ROOT=" + filepath.Join(root, "repos"), "GIT_HTTP_EXPORT_ALL=1"},
	}
	g := &Server{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		auth := req.Header.Get("Authorization")
		g.mu.Lock()
		g.headers = append(g.headers, auth)
		g.mu.Unlock()
		if token != "" && auth != "Bearer "+token {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		backend.ServeHTTP(w, req)
	}))
	l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	_ = srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	g.URL = srv.URL
	return g, srv.URL + "/proj.git", sha
}
