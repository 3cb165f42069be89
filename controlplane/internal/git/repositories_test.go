package git_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/git"
	"github.com/hearth-dev/hearth/controlplane/internal/repository"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

// repositoriesFixture is a project's hosted repository (a merge fixture)
// behind the facade, with its ref rules in PostgreSQL.
type repositoriesFixture struct {
	*mergeFixture
	id    uuid.UUID
	rules *git.PGStore
	repos *git.Repositories
}

func newRepositoriesFixture(t *testing.T) *repositoriesFixture {
	t.Helper()
	d := testsvc.NewDatabase(t)
	id := insertProject(t, d, "facade")
	f := newMergeFixtureFor(t, id)
	rules := git.NewPGStore(d)
	repos, err := git.NewRepositories(f.b, rules)
	if err != nil {
		t.Fatal(err)
	}
	return &repositoriesFixture{mergeFixture: f, id: id, rules: rules, repos: repos}
}

// TestRepositoriesIsAncestor: git merge-base --is-ancestor's exit codes
// become true, false, and NotFound for a commit the repository lacks.
func TestRepositoriesIsAncestor(t *testing.T) {
	f := newRepositoriesFixture(t)
	ctx := t.Context()
	base := f.ref(t, "main")
	feature := f.commit(t, "feature", "feature", map[string]string{"f.txt": "f\n"})
	main2 := f.commit(t, "main", "main moves", map[string]string{"m.txt": "m\n"})
	for _, c := range []struct {
		name                 string
		ancestor, descendant string
		want                 bool
	}{
		{"base of feature", base, feature, true},
		{"a commit of itself", feature, feature, true},
		{"feature of main", feature, main2, false},
		{"main of base", main2, base, false},
	} {
		got, err := f.repos.IsAncestor(ctx, f.id, c.ancestor, c.descendant)
		if err != nil || got != c.want {
			t.Errorf("%s: %v, %v; want %v", c.name, got, err, c.want)
		}
	}
	unknown := strings.Repeat("ab", 20)
	if _, err := f.repos.IsAncestor(ctx, f.id, unknown, feature); !isKind(err, apperr.KindNotFound) {
		t.Errorf("unknown ancestor: %v, want NotFound", err)
	}
	if _, err := f.repos.IsAncestor(ctx, f.id, base, unknown); !isKind(err, apperr.KindNotFound) {
		t.Errorf("unknown descendant: %v, want NotFound", err)
	}
}

// TestRepositoriesLineCount: lines are counted with or without a final
// newline; binary files cannot be commented on, missing ones are NotFound.
func TestRepositoriesLineCount(t *testing.T) {
	f := newRepositoriesFixture(t)
	ctx := t.Context()
	head := f.commit(t, "main", "files", map[string]string{
		"newline.txt": "one\ntwo\nthree\n", "no-newline.txt": "one\ntwo\nthree", "single": "x",
		"empty.txt": "", "blank-lines.txt": "\n\n", "binary.bin": "a\x00b\nc\n",
	})
	for path, want := range map[string]int{
		"newline.txt": 3, "no-newline.txt": 3, "single": 1, "empty.txt": 0, "blank-lines.txt": 2, "a.txt": 1,
	} {
		if n, err := f.repos.LineCount(ctx, f.id, head, path); err != nil || n != want {
			t.Errorf("%s: %d, %v; want %d", path, n, err, want)
		}
	}
	if _, err := f.repos.LineCount(ctx, f.id, head, "binary.bin"); !isKind(err, apperr.KindInvalid) {
		t.Errorf("binary: %v, want Invalid", err)
	}
	if _, err := f.repos.LineCount(ctx, f.id, head, "missing.txt"); !isKind(err, apperr.KindNotFound) {
		t.Errorf("missing file: %v, want NotFound", err)
	}
	// commit^ reads the first parent, where the file did not exist yet.
	if _, err := f.repos.LineCount(ctx, f.id, head+"^", "newline.txt"); !isKind(err, apperr.KindNotFound) {
		t.Errorf("file at the parent: %v, want NotFound", err)
	}
}

