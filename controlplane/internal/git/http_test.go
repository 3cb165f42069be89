package git_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/git"
)

func TestCloneFetchPush(t *testing.T) {
	h := newHarness(t, git.Limits{})
	proj := h.addProject(t, "alice", "demo", false)
	alice := h.addUser("alice")
	h.Authz.grant(alice.id, proj.ID, access.RepoRead, access.RepoWrite)
	env := gitEnv(t)
	remote := withUser(h.URL+"/alice/demo.git", "alice", alice.token)

	work := newWorkTree(t, env, 3)
	mustGit(t, env, work, "push", remote, "main")
	first := rev(t, env, work, "HEAD")

	for _, tc := range []struct {
		name string
		args []string
	}{
		{"full v2", []string{"-c", "protocol.version=2", "clone", "-q", remote}},
		{"full v0", []string{"-c", "protocol.version=0", "clone", "-q", remote}},
		{"depth 1", []string{"clone", "-q", "--depth", "1", remote}},
		{"blob:none", []string{"clone", "-q", "--filter=blob:none", remote}},
		{"without .git", []string{"clone", "-q", withUser(h.URL+"/alice/demo", "alice", alice.token)}},
		{"gzip v0", []string{"-c", "protocol.version=0", "-c", "http.postBuffer=1", "clone", "-q", remote}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			mustGit(t, env, dir, append(tc.args, "c")...)
			if got := rev(t, env, filepath.Join(dir, "c"), "HEAD"); got != first {
				t.Fatalf("cloned HEAD %s, want %s", got, first)
			}
		})
	}

	// Fast-forward, new branch, tag, fetch, delete.
	clone := t.TempDir()
	mustGit(t, env, clone, "clone", "-q", remote, ".")
	if err := os.WriteFile(filepath.Join(work, "new.txt"), []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustGit(t, env, work, "add", "new.txt")
	mustGit(t, env, work, "commit", "-q", "-m", "second")
	second := rev(t, env, work, "HEAD")
	mustGit(t, env, work, "push", remote, "main", "main:refs/heads/feature")
	mustGit(t, env, work, "tag", "v1")
	mustGit(t, env, work, "push", remote, "v1")
	for _, v := range []string{"0", "2"} {
		mustGit(t, env, clone, "-c", "protocol.version="+v, "fetch", "-q", "origin")
		if got := rev(t, env, clone, "origin/feature"); got != second {
			t.Fatalf("fetched feature %s, want %s", got, second)
		}
	}
	mustGit(t, env, work, "push", remote, ":feature")

	// Force push to the default branch: refused with the reason.
	mustGit(t, env, work, "reset", "-q", "--hard", first)
	out, err := gitRun(t, env, work, "push", "--force", remote, "main")
	if err == nil || !strings.Contains(out, "hearth: branch main is protected: force push is not allowed") {
		t.Fatalf("force push to main: err %v\n%s", err, out)
	}
	out, err = gitRun(t, env, work, "push", remote, ":main")
	if err == nil || !strings.Contains(out, "cannot be deleted") {
		t.Fatalf("deleting main: err %v\n%s", err, out)
	}
	// Force push elsewhere is fine.
	mustGit(t, env, work, "push", remote, second+":refs/heads/topic")
	mustGit(t, env, work, "push", "--force", remote, first+":refs/heads/topic")

	events, err := h.Store.PushEvents(context.Background(), proj.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range events {
		if e.PusherID != alice.id {
			t.Errorf("event pusher %s, want %s", e.PusherID, alice.id)
		}
		var refs []string
		for _, r := range e.Refs {
			refs = append(refs, fmt.Sprintf("%s:%.7s..%.7s", r.Ref, r.Old, r.New))
		}
		got = append(got, strings.Join(refs, ","))
	}
	zero := "0000000"
	want := []string{
		"refs/heads/main:" + zero + ".." + first[:7],
		"refs/heads/main:" + first[:7] + ".." + second[:7] + ",refs/heads/feature:" + zero + ".." + second[:7],
		"refs/tags/v1:" + zero + ".." + second[:7],
		"refs/heads/feature:" + second[:7] + ".." + zero,
		"refs/heads/topic:" + zero + ".." + second[:7],
		"refs/heads/topic:" + second[:7] + ".." + first[:7],
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("push events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestProtectedRules(t *testing.T) {
	h := newHarness(t, git.Limits{})
	proj := h.addProject(t, "alice", "rules", false)
	alice, bob := h.addUser("alice"), h.addUser("bob")
	h.Authz.grant(alice.id, proj.ID, access.RepoRead, access.RepoWrite, access.ProjectAdmin)
	h.Authz.grant(bob.id, proj.ID, access.RepoRead, access.RepoWrite)
	ctx := context.Background()
	for _, r := range []git.ProtectedRef{
		{Kind: git.BranchRef, Pattern: "release/*", PushPermission: access.ProjectAdmin},
		{Kind: git.TagRef, Pattern: "v*"},
	} {
		if err := h.Store.SetProtectedRef(ctx, proj.ID, r); err != nil {
			t.Fatal(err)
		}
	}
	env := gitEnv(t)
	asAlice := withUser(h.URL+"/alice/rules.git", "alice", alice.password)
	asBob := withUser(h.URL+"/alice/rules.git", "bob", bob.token)
	work := newWorkTree(t, env, 2)
	mustGit(t, env, work, "push", asBob, "main")
	out, err := gitRun(t, env, work, "push", asBob, "main:refs/heads/release/1.0")
	if err == nil || !strings.Contains(out, "hearth: branch release/1.0 is protected: pushing to it needs project:admin") {
		t.Fatalf("bob to release/1.0: %v\n%s", err, out)
	}
	mustGit(t, env, work, "push", asAlice, "main:refs/heads/release/1.0")
	mustGit(t, env, work, "tag", "v1")
	mustGit(t, env, work, "push", asBob, "v1")
	mustGit(t, env, work, "tag", "-f", "v1", "HEAD~1")
	out, err = gitRun(t, env, work, "push", "--force", asAlice, "v1")
	if err == nil || !strings.Contains(out, "tag v1 is protected") {
		t.Fatalf("moving v1: %v\n%s", err, out)
	}
	// Names git or Hearth refuse.
	for _, ref := range []string{"refs/heads/-rf", "refs/notes/x", "refs/heads/a..b", "refs/heads/x.lock", "HEAD"} {
		out, err := gitRun(t, env, work, "push", asAlice, "main:"+ref)
		if err == nil {
			t.Errorf("push to %s accepted:\n%s", ref, out)
		}
	}
	out = mustGit(t, env, work, "ls-remote", asAlice)
	if strings.Contains(out, "-rf") || strings.Contains(out, "notes") {
		t.Fatalf("refused refs exist:\n%s", out)
	}
}

// status makes one raw request and returns status, a header and the body.
func status(t *testing.T, method, url, auth string, body io.Reader, hdr map[string]string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	return res.StatusCode, res.Header, string(b)
}

func TestAuthMatrix(t *testing.T) {
	h := newHarness(t, git.Limits{})
	priv := h.addProject(t, "alice", "secret", false)
	pub := h.addProject(t, "alice", "open", true)
	alice, reader, other := h.addUser("alice"), h.addUser("reader"), h.addUser("other")
	for _, p := range []git.HTTPProject{priv, pub} {
		h.Authz.grant(alice.id, p.ID, access.RepoRead, access.RepoWrite)
		h.Authz.grant(reader.id, p.ID, access.RepoRead)
	}
	type who struct {
		name  string
		auths []string // every way the credential can arrive
	}
	creds := func(name string, u fakeUser) who {
		return who{name, []string{basic(name, u.password), basic(name, u.token), "Bearer " + u.token}}
	}
	people := []who{
		{"anonymous", []string{""}},
		{"bad", []string{basic("alice", "wrong"), "Bearer nope"}},
		creds("other", other), creds("reader", reader), creds("alice", alice),
	}
	// Expected status for: info/refs upload, info/refs receive, POST upload, POST receive.
	want := map[string]map[string][4]int{
		"secret": {
			"anonymous": {401, 401, 401, 401}, "bad": {401, 401, 401, 401},
			"other": {404, 404, 404, 404}, "reader": {200, 403, 200, 403}, "alice": {200, 200, 200, 200},
		},
		"open": {
			"anonymous": {200, 401, 200, 401}, "bad": {401, 401, 401, 401},
			"other": {200, 403, 200, 403}, "reader": {200, 403, 200, 403}, "alice": {200, 200, 200, 200},
		},
		"missing": {
			"anonymous": {401, 401, 401, 401}, "bad": {401, 401, 401, 401},
			"other": {404, 404, 404, 404}, "reader": {404, 404, 404, 404}, "alice": {404, 404, 404, 404},
		},
	}
	flush := "0000"
	for repo, byWho := range want {
		for _, p := range people {
			for _, auth := range p.auths {
				base := h.URL + "/alice/" + repo + ".git"
				got := [4]int{}
				got[0], _, _ = status(t, "GET", base+"/info/refs?service=git-upload-pack", auth, nil, nil)
				got[1], _, _ = status(t, "GET", base+"/info/refs?service=git-receive-pack", auth, nil, nil)
				got[2], _, _ = status(t, "POST", base+"/git-upload-pack", auth, strings.NewReader(flush),
					map[string]string{"Content-Type": "application/x-git-upload-pack-request"})
				got[3], _, _ = status(t, "POST", base+"/git-receive-pack", auth, strings.NewReader(flush),
					map[string]string{"Content-Type": "application/x-git-receive-pack-request"})
				if got != byWho[p.name] {
					t.Errorf("%s as %s (%.12s): %v, want %v", repo, p.name, auth, got, byWho[p.name])
				}
			}
		}
	}
	code, hdr, _ := status(t, "GET", h.URL+"/alice/secret.git/info/refs?service=git-upload-pack", "", nil, nil)
	if code != 401 || !strings.Contains(hdr.Get("WWW-Authenticate"), `Basic realm="hearth"`) {
		t.Errorf("anonymous: %d %q", code, hdr.Get("WWW-Authenticate"))
	}
	_, _, body := status(t, "GET", h.URL+"/alice/open.git/info/refs?service=git-receive-pack", basic("reader", reader.password), nil, nil)
	if !strings.Contains(body, "not push") {
		t.Errorf("403 body %q", body)
	}
	// The git client shows the 403 message and never prompts.
	env := gitEnv(t)
	work := newWorkTree(t, env, 1)
	out, err := gitRun(t, env, work, "push", withUser(h.URL+"/alice/open.git", "reader", reader.token), "main")
	if err == nil || !strings.Contains(out, "You may read alice/open but not push to it") {
		t.Errorf("reader push: %v\n%s", err, out)
	}
	// Bearer through http.extraHeader.
	mustGit(t, env, work, "-c", "http.extraHeader=Authorization: Bearer "+alice.token, "push", h.URL+"/alice/secret.git", "main")
	out, err = gitRun(t, env, t.TempDir(), "clone", h.URL+"/alice/secret.git", "x")
	if err == nil || !strings.Contains(out, "could not read Username") {
		t.Errorf("anonymous clone of a private repository: %v\n%s", err, out)
	}
}

func TestHostileInput(t *testing.T) {
	h := newHarness(t, git.Limits{MaxPushBytes: 1 << 20, MaxRequestBytes: 1 << 20})
	proj := h.addProject(t, "alice", "demo", false)
	alice := h.addUser("alice")
	h.Authz.grant(alice.id, proj.ID, access.RepoRead, access.RepoWrite)
	auth := basic("alice", alice.password)
	before := snapshot(t, filepath.Dir(h.Storage.Root))
	long := strings.Repeat("a", 1000)
	for _, p := range []string{
		"/alice/../info/refs", "/alice/%2e%2e/info/refs", "/%2e%2e/demo/info/refs", "/alice/..%2f..%2fetc/info/refs",
		"/alice/de%00mo/info/refs", "/" + long + "/demo/info/refs", "/alice/" + long + ".git/info/refs",
		"/alice/.git/info/refs", "/alice/-x/info/refs", "/alice/demo.git.git/info/refs", "/.alice/demo/info/refs",
	} {
		code, _, _ := status(t, "GET", h.URL+p+"?service=git-upload-pack", auth, nil, nil)
		if code != 400 && code != 404 && code != 301 && code != 307 { // 301/307: ServeMux cleaning the path
			t.Errorf("%.60s: status %d", p, code)
		}
	}
	for _, p := range []string{"/alice/demo.git/HEAD", "/alice/demo.git/objects/info/packs", "/alice/demo.git/info/refs", "/alice/demo/objects/ab/cdef"} {
		code, hdr, body := status(t, "GET", h.URL+p, auth, nil, nil)
		if code != 403 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") || !strings.Contains(body, "dumb HTTP") {
			t.Errorf("dumb %s: %d %q", p, code, body)
		}
	}
	// Other routes are not shadowed.
	if code, _, _ := status(t, "GET", h.URL+"/api/v1/info/refs", "", nil, nil); code != http.StatusTeapot {
		t.Errorf("/api/ shadowed: %d", code)
	}
	if code, _, body := status(t, "GET", h.URL+"/", "", nil, nil); code != 200 || body != "console" {
		t.Errorf("/ shadowed: %d", code)
	}
	up := map[string]string{"Content-Type": "application/x-git-upload-pack-request"}
	recv := map[string]string{"Content-Type": "application/x-git-receive-pack-request"}
	// Oversized and malformed pkt-lines.
	for _, body := range []string{"ffff" + strings.Repeat("x", 100), "zzzz", "0003"} {
		if code, _, _ := status(t, "POST", h.URL+"/alice/demo.git/git-upload-pack", auth, strings.NewReader(body), up); code != 400 {
			t.Errorf("upload-pack %q: %d", body[:4], code)
		}
		if code, _, _ := status(t, "POST", h.URL+"/alice/demo.git/git-receive-pack", auth, strings.NewReader(body), recv); code != 400 {
			t.Errorf("receive-pack %q: %d", body[:4], code)
		}
	}
	// A huge declared Content-Length is refused before any read: raw
	// HTTP, as no client library sends a body shorter than declared.
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	_, _ = fmt.Fprintf(conn, "POST /alice/demo.git/git-receive-pack HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n"+
		"Content-Type: application/x-git-receive-pack-request\r\nContent-Length: 1099511627776\r\n\r\n0000", auth)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("huge Content-Length: %v %v", res, err)
	} else {
		_ = res.Body.Close()
	}
	// A gzip bomb stops at the limit (or at its first bad pkt-line).
	gzipped := func(data io.Reader) *bytes.Buffer {
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		_, _ = io.Copy(zw, data)
		_ = zw.Close()
		return &gz
	}
	gzHeader := map[string]string{"Content-Type": up["Content-Type"], "Content-Encoding": "gzip"}
	code, _, body := status(t, "POST", h.URL+"/alice/demo.git/git-upload-pack", auth, gzipped(bytes.NewReader(make([]byte, 8<<20))), gzHeader)
	if code != 400 && code != 413 {
		t.Errorf("gzip bomb: %d %q", code, body)
	}
	// What comes off the wire is bounded too: 2 MiB of empty gzip members
	// inflate to nothing, so only that bound refuses them (sent without a
	// length, which would be refused up front).
	empty := gzipped(strings.NewReader("")).Bytes()
	members := bytes.Repeat(empty, (2<<20)/len(empty)+1)
	code, _, body = status(t, "POST", h.URL+"/alice/demo.git/git-upload-pack", auth, io.MultiReader(bytes.NewReader(members)), gzHeader)
	if code != http.StatusRequestEntityTooLarge {
		t.Errorf("%d bytes of empty gzip members: %d %q, want 413", len(members), code, body)
	}
	// Pushing a ref named with a leading '-'.
	env := gitEnv(t)
	work := newWorkTree(t, env, 1)
	out, err := gitRun(t, env, work, "push", withUser(h.URL+"/alice/demo.git", "alice", alice.password), "main:refs/heads/--upload-pack=touch")
	if err == nil {
		t.Errorf("push to a '-' ref accepted:\n%s", out)
	}
	after := snapshot(t, filepath.Dir(h.Storage.Root))
	for p := range after {
		if !before[p] && !strings.HasPrefix(p, "repositories/") {
			t.Errorf("new file outside the repositories: %s", p)
		}
	}
}

func snapshot(t *testing.T, dir string) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	_ = filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err == nil {
			rel, _ := filepath.Rel(dir, p)
			seen[rel] = true
		}
		return nil
	})
	return seen
}

