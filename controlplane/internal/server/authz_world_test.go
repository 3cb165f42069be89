package server_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/servertest"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// The seeded world of the authorization tables: every kind of object an
// RPC can target, in a private and a public project, a group with a
// project of its own, a cluster with a join token, and every kind of
// principal. The authorization tables (authz_table_test.go,
// http_authz_table_test.go) and the mutation check (scripts/authz-mutants.sh)
// all start from seedWorld.

// Names of the world. Everything the private project or the private group
// holds carries hiddenMarker, so a response leaking it to a principal that
// may not read it is caught by a plain substring search.
const (
	hiddenMarker = "hidden"
	privName     = "hidden-priv"
	pubName      = "open-pub"
	groupName    = "hidden-grp"
	groupProject = "hidden-inner"
	worldBranch  = "feature"
	formerBranch = "former"
	worldFile    = "README.md"
	worldPass    = "world-password-1234"
	labelName    = "bug"
)

// worldPipelineFile runs one job on pushes to main and keeps an artifact.
const worldPipelineFile = `jobs:
  build:
    when: {events: [push], branches: [main]}
    steps: ["echo built > out.txt"]
    artifacts:
      paths: [out.txt]
`

// worldProject is one project of the world and the ids of what it holds.
type worldProject struct {
	owner, name string
	id          uuid.UUID
	vis         access.Visibility
	// group is the owning group (uuid.Nil: a user's project).
	group uuid.UUID
	// issue and comment are the owner's; mrComment is the owner's comment
	// on merge request mr (reviewed by the maintainer).
	issue, mr            int64
	comment, mrComment   string
	pipeline, job        string
	artifact, schedule   string
	commit, branchCommit string
	// members are the direct roles on the project by username, as the
	// server lists them.
	members map[string]string
	// own are rows "former" wrote while a developer (it no longer is).
	own ownRows
	// throwaway: made for one call, deleted after it.
	throwaway bool
}

// ownRows are one user's issue, comments and merge request in a project.
type ownRows struct {
	issue, mr          int64
	comment, mrComment string
}

func (p *worldProject) path() string { return p.owner + "/" + p.name }

// world is the seeded installation.
type world struct {
	srv        *servertest.Server
	adminToken string
	// users by name ("admin" included), with their API tokens (scope api;
	// admin's and helpdesk's: admin).
	users  map[string]*hearthv1.User
	tokens map[string]string
	// roles are the permission sets of every role by name, as the server
	// lists them, and their ids.
	roles   map[string]access.Set
	roleIDs map[string]string
	// helpdeskBinding gives helpdesk the custom role user-manager
	// (admin:users); spareToken is a token of the owner nobody uses.
	helpdeskBinding, spareToken string
	// priv and pub are the owner's projects; inner is the group's.
	priv, pub, inner *worldProject
	group            uuid.UUID
	cluster          string
	joinToken        string
	agent            string
	// groupMembers are the group's roles by username.
	groupMembers map[string]string
	// delegation is the owner's loan to the delegate on priv; delegated
	// is what every delegation lends, by delegate and project.
	delegation string
	delegated  map[string]map[uuid.UUID]access.Set
	// victimDelegation is a loan from the owner to the victim (no
	// principal's).
	victimDelegation string
	// principals in the order the tables call them: those who hold least
	// first, so nothing an allowed call changes can hide a refusal.
	principals []*principal
	// copies are working clones the HTTP table pushes from, by project.
	copies map[uuid.UUID]string
	// seq makes throwaway names unique.
	seq atomic.Int64
}

// worldBindings are the roles of the world: per user, per scope.
type binding struct {
	user, role string
	// scope: "priv", "pub", "group" or "" (installation-wide).
	scope string
}

