package cli

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hearth-dev/hearth/controlplane/servertest"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// pushPipelineFile creates project admin/<name> and pushes a .hearth.yml.
func pushPipelineFile(t *testing.T, srv *servertest.Server, token, name, file string) {
	t.Helper()
	if _, err := hearthv1connect.NewProjectServiceClient(http.DefaultClient, srv.URL, servertest.BearerOption(token)).
		CreateProject(t.Context(), &hearthv1.CreateProjectRequest{Name: name}); err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	env := []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=T", "GIT_AUTHOR_EMAIL=t@example.test", "GIT_COMMITTER_NAME=T", "GIT_COMMITTER_EMAIL=t@example.test"}
	if err := os.WriteFile(filepath.Join(work, ".hearth.yml"), []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	remote, _ := url.Parse(srv.URL + "/admin/" + name + ".git")
	remote.User = url.UserPassword("admin", token)
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "."}, {"commit", "-q", "-m", "ci"}, {"push", "-q", remote.String(), "main"}} {
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Dir, cmd.Env = work, env
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
}

var uuidPattern = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// TestPipelineCommands: run, list, get, cancel, retry and logs against a
// real server (no agent: jobs stay queued until cancelled).
func TestPipelineCommands(t *testing.T) {
	srv := servertest.Start(t)
	token := srv.AdminToken(t)
	t.Setenv("HEARTH_CONFIG_DIR", t.TempDir())
	t.Setenv("HEARTH_SERVER", srv.URL)
	t.Setenv("HEARTH_TOKEN", token)
	pushPipelineFile(t, srv, token, "app", "jobs:\n  build:\n    steps: [\"echo $GREETING\"]\n  test:\n    needs: [build]\n    steps: [\"true\"]\n")

	code, stdout, stderr := runIn(t, "", "pipeline", "run", "--project", "admin/app", "--ref", "main", "--var", "GREETING=hi")
	if code != ExitOK || !strings.Contains(stdout, "build") || !strings.Contains(stdout, "test") || !strings.Contains(stdout, "refs/heads/main") {
		t.Fatalf("pipeline run: %d\n%s\n%s", code, stdout, stderr)
	}
	pipelineID := uuidPattern.FindString(stdout)

	// The push's pipeline comes from the push outbox, after the push
	// answered: wait for it rather than race it.
	testsvc.WaitFor(t, "the push's and the manual pipeline in the list", func() bool {
		code, stdout, _ = runIn(t, "", "pipeline", "list", "--project", "admin/app")
		return code == ExitOK && strings.Count(stdout, "\n") >= 3 && strings.Contains(stdout, pipelineID) &&
			strings.Contains(stdout, "manual") && strings.Contains(stdout, "push")
	})

	code, stdout, _ = runIn(t, "", "pipeline", "get", pipelineID)
	if code != ExitOK || !strings.Contains(stdout, "pending") || !strings.Contains(stdout, "created") {
		t.Fatalf("pipeline get: %d\n%s", code, stdout)
	}
	var buildJob string
	for line := range strings.SplitSeq(stdout, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[1] == "build" {
			buildJob = f[0]
		}
	}

	code, stdout, _ = runIn(t, "", "pipeline", "cancel", pipelineID)
	if code != ExitOK || !strings.Contains(stdout, "cancelled") {
		t.Fatalf("pipeline cancel: %d\n%s", code, stdout)
	}
	// A job that never ran has an empty log; following it ends at once
	// with its state, and a cancelled job exits 1.
	if code, stdout, stderr = runIn(t, "", "pipeline", "logs", buildJob); code != ExitOK || stdout != "" {
		t.Fatalf("pipeline logs: %d %q %s", code, stdout, stderr)
	}
	if code, _, stderr = runIn(t, "", "pipeline", "logs", "-f", buildJob); code != ExitFailure || !strings.Contains(stderr, "cancelled") {
		t.Fatalf("pipeline logs -f of a cancelled job: %d %s", code, stderr)
	}
	code, stdout, stderr = runIn(t, "", "pipeline", "retry", "--job", buildJob)
	if code != ExitOK || !strings.Contains(stdout, "attempt 2") {
		t.Fatalf("pipeline retry --job: %d\n%s\n%s", code, stdout, stderr)
	}

	for _, bad := range [][]string{
		{"pipeline", "list", "--project", "no-slash"},
		{"pipeline", "get"},
		{"pipeline", "get", "a", "b"},
		{"pipeline", "run", "--project", "admin/app", "--var", "NOEQUALS"},
		{"pipeline", "frobnicate"},
	} {
		if code, _, _ := runIn(t, "", bad...); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d", bad, code, ExitUsage)
		}
	}
	if code, _, stderr := runIn(t, "", "pipeline", "get", "00000000-0000-0000-0000-000000000000"); code != ExitFailure || !strings.Contains(stderr, "not_found") {
		t.Fatalf("unknown pipeline: %d %s", code, stderr)
	}
}
