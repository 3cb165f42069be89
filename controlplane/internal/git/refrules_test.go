package git_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hearth-dev/hearth/controlplane/internal/git"
)

var refSeeds = []string{
	"refs/heads/main", "refs/heads/release/1.0", "refs/tags/v1.0.0", "refs/heads/-rf", "refs/heads/a..b",
	"refs/heads/x.lock", "refs/heads/.hidden", "refs/heads/a//b", "refs/heads/a/", "refs/heads/a.", "refs/heads/@{x}",
	"refs/heads/a b", "refs/heads/a~1", "refs/heads/a^", "refs/heads/a:b", "refs/heads/a?", "refs/heads/a*", "refs/heads/a[",
	"refs/heads/a\\b", "refs/heads/a\x01", "refs/notes/x", "HEAD", "refs/heads/HEAD", "refs/heads/", "refs/tags/-x",
	"refs/heads/ü", "refs/heads/@", "refs/heads/a@b", "refs/heads/a.lock/b",
}

// gitAccepts asks git check-ref-format (which has no --end-of-options:
// names starting with '-' are refused here).
func gitAccepts(t testing.TB, name string) bool {
	if strings.HasPrefix(name, "-") {
		return false
	}
	cmd := exec.CommandContext(context.Background(), "git", "check-ref-format", name)
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "GIT_CONFIG_NOSYSTEM=1", "HOME=/nonexistent"}
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok { //nolint:errorlint // a failure to start is not an answer.
		t.Fatal(err)
	}
	return err == nil
}

func TestValidRefNameAgreesWithGit(t *testing.T) {
	for _, name := range refSeeds {
		ours := git.ValidRefName(name)
		if ours && !gitAccepts(t, name) {
			t.Errorf("%q: we accept, git refuses", name)
		}
		if !ours && gitAccepts(t, name) && strings.HasPrefix(name, "refs/heads/") && !strings.Contains(name, "/-") && name != "refs/heads/HEAD" {
			t.Errorf("%q: git accepts, we refuse", name)
		}
	}
}

// FuzzValidRefName: whatever ValidRefName accepts, git accepts too, and it
// is a branch or a tag with no option-like or traversal component.
func FuzzValidRefName(f *testing.F) {
	for _, s := range refSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if !git.ValidRefName(name) {
			return
		}
		if !strings.HasPrefix(name, "refs/heads/") && !strings.HasPrefix(name, "refs/tags/") ||
			strings.Contains(name, "..") || strings.Contains(name, "/-") || !utf8.ValidString(name) ||
			strings.ContainsAny(name, " \n\x00") || len(name) > 255 {
			t.Fatalf("accepted %q", name)
		}
		if !gitAccepts(t, name) {
			t.Fatalf("accepted %q, which git refuses", name)
		}
	})
}

// FuzzParseRepoPath: a parsed path names only safe, bounded names.
func FuzzParseRepoPath(f *testing.F) {
	for _, s := range []string{
		"/alice/demo.git/info/refs", "/alice/demo/git-upload-pack", "/a/b/git-receive-pack", "/alice/../info/refs",
		"/../../x/info/refs", "/alice/demo.git/HEAD", "/alice/demo/objects/ab/cd", "/api/v1/info/refs", "/a\x00/b/info/refs",
		"/alice/.git/info/refs", "/alice/demo.git.git/info/refs", "//x/info/refs",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		rp, err := git.ParseRepoPath(p)
		if err != nil {
			return
		}
		for _, n := range []string{rp.Owner, rp.Name} {
			if n == "" || len(n) > 100 || strings.Contains(n, "..") || strings.ContainsAny(n, "/\\\x00%") ||
				n[0] == '.' || n[0] == '-' || strings.HasSuffix(strings.ToLower(n), ".git") {
				t.Fatalf("%q parsed to unsafe name %q", p, n)
			}
		}
		if rp.Owner == "api" {
			t.Fatalf("%q: /api taken as a git path", p)
		}
		switch rp.Op {
		case "", "info/refs", "git-upload-pack", "git-receive-pack":
		default:
			t.Fatalf("%q: op %q", p, rp.Op)
		}
	})
}
