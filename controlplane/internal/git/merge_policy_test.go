package git_test

import (
	"strings"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/git"
)

// TestDecideRefUpdateMatchesPushRules: the decision Hearth's own ref
// updates (merges, source deletion) go through is the push policy's.
func TestDecideRefUpdateMatchesPushRules(t *testing.T) {
	const some, zero = "1111111111111111111111111111111111111111", "0000000000000000000000000000000000000000"
	rules := []git.ProtectedRef{
		{Kind: git.BranchRef, Pattern: "rel*", PushPermission: access.RepoWrite, AllowForcePush: true},
		{Kind: git.BranchRef, Pattern: "release/*", PushPermission: access.ProjectAdmin, AllowDeletion: true},
		{Kind: git.TagRef, Pattern: "*", PushPermission: access.RepoWrite},
	}
	developer := func(p access.Permission) bool { return p == access.RepoWrite }
	admin := func(access.Permission) bool { return true }
	update := func(branch string) git.RefCommand {
		return git.RefCommand{Ref: "refs/heads/" + branch, Old: some, New: some}
	}
	del := func(branch string) git.RefCommand {
		return git.RefCommand{Ref: "refs/heads/" + branch, Old: some, New: zero}
	}
	for _, c := range []struct {
		name      string
		can       func(access.Permission) bool
		cmd       git.RefCommand
		allowed   bool
		ffOnly    bool
		reasonHas string
	}{
		{"deleting a branch no rule protects", developer, del("feature"), true, false, ""},
		{"deleting a protected branch without deletion", admin, del("release-1"), false, false, "cannot be deleted"},
		{"deleting an admin-only branch as a developer", developer, del("release/1.0"), false, false, "needs project:admin"},
		{"deleting an admin-only branch as an admin", admin, del("release/1.0"), true, false, ""},
		{"deleting the default branch", admin, del("main"), false, false, "cannot be deleted"},
		{"moving the default branch", developer, update("main"), true, true, "force push"},
		{"moving an admin-only branch as a developer", developer, update("release/2"), false, false, "needs project:admin"},
		{"moving a force-pushable branch", developer, update("release-1"), true, false, ""},
		{"'*' does not cross '/'", developer, del("rel/x"), true, false, ""},
		{"an invalid ref", admin, update("a..b"), false, false, "not a valid ref name"},
	} {
		d := git.DecideRefUpdate(rules, "main", c.can, c.cmd)
		if d.Allowed != c.allowed || d.FastForwardOnly != c.ffOnly || !strings.Contains(d.Reason, c.reasonHas) {
			t.Errorf("%s: %+v, want allowed %v, fast-forward only %v, reason with %q", c.name, d, c.allowed, c.ffOnly, c.reasonHas)
		}
	}
}

// TestValidSignature: identities git would refuse are refused before git
// sees them.
func TestValidSignature(t *testing.T) {
	for name, ok := range map[string]bool{
		"Grace Hopper": true, "bob": true, "Zoë": true, "O'Brien": true,
		"": false, "  ": false, "...": false, "'\"": false, "Bob <b>": false, "a\nb": false,
		strings.Repeat("x", 256): true, strings.Repeat("x", 257): false,
	} {
		err := git.ValidSignature(git.Signature{Name: name, Email: "g@example.com"})
		if (err == nil) != ok {
			t.Errorf("ValidSignature(%q) = %v, want ok %v", name, err, ok)
		}
	}
	if git.ValidSignature(git.Signature{Name: "g", Email: "<g@example.com>"}) == nil {
		t.Error("an email with '<' is accepted")
	}
}

// TestCommitterName: a merge commits as the display name, or as the
// username when git would refuse the display name.
func TestCommitterName(t *testing.T) {
	for display, want := range map[string]string{
		"Grace Hopper": "Grace Hopper", "  Zoë  ": "Zoë", "": "grace", "   ": "grace", "...": "grace",
		"Bob <b>": "grace", strings.Repeat("x", 257): "grace",
	} {
		if got := git.CommitterName(display, "grace", "g@example.com"); got != want {
			t.Errorf("CommitterName(%q) = %q, want %q", display, got, want)
		}
	}
}
