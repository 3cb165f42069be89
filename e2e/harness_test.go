package e2e

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hearth-dev/hearth/controlplane/servertest"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// world is one control plane with a project, a cluster and a TCP proxy in
// front of the control plane for agents.
type world struct {
	srv     *servertest.Server // the in-process control plane; nil for a child process
	base    string             // the control plane's URL
	proxy   *proxy
	admin   string // the admin's API token
	owner   string
	project string
	cluster string
	gitEnv  []string
	work    string // the local clone pushes are made from
}

const projectName = "demo"

func newWorld(t testing.TB, opts ...servertest.Option) *world {
	t.Helper()
	srv := servertest.Start(t, opts...)
	w := setUpWorld(t, srv.URL, srv.AdminToken(t))
	w.srv = srv
	return w
}

// setUpWorld creates the project and the cluster on the control plane at
// base, with the admin's token, and the proxy agents reach it through.
func setUpWorld(t testing.TB, base, admin string) *world {
	t.Helper()
	w := &world{base: base, admin: admin, owner: servertest.AdminUsername, project: projectName}
	w.proxy = newProxy(t, strings.TrimPrefix(base, "http://"))
	ctx := t.Context()
	if _, err := hearthv1connect.NewProjectServiceClient(http.DefaultClient, base, servertest.BearerOption(w.admin)).
		CreateProject(ctx, &hearthv1.CreateProjectRequest{Name: projectName}); err != nil {
		t.Fatalf("create project: %v", err)
	}
	c, err := w.clusters().CreateCluster(ctx, &hearthv1.CreateClusterRequest{Name: "e2e"})
	if err != nil {
		t.Fatalf("create cluster: %v", err)
	}
	w.cluster = c.GetCluster().GetId()
	w.gitEnv = []string{
		"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "LC_ALL=C",
		"GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=E2E", "GIT_AUTHOR_EMAIL=e2e@example.test",
		"GIT_COMMITTER_NAME=E2E", "GIT_COMMITTER_EMAIL=e2e@example.test",
	}
	w.work = t.TempDir()
	w.git(t, "init", "-q", "-b", "main")
	return w
}

// restart stops the control plane and starts another on the same database,
// Redis and S3; agents keep talking to the proxy, which now leads there.
func (w *world) restart(t testing.TB) {
	t.Helper()
	w.proxy.SetTarget("127.0.0.1:1") // refused while nobody serves
	w.proxy.Cut()
	old := w.srv
	old.Stop()
	w.srv = servertest.Start(t, servertest.SharingStateWith(old))
	w.base = w.srv.URL
	w.proxy.SetTarget(strings.TrimPrefix(w.base, "http://"))
}

func (w *world) clusters() hearthv1connect.ClusterServiceClient {
	return hearthv1connect.NewClusterServiceClient(http.DefaultClient, w.base, servertest.BearerOption(w.admin))
}

func (w *world) pipelines() hearthv1connect.PipelineServiceClient {
	return hearthv1connect.NewPipelineServiceClient(http.DefaultClient, w.base, servertest.BearerOption(w.admin))
}

func (w *world) joinToken(t testing.TB) string {
	t.Helper()
	res, err := w.clusters().CreateJoinToken(t.Context(), &hearthv1.CreateJoinTokenRequest{
		ClusterId: w.cluster, MaxUses: 1, ExpireTime: timestamppb.New(time.Now().Add(time.Hour)),
	})
	if err != nil {
		t.Fatalf("join token: %v", err)
	}
	return res.GetToken()
}

