package git_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/git"
	"github.com/hearth-dev/hearth/controlplane/internal/repository"
)

// requireMergeTreeGit fails (never skips) when the git binary is older than
// 2.38, which merges need (git merge-tree --write-tree).
func requireMergeTreeGit(t testing.TB) {
	t.Helper()
	out, err := exec.CommandContext(context.Background(), "git", "--version").Output()
	if err != nil {
		t.Fatalf("git --version: %v (install git >= 2.38: apt-get install git on Debian 12 or later)", err)
	}
	m := regexp.MustCompile(`git version (\d+)\.(\d+)`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("git --version answered %q", out)
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	if major < 2 || major == 2 && minor < 38 {
		t.Fatalf("%s is too old: merges need git >= 2.38 (git merge-tree --write-tree). Install a newer git: "+
			"Debian 12 / Ubuntu 23.04 or later ship one (apt-get install git); on older systems use the distribution's "+
			"backports (apt-get install -t <release>-backports git) or build from https://git-scm.com/downloads",
			strings.TrimSpace(string(out)))
	}
}

// mergeFixture is a hosted (bare) repository, made by Storage.Create, and a
// work tree that pushes commits into it with the real git binary.
type mergeFixture struct {
	b    git.Browser
	repo string
	work string
	env  []string
	n    int // commits made, for distinct dates
}

func newMergeFixture(t *testing.T) *mergeFixture {
	t.Helper()
	return newMergeFixtureFor(t, uuid.New())
}

// newMergeFixtureFor is newMergeFixture with the repository of project id.
func newMergeFixtureFor(t *testing.T, id uuid.UUID) *mergeFixture {
	t.Helper()
	requireMergeTreeGit(t)
	st := git.Storage{Root: filepath.Join(t.TempDir(), "repositories")}
	if err := st.Create(t.Context(), id, "main"); err != nil {
		t.Fatal(err)
	}
	f := &mergeFixture{b: git.Browser{Storage: st}, repo: st.Path(id), work: t.TempDir(), env: gitEnv(t)}
	f.git(t, "init", "-q", "-b", "main")
	f.git(t, "remote", "add", "origin", f.repo)
	f.commit(t, "main", "base", map[string]string{"a.txt": "a\n", "b.txt": "b\n", "c.txt": "c\n"})
	return f
}

// git runs the git client in the work tree.
func (f *mergeFixture) git(t testing.TB, args ...string) string {
	t.Helper()
	return mustGit(t, f.env, f.work, args...)
}

// bare runs git in the hosted repository.
func (f *mergeFixture) bare(t testing.TB, args ...string) string {
	t.Helper()
	return strings.TrimSpace(mustGit(t, f.env, f.repo, args...))
}

// commit writes files on branch (created from main when new), commits and
// pushes the branch; it returns the commit.
func (f *mergeFixture) commit(t testing.TB, branch, msg string, files map[string]string) string {
	t.Helper()
	if f.n > 0 {
		if _, err := gitRun(t, f.env, f.work, "rev-parse", "--verify", "--quiet", "refs/heads/"+branch); err != nil {
			f.git(t, "checkout", "-q", "-b", branch, "main")
		} else {
			f.git(t, "checkout", "-q", branch)
		}
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(f.work, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		f.git(t, "add", name)
	}
	f.n++
	date := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(f.n) * time.Minute).Format(time.RFC3339)
	cmd := exec.CommandContext(context.Background(), "git", "commit", "-q", "-m", msg)
	cmd.Dir, cmd.Env = f.work, append(slices.Clone(f.env), "GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git commit: %v\n%s", err, out)
	}
	f.git(t, "push", "-q", "-f", "origin", branch)
	return strings.TrimSpace(f.git(t, "rev-parse", "HEAD"))
}

// ref is what a ref of the hosted repository holds.
func (f *mergeFixture) ref(t testing.TB, name string) string {
	t.Helper()
	return f.bare(t, "rev-parse", "--verify", name)
}

// file is a file's content at a commit of the hosted repository.
func (f *mergeFixture) file(t testing.TB, commit, path string) string {
	t.Helper()
	return mustGit(t, f.env, f.repo, "cat-file", "blob", commit+":"+path)
}

