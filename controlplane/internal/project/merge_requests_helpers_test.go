package project_test

import (
	"slices"

	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hearth-dev/hearth/controlplane/internal/project"
	"github.com/hearth-dev/hearth/controlplane/internal/server"
	"github.com/hearth-dev/hearth/controlplane/servertest"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1/agentv1connect"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

func mergeRequests(srv *servertest.Server, token string) hearthv1connect.MergeRequestServiceClient {
	opts := []connect.ClientOption{}
	if token != "" {
		opts = append(opts, servertest.BearerOption(token))
	}
	return hearthv1connect.NewMergeRequestServiceClient(http.DefaultClient, srv.URL, opts...)
}

// mrWorld is a server with users of every role on a private project "app"
// (ada maintains it, bob develops, carol views, eve is an outsider) and a
// public project "pub", each with a local clone pushes are made from.
type mrWorld struct {
	srv                         *servertest.Server
	admin                       string
	ada, bob, carol, eve        string // API tokens
	app, pub                    *hearthv1.Project
	env                         []string
	hookMu                      sync.Mutex
	beforeMerge                 func(attempt int)
	work                        map[string]string // project name → clone
	adaUser, bobUser, carolUser *hearthv1.User
}

func newMRWorld(t *testing.T) *mrWorld {
	t.Helper()
	w := &mrWorld{work: map[string]string{}}
	w.srv = servertest.Start(t, func(o *server.Options) {
		o.BeforeMerge = func(_ context.Context, _ uuid.UUID, _ int64, attempt int) {
			w.hookMu.Lock()
			hook := w.beforeMerge
			w.hookMu.Unlock()
			if hook != nil {
				hook(attempt)
			}
		}
	})
	w.admin = w.srv.AdminToken(t)
	users := map[string]**hearthv1.User{"ada": &w.adaUser, "bob": &w.bobUser, "carol": &w.carolUser, "eve": nil}
	tokens := map[string]*string{"ada": &w.ada, "bob": &w.bob, "carol": &w.carol, "eve": &w.eve}
	for _, name := range []string{"ada", "bob", "carol", "eve"} {
		u := w.srv.CreateUser(t, w.admin, name, name+"-password-1234", false)
		if users[name] != nil {
			*users[name] = u
		}
		*tokens[name] = w.srv.Token(t, name, name+"-password-1234", "api")
	}
	create := func(name string, vis hearthv1.Visibility) *hearthv1.Project {
		res, err := projects(w.srv, w.ada).CreateProject(t.Context(), &hearthv1.CreateProjectRequest{Name: name, Visibility: vis})
		if err != nil {
			t.Fatal(err)
		}
		return res.GetProject()
	}
	w.app = create("app", hearthv1.Visibility_VISIBILITY_PRIVATE)
	w.pub = create("pub", hearthv1.Visibility_VISIBILITY_PUBLIC)
	for _, p := range []*hearthv1.Project{w.app, w.pub} {
		w.bind(t, "developer", w.bobUser.GetId(), p.GetId())
		w.bind(t, "viewer", w.carolUser.GetId(), p.GetId())
	}
	w.env = []string{
		"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "LC_ALL=C", "GIT_TERMINAL_PROMPT=0",
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=Pusher", "GIT_AUTHOR_EMAIL=pusher@example.test",
		"GIT_COMMITTER_NAME=Pusher", "GIT_COMMITTER_EMAIL=pusher@example.test",
	}
	for _, name := range []string{"app", "pub"} {
		dir := t.TempDir()
		w.work[name] = dir
		w.git(t, dir, "init", "-q", "-b", "main")
		w.commit(t, name, "initial", map[string]string{"README.md": "# app\n", "src/main.txt": "one\ntwo\nthree\n"})
		w.push(t, name, "main")
	}
	return w
}

func (w *mrWorld) setHook(f func(attempt int)) {
	w.hookMu.Lock()
	defer w.hookMu.Unlock()
	w.beforeMerge = f
}

func (w *mrWorld) bind(t *testing.T, role, userID, projectID string) {
	t.Helper()
	_, err := hearthv1connect.NewRoleServiceClient(http.DefaultClient, w.srv.URL, servertest.BearerOption(w.admin)).
		CreateRoleBinding(t.Context(), &hearthv1.CreateRoleBindingRequest{Role: role, UserId: userID, ProjectId: projectID})
	if err != nil {
		t.Fatalf("bind %s: %v", role, err)
	}
}

// git runs the git client in dir.
func (w *mrWorld) git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir, cmd.Env = dir, w.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// bare runs git in the server's bare repository of project.
func (w *mrWorld) bare(t *testing.T, project string, args ...string) string {
	t.Helper()
	id := w.app.GetId()
	if project == "pub" {
		id = w.pub.GetId()
	}
	return w.git(t, filepath.Join(w.srv.DataDir, "repositories", id+".git"), args...)
}

// checkout switches the clone of project to branch at start (creating or
// resetting it).
func (w *mrWorld) checkout(t *testing.T, project, branch, start string) {
	t.Helper()
	w.git(t, w.work[project], "checkout", "-q", "-B", branch, start)
}

// commit writes files (path → content) and commits them on the current
// branch of project's clone; it returns the commit id.
func (w *mrWorld) commit(t *testing.T, project, message string, files map[string]string) string {
	t.Helper()
	dir := w.work[project]
	for p, content := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	w.git(t, dir, "add", "-A")
	w.git(t, dir, "commit", "-q", "--allow-empty", "-m", message)
	return w.git(t, dir, "rev-parse", "HEAD")
}

// push pushes the clone's HEAD to branch as ada, forcing (tests rewrite
// branches freely; main is protected, so only fast-forwards reach it).
func (w *mrWorld) push(t *testing.T, project, branch string) {
	t.Helper()
	u, _ := url.Parse(w.srv.URL + "/ada/" + project + ".git")
	u.User = url.UserPassword("ada", w.ada)
	w.git(t, w.work[project], "push", "-q", u.String(), "HEAD:refs/heads/"+branch)
}

// fetch brings the server's branches into the clone as origin/<branch>.
func (w *mrWorld) fetch(t *testing.T, project string) {
	t.Helper()
	u, _ := url.Parse(w.srv.URL + "/ada/" + project + ".git")
	u.User = url.UserPassword("ada", w.ada)
	w.git(t, w.work[project], "fetch", "-q", "--prune", u.String(), "+refs/heads/*:refs/remotes/origin/*")
}

// branch makes branch from main in project with files committed, pushed;
// it returns its head.
func (w *mrWorld) branch(t *testing.T, project, branch string, files map[string]string) string {
	t.Helper()
	w.fetch(t, project)
	w.checkout(t, project, branch, "origin/main")
	sha := w.commit(t, project, "change on "+branch, files)
	w.push(t, project, branch)
	return sha
}

// events lists the project's recorded events as "kind subject".
func (w *mrWorld) events(t *testing.T, projectID string) []string {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), w.srv.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(t.Context(), "SELECT kind || ' ' || subject FROM project_events WHERE project_id = $1 ORDER BY id", projectID)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// testAgent is a node agent speaking the real agent protocol to the
// server's gateway: it registers with a join token, holds a Connect
// stream, and finishes every job it is sent with the verdict decide gives.
type testAgent struct {
	t      *testing.T
	stream *connect.BidiStreamForClientSimple[agentv1.ConnectRequest, agentv1.ConnectResponse]
	mu     sync.Mutex
	ran    []string // job names
}

func startTestAgent(t *testing.T, w *mrWorld, decide func(job *agentv1.RunJob) agentv1.JobState) *testAgent {
	t.Helper()
	ctx := t.Context()
	clusters := hearthv1connect.NewClusterServiceClient(http.DefaultClient, w.srv.URL, servertest.BearerOption(w.admin))
	c, err := clusters.CreateCluster(ctx, &hearthv1.CreateClusterRequest{Name: "ci"})
	if err != nil {
		t.Fatal(err)
	}
	jt, err := clusters.CreateJoinToken(ctx, &hearthv1.CreateJoinTokenRequest{
		ClusterId: c.GetCluster().GetId(), MaxUses: 1, ExpireTime: timestamppb.New(time.Now().Add(time.Hour)),
	})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := agentv1connect.NewRegistrationServiceClient(http.DefaultClient, w.srv.URL).Register(ctx, &agentv1.RegisterRequest{
		JoinToken: jt.GetToken(), AgentName: "test-agent", RunnerKind: "fake", ProtocolVersion: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	// Bidirectional streams need HTTP/2: h2c, as agents speak it.
	protocols := new(http.Protocols)
	protocols.SetUnencryptedHTTP2(true)
	h2c := &http.Client{Transport: &http.Transport{Protocols: protocols}}
	streamCtx, cancel := context.WithCancel(context.Background())
	streamCtx, ci := connect.NewClientContext(streamCtx)
	ci.RequestHeader().Set("Authorization", "Bearer "+reg.GetCredential())
	s, err := agentv1connect.NewAgentServiceClient(h2c, w.srv.URL).Connect(streamCtx)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	a := &testAgent{t: t, stream: s}
	var sendMu sync.Mutex // Send is not safe for concurrent use
	send := func(m *agentv1.ConnectRequest) {
		sendMu.Lock()
		defer sendMu.Unlock()
		_ = s.Send(m)
	}
	send(&agentv1.ConnectRequest{Msg: &agentv1.ConnectRequest_Hello{Hello: &agentv1.Hello{
		ProtocolVersion: 1, Capacity: 4, RunnerKind: "fake", AgentVersion: "test",
	}}})
	done := make(chan struct{})
	// Heartbeats keep the stream alive: the gateway ends a silent one.
	beats := make(chan struct{})
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-beats:
				return
			case <-tick.C:
				send(&agentv1.ConnectRequest{Msg: &agentv1.ConnectRequest_Heartbeat{Heartbeat: &agentv1.Heartbeat{}}})
			}
		}
	}()
	go func() {
		defer close(done)
		for {
			m, err := s.Receive()
			if err != nil {
				return
			}
			if job := m.GetRunJob(); job != nil {
				a.mu.Lock()
				a.ran = append(a.ran, job.GetName())
				a.mu.Unlock()
				send(&agentv1.ConnectRequest{Msg: &agentv1.ConnectRequest_JobStatus{JobStatus: &agentv1.JobStatus{JobId: job.GetJobId(), State: agentv1.JobState_JOB_STATE_RUNNING}}})
				final := decide(job)
				st := &agentv1.JobStatus{JobId: job.GetJobId(), State: final}
				if final == agentv1.JobState_JOB_STATE_FAILURE {
					st.ExitCode = 1
				}
				send(&agentv1.ConnectRequest{Msg: &agentv1.ConnectRequest_JobStatus{JobStatus: st}})
			}
		}
	}()
	t.Cleanup(func() { close(beats); cancel(); _ = s.CloseRequest(); <-done; _ = s.CloseResponse() })
	return a
}

func TestMergeRequestMentions(t *testing.T) {
	for text, want := range map[string][]int64{
		"":                      nil,
		"!1":                    {1},
		"see !12, !3 and !12":   {12, 3},
		"(!7)\n- !8 and #9":     {7, 8},
		"a!1 x/!2 &!3; !0 !abc": nil,
		"!99999999999999999999": nil,
		"not #4 but !4 is":      {4},
	} {
		if got := project.MergeRequestMentions(text); !slices.Equal(got, want) {
			t.Errorf("MergeRequestMentions(%q) = %v, want %v", text, got, want)
		}
	}
}
