package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
)

// The authorization table of the plain HTTP entry points, against the
// real server: git smart HTTP (discovery and both services, raw and with a
// real git client), archive and raw file downloads, job log and artifact
// downloads. There is no WebSocket entry yet: /ws/ must answer 404 to
// everyone until one is added here.

// httpCase is one request of the HTTP table.
type httpCase struct {
	name string
	// perm is what the route needs on the project; git read refusals are
	// 404 (git's convention), downloads 403.
	perm access.Permission
	// also: what the request needs beyond perm (a protected branch).
	also access.Permission
	git  bool
	// command: a real git client, which presents credentials only when
	// challenged (a bad token never reaches a public repository's reads).
	command bool
	// install: the route is installation-wide (no project).
	install bool
	project *worldProject
	ghost   bool
	caller  *principal
	want    outcome
	// do makes the request: the HTTP status (0 for a git command, which
	// reports ok instead) and what to show on failure.
	do func(t testing.TB, w *world, c *httpCase) (status int, ok bool, challenge bool, detail string)
}

func (c *httpCase) String() string {
	where := c.project.name
	switch {
	case c.install:
		where = "the installation"
	case c.ghost:
		where = ghostName
	}
	return fmt.Sprintf("%s on %s as %s", c.name, where, c.caller.name)
}

// httpPrincipals are the table's principals plus passwords over Basic,
// which only git accepts.
func (w *world) httpPrincipals() []*principal {
	out := append([]*principal{}, w.principals...)
	out = append(out, &principal{name: "developer-password", user: "developer", password: worldPass, basicPassword: true})
	for _, pr := range w.principals {
		if pr.mustChange {
			out = append(out, &principal{name: pr.name + "-basic", user: pr.user, password: pr.password, basicPassword: true, mustChange: true})
		}
	}
	return out
}

// expectHTTP is what c must answer.
func (w *world) expectHTTP(c *httpCase) outcome {
	pr := c.caller
	switch {
	case (pr.bad || pr.mustChange) && c.command:
		// A git command sends credentials only when challenged: what it
		// may do anonymously works; the rest fails either way.
		pr = &principal{name: "anonymous"}
	case pr.bad:
		return unauthenticated
	case pr.basicPassword && !c.git:
		// The API (downloads included) refuses passwords over Basic.
		return unauthenticated
	case pr.session != nil && c.git:
		// git takes no cookie (browsers send it cross-site, git requests
		// carry no CSRF token): a session is anonymous there.
		pr = &principal{name: "anonymous"}
	case pr.mustChange && !c.install:
		// The API refuses anything but changing the password
		// (docs/identity.md), and git everything; /metrics, outside
		// both, decides as for anyone else.
		return mustChangeFirst
	}
	tg := target{kind: onProject, project: c.project, ghost: c.ghost}
	if c.install {
		return w.decide(pr, c.perm, target{kind: onInstall})
	}
	if c.ghost {
		return w.decide(pr, c.perm, tg)
	}
	held := w.heldOn(pr, c.project)
	if c.git && c.perm == access.RepoWrite && !held.Has(access.RepoRead) || c.git && c.perm == access.RepoRead && !held.Has(access.RepoRead) {
		if pr.user == "" {
			return unauthenticated
		}
		return notFound
	}
	o := w.decide(pr, c.perm, tg)
	if o == allowed && c.also != 0 && !held.Has(c.also) {
		return denied
	}
	return o
}

