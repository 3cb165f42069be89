package git_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/git"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

func TestMain(m *testing.M) { testsvc.Main(m) }

// harness is the git HTTP handler alone behind a fake of the server's
// authentication middleware, with fake projects and authorizer and the
// real PostgreSQL store for rules and events.
type harness struct {
	URL     string
	Storage git.Storage
	Store   *git.PGStore
	DB      *store.DB
	Authz   *fakeAuthz
	HTTP    *git.HTTP

	mu       sync.Mutex
	projects map[string]git.HTTPProject // "owner/name"
	users    map[string]fakeUser        // username → password and id
}

type fakeUser struct {
	password, token string
	id              uuid.UUID
}

func newHarness(t testing.TB, limits git.Limits) *harness {
	t.Helper()
	root := filepath.Join(t.TempDir(), "repositories")
	h := &harness{
		Storage:  git.Storage{Root: root},
		DB:       testsvc.NewDatabase(t),
		Authz:    &fakeAuthz{grants: map[[2]uuid.UUID]access.Set{}, public: map[uuid.UUID]bool{}},
		projects: map[string]git.HTTPProject{},
		users:    map[string]fakeUser{},
	}
	h.Store = git.NewPGStore(h.DB)
	var err error
	h.HTTP, err = git.NewHTTP(git.HTTPDeps{
		Storage: h.Storage, Projects: resolverFunc(h.resolve), Authz: h.Authz, Events: h.Store, Rules: h.Store,
		Logger: zerolog.Nop(), Limits: limits,
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	// The server's other routes, to prove Register does not conflict.
	mux.HandleFunc("/api/", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "api", http.StatusTeapot) })
	mux.HandleFunc("/hearth.v1.ProjectService/", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "rpc", http.StatusTeapot) })
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("console")) })
	h.HTTP.Register(mux)
	srv := httptest.NewServer(h.authn(mux))
	t.Cleanup(srv.Close)
	h.URL = srv.URL
	return h
}

type resolverFunc func(ctx context.Context, owner, name string) (git.HTTPProject, error)

func (f resolverFunc) Resolve(ctx context.Context, owner, name string) (git.HTTPProject, error) {
	return f(ctx, owner, name)
}

func (h *harness) resolve(_ context.Context, owner, name string) (git.HTTPProject, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p, ok := h.projects[strings.ToLower(owner+"/"+name)]
	if !ok {
		return git.HTTPProject{}, apperr.NotFound("project not found")
	}
	return p, nil
}

// authn fakes the server's middleware: Basic user:password or user:token,
// Bearer token; bad credentials are recorded, never rejected here.
func (h *harness) authn(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		p := access.AnonymousPrincipal
		var bad bool
		h.mu.Lock()
		if user, pass, ok := r.BasicAuth(); ok {
			u, found := h.users[user]
			if found && (pass == u.password || pass == u.token) {
				p = access.Principal{Kind: access.User, UserID: u.id, Username: user}
			} else {
				bad = true
			}
		} else if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			bad = true
			for name, u := range h.users {
				if u.token == tok {
					p, bad = access.Principal{Kind: access.User, UserID: u.id, Username: name}, false
				}
			}
		}
		h.mu.Unlock()
		if bad {
			ctx = access.WithAuthError(ctx, apperr.Unauthenticated("bad credentials"))
		}
		next.ServeHTTP(w, r.WithContext(access.WithPrincipal(ctx, p)))
	})
}

// addUser registers a user with a password and a token.
func (h *harness) addUser(name string) fakeUser {
	h.mu.Lock()
	defer h.mu.Unlock()
	u := fakeUser{password: name + "-password", token: "tok-" + name + "-" + uuid.NewString(), id: uuid.New()}
	h.users[name] = u
	return u
}

// addProject creates the project row (for the store's foreign keys) and its
// repository.
func (h *harness) addProject(t testing.TB, owner, name string, public bool) git.HTTPProject {
	t.Helper()
	ctx := context.Background()
	var id uuid.UUID
	if err := h.DB.Pool.QueryRow(ctx, `INSERT INTO projects (owner_id, owner_name, name, visibility) VALUES ($1, $2, $3, $4) RETURNING id`,
		uuid.New(), owner, name, map[bool]string{true: "public", false: "private"}[public]).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if err := h.Storage.Create(ctx, id, "main"); err != nil {
		t.Fatal(err)
	}
	p := git.HTTPProject{ID: id, DefaultBranch: "main"}
	h.mu.Lock()
	h.projects[strings.ToLower(owner+"/"+name)] = p
	h.mu.Unlock()
	h.Authz.setPublic(id, public)
	return p
}

// fakeAuthz mirrors rbac.Authorize's answers.
type fakeAuthz struct {
	mu     sync.Mutex
	grants map[[2]uuid.UUID]access.Set
	public map[uuid.UUID]bool
}

func (a *fakeAuthz) grant(user, project uuid.UUID, perms ...access.Permission) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.grants[[2]uuid.UUID{user, project}] = access.SetOf(perms...)
}

func (a *fakeAuthz) setPublic(project uuid.UUID, public bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.public[project] = public
}

func (a *fakeAuthz) Authorize(_ context.Context, p access.Principal, perm access.Permission, project uuid.UUID) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.public[project] && (perm == access.RepoRead || perm == access.ProjectRead) {
		return nil
	}
	if p.IsAnonymous() {
		return apperr.Unauthenticated("sign in first")
	}
	set := a.grants[[2]uuid.UUID{p.UserID, project}]
	switch {
	case set.Has(perm):
		return nil
	case !set.Has(access.RepoRead) && !a.public[project]:
		return apperr.NotFound("project not found")
	}
	return apperr.PermissionDenied("permission %s is required", perm)
}

// gitEnv is a clean environment for the git client: its own HOME, no
// system config, never a prompt.
func gitEnv(t testing.TB) []string {
	t.Helper()
	home := t.TempDir()
	return []string{
		"HOME=" + home, "PATH=" + os.Getenv("PATH"), "LC_ALL=C",
		"GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1", "GIT_ASKPASS=", "SSH_ASKPASS=",
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.test",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.test",
	}
}

// gitRun runs the git client in dir and returns its combined output.
func gitRun(t testing.TB, env []string, dir string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func mustGit(t testing.TB, env []string, dir string, args ...string) string {
	t.Helper()
	out, err := gitRun(t, env, dir, args...)
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// withUser puts user:secret into a URL.
func withUser(rawURL, user, secret string) string {
	if user == "" {
		return rawURL
	}
	scheme, rest, _ := strings.Cut(rawURL, "://")
	return scheme + "://" + user + ":" + secret + "@" + rest
}

func basic(user, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+secret))
}

// newWorkTree makes a local repository with n commits on main.
func newWorkTree(t testing.TB, env []string, n int) string {
	t.Helper()
	dir := t.TempDir()
	mustGit(t, env, dir, "init", "-q", "-b", "main")
	for i := 0; i < n; i++ {
		if err := os.WriteFile(filepath.Join(dir, "file.txt"), []byte(strings.Repeat("line\n", i+1)), 0o600); err != nil {
			t.Fatal(err)
		}
		mustGit(t, env, dir, "add", "file.txt")
		mustGit(t, env, dir, "commit", "-q", "-m", "commit")
	}
	return dir
}

func rev(t testing.TB, env []string, dir, what string) string {
	t.Helper()
	return strings.TrimSpace(mustGit(t, env, dir, "rev-parse", what))
}