var worldBindings = []binding{
	{"maintainer", access.RoleMaintainer, "priv"}, {"maintainer", access.RoleMaintainer, "pub"},
	{"developer", access.RoleDeveloper, "priv"}, {"developer", access.RoleDeveloper, "pub"},
	{"reader", access.RoleViewer, "priv"}, {"reader", access.RoleViewer, "pub"},
	{"mustchange", access.RoleDeveloper, "priv"}, {"mustchange", access.RoleDeveloper, "pub"},
	{"former", access.RoleDeveloper, "priv"}, {"former", access.RoleDeveloper, "pub"},
	{"maintainer", access.RoleMaintainer, "group"}, {"developer", access.RoleDeveloper, "group"},
	{"reader", access.RoleViewer, "group"},
	// The delegate maintains the group in its own right: it may move
	// projects into it, but not priv, whose admin it only borrows.
	{"delegate", access.RoleMaintainer, "group"},
	// The developer also maintains the group's project itself, not the
	// group: what only the group's maintainers may do stays out of reach.
	{"developer", access.RoleMaintainer, "inner"},
}

// worldUsers are created by the administrator; "owner" creates the
// projects and the group (and so is their maintainer).
var worldUsers = []string{"owner", "maintainer", "developer", "reader", "outsider", "delegate", "helpdesk", "victim", "mustchange", "former"}

func seedWorld(t testing.TB, opts ...servertest.Option) *world {
	t.Helper()
	start := time.Now()
	srv := servertest.Start(t, opts...)
	w := &world{srv: srv, adminToken: srv.AdminToken(t), users: map[string]*hearthv1.User{}, tokens: map[string]string{}}
	ctx := context.Background()
	admin := w.client(w.adminToken)
	me, err := hearthv1connect.NewAuthServiceClient(http.DefaultClient, srv.URL, admin).GetMe(ctx, &hearthv1.GetMeRequest{})
	must(t, "admin GetMe", err)
	w.users["admin"], w.tokens["admin"] = me.GetUser(), w.adminToken
	for _, name := range worldUsers {
		w.users[name] = srv.CreateUser(t, w.adminToken, name, worldPass, false)
	}
	roles := hearthv1connect.NewRoleServiceClient(http.DefaultClient, srv.URL, admin)
	_, err = roles.CreateRole(ctx, &hearthv1.CreateRoleRequest{Name: "user-manager", Permissions: []string{"admin:users"}})
	must(t, "create role user-manager", err)
	hb, err := roles.CreateRoleBinding(ctx, &hearthv1.CreateRoleBindingRequest{Role: "user-manager", UserId: w.users["helpdesk"].GetId()})
	must(t, "bind helpdesk", err)
	w.helpdeskBinding = hb.GetBinding().GetId()
	for _, name := range worldUsers {
		scope := "api"
		if name == "helpdesk" {
			scope = "admin"
		}
		if name != "mustchange" {
			w.tokens[name] = srv.Token(t, name, worldPass, scope)
		}
	}
	list, err := roles.ListRoles(ctx, &hearthv1.ListRolesRequest{})
	must(t, "list roles", err)
	w.roles, w.roleIDs = map[string]access.Set{}, map[string]string{}
	for _, r := range list.GetRoles() {
		w.roleIDs[r.GetName()] = r.GetId()
		set, err := access.ParseSet(r.GetPermissions())
		must(t, "role "+r.GetName(), err)
		w.roles[r.GetName()] = set
	}

	w.priv = w.newProject(t, "owner", privName, hearthv1.Visibility_VISIBILITY_PRIVATE, "")
	w.pub = w.newProject(t, "owner", pubName, hearthv1.Visibility_VISIBILITY_PUBLIC, "")
	groups := hearthv1connect.NewGroupServiceClient(http.DefaultClient, srv.URL, w.client(w.tokens["owner"]))
	g, err := groups.CreateGroup(ctx, &hearthv1.CreateGroupRequest{Name: groupName, Visibility: hearthv1.Visibility_VISIBILITY_PRIVATE})
	must(t, "create group", err)
	w.group = uuid.MustParse(g.GetGroup().GetId())
	w.inner = w.newProject(t, "owner", groupProject, hearthv1.Visibility_VISIBILITY_PRIVATE, groupName)
	w.inner.group = w.group
	for _, b := range worldBindings {
		w.bind(t, b)
	}
	// The victim is a member everywhere, for the calls that remove one.
	w.addVictim(t, w.priv)
	w.addVictim(t, w.pub)
	w.addGroupVictim(t)

	w.seedCluster(t)
	for _, p := range []*worldProject{w.priv, w.pub} {
		w.seedProject(t, p)
	}
	w.runWorldJobs(t)
	for _, p := range []*worldProject{w.priv, w.pub} {
		w.seedArtifact(t, p)
		w.seedFormer(t, p)
	}

	// The owner lends the delegate everything a maintainer holds on priv.
	d, err := hearthv1connect.NewDelegationServiceClient(http.DefaultClient, srv.URL, w.client(w.tokens["owner"])).CreateDelegation(ctx,
		&hearthv1.CreateDelegationRequest{
			DelegateId: w.users["delegate"].GetId(), ProjectId: w.priv.id.String(),
			Permissions: w.roles[access.RoleMaintainer].Names(), Reason: "authorization table",
			ExpireTime: timestamppb.New(time.Now().Add(24 * time.Hour)),
		})
	must(t, "delegation", err)
	w.delegation = d.GetDelegation().GetId()
	w.delegated = map[string]map[uuid.UUID]access.Set{"delegate": {w.priv.id: w.roles[access.RoleMaintainer]}}
	for _, p := range []*worldProject{w.priv, w.pub, w.inner} {
		p.members = w.listMembers(t, p)
	}
	w.groupMembers = w.listGroupMembers(t)

	// mustchange signs in with a password an administrator reset.
	reset := worldPass + "-reset"
	_, err = hearthv1connect.NewUserServiceClient(http.DefaultClient, srv.URL, admin).UpdateUser(ctx,
		&hearthv1.UpdateUserRequest{Id: w.users["mustchange"].GetId(), Password: &reset})
	must(t, "reset mustchange's password", err)

	w.spareToken = w.freshToken(t, "owner")
	w.victimDelegation = w.freshDelegation(t)
	w.principals = w.makePrincipals(t, reset)
	t.Logf("world seeded in %v", time.Since(start).Round(time.Millisecond))
	return w
}