func (w *world) git(t testing.TB, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir, cmd.Env = w.work, w.gitEnv
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// push commits files (path → content) and pushes the commit to branch;
// it returns the commit id.
func (w *world) push(t testing.TB, branch string, files map[string]string) string {
	t.Helper()
	sha := w.commit(t, files)
	w.pushHead(t, branch)
	return sha
}

// commit commits files (path → content) locally and returns the commit id.
func (w *world) commit(t testing.TB, files map[string]string) string {
	t.Helper()
	for path, content := range files {
		full := filepath.Join(w.work, path)
		if err := os.MkdirAll(filepath.Dir(full), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	w.git(t, "add", "-A")
	w.git(t, "commit", "-q", "--allow-empty", "-m", "change")
	return w.git(t, "rev-parse", "HEAD")
}

// pushHead pushes the local HEAD to branch.
func (w *world) pushHead(t testing.TB, branch string) {
	t.Helper()
	u, err := url.Parse(w.base + "/" + w.owner + "/" + w.project + ".git")
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(w.owner, w.admin)
	w.git(t, "push", "-q", u.String(), "HEAD:refs/heads/"+branch)
}

// waitPipeline polls the project's pipelines until one satisfies ok.
func (w *world) waitPipeline(t testing.TB, timeout time.Duration, ok func(*hearthv1.Pipeline) bool) *hearthv1.Pipeline {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last []*hearthv1.Pipeline
	for time.Now().Before(deadline) {
		res, err := w.pipelines().ListPipelines(t.Context(), &hearthv1.ListPipelinesRequest{Owner: w.owner, Name: w.project})
		if err == nil {
			last = res.GetPipelines()
			for _, p := range last {
				full, err := w.pipelines().GetPipeline(t.Context(), &hearthv1.GetPipelineRequest{Id: p.GetId()})
				if err == nil && ok(full.GetPipeline()) {
					return full.GetPipeline()
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no pipeline reached the expected state in %s; last seen: %v", timeout, last)
	return nil
}

// latestFor returns the newest pipeline for commit sha, or nil.
func (w *world) latestFor(t testing.TB, sha string) *hearthv1.Pipeline {
	t.Helper()
	res, err := w.pipelines().ListPipelines(t.Context(), &hearthv1.ListPipelinesRequest{Owner: w.owner, Name: w.project, PageSize: 5})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.GetPipelines() {
		if p.GetCommitSha() == sha {
			full, err := w.pipelines().GetPipeline(t.Context(), &hearthv1.GetPipelineRequest{Id: p.GetId()})
			if err != nil {
				t.Fatal(err)
			}
			return full.GetPipeline()
		}
	}
	return nil
}

// waitFinished waits for pipeline id to end.
func (w *world) waitFinished(t testing.TB, id string, timeout time.Duration) *hearthv1.Pipeline {
	t.Helper()
	return w.waitPipeline(t, timeout, func(p *hearthv1.Pipeline) bool { return p.GetId() == id && finished(p) })
}

func finished(p *hearthv1.Pipeline) bool {
	switch p.GetState() {
	case hearthv1.PipelineState_PIPELINE_STATE_SUCCESS, hearthv1.PipelineState_PIPELINE_STATE_FAILURE,
		hearthv1.PipelineState_PIPELINE_STATE_CANCELLED:
		return true
	default:
		return false
	}
}

func jobNamed(t testing.TB, p *hearthv1.Pipeline, name string) *hearthv1.Job {
	t.Helper()
	var found *hearthv1.Job
	for _, j := range p.GetJobs() {
		if j.GetName() == name && (found == nil || j.GetAttempt() > found.GetAttempt()) {
			found = j
		}
	}
	if found == nil {
		t.Fatalf("pipeline %s has no job %q: %v", p.GetId(), name, p.GetJobs())
	}
	return found
}

// rawLog downloads a job's whole log.
func (w *world) rawLog(t testing.TB, jobID string) []byte {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, w.base+"/api/v1/jobs/"+jobID+"/log", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+w.admin)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET log: %d %v %s", res.StatusCode, err, body)
	}
	return body
}

// agentProc is a hearth-agent process of the binary built by TestMain.
type agentProc struct {
	t    testing.TB
	args []string
	dir  string
	env  []string

	mu  sync.Mutex
	cmd *exec.Cmd
	out *bytes.Buffer
}

// startAgent registers (first start) and runs an agent with the process
// runner against the proxy.
func (w *world) startAgent(t testing.TB, capacity int) *agentProc {
	t.Helper()
	a := &agentProc{
		t:   t,
		dir: t.TempDir(),
		env: append(os.Environ(), "HEARTH_AGENT_JOIN_TOKEN="+w.joinToken(t)),
	}
	a.args = []string{"run", "--server", w.proxy.URL(), "--data-dir", a.dir, "--runner", "process",
		"--capacity", strconv.Itoa(capacity), "--name", "e2e", "--log-level", "debug",
		// Its own free port: several agents share the machine.
		"--otlp-listen", "127.0.0.1:0"}
	a.start()
	t.Cleanup(func() {
		a.stop()
		a.mu.Lock()
		out := a.out.String()
		a.mu.Unlock()
		checkNoRace(t, "hearth-agent", out)
		if t.Failed() {
			t.Logf("agent output:\n%s", out)
		}
	})
	return a
}

func (a *agentProc) start() {
	a.t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	cmd := exec.Command(agentBinary, a.args...) // stopped by stop/kill9, not by a context
	cmd.Env = a.env
	if a.out == nil {
		a.out = &bytes.Buffer{}
	}
	cmd.Stdout, cmd.Stderr = lockedWriter{&a.mu, a.out}, lockedWriter{&a.mu, a.out}
	if err := cmd.Start(); err != nil {
		a.t.Fatalf("start agent: %v", err)
	}
	a.cmd = cmd
}

// kill9 kills the agent process only (its jobs' process groups live on).
func (a *agentProc) kill9() {
	a.mu.Lock()
	cmd := a.cmd
	a.mu.Unlock()
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
}

// restart starts the agent again on its data directory.
func (a *agentProc) restart() { a.start() }

func (a *agentProc) stop() {
	a.mu.Lock()
	cmd := a.cmd
	a.mu.Unlock()
	if cmd == nil || cmd.ProcessState != nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }() // how it exits is the test's business, not cleanup's
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		<-tick.C
	}
}
