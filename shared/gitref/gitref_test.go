package gitref_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hearth-dev/hearth/shared/gitref"
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
		ours := gitref.ValidRefName(name)
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
		if !gitref.ValidRefName(name) {
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

func TestValidObjectID(t *testing.T) {
	sha1, sha256 := strings.Repeat("0123456789", 4), strings.Repeat("abcdef0123456789", 4)
	for s, want := range map[string]bool{
		sha1: true, sha256: true, sha1[:39]: false, sha1 + "0": false, strings.ToUpper(strings.Repeat("ab", 20)): false,
		"": false, strings.Repeat("g", 40): false, "-" + sha1[1:]: false,
	} {
		if got := gitref.ValidObjectID(s); got != want {
			t.Errorf("ValidObjectID(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestValidBranchName(t *testing.T) {
	for s, want := range map[string]bool{
		"main": true, "release/1.0": true, "feature-x": true, "ü": true,
		"": false, "HEAD": false, "-rf": false, "a..b": false, "a b": false, "x.lock": false, "a/": false,
		"refs/heads/main": false, strings.Repeat("b", 244): true, strings.Repeat("b", 245): false,
	} {
		if got := gitref.ValidBranchName(s); got != want {
			t.Errorf("ValidBranchName(%q) = %v, want %v", s, got, want)
		}
	}
}