// httpCases lists every request of the HTTP table, refusals first.
func (w *world) httpCases() []*httpCase {
	var out []*httpCase
	type route struct {
		name string
		perm access.Permission
		also access.Permission
		git  bool
		// command: a real git client.
		command bool
		install bool
		do      func(t testing.TB, w *world, c *httpCase) (int, bool, bool, string)
	}
	routes := []route{
		{name: "GET info/refs?service=git-upload-pack", perm: access.RepoRead, git: true, do: gitRaw(http.MethodGet, "info/refs?service=git-upload-pack", "")},
		{name: "POST git-upload-pack", perm: access.RepoRead, git: true, do: gitRaw(http.MethodPost, "git-upload-pack", "application/x-git-upload-pack-request")},
		{name: "GET info/refs?service=git-receive-pack", perm: access.RepoWrite, git: true, do: gitRaw(http.MethodGet, "info/refs?service=git-receive-pack", "")},
		{name: "POST git-receive-pack", perm: access.RepoWrite, git: true, do: gitRaw(http.MethodPost, "git-receive-pack", "application/x-git-receive-pack-request")},
		{name: "git clone", perm: access.RepoRead, git: true, command: true, do: gitClone},
		{name: "git push of a new branch", perm: access.RepoWrite, git: true, command: true, do: gitPush(false)},
		// main is protected: pushing to it needs project:admin.
		{name: "git push to main", perm: access.RepoWrite, also: access.ProjectAdmin, git: true, command: true, do: gitPush(true)},
		{name: "GET repository/archive", perm: access.RepoRead, do: download(func(p *worldProject) string {
			return "/api/v1/projects/" + p.owner + "/" + p.name + "/repository/archive?ref=main"
		})},
		{name: "GET repository/raw", perm: access.RepoRead, do: download(func(p *worldProject) string {
			return "/api/v1/projects/" + p.owner + "/" + p.name + "/repository/raw?ref=main&path=" + worldFile
		})},
		{name: "GET jobs/{id}/log", perm: access.PipelineRead, do: download(func(p *worldProject) string { return "/api/v1/jobs/" + p.job + "/log" })},
		{name: "GET artifacts/{id}/download", perm: access.PipelineRead, do: download(func(p *worldProject) string {
			return "/api/v1/artifacts/" + p.artifact + "/download"
		})},
		// The main port's metrics are an administrator's (a scrape port
		// without authentication is --metrics-listen's).
		{name: "GET /metrics", perm: access.AdminAudit, install: true, do: download(func(*worldProject) string { return "/metrics" })},
	}
	for _, r := range routes {
		if r.install {
			for _, pr := range w.httpPrincipals() {
				out = append(out, &httpCase{name: r.name, perm: r.perm, install: true, project: w.pub, caller: pr, do: r.do})
			}
			continue
		}
		for _, p := range []*worldProject{w.priv, w.pub} {
			for _, pr := range w.httpPrincipals() {
				out = append(out, &httpCase{name: r.name, perm: r.perm, also: r.also, git: r.git, command: r.command, project: p, caller: pr, do: r.do})
			}
		}
		for _, pr := range w.httpPrincipals() {
			if pr.name == "anonymous" || pr.name == "outsider" || pr.name == "admin" {
				out = append(out, &httpCase{name: r.name, perm: r.perm, git: r.git, command: r.command, project: ghostProject(), ghost: true, caller: pr, do: r.do})
			}
		}
	}
	for _, c := range out {
		c.want = w.expectHTTP(c)
	}
	// Refusals first; real git commands (slow) after raw requests.
	rank := func(c *httpCase) int {
		r := 0
		if c.want == allowed {
			r = 2
		}
		if c.command {
			r++
		}
		return r
	}
	for i := range out { // stable: refusals first
		for j := i; j > 0 && rank(out[j]) < rank(out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// ghostProject is a project that does not exist, with ids nobody issued.
func ghostProject() *worldProject {
	return &worldProject{owner: "owner", name: ghostName, id: uuid.New(), job: uuid.NewString(), artifact: uuid.NewString()}
}

// TestHTTPAuthorizationTable makes every plain HTTP request as every
// principal of the seeded world.
func TestHTTPAuthorizationTable(t *testing.T) {
	w := seedWorld(t)
	failures, n := w.runHTTPCases(t, w.httpCases(), false)
	for _, f := range failures {
		t.Error(f)
	}
	w.checkNoWebSocketEntry(t)
	t.Logf("%d HTTP route × principal cases", n)
}

// runHTTPCases makes every request and returns the wrong answers.
func (w *world) runHTTPCases(t testing.TB, cases []*httpCase, firstOnly bool) ([]failure, int) {
	t.Helper()
	var out []failure
	for _, c := range cases {
		status, ok, challenge, detail := c.do(t, w, c)
		msg := judgeHTTP(c, status, ok, challenge)
		if msg != "" {
			out = append(out, failure{msg: c.String() + ": " + msg + "\n" + detail, changed: ok && c.want != allowed && c.perm == access.RepoWrite})
			if firstOnly {
				break
			}
		}
	}
	return out, len(cases)
}

// judgeHTTP compares an answer with what c must get.
func judgeHTTP(c *httpCase, status int, ok, challenge bool) string {
	if status == 0 { // a git command: it either worked or it did not
		if ok != (c.want == allowed) {
			return fmt.Sprintf("want %s, git %s", c.want, map[bool]string{true: "succeeded", false: "failed"}[ok])
		}
		return ""
	}
	want := map[outcome]int{
		allowed: http.StatusOK, unauthenticated: http.StatusUnauthorized, notFound: http.StatusNotFound,
		denied: http.StatusForbidden, mustChangeFirst: http.StatusBadRequest,
	}[c.want]
	if c.git && c.want == mustChangeFirst {
		want = http.StatusForbidden // git's own answer: it has no failed_precondition
	}
	switch {
	case status != want:
		return fmt.Sprintf("want %s, got HTTP %d", c.want, status)
	case c.want == unauthenticated && !challenge:
		return "401 without WWW-Authenticate"
	}
	return ""
}

// credentials puts the principal's credentials on a request: tokens and
// passwords as Basic for git (what git sends), tokens as Bearer for the
// API; cookies come with the principal's client.
func credentials(r *http.Request, pr *principal, git bool) {
	switch {
	case pr.basicPassword:
		r.SetBasicAuth(pr.user, pr.password)
	case pr.bad && git:
		r.SetBasicAuth("owner", pr.token)
	case pr.token != "" && git:
		r.SetBasicAuth(pr.user, pr.token)
	default:
		pr.authorize(r)
	}
}

func gitRaw(method, suffix, contentType string) func(testing.TB, *world, *httpCase) (int, bool, bool, string) {
	return func(t testing.TB, w *world, c *httpCase) (int, bool, bool, string) {
		var body io.Reader
		if method == http.MethodPost {
			body = strings.NewReader("0000")
		}
		return w.get(t, c, method, "/"+c.project.owner+"/"+c.project.name+".git/"+suffix, contentType, body)
	}
}

func download(path func(*worldProject) string) func(testing.TB, *world, *httpCase) (int, bool, bool, string) {
	return func(t testing.TB, w *world, c *httpCase) (int, bool, bool, string) {
		return w.get(t, c, http.MethodGet, path(c.project), "", nil)
	}
}

// get makes one request as c's principal.
func (w *world) get(t testing.TB, c *httpCase, method, path, contentType string, body io.Reader) (int, bool, bool, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := http.NewRequestWithContext(ctx, method, w.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	credentials(r, c.caller, c.git)
	res, err := c.caller.httpClient().Do(r)
	if err != nil {
		t.Fatalf("%s: %v", c, err)
	}
	defer res.Body.Close()
	detail := method + " " + path
	if res.StatusCode != http.StatusOK { // a refusal explains itself; a success may be binary
		b, _ := io.ReadAll(io.LimitReader(res.Body, 512))
		detail += ": " + string(b)
	}
	return res.StatusCode, res.StatusCode == http.StatusOK, res.Header.Get("WWW-Authenticate") != "", detail
}

// gitArgs are the git options and remote URL carrying pr's credentials:
// Basic in the URL, or the session cookie as an extra header.
func (w *world) gitArgs(t testing.TB, pr *principal, p *worldProject) ([]string, string) {
	t.Helper()
	u, _ := url.Parse(w.srv.URL + "/" + p.owner + "/" + p.name + ".git")
	switch {
	case pr.basicPassword:
		u.User = url.UserPassword(pr.user, pr.password)
	case pr.bad:
		u.User = url.UserPassword("owner", pr.token)
	case pr.token != "":
		u.User = url.UserPassword(pr.user, pr.token)
	case pr.session != nil:
		base, _ := url.Parse(w.srv.URL)
		var cookies []string
		for _, ck := range pr.session.HTTP.Jar.Cookies(base) {
			cookies = append(cookies, ck.Name+"="+ck.Value)
		}
		return []string{"-c", "http.extraHeader=Cookie: " + strings.Join(cookies, "; ")}, u.String()
	}
	return nil, u.String()
}

func gitClone(t testing.TB, w *world, c *httpCase) (int, bool, bool, string) {
	t.Helper()
	opts, remote := w.gitArgs(t, c.caller, c.project)
	dir := filepath.Join(t.TempDir(), "clone")
	out, err := git(context.Background(), t.TempDir(), gitEnv(t), append(opts, "clone", "-q", "--bare", remote, dir)...)
	return 0, err == nil, false, "git clone: " + out
}

// gitPush commits on top of the project's main in the world's working
// copy and pushes it as c's principal, to main or to a new branch.
func gitPush(toMain bool) func(testing.TB, *world, *httpCase) (int, bool, bool, string) {
	return func(t testing.TB, w *world, c *httpCase) (int, bool, bool, string) {
		t.Helper()
		from := c.project
		if c.ghost {
			from = w.pub // any commits will do for a project that does not exist
		}
		dir := w.workingCopy(t, from)
		env, ctx := gitEnv(t), context.Background()
		if err := os.WriteFile(filepath.Join(dir, "pushed.txt"), []byte(w.name("push")), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"add", "."}, {"commit", "-q", "-m", "pushed"}} {
			if out, err := git(ctx, dir, env, args...); err != nil {
				t.Fatalf("git %v: %v\n%s", args, err, out)
			}
		}
		ref := "HEAD:refs/heads/" + w.name("pushed")
		if toMain {
			ref = "HEAD:refs/heads/main"
		}
		opts, remote := w.gitArgs(t, c.caller, c.project)
		out, err := git(ctx, dir, env, append(opts, "push", "-q", remote, ref)...)
		return 0, err == nil, false, "git push " + ref + ": " + out
	}
}

// workingCopy is a clone of p (as the owner) at the server's main.
func (w *world) workingCopy(t testing.TB, p *worldProject) string {
	t.Helper()
	if w.copies == nil {
		w.copies = map[uuid.UUID]string{}
	}
	env, ctx := gitEnv(t), context.Background()
	dir, ok := w.copies[p.id]
	if !ok {
		dir = filepath.Join(t.TempDir(), "work")
		if out, err := git(ctx, t.TempDir(), env, "clone", "-q", w.remoteURL(p, "owner", w.tokens["owner"]), dir); err != nil {
			t.Fatalf("clone %s: %v\n%s", p.path(), err, out)
		}
		w.copies[p.id] = dir
	}
	for _, args := range [][]string{{"fetch", "-q", "origin", "main"}, {"reset", "-q", "--hard", "FETCH_HEAD"}} {
		if out, err := git(ctx, dir, env, args...); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return dir
}

// checkNoWebSocketEntry: no WebSocket bridge is served yet. When one is,
// this fails until the bridge has rows in this table.
func (w *world) checkNoWebSocketEntry(t testing.TB) {
	t.Helper()
	for _, pr := range w.principals {
		r, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, w.srv.URL+"/ws/terminal", nil)
		r.Header.Set("Connection", "Upgrade")
		r.Header.Set("Upgrade", "websocket")
		r.Header.Set("Sec-WebSocket-Version", "13")
		r.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
		credentials(r, pr, false)
		res, err := pr.httpClient().Do(r)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("/ws/terminal as %s: HTTP %d; a WebSocket entry exists: add it to the HTTP authorization table", pr.name, res.StatusCode)
		}
	}
}
