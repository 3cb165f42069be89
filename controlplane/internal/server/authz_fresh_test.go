package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// Throwaway targets: a call expected to succeed that destroys, moves or
// revokes what it targets gets a fresh one, so the world stays as seeded
// however often the table runs (the mutation check runs it hundreds of
// times).

func (w *world) asOwner() connect.ClientOption { return w.client(w.tokens["owner"]) }
func (w *world) asAdmin() connect.ClientOption { return w.client(w.adminToken) }

// ignoreConflict passes an "already there" answer.
func ignoreConflict(err error) error {
	if connect.CodeOf(err) == connect.CodeAlreadyExists {
		return nil
	}
	return err
}

// throwaway creates a copy of like: the owner's project in the same
// namespace, with the same visibility, members and delegation.
func (w *world) throwaway(t testing.TB, like *worldProject) *worldProject {
	t.Helper()
	vis, ns := hearthv1.Visibility_VISIBILITY_PRIVATE, ""
	if like.vis == access.Public {
		vis = hearthv1.Visibility_VISIBILITY_PUBLIC
	}
	if like.group != uuid.Nil {
		ns = groupName
	}
	p := w.newProject(t, "owner", w.name("tmp"), vis, ns)
	p.group = like.group
	have := w.listMembers(t, p)
	projects := hearthv1connect.NewProjectServiceClient(http.DefaultClient, w.srv.URL, w.asOwner())
	for user, role := range like.members {
		if have[user] != "" {
			continue
		}
		_, err := projects.AddProjectMember(context.Background(), &hearthv1.AddProjectMemberRequest{Owner: p.owner, Name: p.name, Username: user, Role: role})
		must(t, "throwaway member", err)
	}
	for delegate, loans := range w.delegated {
		if set, ok := loans[like.id]; ok {
			w.lend(t, delegate, p.id, set)
		}
	}
	p.members = w.listMembers(t, p)
	return p
}

// dispose deletes a throwaway project, wherever the call moved it.
func (w *world) dispose(t testing.TB, p *worldProject) {
	t.Helper()
	ctx := context.Background()
	projects := hearthv1connect.NewProjectServiceClient(http.DefaultClient, w.srv.URL, w.asAdmin())
	got, err := projects.GetProjectById(ctx, &hearthv1.GetProjectByIdRequest{Id: p.id.String()})
	if connect.CodeOf(err) == connect.CodeNotFound {
		return
	}
	must(t, "find the throwaway project", err)
	_, err = projects.DeleteProject(ctx, &hearthv1.DeleteProjectRequest{Owner: got.GetProject().GetOwner(), Name: got.GetProject().GetName()})
	must(t, "delete the throwaway project", err)
}

// lend makes the owner lend set on project to delegate.
func (w *world) lend(t testing.TB, delegate string, project uuid.UUID, set access.Set) string {
	t.Helper()
	d, err := hearthv1connect.NewDelegationServiceClient(http.DefaultClient, w.srv.URL, w.asOwner()).CreateDelegation(context.Background(),
		&hearthv1.CreateDelegationRequest{
			DelegateId: w.users[delegate].GetId(), ProjectId: project.String(), Permissions: set.Names(),
			Reason: "authorization table", ExpireTime: timestamppb.New(time.Now().Add(24 * time.Hour)),
		})
	must(t, "delegation", err)
	if w.delegated[delegate] == nil {
		w.delegated[delegate] = map[uuid.UUID]access.Set{}
	}
	w.delegated[delegate][project] = set
	return d.GetDelegation().GetId()
}

// freshDelegation is a loan of project:read on pub from the owner to the
// victim.
func (w *world) freshDelegation(t testing.TB) string {
	t.Helper()
	d, err := hearthv1connect.NewDelegationServiceClient(http.DefaultClient, w.srv.URL, w.asOwner()).CreateDelegation(context.Background(),
		&hearthv1.CreateDelegationRequest{
			DelegateId: w.users["victim"].GetId(), ProjectId: w.pub.id.String(), Permissions: []string{"project:read"},
			Reason: "to revoke", ExpireTime: timestamppb.New(time.Now().Add(time.Hour)),
		})
	must(t, "fresh delegation", err)
	return d.GetDelegation().GetId()
}