// client authenticates a Connect client with token.
func (w *world) client(token string) connect.ClientOption { return servertest.BearerOption(token) }

// newProject creates owner's project (in namespace, a group, when set).
func (w *world) newProject(t testing.TB, owner, name string, vis hearthv1.Visibility, namespace string) *worldProject {
	t.Helper()
	res, err := hearthv1connect.NewProjectServiceClient(http.DefaultClient, w.srv.URL, w.client(w.tokens[owner])).CreateProject(context.Background(),
		&hearthv1.CreateProjectRequest{Name: name, Visibility: vis, Namespace: namespace})
	must(t, "create project "+name, err)
	p := &worldProject{owner: owner, name: name, id: uuid.MustParse(res.GetProject().GetId()), vis: access.Private}
	if namespace != "" {
		p.owner = namespace
	}
	if vis == hearthv1.Visibility_VISIBILITY_PUBLIC {
		p.vis = access.Public
	}
	return p
}

// bind gives b.user b.role on its scope, as the owner.
func (w *world) bind(t testing.TB, b binding) {
	t.Helper()
	ctx := context.Background()
	owner := w.client(w.tokens["owner"])
	var err error
	switch b.scope {
	case "group":
		_, err = hearthv1connect.NewGroupServiceClient(http.DefaultClient, w.srv.URL, owner).AddGroupMember(ctx,
			&hearthv1.AddGroupMemberRequest{Name: groupName, Username: b.user, Role: b.role})
	default:
		p := map[string]*worldProject{"priv": w.priv, "pub": w.pub, "inner": w.inner}[b.scope]
		_, err = hearthv1connect.NewProjectServiceClient(http.DefaultClient, w.srv.URL, owner).AddProjectMember(ctx,
			&hearthv1.AddProjectMemberRequest{Owner: p.owner, Name: p.name, Username: b.user, Role: b.role})
	}
	must(t, "bind "+b.user+" "+b.role+" on "+b.scope, err)
}

