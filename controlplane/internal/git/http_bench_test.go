package git_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http/cgi"
	"net/http/httptest"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/git"
)

// benchCommits is the size of the benchmark's history.
const benchCommits = 10000

// fastImport fills a bare repository with n linear commits on main.
func fastImport(b *testing.B, dir string, n int) {
	b.Helper()
	var s bytes.Buffer
	for i := 1; i <= n; i++ {
		msg := fmt.Sprintf("commit %d\n", i)
		content := fmt.Sprintf("content of file %d at commit %d\n%s", i%200, i, strings.Repeat("x", i%97))
		fmt.Fprintf(&s, "commit refs/heads/main\nmark :%d\ncommitter Bench <b@example.test> %d +0000\ndata %d\n%s", i, 1700000000+i, len(msg), msg)
		if i > 1 {
			fmt.Fprintf(&s, "from :%d\n", i-1)
		}
		fmt.Fprintf(&s, "M 644 inline dir%d/file%d.txt\ndata %d\n%s\n", i%13, i%200, len(content), content)
	}
	cmd := exec.CommandContext(context.Background(), "git", "fast-import", "--quiet")
	cmd.Dir, cmd.Stdin = dir, &s
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("fast-import: %v\n%s", err, out)
	}
	cmd = exec.CommandContext(context.Background(), "git", "repack", "-adq")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("repack: %v\n%s", err, out)
	}
}

// cpuTime is this process's and its children's (git client and server
// processes alike) CPU time so far.
func cpuTime() time.Duration {
	var self, kids syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids)
	tv := func(t syscall.Timeval) time.Duration { return time.Duration(t.Nano()) }
	return tv(self.Utime) + tv(self.Stime) + tv(kids.Utime) + tv(kids.Stime)
}

// BenchmarkCloneAndPush clones a 10,000-commit repository and pushes a
// branch to it, through Hearth's handler and through git http-backend
// (CGI) serving the same repository in the same run. Metrics:
// hearth-ms/clone and backend-ms/clone (wall), clone-ratio
// (backend time / Hearth time: ≥ 1 means Hearth is as fast or faster),
// *-cpu-ms/clone (process + children CPU, client included), the same for
// push.
func BenchmarkCloneAndPush(b *testing.B) {
	h := newHarness(b, git.Limits{})
	proj := h.addProject(b, "bench", "big", false)
	u := h.addUser("bench")
	h.Authz.grant(u.id, proj.ID, access.RepoRead, access.RepoWrite)
	fastImport(b, h.Storage.Path(proj.ID), benchCommits)
	gitPath, err := exec.LookPath("git")
	if err != nil {
		b.Fatal(err)
	}
	backend := httptest.NewServer(&cgi.Handler{
		Path: gitPath, Root: "/backend", Args: []string{"http-backend"},
		Env: []string{"GIT_PROJECT_ROOT=" + h.Storage.Root, "GIT_HTTP_EXPORT_ALL=1", "GIT_CONFIG_NOSYSTEM=1", "HOME=/nonexistent"},
	})
	b.Cleanup(backend.Close)
	targets := []struct{ name, url string }{
		{"hearth", withUser(h.URL+"/bench/big.git", "bench", u.token)},
		{"backend", backend.URL + "/backend/" + proj.ID.String() + ".git"},
	}
	env := gitEnv(b)
	work := b.TempDir()
	mustGit(b, env, work, "clone", "-q", targets[1].url, "w")
	work += "/w"
	var wall, cpu [2][2]time.Duration // [target][clone, push]
	b.ResetTimer()
	for i := range b.N {
		for t, tg := range targets {
			dir := b.TempDir()
			start, c0 := time.Now(), cpuTime()
			mustGit(b, env, dir, "clone", "-q", "--no-checkout", tg.url, "c")
			wall[t][0] += time.Since(start)
			cpu[t][0] += cpuTime() - c0

			mustGit(b, env, work, "commit", "-q", "--allow-empty", "-m", fmt.Sprintf("bench %d %s", i, tg.name))
			start, c0 = time.Now(), cpuTime()
			mustGit(b, env, work, "push", "-q", tg.url, fmt.Sprintf("HEAD:refs/heads/bench-%s-%d", tg.name, i))
			wall[t][1] += time.Since(start)
			cpu[t][1] += cpuTime() - c0
		}
	}
	b.StopTimer()
	n := float64(b.N)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / n }
	b.ReportMetric(ms(wall[0][0]), "hearth-ms/clone")
	b.ReportMetric(ms(wall[1][0]), "backend-ms/clone")
	b.ReportMetric(float64(wall[1][0])/float64(wall[0][0]), "clone-ratio")
	b.ReportMetric(ms(cpu[0][0]), "hearth-cpu-ms/clone")
	b.ReportMetric(ms(cpu[1][0]), "backend-cpu-ms/clone")
	b.ReportMetric(ms(wall[0][1]), "hearth-ms/push")
	b.ReportMetric(ms(wall[1][1]), "backend-ms/push")
	b.ReportMetric(float64(wall[1][1])/float64(wall[0][1]), "push-ratio")
}
