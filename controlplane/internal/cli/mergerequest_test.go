package cli

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearth-dev/hearth/controlplane/servertest"
)

// TestMergeRequestCommands: create, list and merge through the CLI against
// a real server and a real repository; bad usage exits 2.
func TestMergeRequestCommands(t *testing.T) {
	srv := servertest.Start(t)
	token := srv.AdminToken(t)
	t.Setenv("HEARTH_CONFIG_DIR", t.TempDir())
	t.Setenv("HEARTH_SERVER", srv.URL)
	t.Setenv("HEARTH_TOKEN", token)
	// main with a file, and a branch "feature" adding one.
	pushPipelineFile(t, srv, token, "shop", "jobs: {}\n")
	work := t.TempDir()
	env := []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=T", "GIT_AUTHOR_EMAIL=t@example.test", "GIT_COMMITTER_NAME=T", "GIT_COMMITTER_EMAIL=t@example.test"}
	remote, _ := url.Parse(srv.URL + "/admin/shop.git")
	remote.User = url.UserPassword("admin", token)
	gitRun := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Dir, cmd.Env = work, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	gitRun("clone", "-q", remote.String(), ".")
	gitRun("checkout", "-q", "-b", "feature")
	if err := os.WriteFile(filepath.Join(work, "feature.txt"), []byte("f\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	gitRun("add", ".")
	gitRun("commit", "-q", "-m", "feature")
	gitRun("push", "-q", remote.String(), "feature")

	code, stdout, stderr := runIn(t, "", "mr", "create", "--project", "admin/shop", "--source", "feature", "--target", "main", "--title", "Add feature")
	if code != ExitOK || !strings.HasPrefix(stdout, "!1 Add feature (feature → main, mergeable)") {
		t.Fatalf("mr create: %d %q %s", code, stdout, stderr)
	}
	code, stdout, _ = runIn(t, "", "mr", "list", "--project", "admin/shop")
	if code != ExitOK || !strings.Contains(stdout, "!1") || !strings.Contains(stdout, "Add feature") || !strings.Contains(stdout, "mergeable") {
		t.Fatalf("mr list: %d\n%s", code, stdout)
	}
	code, stdout, stderr = runIn(t, "", "mr", "merge", "--project", "admin/shop", "--method", "squash", "--delete-source-branch", "!1")
	if code != ExitOK || !strings.HasPrefix(stdout, "!1 merged into main as ") || !strings.Contains(stdout, "deleted branch feature") {
		t.Fatalf("mr merge: %d %q %s", code, stdout, stderr)
	}
	code, stdout, _ = runIn(t, "", "mr", "list", "--project", "admin/shop", "--state", "merged")
	if code != ExitOK || !strings.Contains(stdout, "merged") || !strings.Contains(stdout, "Add feature") {
		t.Fatalf("merged list: %d\n%s", code, stdout)
	}
	if code, _, stderr := runIn(t, "", "mr", "merge", "--project", "admin/shop", "1"); code != ExitFailure || !strings.Contains(stderr, "failed_precondition") {
		t.Fatalf("merging again: %d %s", code, stderr)
	}
	for _, bad := range [][]string{
		{"mr", "list", "--project", "admin/shop", "--state", "sleeping"},
		{"mr", "merge", "--project", "admin/shop", "--method", "rebase", "1"},
		{"mr", "merge", "--project", "admin/shop", "x"},
		{"mr", "merge", "--project", "admin/shop"},
		{"mr", "create", "--project", "admin/shop", "--title", "t"},
	} {
		if code, _, _ := runIn(t, "", bad...); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d", bad, code, ExitUsage)
		}
	}
}