// seedProject pushes main (a README and the pipeline file) and a feature
// branch, protects main, and opens an issue with a comment, a merge
// request with a review and a comment, a label, a schedule and a commit
// status, all as the owner (the review as the maintainer).
func (w *world) seedProject(t testing.TB, p *worldProject) {
	t.Helper()
	ctx := context.Background()
	p.commit, p.branchCommit = w.push(t, p, "owner", w.tokens["owner"])
	owner := w.client(w.tokens["owner"])
	_, err := hearthv1connect.NewRefRuleServiceClient(http.DefaultClient, w.srv.URL, owner).SetProtectedRef(ctx, &hearthv1.SetProtectedRefRequest{
		Owner: p.owner, Name: p.name, Rule: &hearthv1.ProtectedRef{Kind: "branch", Pattern: "main", PushPermission: "project:admin"},
	})
	must(t, "protect main", err)

	issues := hearthv1connect.NewIssueServiceClient(http.DefaultClient, w.srv.URL, owner)
	_, err = issues.CreateLabel(ctx, &hearthv1.CreateLabelRequest{Owner: p.owner, Name: p.name, Label: labelName, Color: "#ff0000"})
	must(t, "create label", err)
	is, err := issues.CreateIssue(ctx, &hearthv1.CreateIssueRequest{Owner: p.owner, Name: p.name, Title: p.name + " issue", Body: "body", Labels: []string{labelName}})
	must(t, "create issue", err)
	p.issue = is.GetIssue().GetNumber()
	c, err := issues.CreateComment(ctx, &hearthv1.CreateCommentRequest{Owner: p.owner, Name: p.name, Number: p.issue, Body: "first"})
	must(t, "create comment", err)
	p.comment = c.GetComment().GetId()

	mrs := hearthv1connect.NewMergeRequestServiceClient(http.DefaultClient, w.srv.URL, owner)
	mr, err := mrs.CreateMergeRequest(ctx, &hearthv1.CreateMergeRequestRequest{
		Owner: p.owner, Name: p.name, SourceBranch: worldBranch, TargetBranch: "main", Title: p.name + " change",
	})
	must(t, "create merge request", err)
	p.mr = mr.GetMergeRequest().GetNumber()
	mc, err := mrs.CreateMergeRequestComment(ctx, &hearthv1.CreateMergeRequestCommentRequest{Owner: p.owner, Name: p.name, Number: p.mr, Body: "looks fine"})
	must(t, "create merge request comment", err)
	p.mrComment = mc.GetComment().GetId()
	_, err = hearthv1connect.NewMergeRequestServiceClient(http.DefaultClient, w.srv.URL, w.client(w.tokens["maintainer"])).CreateMergeRequestReview(ctx,
		&hearthv1.CreateMergeRequestReviewRequest{Owner: p.owner, Name: p.name, Number: p.mr, Verdict: hearthv1.ReviewVerdict_REVIEW_VERDICT_APPROVE})
	must(t, "review", err)

	pipelines := hearthv1connect.NewPipelineServiceClient(http.DefaultClient, w.srv.URL, owner)
	sc, err := pipelines.CreateSchedule(ctx, &hearthv1.CreateScheduleRequest{Owner: p.owner, Name: p.name, Cron: "0 3 * * *", Ref: "main"})
	must(t, "create schedule", err)
	p.schedule = sc.GetSchedule().GetId()
	_, err = pipelines.SetCommitStatus(ctx, &hearthv1.SetCommitStatusRequest{
		Owner: p.owner, Name: p.name, Sha: p.commit, Context: "ci/external", State: hearthv1.CommitStatusState_COMMIT_STATUS_STATE_PENDING,
	})
	must(t, "set commit status", err)
	w.waitPipeline(t, p)
}