func TestLimits(t *testing.T) {
	h := newHarness(t, git.Limits{PerRepo: 1, Global: 2, Wait: 100 * time.Millisecond, MaxPushBytes: 64 << 10})
	a := h.addProject(t, "alice", "a", true)
	b := h.addProject(t, "alice", "b", true)
	c := h.addProject(t, "alice", "c", true)
	alice := h.addUser("alice")
	for _, p := range []git.HTTPProject{a, b, c} {
		h.Authz.grant(alice.id, p.ID, access.RepoRead, access.RepoWrite)
	}
	up := map[string]string{"Content-Type": "application/x-git-upload-pack-request"}
	// Hold a slot: an upload-pack whose body never ends.
	hold := func(repo string) (release func()) {
		pr, pw := io.Pipe()
		done := make(chan struct{})
		go func() {
			defer close(done)
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, h.URL+"/alice/"+repo+".git/git-upload-pack", pr)
			req.Header.Set("Content-Type", up["Content-Type"])
			if res, err := http.DefaultClient.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, res.Body)
				_ = res.Body.Close()
			}
		}()
		_, _ = pw.Write([]byte("0009want\n")) // the request is in, the body is not done
		return func() { _ = pw.CloseWithError(io.ErrUnexpectedEOF); <-done }
	}
	waitStatus := func(url string, want int) http.Header {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			code, hdr, _ := status(t, "GET", url, "", nil, nil)
			if code == want {
				return hdr
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d, want %d", url, code, want)
			}
		}
	}
	relA := hold("a")
	hdr := waitStatus(h.URL+"/alice/a.git/info/refs?service=git-upload-pack", 429)
	if hdr.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	relB := hold("b")
	hdr = waitStatus(h.URL+"/alice/c.git/info/refs?service=git-upload-pack", 503)
	if hdr.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	relA()
	relB()
	waitStatus(h.URL+"/alice/c.git/info/refs?service=git-upload-pack", 200)

	// A push larger than MaxPushBytes is refused by git with a message.
	env := gitEnv(t)
	work := newWorkTree(t, env, 1)
	big := make([]byte, 256<<10)
	_, _ = rand.Read(big)
	if err := os.WriteFile(filepath.Join(work, "big.bin"), big, 0o600); err != nil {
		t.Fatal(err)
	}
	mustGit(t, env, work, "add", "big.bin")
	mustGit(t, env, work, "commit", "-q", "-m", "big")
	out, err := gitRun(t, env, work, "push", withUser(h.URL+"/alice/a.git", "alice", alice.password), "main")
	if err == nil || !strings.Contains(out, "maximum allowed size") && !strings.Contains(out, "413") {
		t.Fatalf("oversized push: %v\n%s", err, out)
	}
}