// TestRepositoriesBranchUpdateAllowed: the decision on a branch a merge
// moves or deletes is the push policy's, from the project's stored rules
// and the repository's default branch.
func TestRepositoriesBranchUpdateAllowed(t *testing.T) {
	f := newRepositoriesFixture(t)
	ctx := t.Context()
	for _, r := range []git.ProtectedRef{
		{Kind: git.BranchRef, Pattern: "release/*", PushPermission: access.ProjectAdmin, AllowDeletion: true},
		{Kind: git.BranchRef, Pattern: "stable", PushPermission: access.RepoWrite},
		{Kind: git.BranchRef, Pattern: "hotfix", PushPermission: access.RepoWrite, AllowForcePush: true},
	} {
		if err := f.rules.SetProtectedRef(ctx, f.id, r); err != nil {
			t.Fatal(err)
		}
	}
	developer := func(p access.Permission) bool { return p == access.RepoWrite }
	admin := func(access.Permission) bool { return true }
	reader := func(access.Permission) bool { return false }
	for _, c := range []struct {
		name      string
		branch    string
		deleting  bool
		can       func(access.Permission) bool
		allowed   bool
		reasonHas string
	}{
		{"moving an unprotected branch", "feature", false, reader, true, ""},
		{"deleting an unprotected branch", "feature", true, reader, true, ""},
		{"moving the default branch forward", "main", false, developer, true, "force push"},
		{"moving the default branch without write", "main", false, reader, false, "needs repo:write"},
		{"deleting the default branch", "main", true, admin, false, "cannot be deleted"},
		{"moving a protected branch forward", "stable", false, developer, true, "force push"},
		{"deleting a protected branch", "stable", true, admin, false, "cannot be deleted"},
		{"moving a force-pushable branch", "hotfix", false, developer, true, ""},
		{"moving an admin-only branch as a developer", "release/1", false, developer, false, "needs project:admin"},
		{"deleting an admin-only branch as a developer", "release/1", true, developer, false, "needs project:admin"},
		{"deleting a deletable branch as an admin", "release/1", true, admin, true, ""},
		{"an invalid branch name", "a..b", false, admin, false, "not a valid ref name"},
	} {
		allowed, reason, err := f.repos.BranchUpdateAllowed(ctx, f.id, c.branch, c.deleting, c.can)
		if err != nil || allowed != c.allowed || !strings.Contains(reason, c.reasonHas) {
			t.Errorf("%s: %v %q %v; want %v with %q", c.name, allowed, reason, err, c.allowed, c.reasonHas)
		}
	}
}

// TestDecideBranchUpdateIsThePushPolicy: deciding a branch move or
// deletion without commits agrees with deciding the push of it.
func TestDecideBranchUpdateIsThePushPolicy(t *testing.T) {
	const old, next, zero = "1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222", "0000000000000000000000000000000000000000"
	rules := []git.ProtectedRef{
		{Kind: git.BranchRef, Pattern: "rel*", PushPermission: access.RepoWrite, AllowForcePush: true},
		{Kind: git.BranchRef, Pattern: "release/*", PushPermission: access.ProjectAdmin, AllowDeletion: true},
		{Kind: git.BranchRef, Pattern: "locked", PushPermission: access.RepoWrite},
	}
	cans := map[string]func(access.Permission) bool{
		"reader":    func(access.Permission) bool { return false },
		"developer": func(p access.Permission) bool { return p == access.RepoWrite },
		"admin":     func(access.Permission) bool { return true },
	}
	for _, branch := range []string{"main", "feature", "release-1", "release/1.0", "locked", "a..b", "HEAD"} {
		for who, can := range cans {
			for _, deleting := range []bool{false, true} {
				push := git.RefCommand{Ref: "refs/heads/" + branch, Old: old, New: next}
				if deleting {
					push.New = zero
				}
				want := git.DecideRefUpdate(rules, "main", can, push)
				if got := git.DecideBranchUpdate(rules, "main", can, branch, deleting); got != want {
					t.Errorf("%s, %s, deleting %v: %+v, want the push's %+v", branch, who, deleting, got, want)
				}
			}
		}
	}
}