// addVictim makes the victim a viewer of p.
func (w *world) addVictim(t testing.TB, p *worldProject) {
	t.Helper()
	_, err := hearthv1connect.NewProjectServiceClient(http.DefaultClient, w.srv.URL, w.asOwner()).AddProjectMember(context.Background(),
		&hearthv1.AddProjectMemberRequest{Owner: p.owner, Name: p.name, Username: "victim", Role: access.RoleViewer})
	must(t, "add the victim", ignoreConflict(err))
}

// addGroupVictim makes the victim a viewer of the group.
func (w *world) addGroupVictim(t testing.TB) {
	t.Helper()
	_, err := hearthv1connect.NewGroupServiceClient(http.DefaultClient, w.srv.URL, w.asOwner()).AddGroupMember(context.Background(),
		&hearthv1.AddGroupMemberRequest{Name: groupName, Username: "victim", Role: access.RoleViewer})
	must(t, "add the victim to the group", ignoreConflict(err))
}

// rowAuthor is who writes a fresh row for pr to delete: "former" its own,
// the owner everyone else's.
func (w *world) rowAuthor(pr *principal) connect.ClientOption {
	if pr.user == "former" {
		return w.client(w.tokens["former"])
	}
	return w.asOwner()
}

func (w *world) freshIssueComment(t testing.TB, p *worldProject, pr *principal) string {
	t.Helper()
	c, err := hearthv1connect.NewIssueServiceClient(http.DefaultClient, w.srv.URL, w.rowAuthor(pr)).CreateComment(context.Background(),
		&hearthv1.CreateCommentRequest{Owner: p.owner, Name: p.name, Number: p.issue, Body: "to delete"})
	must(t, "fresh comment", err)
	return c.GetComment().GetId()
}

func (w *world) freshMRComment(t testing.TB, p *worldProject, pr *principal) string {
	t.Helper()
	c, err := hearthv1connect.NewMergeRequestServiceClient(http.DefaultClient, w.srv.URL, w.rowAuthor(pr)).CreateMergeRequestComment(context.Background(),
		&hearthv1.CreateMergeRequestCommentRequest{Owner: p.owner, Name: p.name, Number: p.mr, Body: "to delete"})
	must(t, "fresh merge request comment", err)
	return c.GetComment().GetId()
}

func (w *world) freshLabel(t testing.TB, p *worldProject) string {
	t.Helper()
	name := w.name("label")
	_, err := hearthv1connect.NewIssueServiceClient(http.DefaultClient, w.srv.URL, w.asOwner()).CreateLabel(context.Background(),
		&hearthv1.CreateLabelRequest{Owner: p.owner, Name: p.name, Label: name, Color: "#123456"})
	must(t, "fresh label", err)
	return name
}

func (w *world) freshSchedule(t testing.TB, p *worldProject) string {
	t.Helper()
	s, err := hearthv1connect.NewPipelineServiceClient(http.DefaultClient, w.srv.URL, w.asOwner()).CreateSchedule(context.Background(),
		&hearthv1.CreateScheduleRequest{Owner: p.owner, Name: p.name, Cron: "0 5 * * *", Ref: "main"})
	must(t, "fresh schedule", err)
	return s.GetSchedule().GetId()
}

func (w *world) freshProtectedRef(t testing.TB, p *worldProject) string {
	t.Helper()
	pattern := w.name("tmp") + "/*"
	_, err := hearthv1connect.NewRefRuleServiceClient(http.DefaultClient, w.srv.URL, w.asOwner()).SetProtectedRef(context.Background(),
		&hearthv1.SetProtectedRefRequest{Owner: p.owner, Name: p.name, Rule: &hearthv1.ProtectedRef{Kind: "branch", Pattern: pattern}})
	must(t, "fresh protected ref", err)
	return pattern
}

func (w *world) freshJoinToken(t testing.TB) string {
	t.Helper()
	jt, err := hearthv1connect.NewClusterServiceClient(http.DefaultClient, w.srv.URL, w.asAdmin()).CreateJoinToken(context.Background(),
		&hearthv1.CreateJoinTokenRequest{ClusterId: w.cluster, MaxUses: 1, ExpireTime: timestamppb.New(time.Now().Add(time.Hour))})
	must(t, "fresh join token", err)
	return jt.GetInfo().GetId()
}