func TestConcurrentPushesAndClones(t *testing.T) {
	h := newHarness(t, git.Limits{Wait: time.Minute})
	proj := h.addProject(t, "alice", "busy", false)
	alice := h.addUser("alice")
	h.Authz.grant(alice.id, proj.ID, access.RepoRead, access.RepoWrite)
	env := gitEnv(t)
	remote := withUser(h.URL+"/alice/busy.git", "alice", alice.token)
	work := newWorkTree(t, env, 5)
	mustGit(t, env, work, "push", remote, "main")
	head := rev(t, env, work, "HEAD")
	var wg sync.WaitGroup
	errs := make(chan error, 70)
	for i := range 20 {
		wg.Go(func() {
			if out, err := gitRun(t, env, work, "push", remote, fmt.Sprintf("main:refs/heads/b%d", i)); err != nil {
				errs <- fmt.Errorf("push %d: %w\n%s", i, err, out)
			}
		})
	}
	for i := range 50 {
		wg.Go(func() {
			dir := t.TempDir()
			if out, err := gitRun(t, env, dir, "clone", "-q", remote, "c"); err != nil {
				errs <- fmt.Errorf("clone %d: %w\n%s", i, err, out)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	out := mustGit(t, env, work, "ls-remote", remote)
	if n := strings.Count(out, head); n != 22 { // HEAD, main, b0..b19
		t.Fatalf("%d refs at %s:\n%s", n, head, out)
	}
}