// rawCommit is a commit's header fields and message, as stored.
type rawCommit struct {
	tree      string
	parents   []string
	author    string
	committer string
	message   string
}

func (f *mergeFixture) rawCommit(t testing.TB, sha string) rawCommit {
	t.Helper()
	out := mustGit(t, f.env, f.repo, "cat-file", "commit", sha)
	head, msg, _ := strings.Cut(out, "\n\n")
	c := rawCommit{message: msg}
	for line := range strings.SplitSeq(head, "\n") {
		k, v, _ := strings.Cut(line, " ")
		switch k {
		case "tree":
			c.tree = v
		case "parent":
			c.parents = append(c.parents, v)
		case "author":
			c.author = v
		case "committer":
			c.committer = v
		}
	}
	return c
}

func isKind(err error, k apperr.Kind) bool {
	e, ok := apperr.As(err)
	return ok && e.Kind == k
}

var grace = git.Signature{Name: "Grace Hopper", Email: "grace@example.com", When: time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("", 2*3600))}

const graceIdent = "Grace Hopper <grace@example.com> 1772593567 +0200"

func TestMergeCommitClean(t *testing.T) {
	f := newMergeFixture(t)
	ctx := t.Context()
	feature := f.commit(t, "feature", "feature work", map[string]string{"feature.txt": "f\n", "b.txt": "b from feature\n"})
	main := f.commit(t, "main", "main work", map[string]string{"main.txt": "m\n", "a.txt": "a from main\n"})
	base := f.ref(t, "refs/heads/main~1")

	mc, err := f.b.CheckMerge(ctx, f.repo, main, feature)
	if err != nil {
		t.Fatal(err)
	}
	if !mc.Clean || len(mc.Conflicts) != 0 || mc.FastForward || mc.UpToDate || mc.MergeBase != base ||
		mc.TargetCommit != main || mc.SourceCommit != feature || mc.Tree == "" {
		t.Fatalf("check: %+v (base %s)", mc, base)
	}
	if f.ref(t, "refs/heads/main") != main {
		t.Fatal("CheckMerge moved the target")
	}

	msg := "Merge branch 'feature' into main\n\nMerge request !1: feature work\n"
	got, err := f.b.Merge(ctx, f.repo, git.MergeSpec{
		Method: repository.MergeCommit, TargetRef: "refs/heads/main", TargetCommit: main, SourceCommit: feature,
		Committer: grace, Message: msg,
	})
	if err != nil {
		t.Fatal(err)
	}
	if now := f.ref(t, "refs/heads/main"); now != got {
		t.Fatalf("main is %s, Merge answered %s", now, got)
	}
	c := f.rawCommit(t, got)
	if !slices.Equal(c.parents, []string{main, feature}) {
		t.Errorf("parents %v, want [target source] = [%s %s]", c.parents, main, feature)
	}
	if c.tree != mc.Tree {
		t.Errorf("tree %s, CheckMerge said %s", c.tree, mc.Tree)
	}
	if c.author != graceIdent || c.committer != graceIdent {
		t.Errorf("author %q committer %q, want %q", c.author, c.committer, graceIdent)
	}
	if c.message != msg {
		t.Errorf("message %q, want %q", c.message, msg)
	}
	for path, want := range map[string]string{
		"a.txt": "a from main\n", "b.txt": "b from feature\n", "c.txt": "c\n", "main.txt": "m\n", "feature.txt": "f\n",
	} {
		if got := f.file(t, got, path); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
	// The merged history is intact.
	f.bare(t, "merge-base", "--is-ancestor", feature, "refs/heads/main")
	f.bare(t, "merge-base", "--is-ancestor", main, "refs/heads/main")
	// The source branch is untouched.
	if f.ref(t, "refs/heads/feature") != feature {
		t.Error("the source branch moved")
	}
}

func TestMergeConflictsDetected(t *testing.T) {
	f := newMergeFixture(t)
	ctx := t.Context()
	feature := f.commit(t, "feature", "feature", map[string]string{"a.txt": "a feature\n", "b.txt": "b feature\n", "c.txt": "c feature\n"})
	main := f.commit(t, "main", "main", map[string]string{"a.txt": "a main\n", "b.txt": "b main\n"})

	mc, err := f.b.CheckMerge(ctx, f.repo, main, feature)
	if err != nil {
		t.Fatal(err)
	}
	if mc.Clean || mc.Tree != "" || mc.FastForward || mc.UpToDate || !slices.Equal(mc.Conflicts, []string{"a.txt", "b.txt"}) {
		t.Fatalf("check: %+v, want conflicts in a.txt and b.txt only", mc)
	}
	for _, method := range []repository.MergeMethod{repository.MergeCommit, repository.Squash} {
		_, err := f.b.Merge(ctx, f.repo, git.MergeSpec{
			Method: method, TargetRef: "refs/heads/main", TargetCommit: main, SourceCommit: feature, Committer: grace, Message: "m",
		})
		e, ok := apperr.As(err)
		if !ok || e.Kind != apperr.KindFailedPrecondition || !strings.Contains(e.Message, "a.txt, b.txt") || strings.Contains(e.Message, "c.txt") {
			t.Fatalf("%v: %v, want FailedPrecondition naming a.txt and b.txt", method, err)
		}
		if f.ref(t, "refs/heads/main") != main {
			t.Fatalf("%v: a conflicting merge moved the target", method)
		}
	}
}

func TestMergeFastForward(t *testing.T) {
	f := newMergeFixture(t)
	ctx := t.Context()
	main := f.ref(t, "refs/heads/main")
	f.commit(t, "feature", "one", map[string]string{"f1.txt": "1\n"})
	feature := f.commit(t, "feature", "two", map[string]string{"f2.txt": "2\n"})

	mc, err := f.b.CheckMerge(ctx, f.repo, main, feature)
	if err != nil {
		t.Fatal(err)
	}
	if !mc.FastForward || mc.UpToDate || !mc.Clean || mc.MergeBase != main || mc.Tree != f.ref(t, feature+"^{tree}") {
		t.Fatalf("check: %+v", mc)
	}
	got, err := f.b.Merge(ctx, f.repo, git.MergeSpec{
		Method: repository.FastForward, TargetRef: "refs/heads/main", TargetCommit: main, SourceCommit: feature, Committer: grace,
	})
	if err != nil || got != feature || f.ref(t, "refs/heads/main") != feature {
		t.Fatalf("fast-forward: %s %v; main at %s, want %s", got, err, f.ref(t, "refs/heads/main"), feature)
	}

	// Impossible once the target has a commit the source lacks.
	other := f.commit(t, "other", "other", map[string]string{"o.txt": "o\n"}) // from main (= feature)
	main2 := f.commit(t, "main", "diverge", map[string]string{"m.txt": "m\n"})
	mc, err = f.b.CheckMerge(ctx, f.repo, main2, other)
	if err != nil || mc.FastForward || mc.UpToDate || !mc.Clean {
		t.Fatalf("check diverged: %+v %v", mc, err)
	}
	_, err = f.b.Merge(ctx, f.repo, git.MergeSpec{
		Method: repository.FastForward, TargetRef: "refs/heads/main", TargetCommit: main2, SourceCommit: other, Committer: grace,
	})
	e, ok := apperr.As(err)
	if !ok || e.Kind != apperr.KindFailedPrecondition || !strings.Contains(e.Message, "fast-forward is impossible") {
		t.Fatalf("impossible fast-forward: %v", err)
	}
	if f.ref(t, "refs/heads/main") != main2 {
		t.Fatal("a refused fast-forward moved the target")
	}
}

func TestMergeSquash(t *testing.T) {
	f := newMergeFixture(t)
	ctx := t.Context()
	f.commit(t, "feature", "one", map[string]string{"f1.txt": "1\n"})
	feature := f.commit(t, "feature", "two", map[string]string{"f2.txt": "2\n", "a.txt": "a squashed\n"})
	main := f.commit(t, "main", "main", map[string]string{"m.txt": "m\n"})
	mc, err := f.b.CheckMerge(ctx, f.repo, main, feature)
	if err != nil || !mc.Clean {
		t.Fatalf("check: %+v %v", mc, err)
	}
	msg := "Feature work (!7)\n\n* one\n* two\n\nCo-authored-by: Ada <ada@example.com>\n"
	got, err := f.b.Merge(ctx, f.repo, git.MergeSpec{
		Method: repository.Squash, TargetRef: "refs/heads/main", TargetCommit: main, SourceCommit: feature, Committer: grace, Message: msg,
	})
	if err != nil {
		t.Fatal(err)
	}
	if f.ref(t, "refs/heads/main") != got {
		t.Fatal("main did not move to the squash commit")
	}
	c := f.rawCommit(t, got)
	if !slices.Equal(c.parents, []string{main}) {
		t.Errorf("parents %v, want only the old target %s", c.parents, main)
	}
	if c.tree != mc.Tree {
		t.Errorf("tree %s, want the merged tree %s", c.tree, mc.Tree)
	}
	if c.message != msg {
		t.Errorf("message %q, want %q", c.message, msg)
	}
	if c.author != graceIdent || c.committer != graceIdent {
		t.Errorf("author %q committer %q", c.author, c.committer)
	}
	for path, want := range map[string]string{"f1.txt": "1\n", "f2.txt": "2\n", "a.txt": "a squashed\n", "m.txt": "m\n"} {
		if got := f.file(t, got, path); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
	// A message without a final newline gets one; a zero When is now.
	feature2 := f.commit(t, "feature2", "three", map[string]string{"f3.txt": "3\n"})
	before := time.Now().Add(-time.Second).Unix()
	got2, err := f.b.Merge(ctx, f.repo, git.MergeSpec{
		Method: repository.Squash, TargetRef: "refs/heads/main", TargetCommit: got, SourceCommit: feature2,
		Committer: git.Signature{Name: "Grace Hopper", Email: "grace@example.com"}, Message: "Three",
	})
	if err != nil {
		t.Fatal(err)
	}
	c2 := f.rawCommit(t, got2)
	if c2.message != "Three\n" {
		t.Errorf("message %q", c2.message)
	}
	fields := strings.Fields(c2.committer)
	if ts, _ := strconv.ParseInt(fields[len(fields)-2], 10, 64); ts < before || ts > time.Now().Unix()+1 {
		t.Errorf("committer date %q is not now", c2.committer)
	}
}

func TestMergeTargetMovedIsRefMoved(t *testing.T) {
	f := newMergeFixture(t)
	ctx := t.Context()
	feature := f.commit(t, "feature", "feature", map[string]string{"f.txt": "f\n"})
	seen := f.ref(t, "refs/heads/main")
	mc, err := f.b.CheckMerge(ctx, f.repo, seen, feature)
	if err != nil || !mc.Clean {
		t.Fatalf("check: %+v %v", mc, err)
	}
	// Someone pushes to main between the check and the merge.
	pushed := f.commit(t, "main", "concurrent push", map[string]string{"p.txt": "p\n"})
	for _, method := range []repository.MergeMethod{repository.MergeCommit, repository.Squash, repository.FastForward} {
		_, err := f.b.Merge(ctx, f.repo, git.MergeSpec{
			Method: method, TargetRef: "refs/heads/main", TargetCommit: seen, SourceCommit: feature, Committer: grace, Message: "m",
		})
		if !errors.Is(err, git.ErrRefMoved) || !isKind(err, apperr.KindConflict) {
			t.Fatalf("%v: %v, want ErrRefMoved (Conflict)", method, err)
		}
		if f.ref(t, "refs/heads/main") != pushed {
			t.Fatalf("%v: the concurrent push was lost", method)
		}
	}
	// A missing (deleted) target is "moved" too.
	_, err = f.b.Merge(ctx, f.repo, git.MergeSpec{
		Method: repository.MergeCommit, TargetRef: "refs/heads/feature-target", TargetCommit: seen, SourceCommit: feature, Committer: grace, Message: "m",
	})
	if !errors.Is(err, git.ErrRefMoved) {
		t.Fatalf("missing target: %v, want ErrRefMoved", err)
	}
}

func TestMergeUpToDate(t *testing.T) {
	f := newMergeFixture(t)
	ctx := t.Context()
	old := f.ref(t, "refs/heads/main")
	main := f.commit(t, "main", "more", map[string]string{"m.txt": "m\n"})

	mc, err := f.b.CheckMerge(ctx, f.repo, main, old)
	if err != nil {
		t.Fatal(err)
	}
	if !mc.UpToDate || mc.FastForward || !mc.Clean || mc.MergeBase != old || mc.Tree != f.ref(t, main+"^{tree}") {
		t.Fatalf("source behind target: %+v", mc)
	}
	mc, err = f.b.CheckMerge(ctx, f.repo, main, main)
	if err != nil || !mc.UpToDate || !mc.FastForward || !mc.Clean {
		t.Fatalf("source = target: %+v %v", mc, err)
	}
	for _, method := range []repository.MergeMethod{repository.MergeCommit, repository.Squash, repository.FastForward} {
		_, err := f.b.Merge(ctx, f.repo, git.MergeSpec{
			Method: method, TargetRef: "refs/heads/main", TargetCommit: main, SourceCommit: old, Committer: grace, Message: "m",
		})
		e, ok := apperr.As(err)
		if !ok || e.Kind != apperr.KindFailedPrecondition || !strings.Contains(e.Message, "nothing to merge") {
			t.Fatalf("%v: %v, want FailedPrecondition nothing to merge", method, err)
		}
		if f.ref(t, "refs/heads/main") != main {
			t.Fatalf("%v: moved the target", method)
		}
	}
}

func TestMergeDeleteBranch(t *testing.T) {
	f := newMergeFixture(t)
	ctx := t.Context()
	seen := f.commit(t, "feature", "one", map[string]string{"f.txt": "1\n"})
	moved := f.commit(t, "feature", "two", map[string]string{"f.txt": "2\n"})

	err := f.b.DeleteBranch(ctx, f.repo, "feature", seen)
	if !errors.Is(err, git.ErrRefMoved) {
		t.Fatalf("delete a moved branch: %v, want ErrRefMoved", err)
	}
	if f.ref(t, "refs/heads/feature") != moved {
		t.Fatal("a moved branch was deleted")
	}
	if err := f.b.DeleteBranch(ctx, f.repo, "feature", moved); err != nil {
		t.Fatal(err)
	}
	if _, err := gitRun(t, f.env, f.repo, "rev-parse", "--verify", "--quiet", "refs/heads/feature"); err == nil {
		t.Fatal("the branch still exists")
	}
	if err := f.b.DeleteBranch(ctx, f.repo, "feature", moved); !isKind(err, apperr.KindNotFound) {
		t.Fatalf("delete a missing branch: %v, want NotFound", err)
	}
	main := f.ref(t, "refs/heads/main")
	if err := f.b.DeleteBranch(ctx, f.repo, "main", main); !isKind(err, apperr.KindFailedPrecondition) {
		t.Fatalf("delete the default branch: %v, want FailedPrecondition", err)
	}
	if f.ref(t, "refs/heads/main") != main {
		t.Fatal("the default branch moved")
	}
}

func TestMergeHostileInputsAreInvalid(t *testing.T) {
	f := newMergeFixture(t)
	ctx := t.Context()
	feature := f.commit(t, "feature", "feature", map[string]string{"f.txt": "f\n"})
	main := f.ref(t, "refs/heads/main")
	good := git.MergeSpec{Method: repository.MergeCommit, TargetRef: "refs/heads/main", TargetCommit: main, SourceCommit: feature, Committer: grace, Message: "m"}

	badIDs := []string{"", "abc", strings.ToUpper(main), main[:39] + "g", "--output=/tmp/x", main + "\n", "HEAD", "main", main[:39]}
	for _, id := range badIDs {
		if _, err := f.b.CheckMerge(ctx, f.repo, main, id); !isKind(err, apperr.KindInvalid) {
			t.Errorf("CheckMerge source %q: %v, want Invalid", id, err)
		}
		if _, err := f.b.CheckMerge(ctx, f.repo, id, feature); !isKind(err, apperr.KindInvalid) {
			t.Errorf("CheckMerge target %q: %v, want Invalid", id, err)
		}
	}
	cases := map[string]func(s *git.MergeSpec){
		"no method":           func(s *git.MergeSpec) { s.Method = 0 },
		"unknown method":      func(s *git.MergeSpec) { s.Method = 9 },
		"short target ref":    func(s *git.MergeSpec) { s.TargetRef = "main" },
		"tag target":          func(s *git.MergeSpec) { s.TargetRef = "refs/tags/v1" },
		"notes target":        func(s *git.MergeSpec) { s.TargetRef = "refs/notes/commits" },
		"HEAD target":         func(s *git.MergeSpec) { s.TargetRef = "HEAD" },
		"dotdot target":       func(s *git.MergeSpec) { s.TargetRef = "refs/heads/../../config" },
		"option target":       func(s *git.MergeSpec) { s.TargetRef = "refs/heads/-d" },
		"newline target":      func(s *git.MergeSpec) { s.TargetRef = "refs/heads/main\nrefs/heads/x" },
		"bad target commit":   func(s *git.MergeSpec) { s.TargetCommit = "HEAD~1" },
		"bad source commit":   func(s *git.MergeSpec) { s.SourceCommit = "--all" },
		"newline in name":     func(s *git.MergeSpec) { s.Committer.Name = "Grace\nHopper" },
		"angle in name":       func(s *git.MergeSpec) { s.Committer.Name = "Grace <evil@example.com>" },
		"angle in email":      func(s *git.MergeSpec) { s.Committer.Email = "grace@example.com> 0 +0000\nparent x" },
		"NUL in email":        func(s *git.MergeSpec) { s.Committer.Email = "g\x00@example.com" },
		"empty name":          func(s *git.MergeSpec) { s.Committer.Name = " " },
		"huge name":           func(s *git.MergeSpec) { s.Committer.Name = strings.Repeat("x", 1000) },
		"empty message":       func(s *git.MergeSpec) { s.Message = "\n" },
		"NUL in message":      func(s *git.MergeSpec) { s.Message = "a\x00b" },
		"message over 64 KiB": func(s *git.MergeSpec) { s.Message = strings.Repeat("x", git.MaxMergeMessage+1) },
	}
	for name, mutate := range cases {
		spec := good
		mutate(&spec)
		if _, err := f.b.Merge(ctx, f.repo, spec); !isKind(err, apperr.KindInvalid) {
			t.Errorf("%s: %v, want Invalid", name, err)
		}
	}
	for _, branch := range []string{"", "-rf", "a..b", "HEAD", "x.lock", "a\nb", "../main", "a b"} {
		if err := f.b.DeleteBranch(ctx, f.repo, branch, feature); !isKind(err, apperr.KindInvalid) {
			t.Errorf("DeleteBranch %q: %v, want Invalid", branch, err)
		}
	}
	if err := f.b.DeleteBranch(ctx, f.repo, "feature", "feature"); !isKind(err, apperr.KindInvalid) {
		t.Errorf("DeleteBranch with a name as expected: %v, want Invalid", err)
	}
	// Well-formed but unknown commits (and non-commits) are NotFound.
	unknown := strings.Repeat("0", 39) + "1"
	tree := f.ref(t, main+"^{tree}")
	for _, id := range []string{unknown, tree} {
		if _, err := f.b.CheckMerge(ctx, f.repo, main, id); !isKind(err, apperr.KindNotFound) {
			t.Errorf("CheckMerge of %s: %v, want NotFound", id, err)
		}
		spec := good
		spec.SourceCommit = id
		if _, err := f.b.Merge(ctx, f.repo, spec); !isKind(err, apperr.KindNotFound) {
			t.Errorf("Merge of %s: %v, want NotFound", id, err)
		}
	}
	// Nothing moved; the good spec still works.
	if f.ref(t, "refs/heads/main") != main {
		t.Fatal("a refused merge moved the target")
	}
	if _, err := f.b.Merge(ctx, f.repo, good); err != nil {
		t.Fatalf("the valid spec: %v", err)
	}
}

func TestMergeUnrelatedHistoriesRefused(t *testing.T) {
	f := newMergeFixture(t)
	ctx := t.Context()
	main := f.ref(t, "refs/heads/main")
	f.git(t, "checkout", "-q", "--orphan", "orphan")
	f.git(t, "rm", "-q", "-rf", ".")
	if err := os.WriteFile(filepath.Join(f.work, "o.txt"), []byte("o\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f.git(t, "add", "o.txt")
	f.git(t, "commit", "-q", "-m", "unrelated")
	f.git(t, "push", "-q", "origin", "orphan")
	orphan := f.ref(t, "refs/heads/orphan")
	if _, err := f.b.CheckMerge(ctx, f.repo, main, orphan); !isKind(err, apperr.KindFailedPrecondition) || !errors.Is(err, git.ErrUnrelatedHistories) {
		t.Fatalf("unrelated histories: %v, want FailedPrecondition wrapping ErrUnrelatedHistories", err)
	}
}

// TestMergeConcurrentMergesLoseNothing: merges of two sources into one
// target race; each round exactly one wins, the loser sees ErrRefMoved,
// recomputes and retries, and in the end both sources are merged.
func TestMergeConcurrentMergesLoseNothing(t *testing.T) {
	f := newMergeFixture(t)
	ctx := t.Context()
	const rounds = 4
	for round := range rounds {
		sources := [2]string{
			f.commit(t, fmt.Sprintf("r%d-a", round), "a", map[string]string{fmt.Sprintf("r%d-a.txt", round): "a\n"}),
			f.commit(t, fmt.Sprintf("r%d-b", round), "b", map[string]string{fmt.Sprintf("r%d-b.txt", round): "b\n"}),
		}
		start := f.ref(t, "refs/heads/main")
		var (
			wg          sync.WaitGroup
			firstWins   [2]bool
			results     [2]string
			errs        [2]error
			ready, fire = make(chan struct{}, 2), make(chan struct{})
		)
		for i, src := range sources {
			wg.Add(1)
			go func() {
				defer wg.Done()
				target := start // both first attempts see the same target
				ready <- struct{}{}
				<-fire
				for attempt := 0; attempt < 10; attempt++ {
					got, err := f.b.Merge(ctx, f.repo, git.MergeSpec{
						Method: repository.MergeCommit, TargetRef: "refs/heads/main", TargetCommit: target, SourceCommit: src,
						Committer: grace, Message: fmt.Sprintf("merge %d", i),
					})
					if err == nil {
						firstWins[i] = attempt == 0
						results[i] = got
						return
					}
					if !errors.Is(err, git.ErrRefMoved) {
						errs[i] = err
						return
					}
					if target, err = f.b.Resolve(ctx, f.repo, "refs/heads/main"); err != nil {
						errs[i] = err
						return
					}
				}
				errs[i] = errors.New("no success after 10 attempts")
			}()
		}
		<-ready
		<-ready
		close(fire)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d, source %d: %v", round, i, err)
			}
		}
		if firstWins[0] == firstWins[1] {
			t.Fatalf("round %d: first attempts won %v, want exactly one", round, firstWins)
		}
		final := f.ref(t, "refs/heads/main")
		if final != results[0] && final != results[1] {
			t.Fatalf("round %d: main at %s, neither merge (%v)", round, final, results)
		}
		// The last merge has the first as its first parent: nothing lost.
		for _, c := range append([]string{start}, append(sources[:], results[:]...)...) {
			f.bare(t, "merge-base", "--is-ancestor", c, final)
		}
		for _, s := range []string{"a", "b"} {
			if got := f.file(t, final, fmt.Sprintf("r%d-%s.txt", round, s)); got != s+"\n" {
				t.Fatalf("round %d: %s missing from main", round, s)
			}
		}
		// Keep the work tree's main in step with the hosted one.
		f.git(t, "checkout", "-q", "main")
		f.git(t, "pull", "-q", "--ff-only", "origin", "main")
	}
}
