package kube

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hearth-dev/hearth/controlplane/servertest"
	"github.com/hearth-dev/hearth/nodeagent/kubetest"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// world is a control plane listening on the node address, with a
// project to push to.
type world struct {
	srv   *servertest.Server
	base  string
	admin string
	owner string
	work  string // the local clone pushes are made from
	env   []string
}

const project = "demo"

func newWorld(t testing.TB) *world {
	t.Helper()
	// A restarted agent waits up to the Lease's 15 s for its old self's
	// Lease to expire: the reaper must not fail its jobs meanwhile.
	srv := servertest.Start(t, servertest.ListenOn(kubetest.NodeIP), servertest.ReaperGrace(30*time.Second))
	w := &world{srv: srv, base: srv.URL, admin: srv.AdminToken(t), owner: servertest.AdminUsername, work: t.TempDir()}
	if _, err := hearthv1connect.NewProjectServiceClient(http.DefaultClient, w.base, servertest.BearerOption(w.admin)).
		CreateProject(t.Context(), &hearthv1.CreateProjectRequest{Name: project}); err != nil {
		t.Fatalf("create project: %v", err)
	}
	w.env = []string{
		"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "LC_ALL=C", "GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=E2E", "GIT_AUTHOR_EMAIL=e2e@example.test", "GIT_COMMITTER_NAME=E2E", "GIT_COMMITTER_EMAIL=e2e@example.test",
	}
	w.git(t, "init", "-q", "-b", "main")
	return w
}

func (w *world) clusters() hearthv1connect.ClusterServiceClient {
	return hearthv1connect.NewClusterServiceClient(http.DefaultClient, w.base, servertest.BearerOption(w.admin))
}

func (w *world) pipelines() hearthv1connect.PipelineServiceClient {
	return hearthv1connect.NewPipelineServiceClient(http.DefaultClient, w.base, servertest.BearerOption(w.admin))
}

// cluster registers a cluster with labels and returns a join token for it.
func (w *world) cluster(t testing.TB, name string, labels map[string]string) string {
	t.Helper()
	c, err := w.clusters().CreateCluster(t.Context(), &hearthv1.CreateClusterRequest{Name: name, Labels: labels})
	if err != nil {
		t.Fatalf("create cluster: %v", err)
	}
	res, err := w.clusters().CreateJoinToken(t.Context(), &hearthv1.CreateJoinTokenRequest{
		ClusterId: c.GetCluster().GetId(), MaxUses: 1, ExpireTime: timestamppb.New(time.Now().Add(time.Hour)),
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
	cmd.Dir, cmd.Env = w.work, w.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// push commits files and pushes to branch; it returns the commit id.
func (w *world) push(t testing.TB, branch string, files map[string]string) string {
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
	sha := w.git(t, "rev-parse", "HEAD")
	u, err := url.Parse(w.base + "/" + w.owner + "/" + project + ".git")
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(w.owner, w.admin)
	w.git(t, "push", "-q", u.String(), "HEAD:refs/heads/"+branch)
	return sha
}

// pipelineFor waits until the pipeline of commit sha satisfies ok.
func (w *world) pipelineFor(t testing.TB, sha string, timeout time.Duration, ok func(*hearthv1.Pipeline) bool) *hearthv1.Pipeline {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last *hearthv1.Pipeline
	for time.Now().Before(deadline) {
		res, err := w.pipelines().ListPipelines(t.Context(), &hearthv1.ListPipelinesRequest{Owner: w.owner, Name: project, PageSize: 20})
		if err == nil {
			for _, p := range res.GetPipelines() {
				if p.GetCommitSha() != sha {
					continue
				}
				full, err := w.pipelines().GetPipeline(t.Context(), &hearthv1.GetPipelineRequest{Id: p.GetId()})
				if err == nil {
					last = full.GetPipeline()
					if ok(last) {
						return last
					}
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the pipeline of %s did not get there in %s; last seen: %v", sha, timeout, last)
	return nil
}

func finished(p *hearthv1.Pipeline) bool {
	switch p.GetState() {
	case hearthv1.PipelineState_PIPELINE_STATE_SUCCESS, hearthv1.PipelineState_PIPELINE_STATE_FAILURE, hearthv1.PipelineState_PIPELINE_STATE_CANCELLED:
		return true
	}
	return false
}

func jobNamed(t testing.TB, p *hearthv1.Pipeline, name string) *hearthv1.Job {
	t.Helper()
	for _, j := range p.GetJobs() {
		if j.GetName() == name {
			return j
		}
	}
	t.Fatalf("pipeline %s has no job %q", p.GetId(), name)
	return nil
}

// rawLog is a job's stored log, every step.
func (w *world) rawLog(t testing.TB, jobID string) string {
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
	defer func() { _ = res.Body.Close() }()
	body, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET log: %d %v %s", res.StatusCode, err, body)
	}
	return string(body)
}