func (w *world) freshRole(t testing.TB) string {
	t.Helper()
	r, err := hearthv1connect.NewRoleServiceClient(http.DefaultClient, w.srv.URL, w.asAdmin()).CreateRole(context.Background(),
		&hearthv1.CreateRoleRequest{Name: w.name("role"), Permissions: []string{"project:read"}})
	must(t, "fresh role", err)
	return r.GetRole().GetId()
}

// freshBinding makes the victim a viewer installation-wide.
func (w *world) freshBinding(t testing.TB) string {
	t.Helper()
	b, err := hearthv1connect.NewRoleServiceClient(http.DefaultClient, w.srv.URL, w.asAdmin()).CreateRoleBinding(context.Background(),
		&hearthv1.CreateRoleBindingRequest{Role: access.RoleViewer, UserId: w.users["victim"].GetId()})
	if connect.CodeOf(err) == connect.CodeAlreadyExists {
		return w.victimBinding(t)
	}
	must(t, "fresh binding", err)
	return b.GetBinding().GetId()
}

// victimBinding finds the victim's installation-wide binding.
func (w *world) victimBinding(t testing.TB) string {
	t.Helper()
	res, err := hearthv1connect.NewRoleServiceClient(http.DefaultClient, w.srv.URL, w.asAdmin()).ListRoleBindings(context.Background(),
		&hearthv1.ListRoleBindingsRequest{UserId: w.users["victim"].GetId()})
	must(t, "list the victim's bindings", err)
	for _, b := range res.GetBindings() {
		if b.GetProjectId() == "" {
			return b.GetId()
		}
	}
	t.Fatal("the victim's binding vanished")
	return ""
}

// freshToken is a new token of user (of the owner for a caller without
// one), to revoke.
func (w *world) freshToken(t testing.TB, user string) string {
	t.Helper()
	if user == "" || user == "mustchange" {
		user = "owner"
	}
	password := worldPass
	if user == "admin" {
		password = w.srv.AdminPassword
	}
	sess := w.srv.Login(t, user, password)
	res, err := hearthv1connect.NewTokenServiceClient(sess.HTTP, w.srv.URL, sess.Options()...).CreateToken(context.Background(),
		&hearthv1.CreateTokenRequest{Name: "to revoke", Scopes: []string{"read-only"}, ExpireTime: timestamppb.New(time.Now().Add(time.Hour))})
	must(t, "fresh token", err)
	return res.GetInfo().GetId()
}

func (w *world) freshUser(t testing.TB) string {
	t.Helper()
	return w.srv.CreateUser(t, w.adminToken, w.name("user"), worldPass, false).GetId()
}

// secretInput names a new secret with a value (a second call adds a
// version).
func secretInput(w *world, _ *tcase, m protoreflect.Message) {
	set(m, "secret", (&hearthv1.SecretInput{Name: secretName(w), Value: []byte("authz-table-value")}).ProtoReflect())
}

func secretName(w *world) string {
	return strings.ReplaceAll(strings.ToUpper(w.name("secret")), "-", "_")
}

// freshSecret creates, as the admin, a secret in the scope the request
// names, for the call to delete.
func freshSecret(t testing.TB, w *world, c *tcase, _ *principal, m protoreflect.Message) {
	t.Helper()
	name := secretName(w)
	client := hearthv1connect.NewSecretServiceClient(http.DefaultClient, w.srv.URL, w.asAdmin())
	in := &hearthv1.SecretInput{Name: name, Value: []byte("authz-table-value")}
	var err error
	switch c.target.kind {
	case onProject:
		_, err = client.SetProjectSecret(context.Background(), &hearthv1.SetProjectSecretRequest{Owner: c.target.project.owner, Name: c.target.project.name, Secret: in})
	case onGroup:
		_, err = client.SetGroupSecret(context.Background(), &hearthv1.SetGroupSecretRequest{Group: groupName, Secret: in})
	default:
		_, err = client.SetInstanceSecret(context.Background(), &hearthv1.SetInstanceSecretRequest{Secret: in})
	}
	must(t, "fresh secret", err)
	set(m, "secret_name", name)
}

