package git_test

import (
	"strings"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/internal/git"
)

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

// TestRefProtected: the default branch, and branches and tags a rule
// matches, are protected (their pipelines receive protected secrets);
// other branches and tags, and other refs, are not.
func TestRefProtected(t *testing.T) {
	rules := []git.ProtectedRef{{Kind: git.BranchRef, Pattern: "release/*"}, {Kind: git.TagRef, Pattern: "v*"}}
	for ref, want := range map[string]bool{
		"refs/heads/main":        true,
		"refs/heads/release/1.0": true,
		"refs/tags/v1.2.3":       true,
		"refs/heads/feature":     false,
		"refs/heads/release":     false,
		"refs/tags/nightly":      false,
		"refs/heads/v1":          false, // a tag rule does not protect a branch
		"refs/merge-requests/1":  false,
		"main":                   false,
	} {
		if got := git.RefProtected(rules, "main", ref); got != want {
			t.Errorf("%s: protected %v, want %v", ref, got, want)
		}
	}
	if git.RefProtected(nil, "trunk", "refs/heads/main") || !git.RefProtected(nil, "trunk", "refs/heads/trunk") {
		t.Error("the default branch is the one protected without rules")
	}
}