// TestRepositoriesMergeErrors: the facade maps merge methods and keeps
// the shared sentinels (a moved target, a file over the limit) and
// unrelated histories answerable by the consumers.
func TestRepositoriesMergeErrors(t *testing.T) {
	f := newRepositoriesFixture(t)
	ctx := t.Context()
	base := f.ref(t, "main")
	source := f.commit(t, "feature", "feature", map[string]string{"f.txt": "f\n"})
	spec := repository.MergeSpec{
		Method: repository.MergeCommit, TargetBranch: "main", TargetCommit: base, SourceCommit: source,
		CommitterName: "Grace Hopper", CommitterEmail: "grace@example.com", Message: "merge",
	}
	if _, err := f.repos.Merge(ctx, f.id, repository.MergeSpec{Method: 99, TargetBranch: "main", TargetCommit: base, SourceCommit: source}); !isKind(err, apperr.KindInvalid) {
		t.Errorf("unknown method: %v, want Invalid", err)
	}
	moved := f.commit(t, "main", "main moves", map[string]string{"m.txt": "m\n"})
	if _, err := f.repos.Merge(ctx, f.id, spec); !errors.Is(err, repository.ErrRefMoved) {
		t.Errorf("stale target: %v, want repository.ErrRefMoved", err)
	}
	if err := f.repos.DeleteBranch(ctx, f.id, "feature", base); !errors.Is(err, repository.ErrRefMoved) {
		t.Errorf("stale delete: %v, want repository.ErrRefMoved", err)
	}
	spec.Method, spec.TargetCommit = repository.Squash, moved
	merged, err := f.repos.Merge(ctx, f.id, spec)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := f.repos.BranchCommit(ctx, f.id, "main"); err != nil || got != merged {
		t.Errorf("main after the squash: %s, %v; want %s", got, err, merged)
	}
	if _, err := f.repos.ReadFile(ctx, f.id, merged, "f.txt", 1); !errors.Is(err, repository.ErrFileTooLarge) {
		t.Errorf("file over the limit: %v, want repository.ErrFileTooLarge", err)
	}

	f.git(t, "checkout", "-q", "--orphan", "unrelated")
	f.git(t, "rm", "-q", "-rf", ".")
	f.git(t, "commit", "-q", "--allow-empty", "-m", "unrelated")
	f.git(t, "push", "-q", "origin", "unrelated")
	orphan := f.ref(t, "refs/heads/unrelated")
	c, err := f.repos.CheckMerge(ctx, f.id, merged, orphan)
	if err != nil || !c.Unrelated || c.TargetCommit != merged || c.SourceCommit != orphan {
		t.Errorf("unrelated histories: %+v, %v", c, err)
	}
}

// TestRepositoriesCompare: the merge request changes view's comparison is
// the repository API's, by project id.
func TestRepositoriesCompare(t *testing.T) {
	f := newRepositoriesFixture(t)
	base := f.ref(t, "main")
	head := f.commit(t, "feature", "add f", map[string]string{"f.txt": "f\n"})
	c, err := f.repos.Compare(t.Context(), f.id, base, head)
	if err != nil {
		t.Fatal(err)
	}
	if c.GetBaseCommitSha() != base || c.GetHeadCommitSha() != head || c.GetTotalCommits() != 1 ||
		len(c.GetDiff().GetFiles()) != 1 || c.GetDiff().GetFiles()[0].GetNewPath() != "f.txt" {
		t.Errorf("compare: %v", c)
	}
}