// freshWebhook creates, as the admin, a webhook (to a loopback target,
// never reached) in the scope the request names.
func freshWebhook(t testing.TB, w *world, c *tcase, _ *principal, m protoreflect.Message) {
	t.Helper()
	req := &hearthv1.CreateWebhookRequest{Url: "http://127.0.0.1:9/hook"}
	if c.target.kind == onProject {
		req.Owner, req.Name = c.target.project.owner, c.target.project.name
	}
	res, err := hearthv1connect.NewWebhookServiceClient(http.DefaultClient, w.srv.URL, w.asAdmin()).CreateWebhook(context.Background(), req)
	must(t, "fresh webhook", err)
	set(m, "id", res.GetWebhook().GetId())
}

// freshDelivery creates a webhook (as freshWebhook) for issue.created, an
// issue whose event it receives, and waits for the delivery to be queued
// (the delivery itself is refused: its target is loopback, not allowed).
func freshDelivery(t testing.TB, w *world, c *tcase, pr *principal, m protoreflect.Message) {
	t.Helper()
	project := w.priv
	req := &hearthv1.CreateWebhookRequest{Url: "http://127.0.0.1:9/hook", Events: []string{"issue.created"}}
	if c.target.kind == onProject {
		project = c.target.project
		req.Owner, req.Name = project.owner, project.name
	}
	hooks := hearthv1connect.NewWebhookServiceClient(http.DefaultClient, w.srv.URL, w.asAdmin())
	hook, err := hooks.CreateWebhook(context.Background(), req)
	must(t, "fresh webhook", err)
	_, err = hearthv1connect.NewIssueServiceClient(http.DefaultClient, w.srv.URL, w.asAdmin()).CreateIssue(context.Background(),
		&hearthv1.CreateIssueRequest{Owner: project.owner, Name: project.name, Title: "for a webhook delivery"})
	must(t, "issue for a delivery", err)
	var delivery string
	testsvc.WaitFor(t, "a delivery queued for the fresh webhook", func() bool {
		list, err := hooks.ListWebhookDeliveries(context.Background(), &hearthv1.ListWebhookDeliveriesRequest{
			Owner: req.Owner, Name: req.Name, Id: hook.GetWebhook().GetId(),
		})
		must(t, "deliveries", err)
		if len(list.GetDeliveries()) == 0 {
			return false
		}
		delivery = list.GetDeliveries()[0].GetId()
		return true
	})
	set(m, "id", hook.GetWebhook().GetId())
	set(m, "delivery_id", delivery)
}

// testAlertRule is a valid rule named for one call.
func testAlertRule(w *world) *hearthv1.AlertRule {
	return &hearthv1.AlertRule{
		Name: w.name("rule"), Signal: "logs", Logs: &hearthv1.LogMatch{Contains: "boom"}, Comparator: ">", Threshold: 1,
		Window: durationpb.New(time.Minute),
	}
}

// freshAlertRule creates, as the admin, an alert rule in the request's
// project.
func freshAlertRule(t testing.TB, w *world, c *tcase, _ *principal, m protoreflect.Message) {
	t.Helper()
	res, err := hearthv1connect.NewObserveServiceClient(http.DefaultClient, w.srv.URL, w.asAdmin()).CreateAlertRule(context.Background(),
		&hearthv1.CreateAlertRuleRequest{Owner: c.target.project.owner, Name: c.target.project.name, Rule: testAlertRule(w)})
	must(t, "fresh alert rule", err)
	set(m, "id", res.GetRule().GetId())
}

// testSilence is a valid silence for an hour.
func testSilence() *hearthv1.Silence {
	return &hearthv1.Silence{Matchers: map[string]string{"alertname": "table"}, EndTime: timestamppb.New(time.Now().Add(time.Hour))}
}

// freshSilence creates, as the admin, a silence in the request's project.
func freshSilence(t testing.TB, w *world, c *tcase, _ *principal, m protoreflect.Message) {
	t.Helper()
	res, err := hearthv1connect.NewObserveServiceClient(http.DefaultClient, w.srv.URL, w.asAdmin()).CreateSilence(context.Background(),
		&hearthv1.CreateSilenceRequest{Owner: c.target.project.owner, Name: c.target.project.name, Silence: testSilence()})
	must(t, "fresh silence", err)
	set(m, "id", res.GetSilence().GetId())
}
