package pipeline_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hearth-dev/hearth/controlplane/servertest"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// pushFile creates the caller's private project name and pushes one
// commit of .hearth.yml to main.
func pushFile(t *testing.T, srv *servertest.Server, user, token, name, file string) string {
	t.Helper()
	res, err := hearthv1connect.NewProjectServiceClient(http.DefaultClient, srv.URL, servertest.BearerOption(token)).
		CreateProject(t.Context(), &hearthv1.CreateProjectRequest{Name: name, Visibility: hearthv1.Visibility_VISIBILITY_PRIVATE})
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	env := []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=T", "GIT_AUTHOR_EMAIL=t@example.test", "GIT_COMMITTER_NAME=T", "GIT_COMMITTER_EMAIL=t@example.test"}
	if err := os.WriteFile(filepath.Join(work, ".hearth.yml"), []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	remote, _ := url.Parse(srv.URL + "/" + user + "/" + name + ".git")
	remote.User = url.UserPassword(user, token)
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
	return res.GetProject().GetId()
}

// answer is what a caller learns from a refusal: its code and message.
type answer struct{ code, message string }

func connectAnswer(err error) answer {
	if err == nil {
		return answer{code: "ok"}
	}
	var ce *connect.Error
	if !errors.As(err, &ce) {
		return answer{code: "?", message: err.Error()}
	}
	return answer{code: ce.Code().String(), message: ce.Message()}
}

// restAnswer calls the REST (or download) route and returns its status,
// code and message.
func restAnswer(t *testing.T, srv *servertest.Server, token, method, path string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
	var e struct{ Code, Message string }
	_ = json.Unmarshal(body, &e)
	if e.Code == "" {
		e.Message = strings.TrimSpace(string(body))
	}
	return answer{code: fmt.Sprintf("%d %s", res.StatusCode, e.Code), message: e.Message}
}

// Ids of a private project's pipelines and jobs answer a caller who may
// not see the project exactly as ids that name nothing: the same code and
// the same message, over Connect, REST and the log download, so the
// answers tell no one which ids exist.
func TestPrivateIdsAnswerLikeUnknownOnes(t *testing.T) {
	srv := servertest.Start(t)
	ctx := t.Context()
	admin := srv.AdminToken(t)
	srv.CreateUser(t, admin, "outsider", "outsider-password-1", false)
	outsider := srv.Token(t, "outsider", "outsider-password-1", "api")
	project := pushFile(t, srv, "admin", admin, "secret", "jobs:\n  build:\n    steps: [\"true\"]\n")

	owner := hearthv1connect.NewPipelineServiceClient(http.DefaultClient, srv.URL, servertest.BearerOption(admin))
	var pipelineID, jobID string
	testsvc.WaitFor(t, "the push pipeline", func() bool {
		res, err := owner.ListPipelines(ctx, &hearthv1.ListPipelinesRequest{Owner: "admin", Name: "secret"})
		if err != nil || len(res.GetPipelines()) == 0 {
			return false
		}
		pipelineID = res.GetPipelines()[0].GetId()
		return true
	})
	got, err := owner.GetPipeline(ctx, &hearthv1.GetPipelineRequest{Id: pipelineID})
	if err != nil || len(got.GetPipeline().GetJobs()) == 0 {
		t.Fatalf("the pipeline: %v %v", got, err)
	}
	jobID = got.GetPipeline().GetJobs()[0].GetId()
	unknown := uuid.NewString()

	for _, who := range []struct{ name, token string }{{"outsider", outsider}, {"anonymous", ""}} {
		var opts []connect.ClientOption
		if who.token != "" {
			opts = append(opts, servertest.BearerOption(who.token))
		}
		c := hearthv1connect.NewPipelineServiceClient(http.DefaultClient, srv.URL, opts...)
		follow := func(id string) error {
			s, err := c.FollowJobLog(ctx, &hearthv1.FollowJobLogRequest{JobId: id})
			if err != nil {
				return err
			}
			defer func() { _ = s.Close() }()
			for s.Receive() {
			}
			return s.Err()
		}
		calls := map[string]func(id string) error{
			"GetPipeline": func(id string) error {
				_, err := c.GetPipeline(ctx, &hearthv1.GetPipelineRequest{Id: id})
				return err
			},
			"CancelPipeline": func(id string) error {
				_, err := c.CancelPipeline(ctx, &hearthv1.CancelPipelineRequest{Id: id})
				return err
			},
			"RetryPipeline": func(id string) error {
				_, err := c.RetryPipeline(ctx, &hearthv1.RetryPipelineRequest{Id: id})
				return err
			},
			"GetJob": func(id string) error {
				_, err := c.GetJob(ctx, &hearthv1.GetJobRequest{Id: id})
				return err
			},
			"CancelJob": func(id string) error {
				_, err := c.CancelJob(ctx, &hearthv1.CancelJobRequest{Id: id})
				return err
			},
			"RetryJob": func(id string) error {
				_, err := c.RetryJob(ctx, &hearthv1.RetryJobRequest{Id: id})
				return err
			},
			"ListArtifacts": func(id string) error {
				_, err := c.ListArtifacts(ctx, &hearthv1.ListArtifactsRequest{JobId: id})
				return err
			},
			"FollowJobLog": follow,
		}
		for name, call := range calls {
			real := jobID
			if strings.Contains(name, "Pipeline") {
				real = pipelineID
			}
			a, b := connectAnswer(call(real)), connectAnswer(call(unknown))
			if a != b || a.code == "ok" {
				t.Errorf("%s %s: a private id answers %+v, an unknown one %+v", who.name, name, a, b)
			}
			if c := connectAnswer(call("not-an-id")); c != b {
				t.Errorf("%s %s: a malformed id answers %+v, an unknown one %+v", who.name, name, c, b)
			}
		}
		for _, route := range []struct{ method, pattern string }{
			{http.MethodGet, "/api/v1/pipelines/%s"}, {http.MethodPost, "/api/v1/pipelines/%s/cancel"},
			{http.MethodGet, "/api/v1/jobs/%s"}, {http.MethodGet, "/api/v1/jobs/%s/artifacts"},
			{http.MethodGet, "/api/v1/jobs/%s/log"}, {http.MethodGet, "/api/v1/project-ids/%s"},
		} {
			real := jobID
			switch {
			case strings.Contains(route.pattern, "pipelines"):
				real = pipelineID
			case strings.Contains(route.pattern, "project-ids"):
				real = project
			}
			a := restAnswer(t, srv, who.token, route.method, fmt.Sprintf(route.pattern, real))
			b := restAnswer(t, srv, who.token, route.method, fmt.Sprintf(route.pattern, unknown))
			if a != b || strings.HasPrefix(a.code, "2") {
				t.Errorf("%s %s %s: a private id answers %+v, an unknown one %+v", who.name, route.method, route.pattern, a, b)
			}
		}
	}
	// The owner still reads them.
	if _, err := owner.GetJob(ctx, &hearthv1.GetJobRequest{Id: jobID}); err != nil {
		t.Errorf("owner reading the job: %v", err)
	}
	otherLookupsAnswerAlike(t, srv, admin, outsider)
}

// otherLookupsAnswerAlike checks the other lookups by id, number or name
// an outsider may try: issues and merge requests by number in a private
// project, private groups, and other users' tokens and delegations.
func otherLookupsAnswerAlike(t *testing.T, srv *servertest.Server, admin, outsider string) {
	ctx := t.Context()
	asAdmin, asOutsider := servertest.BearerOption(admin), servertest.BearerOption(outsider)
	if _, err := hearthv1connect.NewIssueServiceClient(http.DefaultClient, srv.URL, asAdmin).CreateIssue(ctx,
		&hearthv1.CreateIssueRequest{Owner: "admin", Name: "secret", Title: "hidden"}); err != nil {
		t.Fatal(err)
	}
	if _, err := hearthv1connect.NewGroupServiceClient(http.DefaultClient, srv.URL, asAdmin).CreateGroup(ctx,
		&hearthv1.CreateGroupRequest{Name: "hidden"}); err != nil {
		t.Fatal(err)
	}
	toks, err := hearthv1connect.NewTokenServiceClient(http.DefaultClient, srv.URL, asAdmin).ListTokens(ctx, &hearthv1.ListTokensRequest{})
	if err != nil || len(toks.GetTokens()) == 0 {
		t.Fatalf("admin's tokens: %v %v", toks, err)
	}
	d, err := hearthv1connect.NewDelegationServiceClient(http.DefaultClient, srv.URL, asAdmin).CreateDelegation(ctx, &hearthv1.CreateDelegationRequest{
		DelegateId: srv.CreateUser(t, admin, "helper", "helper-password-12", false).GetId(), Permissions: []string{"project:read"},
		Reason: "r", ExpireTime: timestamppb.New(time.Now().Add(time.Hour)),
	})
	if err != nil {
		t.Fatal(err)
	}
	issues := hearthv1connect.NewIssueServiceClient(http.DefaultClient, srv.URL, asOutsider)
	mrs := hearthv1connect.NewMergeRequestServiceClient(http.DefaultClient, srv.URL, asOutsider)
	groups := hearthv1connect.NewGroupServiceClient(http.DefaultClient, srv.URL, asOutsider)
	tokens := hearthv1connect.NewTokenServiceClient(http.DefaultClient, srv.URL, asOutsider)
	delegations := hearthv1connect.NewDelegationServiceClient(http.DefaultClient, srv.URL, asOutsider)
	pairs := map[string][2]error{}
	issue := func(owner, name string, n int64) error {
		_, err := issues.GetIssue(ctx, &hearthv1.GetIssueRequest{Owner: owner, Name: name, Number: n})
		return err
	}
	mr := func(owner, name string, n int64) error {
		_, err := mrs.GetMergeRequest(ctx, &hearthv1.GetMergeRequestRequest{Owner: owner, Name: name, Number: n})
		return err
	}
	group := func(name string) error {
		_, err := groups.GetGroup(ctx, &hearthv1.GetGroupRequest{Name: name})
		return err
	}
	revokeToken := func(id string) error {
		_, err := tokens.RevokeToken(ctx, &hearthv1.RevokeTokenRequest{Id: id})
		return err
	}
	revokeDelegation := func(id string) error {
		_, err := delegations.RevokeDelegation(ctx, &hearthv1.RevokeDelegationRequest{Id: id})
		return err
	}
	pairs["issue 1 of a private project"] = [2]error{issue("admin", "secret", 1), issue("admin", "nothing", 1)}
	pairs["issue 9 of a private project"] = [2]error{issue("admin", "secret", 9), issue("admin", "nothing", 9)}
	pairs["merge request of a private project"] = [2]error{mr("admin", "secret", 1), mr("admin", "nothing", 1)}
	pairs["private group"] = [2]error{group("hidden"), group("nothing")}
	pairs["another user's token"] = [2]error{revokeToken(toks.GetTokens()[0].GetId()), revokeToken(uuid.NewString())}
	pairs["another user's delegation"] = [2]error{revokeDelegation(d.GetDelegation().GetId()), revokeDelegation(uuid.NewString())}
	// Git and the repository downloads, by path.
	for _, route := range []string{"/%s.git/info/refs?service=git-upload-pack", "/%s/info/refs?service=git-upload-pack",
		"/api/v1/projects/%s/repository/archive?ref=main&format=tar.gz", "/api/v1/projects/%s/repository/raw?ref=main&path=.hearth.yml"} {
		a := restAnswer(t, srv, outsider, http.MethodGet, fmt.Sprintf(route, "admin/secret"))
		b := restAnswer(t, srv, outsider, http.MethodGet, fmt.Sprintf(route, "admin/nothing"))
		if a != b || !strings.HasPrefix(a.code, "404") {
			t.Errorf("GET %s: the private project answers %+v, a missing one %+v", route, a, b)
		}
	}
	for what, p := range pairs {
		a, b := connectAnswer(p[0]), connectAnswer(p[1])
		if a != b || a.code != connect.CodeNotFound.String() {
			t.Errorf("%s: a real one answers %+v, a missing one %+v", what, a, b)
		}
	}
}