// seedFormer has "former" write an issue, comments and a merge request in
// p as a developer, then leave the project: its rows stay, its rights go.
func (w *world) seedFormer(t testing.TB, p *worldProject) {
	t.Helper()
	ctx := context.Background()
	former := w.client(w.tokens["former"])
	issues := hearthv1connect.NewIssueServiceClient(http.DefaultClient, w.srv.URL, former)
	is, err := issues.CreateIssue(ctx, &hearthv1.CreateIssueRequest{Owner: p.owner, Name: p.name, Title: "former's"})
	must(t, "former's issue", err)
	p.own.issue = is.GetIssue().GetNumber()
	c, err := issues.CreateComment(ctx, &hearthv1.CreateCommentRequest{Owner: p.owner, Name: p.name, Number: p.issue, Body: "former's"})
	must(t, "former's comment", err)
	p.own.comment = c.GetComment().GetId()
	mrs := hearthv1connect.NewMergeRequestServiceClient(http.DefaultClient, w.srv.URL, former)
	mr, err := mrs.CreateMergeRequest(ctx, &hearthv1.CreateMergeRequestRequest{
		Owner: p.owner, Name: p.name, SourceBranch: formerBranch, TargetBranch: "main", Title: "former's",
	})
	must(t, "former's merge request", err)
	p.own.mr = mr.GetMergeRequest().GetNumber()
	mc, err := mrs.CreateMergeRequestComment(ctx, &hearthv1.CreateMergeRequestCommentRequest{Owner: p.owner, Name: p.name, Number: p.mr, Body: "former's"})
	must(t, "former's merge request comment", err)
	p.own.mrComment = mc.GetComment().GetId()
	_, err = hearthv1connect.NewProjectServiceClient(http.DefaultClient, w.srv.URL, w.asOwner()).RemoveProjectMember(ctx,
		&hearthv1.RemoveProjectMemberRequest{Owner: p.owner, Name: p.name, Username: "former"})
	must(t, "former leaves", err)
}

// waitPipeline waits for the pipeline the push of main made and records
// it and its job.
func (w *world) waitPipeline(t testing.TB, p *worldProject) {
	t.Helper()
	pipelines := hearthv1connect.NewPipelineServiceClient(http.DefaultClient, w.srv.URL, w.client(w.tokens["owner"]))
	testsvc.WaitFor(t, "the push pipeline of "+p.path(), func() bool {
		res, err := pipelines.ListPipelines(context.Background(), &hearthv1.ListPipelinesRequest{Owner: p.owner, Name: p.name})
		if err != nil {
			return false
		}
		for _, pl := range res.GetPipelines() {
			if pl.GetEvent() == "push" && pl.GetRef() == "refs/heads/main" {
				p.pipeline = pl.GetId()
				return true
			}
		}
		return false
	})
	got, err := pipelines.GetPipeline(context.Background(), &hearthv1.GetPipelineRequest{Id: p.pipeline})
	must(t, "get pipeline", err)
	if len(got.GetPipeline().GetJobs()) == 0 {
		t.Fatalf("pipeline of %s has no job: %v", p.path(), got.GetPipeline())
	}
	p.job = got.GetPipeline().GetJobs()[0].GetId()
}

// seedArtifact records the artifact the world's agent uploaded.
func (w *world) seedArtifact(t testing.TB, p *worldProject) {
	t.Helper()
	res, err := hearthv1connect.NewPipelineServiceClient(http.DefaultClient, w.srv.URL, w.client(w.tokens["owner"])).ListArtifacts(context.Background(),
		&hearthv1.ListArtifactsRequest{JobId: p.job})
	must(t, "list artifacts", err)
	if len(res.GetArtifacts()) != 1 {
		t.Fatalf("job of %s has %d artifacts, want 1", p.path(), len(res.GetArtifacts()))
	}
	p.artifact = res.GetArtifacts()[0].GetId()
}

// gitEnv is a clean environment for the git client.
func gitEnv(t testing.TB) []string {
	return []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=T", "GIT_AUTHOR_EMAIL=t@example.test", "GIT_COMMITTER_NAME=T", "GIT_COMMITTER_EMAIL=t@example.test"}
}

