package git

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// TestMergeRefUpdateIsCompareAndSwap: the final ref update itself (not only
// Merge's early check) refuses a ref that no longer holds the old value,
// for a move and a deletion, and leaves the ref where the other writer put it.
func TestMergeRefUpdateIsCompareAndSwap(t *testing.T) {
	dir := t.TempDir()
	env := gitEnv(t)
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	run("init", "-q", "--bare", "-b", "main")
	tree := run("mktree") // the empty tree (stdin is empty)
	c1 := run("commit-tree", "-m", "one", tree)
	c2 := run("commit-tree", "-m", "two", "-p", c1, tree)
	c3 := run("commit-tree", "-m", "three", "-p", c1, tree)
	run("update-ref", "refs/heads/main", c2)
	b := Browser{}

	// The caller saw c1; main is at c2 now.
	if err := b.updateRef(t.Context(), dir, "refs/heads/main", c3, c1); !errors.Is(err, ErrRefMoved) {
		t.Fatalf("stale move: %v, want ErrRefMoved", err)
	}
	if err := b.updateRef(t.Context(), dir, "refs/heads/main", "", c1); !errors.Is(err, ErrRefMoved) {
		t.Fatalf("stale delete: %v, want ErrRefMoved", err)
	}
	if got := run("rev-parse", "refs/heads/main"); got != c2 {
		t.Fatalf("main at %s, want %s (the other writer's)", got, c2)
	}
	if err := b.updateRef(t.Context(), dir, "refs/heads/main", c3, c2); err != nil {
		t.Fatal(err)
	}
	if got := run("rev-parse", "refs/heads/main"); got != c3 {
		t.Fatalf("main at %s, want %s", got, c3)
	}
}