// git runs git in dir and returns its combined output.
func git(ctx context.Context, dir string, env []string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// remoteURL is p's clone URL with user and token as Basic credentials
// (none when user is empty).
func (w *world) remoteURL(p *worldProject, user, token string) string {
	u, _ := url.Parse(w.srv.URL + "/" + p.path() + ".git")
	if user != "" {
		u.User = url.UserPassword(user, token)
	}
	return u.String()
}

// push pushes main and the feature branch with a real git client over
// smart HTTP and returns their commits.
func (w *world) push(t testing.TB, p *worldProject, user, token string) (main, feature string) {
	t.Helper()
	work, env, ctx := t.TempDir(), gitEnv(t), context.Background()
	for name, body := range map[string]string{worldFile: "# " + p.name + "\n", ".hearth.yml": worldPipelineFile} {
		if err := os.WriteFile(filepath.Join(work, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	remote := w.remoteURL(p, user, token)
	for _, args := range [][]string{
		{"init", "-q", "-b", "main"}, {"add", "."}, {"commit", "-q", "-m", "first"},
		{"checkout", "-q", "-b", formerBranch}, {"commit", "-q", "--allow-empty", "-m", "former's"},
		{"checkout", "-q", "main"}, {"checkout", "-q", "-b", worldBranch},
	} {
		if out, err := git(ctx, work, env, args...); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	if err := os.WriteFile(filepath.Join(work, "change.txt"), []byte("change\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"add", "."}, {"commit", "-q", "-m", "change"}, {"push", "-q", remote, "main", worldBranch, formerBranch},
	} {
		if out, err := git(ctx, work, env, args...); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	mainSHA, err := git(ctx, work, env, "rev-parse", "main")
	must(t, "rev-parse", err)
	featureSHA, err := git(ctx, work, env, "rev-parse", worldBranch)
	must(t, "rev-parse", err)
	return strings.TrimSpace(mainSHA), strings.TrimSpace(featureSHA)
}

// seedCluster creates the cluster and the join token the tables target.
func (w *world) seedCluster(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	clusters := hearthv1connect.NewClusterServiceClient(http.DefaultClient, w.srv.URL, w.client(w.adminToken))
	c, err := clusters.CreateCluster(ctx, &hearthv1.CreateClusterRequest{Name: "authz"})
	must(t, "create cluster", err)
	w.cluster = c.GetCluster().GetId()
	jt, err := clusters.CreateJoinToken(ctx, &hearthv1.CreateJoinTokenRequest{
		ClusterId: w.cluster, Description: "the table's", MaxUses: 5, ExpireTime: timestamppb.New(time.Now().Add(24 * time.Hour)),
	})
	must(t, "create join token", err)
	w.joinToken = jt.GetInfo().GetId()
}

// name returns a fresh name for a throwaway object.
func (w *world) name(prefix string) string {
	return prefix + "-" + strconv.FormatInt(w.seq.Add(1), 10)
}

// listMembers reads p's direct members from the server.
func (w *world) listMembers(t testing.TB, p *worldProject) map[string]string {
	t.Helper()
	res, err := hearthv1connect.NewProjectServiceClient(http.DefaultClient, w.srv.URL, w.client(w.adminToken)).ListProjectMembers(context.Background(),
		&hearthv1.ListProjectMembersRequest{Owner: p.owner, Name: p.name, PageSize: 100})
	must(t, "list members of "+p.path(), err)
	out := map[string]string{}
	for _, m := range res.GetMembers() {
		out[m.GetUsername()] = m.GetRole()
	}
	return out
}

// listGroupMembers reads the group's members from the server.
func (w *world) listGroupMembers(t testing.TB) map[string]string {
	t.Helper()
	res, err := hearthv1connect.NewGroupServiceClient(http.DefaultClient, w.srv.URL, w.client(w.adminToken)).ListGroupMembers(context.Background(),
		&hearthv1.ListGroupMembersRequest{Name: groupName, PageSize: 100})
	must(t, "list group members", err)
	out := map[string]string{}
	for _, m := range res.GetMembers() {
		out[m.GetUsername()] = m.GetRole()
	}
	return out
}

// projectToken is an api token of user limited to project.
func (w *world) projectToken(t testing.TB, user string, project uuid.UUID) string {
	t.Helper()
	sess := w.srv.Login(t, user, worldPass)
	res, err := hearthv1connect.NewTokenServiceClient(sess.HTTP, w.srv.URL, sess.Options()...).CreateToken(context.Background(),
		&hearthv1.CreateTokenRequest{Name: "project", Scopes: []string{"api"}, ProjectId: project.String(), ExpireTime: timestamppb.New(time.Now().Add(24 * time.Hour))})
	must(t, "project token", err)
	return res.GetToken()
}

func must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
