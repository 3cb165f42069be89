package server_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// How the table calls each RPC: the generic request builder (fillRequest)
// sets fields by name from the world; a spec adds what it cannot guess,
// says where the RPC is called, and declares what a request needs beyond
// its rule's permission (a field, another user's row, the caller's own
// bindings). Every RPC of hearth.v1 must have a spec: a new RPC fails the
// table until someone says how to call it.

// pinnedPublic are the only RPCs anyone may call anonymously. A rule that
// declares Public for any other RPC is a hole, whatever its handler does.
var pinnedPublic = map[string]bool{
	hearthv1connect.AuthServiceLoginProcedure:           true,
	hearthv1connect.SystemServiceGetVersionProcedure:    true,
	hearthv1connect.ProjectServiceListProjectsProcedure: true, // lists only what the caller may read
	hearthv1connect.GroupServiceListGroupsProcedure:     true,
}

// pinnedAuthenticated are the only RPCs any signed-in principal may call
// without a permission (they act on the caller's own account, or check
// rights on what the request names themselves, declared as needs).
var pinnedAuthenticated = map[string]bool{
	hearthv1connect.AuthServiceLogoutProcedure:                 true,
	hearthv1connect.AuthServiceGetMeProcedure:                  true,
	hearthv1connect.UserServiceGetUserProcedure:                true,
	hearthv1connect.UserServiceUpdateProfileProcedure:          true,
	hearthv1connect.UserServiceChangePasswordProcedure:         true,
	hearthv1connect.TokenServiceCreateTokenProcedure:           true,
	hearthv1connect.TokenServiceListTokensProcedure:            true,
	hearthv1connect.TokenServiceRevokeTokenProcedure:           true,
	hearthv1connect.DelegationServiceCreateDelegationProcedure: true,
	hearthv1connect.DelegationServiceListDelegationsProcedure:  true,
	hearthv1connect.DelegationServiceRevokeDelegationProcedure: true,
	hearthv1connect.GroupServiceCreateGroupProcedure:           true,
	hearthv1connect.ProjectServiceCreateProjectProcedure:       true,
	hearthv1connect.RoleServiceListRolesProcedure:              true,

	hearthv1connect.NotificationServiceListNotificationsProcedure:     true,
	hearthv1connect.NotificationServiceMarkNotificationsReadProcedure: true,
	hearthv1connect.NotificationServiceWatchNotificationsProcedure:    true,
	hearthv1connect.NotificationServiceListSubscriptionsProcedure:     true,
}

// passwordChangeAllowed mirrors what a user who must change their
// password may still call (docs/identity.md).
var passwordChangeAllowed = map[string]bool{
	hearthv1connect.UserServiceChangePasswordProcedure: true,
	hearthv1connect.AuthServiceGetMeProcedure:          true,
	hearthv1connect.AuthServiceLogoutProcedure:         true,
}

// need is one more thing a request needs beyond its rule's permission.
type need struct {
	perm access.Permission
	// role: every permission of this role instead of perm (granting it).
	role string
	// on: the case's project (onProject), the world's group (onGroup) or
	// installation-wide (onInstall).
	on scopeKind
	// own: through the caller's own role bindings; delegations do not count.
	own bool
	// except: who needs nothing (the author of the row the request edits).
	except func(pr *principal) bool
	// hide: a caller who may not read the scope gets 404 rather than 403.
	hide bool
	// when: the request needs it only in some cases (nil: always).
	when func(c *tcase) bool
	// nobody: nothing grants it (only except passes).
	nobody bool
	// unseen: a caller refused sees nothing there (404, the row is not
	// theirs to know of).
	unseen bool
}

// variant is one way of calling an RPC.
type variant struct {
	name string
	// set fills the request beyond fillRequest.
	set func(w *world, c *tcase, m protoreflect.Message)
	// fresh replaces the target of a call expected to succeed by a
	// throwaway one (the call destroys, moves or revokes it).
	fresh func(t testing.TB, w *world, c *tcase, pr *principal, m protoreflect.Message)
	needs []need
	// rejects: the Connect code an allowed call gets (the request is
	// invalid for everyone: who it names may not take part).
	rejects string
	// only: where the variant is called (nil: everywhere the spec is).
	only []string
}

// spec is how the table calls one RPC.
type spec struct {
	// on: where the RPC is called ("priv", "pub", "inner", "group",
	// "install"); empty: decided by the request's fields.
	on       []string
	variants []variant
	// sessionOnly: API tokens are refused whatever their scopes (changing
	// the account's password or profile).
	sessionOnly bool
	// noGhost: the RPC has no ghost case (its target is in the body, not a
	// lookup the interceptor makes).
	noGhost bool
}

func set(m protoreflect.Message, field string, v any) {
	fd := m.Descriptor().Fields().ByName(protoreflect.Name(field))
	if fd == nil {
		panic("no field " + field + " in " + string(m.Descriptor().FullName()))
	}
	switch x := v.(type) {
	case []string:
		l := m.Mutable(fd).List()
		for _, s := range x {
			l.Append(protoreflect.ValueOfString(s))
		}
	case protoreflect.Message:
		m.Set(fd, protoreflect.ValueOfMessage(x))
	case bool:
		m.Set(fd, protoreflect.ValueOfBool(x))
	case int32:
		m.Set(fd, protoreflect.ValueOfInt32(x))
	case int64:
		m.Set(fd, protoreflect.ValueOfInt64(x))
	case protoreflect.EnumNumber:
		m.Set(fd, protoreflect.ValueOfEnum(x))
	default:
		m.Set(fd, protoreflect.ValueOf(v))
	}
}

// fields returns a variant setting constant fields.
func fields(kv ...any) func(*world, *tcase, protoreflect.Message) {
	return func(_ *world, _ *tcase, m protoreflect.Message) {
		for i := 0; i < len(kv); i += 2 {
			set(m, kv[i].(string), kv[i+1])
		}
	}
}

func expireIn(d time.Duration) protoreflect.Message {
	return timestamppb.New(time.Now().Add(d)).ProtoReflect()
}

// author: the caller wrote the row the request names (the owner wrote
// the world's rows; "former" is given its own).
func author(pr *principal) bool { return pr.user == "owner" || pr.user == "former" }

// isOwner: the caller is the owner (whose account and loans requests name).
func isOwner(pr *principal) bool { return pr.user == "owner" }

var (
	participateOthers = []need{{perm: access.ProjectWrite, on: onProject, except: author}}
	authorOnly        = []need{{on: onProject, except: author, nobody: true}}
	adminOthers       = []need{{perm: access.ProjectAdmin, on: onProject, except: author}}
	grantViewer       = need{role: access.RoleViewer, on: onProject, own: true}
	ownProjectAdmin   = need{perm: access.ProjectAdmin, on: onProject, own: true}
	ownGroupAdmin     = need{perm: access.ProjectAdmin, on: onGroup, own: true}
)

// specs says how to call every RPC.
func specs() map[string]spec {
	with := func(name string, kv ...any) variant { return variant{name: name, set: fields(kv...)} }
	return map[string]spec{
		hearthv1connect.AuditServiceListAuditEventsProcedure: {},

		hearthv1connect.AuthServiceLoginProcedure:  {variants: []variant{{set: fields("username", "outsider", "password", worldPass), fresh: freshSession}}},
		hearthv1connect.AuthServiceLogoutProcedure: {variants: []variant{{fresh: freshSession}}},
		hearthv1connect.AuthServiceGetMeProcedure:  {},

		hearthv1connect.ClusterServiceCreateClusterProcedure: {variants: []variant{{set: func(w *world, _ *tcase, m protoreflect.Message) {
			set(m, "name", w.name("cluster"))
		}}}},
		hearthv1connect.ClusterServiceListClustersProcedure: {},
		hearthv1connect.ClusterServiceGetClusterProcedure: {variants: []variant{{set: func(w *world, _ *tcase, m protoreflect.Message) {
			set(m, "id", w.cluster)
		}}}},
		hearthv1connect.ClusterServiceCreateJoinTokenProcedure: {variants: []variant{{set: func(_ *world, _ *tcase, m protoreflect.Message) {
			set(m, "max_uses", int32(1))
			set(m, "expire_time", expireIn(time.Hour))
		}}}},
		hearthv1connect.ClusterServiceListJoinTokensProcedure: {},
		hearthv1connect.ClusterServiceRevokeJoinTokenProcedure: {variants: []variant{{
			set: func(w *world, _ *tcase, m protoreflect.Message) { set(m, "id", w.joinToken) },
			fresh: func(t testing.TB, w *world, _ *tcase, _ *principal, m protoreflect.Message) {
				set(m, "id", w.freshJoinToken(t))
			},
		}}},
		hearthv1connect.ClusterServiceListAgentsProcedure: {},
		hearthv1connect.ClusterServiceRevokeAgentProcedure: {variants: []variant{{
			set: func(w *world, _ *tcase, m protoreflect.Message) { set(m, "id", w.agent) },
		}}},

		hearthv1connect.DelegationServiceCreateDelegationProcedure: {noGhost: true, variants: []variant{{
			set: func(w *world, _ *tcase, m protoreflect.Message) {
				set(m, "delegate_id", w.users["victim"].GetId())
				set(m, "project_id", w.priv.id.String())
				set(m, "permissions", []string{"project:read"})
				set(m, "expire_time", expireIn(time.Hour))
			},
			// One lends only what one holds through one's own roles.
			needs: []need{{perm: access.ProjectRead, on: onProject, own: true}},
		}}, on: []string{"priv"}},
		hearthv1connect.DelegationServiceListDelegationsProcedure: {},
		hearthv1connect.DelegationServiceRevokeDelegationProcedure: {variants: []variant{{
			set: func(w *world, _ *tcase, m protoreflect.Message) { set(m, "id", w.victimDelegation) },
			fresh: func(t testing.TB, w *world, _ *tcase, _ *principal, m protoreflect.Message) {
				set(m, "id", w.freshDelegation(t))
			},
			// The delegator or an administrator of roles; others do not
			// learn it exists.
			needs: []need{{perm: access.AdminRoles, on: onInstall, except: isOwner, unseen: true}},
		}}},

		hearthv1connect.GroupServiceCreateGroupProcedure: {variants: []variant{{set: func(w *world, _ *tcase, m protoreflect.Message) {
			// After hidden-grp by name, so it stays on ListGroups' first page.
			set(m, "name", w.name("zz-grp"))
		}}}},
		hearthv1connect.GroupServiceListGroupsProcedure:       {variants: []variant{with("", "page_size", int32(100))}},
		hearthv1connect.GroupServiceGetGroupProcedure:         {},
		hearthv1connect.GroupServiceListGroupMembersProcedure: {},
		hearthv1connect.GroupServiceAddGroupMemberProcedure: {variants: []variant{{
			needs: []need{ownGroupAdmin, {role: access.RoleViewer, on: onGroup, own: true}},
		}}},
		hearthv1connect.GroupServiceRemoveGroupMemberProcedure: {variants: []variant{{
			fresh: func(t testing.TB, w *world, _ *tcase, _ *principal, _ protoreflect.Message) { w.addGroupVictim(t) },
			needs: []need{ownGroupAdmin},
		}}},

		hearthv1connect.IssueServiceCreateIssueProcedure: {variants: []variant{
			{},
			{name: "labels", set: fields("labels", []string{labelName}), needs: []need{{perm: access.ProjectWrite, on: onProject}}},
			{name: "assignees", set: fields("assignees", []string{"developer"}), needs: []need{{perm: access.ProjectWrite, on: onProject}}},
			// An assignee must be able to read the project.
			{name: "assignee who cannot read", set: fields("assignees", []string{"outsider"}), only: []string{"priv"},
				needs: []need{{perm: access.ProjectWrite, on: onProject}}, rejects: "invalid_argument"},
		}},
		hearthv1connect.IssueServiceGetIssueProcedure:   {},
		hearthv1connect.IssueServiceListIssuesProcedure: {},
		hearthv1connect.IssueServiceUpdateIssueProcedure: {variants: []variant{
			{needs: participateOthers},
			{name: "labels", set: fields("labels", []string{labelName}, "update_labels", true), needs: []need{{perm: access.ProjectWrite, on: onProject}}},
			{name: "assignees", set: fields("assignees", []string{"developer"}, "update_assignees", true), needs: []need{{perm: access.ProjectWrite, on: onProject}}},
		}},
		hearthv1connect.IssueServiceCreateCommentProcedure: {},
		hearthv1connect.IssueServiceListCommentsProcedure:  {},
		hearthv1connect.IssueServiceUpdateCommentProcedure: {variants: []variant{{needs: authorOnly}}},
		hearthv1connect.IssueServiceDeleteCommentProcedure: {variants: []variant{{
			fresh: func(t testing.TB, w *world, c *tcase, pr *principal, m protoreflect.Message) {
				set(m, "comment_id", w.freshIssueComment(t, c.target.project, pr))
			},
			needs: adminOthers,
		}}},
		hearthv1connect.IssueServiceCreateLabelProcedure: {variants: []variant{{set: func(w *world, _ *tcase, m protoreflect.Message) {
			set(m, "label", w.name("label"))
		}}}},
		hearthv1connect.IssueServiceListLabelsProcedure:  {},
		hearthv1connect.IssueServiceUpdateLabelProcedure: {variants: []variant{with("", "color", "#00ff00")}},
		hearthv1connect.IssueServiceDeleteLabelProcedure: {variants: []variant{{
			fresh: func(t testing.TB, w *world, c *tcase, _ *principal, m protoreflect.Message) {
				set(m, "label", w.freshLabel(t, c.target.project))
			},
		}}},

		hearthv1connect.MergeRequestServiceCreateMergeRequestProcedure: {},
		hearthv1connect.MergeRequestServiceGetMergeRequestProcedure:    {},
		hearthv1connect.MergeRequestServiceListMergeRequestsProcedure:  {},
		hearthv1connect.MergeRequestServiceUpdateMergeRequestProcedure: {variants: []variant{{needs: participateOthers}}},
		hearthv1connect.MergeRequestServiceMergeMergeRequestProcedure: {variants: []variant{{
			// A commit that is not the head: an allowed caller is refused
			// after authorization, so the merge request stays open. main
			// is protected: moving it needs project:admin.
			set:   func(_ *world, c *tcase, m protoreflect.Message) { set(m, "commit_sha", c.target.project.commit) },
			needs: []need{{perm: access.ProjectAdmin, on: onProject}},
		}}},
		hearthv1connect.MergeRequestServiceGetMergeRequestChangesProcedure:    {},
		hearthv1connect.MergeRequestServiceCreateMergeRequestCommentProcedure: {},
		hearthv1connect.MergeRequestServiceListMergeRequestCommentsProcedure:  {},
		hearthv1connect.MergeRequestServiceUpdateMergeRequestCommentProcedure: {variants: []variant{{needs: authorOnly}}},
		hearthv1connect.MergeRequestServiceDeleteMergeRequestCommentProcedure: {variants: []variant{{
			fresh: func(t testing.TB, w *world, c *tcase, pr *principal, m protoreflect.Message) {
				set(m, "comment_id", w.freshMRComment(t, c.target.project, pr))
			},
			needs: adminOthers,
		}}},
		hearthv1connect.MergeRequestServiceCreateMergeRequestReviewProcedure: {variants: []variant{
			with("", "verdict", protoreflect.EnumNumber(hearthv1.ReviewVerdict_REVIEW_VERDICT_REQUEST_CHANGES)),
		}},
		hearthv1connect.MergeRequestServiceListMergeRequestReviewsProcedure: {},
		hearthv1connect.MergeRequestServiceRequestMergeRequestReviewProcedure: {variants: []variant{
			with("", "reviewers", []string{"maintainer"}),
			// A reviewer must be able to read the project.
			{name: "reviewer who cannot read", set: fields("reviewers", []string{"outsider"}), only: []string{"priv"}, rejects: "invalid_argument"},
		}},

		hearthv1connect.PipelineServiceListPipelinesProcedure:      {},
		hearthv1connect.PipelineServiceRunPipelineProcedure:        {},
		hearthv1connect.PipelineServiceGetPipelineProcedure:        {},
		hearthv1connect.PipelineServiceCancelPipelineProcedure:     {},
		hearthv1connect.PipelineServiceRetryPipelineProcedure:      {},
		hearthv1connect.PipelineServiceGetJobProcedure:             {},
		hearthv1connect.PipelineServiceRetryJobProcedure:           {},
		hearthv1connect.PipelineServiceCancelJobProcedure:          {},
		hearthv1connect.PipelineServiceFollowJobLogProcedure:       {},
		hearthv1connect.PipelineServiceListArtifactsProcedure:      {},
		hearthv1connect.PipelineServiceListCommitStatusesProcedure: {},
		hearthv1connect.PipelineServiceSetCommitStatusProcedure: {variants: []variant{with("",
			"context", "ci/table", "state", protoreflect.EnumNumber(hearthv1.CommitStatusState_COMMIT_STATUS_STATE_RUNNING))}},
		hearthv1connect.PipelineServiceCreateScheduleProcedure: {},
		hearthv1connect.PipelineServiceListSchedulesProcedure:  {},
		hearthv1connect.PipelineServiceDeleteScheduleProcedure: {variants: []variant{{
			fresh: func(t testing.TB, w *world, c *tcase, _ *principal, m protoreflect.Message) {
				set(m, "id", w.freshSchedule(t, c.target.project))
			},
		}}},

		hearthv1connect.ProjectServiceCreateProjectProcedure: {noGhost: true, variants: []variant{
			{set: func(w *world, _ *tcase, m protoreflect.Message) { set(m, "name", w.name("proj")) }},
			{name: "in the group", set: func(w *world, _ *tcase, m protoreflect.Message) {
				set(m, "name", w.name("proj"))
				set(m, "namespace", groupName)
			}, needs: []need{{perm: access.ProjectAdmin, on: onGroup, hide: true}}},
		}},
		hearthv1connect.ProjectServiceGetProjectProcedure: {},
		// The hidden projects only, whatever else the tables created.
		hearthv1connect.ProjectServiceListProjectsProcedure:   {variants: []variant{with("", "search", hiddenMarker, "page_size", int32(100))}},
		hearthv1connect.ProjectServiceUpdateProjectProcedure:  {},
		hearthv1connect.ProjectServiceGetProjectByIdProcedure: {},
		hearthv1connect.ProjectServiceRenameProjectProcedure: {variants: []variant{{
			fresh: freshProject(func(w *world, m protoreflect.Message) { set(m, "new_name", w.name("renamed")) }),
		}}},
		hearthv1connect.ProjectServiceTransferProjectProcedure: {on: []string{"priv", "pub", "inner"}, variants: []variant{{
			// Into the group from a user's namespace, out of the group
			// into the caller's own: either way the caller becomes (or
			// makes its group) the maintainer.
			set: func(_ *world, c *tcase, m protoreflect.Message) {
				if inGroup(c) {
					set(m, "namespace", c.caller.user)
					return
				}
				set(m, "namespace", groupName)
			},
			fresh: freshProject(nil),
			needs: []need{
				{perm: access.ProjectAdmin, on: onGroup, hide: true, when: notInGroup},
				{perm: access.ProjectAdmin, on: onGroup, when: inGroup},
				{role: access.RoleMaintainer, on: onProject, own: true},
			},
		}}},
		hearthv1connect.ProjectServiceArchiveProjectProcedure:   {variants: []variant{{fresh: freshProject(nil)}}},
		hearthv1connect.ProjectServiceUnarchiveProjectProcedure: {variants: []variant{{fresh: freshProject(nil)}}},
		hearthv1connect.ProjectServiceDeleteProjectProcedure: {on: []string{"priv", "pub", "inner"}, variants: []variant{{
			fresh: freshProject(nil),
			// A group's project goes only with the group's maintainers.
			needs: []need{{perm: access.ProjectAdmin, on: onGroup, when: inGroup}},
		}}},
		hearthv1connect.ProjectServiceAddProjectMemberProcedure:   {variants: []variant{{needs: []need{ownProjectAdmin, grantViewer}}}},
		hearthv1connect.ProjectServiceListProjectMembersProcedure: {},
		hearthv1connect.ProjectServiceRemoveProjectMemberProcedure: {variants: []variant{{
			fresh: func(t testing.TB, w *world, c *tcase, _ *principal, _ protoreflect.Message) {
				w.addVictim(t, c.target.project)
			},
			needs: []need{ownProjectAdmin},
		}}},

		hearthv1connect.RefRuleServiceListProtectedRefsProcedure: {},
		hearthv1connect.RefRuleServiceSetProtectedRefProcedure: {variants: []variant{{set: func(w *world, _ *tcase, m protoreflect.Message) {
			set(m, "rule", (&hearthv1.ProtectedRef{Kind: "branch", Pattern: w.name("release") + "/*"}).ProtoReflect())
		}}}},
		hearthv1connect.RefRuleServiceDeleteProtectedRefProcedure: {variants: []variant{{
			set: fields("kind", "branch", "pattern", "main"),
			fresh: func(t testing.TB, w *world, c *tcase, _ *principal, m protoreflect.Message) {
				set(m, "pattern", w.freshProtectedRef(t, c.target.project))
			},
		}}},

		hearthv1connect.SecretServiceListProjectSecretsProcedure:   {},
		hearthv1connect.SecretServiceListGroupSecretsProcedure:     {},
		hearthv1connect.SecretServiceListInstanceSecretsProcedure:  {},
		hearthv1connect.SecretServiceSetProjectSecretProcedure:     {variants: []variant{{set: secretInput}}},
		hearthv1connect.SecretServiceSetGroupSecretProcedure:       {variants: []variant{{set: secretInput}}},
		hearthv1connect.SecretServiceSetInstanceSecretProcedure:    {variants: []variant{{set: secretInput}}},
		hearthv1connect.SecretServiceRotateProjectKeyProcedure:     {},
		hearthv1connect.SecretServiceDeleteProjectSecretProcedure:  {variants: []variant{{set: fields("secret_name", "NONE"), fresh: freshSecret}}},
		hearthv1connect.SecretServiceDeleteGroupSecretProcedure:    {variants: []variant{{set: fields("secret_name", "NONE"), fresh: freshSecret}}},
		hearthv1connect.SecretServiceDeleteInstanceSecretProcedure: {variants: []variant{{set: fields("secret_name", "NONE"), fresh: freshSecret}}},

		hearthv1connect.ObserveServiceQueryLogsProcedure:      {},
		hearthv1connect.ObserveServiceTailLogsProcedure:       {},
		hearthv1connect.ObserveServiceGetTraceProcedure:       {variants: []variant{{set: fields("trace_id", "abababababababababababababababab")}}},
		hearthv1connect.ObserveServiceSearchTracesProcedure:   {},
		hearthv1connect.ObserveServiceQueryMetricsProcedure:   {variants: []variant{{set: fields("metric", "http.server.duration")}}},
		hearthv1connect.ObserveServiceListMetricsProcedure:    {},
		hearthv1connect.ObserveServiceListAlertRulesProcedure: {},
		hearthv1connect.ObserveServiceCreateAlertRuleProcedure: {variants: []variant{{set: func(w *world, _ *tcase, m protoreflect.Message) {
			set(m, "rule", testAlertRule(w).ProtoReflect())
		}}}},
		hearthv1connect.ObserveServiceDeleteAlertRuleProcedure: {variants: []variant{{
			set: fields("id", "00000000-0000-0000-0000-000000000000"), fresh: freshAlertRule,
		}}},
		hearthv1connect.ObserveServiceListSilencesProcedure:       {},
		hearthv1connect.ObserveServiceGetObserveSettingsProcedure: {},
		hearthv1connect.ObserveServiceUpdateObserveSettingsProcedure: {variants: []variant{{set: func(_ *world, _ *tcase, m protoreflect.Message) {
			set(m, "settings", (&hearthv1.ObserveSettings{Retention: durationpb.New(7 * 24 * time.Hour)}).ProtoReflect())
		}}}},
		hearthv1connect.ObserveServiceCreateSilenceProcedure: {variants: []variant{{set: func(_ *world, _ *tcase, m protoreflect.Message) {
			set(m, "silence", testSilence().ProtoReflect())
		}}}},
		hearthv1connect.ObserveServiceDeleteSilenceProcedure: {variants: []variant{{
			set: fields("id", "00000000-0000-0000-0000-000000000000"), fresh: freshSilence,
		}}},

		hearthv1connect.NotificationServiceListNotificationsProcedure:     {},
		hearthv1connect.NotificationServiceMarkNotificationsReadProcedure: {},
		hearthv1connect.NotificationServiceWatchNotificationsProcedure:    {},
		hearthv1connect.NotificationServiceListSubscriptionsProcedure:     {},
		hearthv1connect.NotificationServiceSetSubscriptionProcedure:       {variants: []variant{{set: fields("level", "watch")}}},

		// A loopback target: stored, and refused at delivery without a
		// connection (no test sends a packet beyond loopback).
		hearthv1connect.WebhookServiceCreateWebhookProcedure: {on: []string{"priv", "pub", "install"}, variants: []variant{{set: fields("url", "http://127.0.0.1:9/hook")}}},
		hearthv1connect.WebhookServiceListWebhooksProcedure:  {on: []string{"priv", "pub", "install"}},
		hearthv1connect.WebhookServiceDeleteWebhookProcedure: {on: []string{"priv", "pub", "install"}, variants: []variant{{
			set: fields("id", "00000000-0000-0000-0000-000000000000"), fresh: freshWebhook,
		}}},
		hearthv1connect.WebhookServiceSetWebhookActiveProcedure: {on: []string{"priv", "pub", "install"}, variants: []variant{{
			set: fields("id", "00000000-0000-0000-0000-000000000000"), fresh: freshWebhook,
		}}},
		hearthv1connect.WebhookServiceListWebhookDeliveriesProcedure: {on: []string{"priv", "pub", "install"}, variants: []variant{{
			set: fields("id", "00000000-0000-0000-0000-000000000000"), fresh: freshWebhook,
		}}},
		hearthv1connect.WebhookServiceRedeliverWebhookProcedure: {on: []string{"priv", "pub", "install"}, variants: []variant{{
			set:   fields("id", "00000000-0000-0000-0000-000000000000", "delivery_id", "00000000-0000-0000-0000-000000000000"),
			fresh: freshDelivery,
		}}},

		hearthv1connect.RepositoryServiceListBranchesProcedure: {},
		hearthv1connect.RepositoryServiceListTagsProcedure:     {},
		hearthv1connect.RepositoryServiceGetTreeProcedure:      {},
		hearthv1connect.RepositoryServiceGetBlobProcedure:      {variants: []variant{with("", "path", worldFile)}},
		hearthv1connect.RepositoryServiceListCommitsProcedure:  {},
		hearthv1connect.RepositoryServiceGetCommitProcedure:    {},
		hearthv1connect.RepositoryServiceCompareProcedure:      {},

		hearthv1connect.RoleServiceListRolesProcedure: {},
		hearthv1connect.RoleServiceCreateRoleProcedure: {variants: []variant{{set: func(w *world, _ *tcase, m protoreflect.Message) {
			set(m, "name", w.name("role"))
			set(m, "permissions", []string{"project:read"})
		}}}},
		hearthv1connect.RoleServiceUpdateRoleProcedure: {variants: []variant{{set: func(w *world, _ *tcase, m protoreflect.Message) {
			set(m, "id", w.roleIDs["user-manager"])
			set(m, "description", "manages accounts")
		}}}},
		hearthv1connect.RoleServiceDeleteRoleProcedure: {variants: []variant{{
			set: func(w *world, _ *tcase, m protoreflect.Message) { set(m, "id", w.roleIDs["user-manager"]) },
			fresh: func(t testing.TB, w *world, _ *tcase, _ *principal, m protoreflect.Message) {
				set(m, "id", w.freshRole(t))
			},
		}}},
		hearthv1connect.RoleServiceListRoleBindingsProcedure: {},
		hearthv1connect.RoleServiceCreateRoleBindingProcedure: {variants: []variant{{set: func(w *world, _ *tcase, m protoreflect.Message) {
			set(m, "role", access.RoleViewer)
			set(m, "user_id", w.users["victim"].GetId())
			set(m, "project_id", w.pub.id.String())
		}}}},
		hearthv1connect.RoleServiceDeleteRoleBindingProcedure: {variants: []variant{{
			set: func(w *world, _ *tcase, m protoreflect.Message) { set(m, "id", w.helpdeskBinding) },
			fresh: func(t testing.TB, w *world, _ *tcase, _ *principal, m protoreflect.Message) {
				set(m, "id", w.freshBinding(t))
			},
		}}},

		hearthv1connect.SystemServiceGetVersionProcedure: {},

		hearthv1connect.TokenServiceCreateTokenProcedure: {variants: []variant{{set: func(_ *world, _ *tcase, m protoreflect.Message) {
			set(m, "name", "table")
			set(m, "scopes", []string{"read-only"})
			set(m, "expire_time", expireIn(time.Hour))
		}}}},
		hearthv1connect.TokenServiceListTokensProcedure: {},
		hearthv1connect.TokenServiceRevokeTokenProcedure: {variants: []variant{{
			set: func(w *world, _ *tcase, m protoreflect.Message) { set(m, "id", w.spareToken) },
			fresh: func(t testing.TB, w *world, _ *tcase, pr *principal, m protoreflect.Message) {
				set(m, "id", w.freshToken(t, pr.user))
			},
		}}},

		hearthv1connect.UserServiceCreateUserProcedure: {variants: []variant{{set: func(w *world, _ *tcase, m protoreflect.Message) {
			name := w.name("user")
			set(m, "username", name)
			set(m, "email", name+"@example.test")
			set(m, "password", worldPass)
		}}}},
		hearthv1connect.UserServiceListUsersProcedure: {},
		hearthv1connect.UserServiceGetUserProcedure: {variants: []variant{{
			set:   func(w *world, _ *tcase, m protoreflect.Message) { set(m, "id", w.users["owner"].GetId()) },
			needs: []need{{perm: access.AdminUsers, on: onInstall, except: isOwner}},
		}}},
		hearthv1connect.UserServiceUpdateUserProcedure: {variants: []variant{
			{set: func(w *world, _ *tcase, m protoreflect.Message) {
				set(m, "id", w.users["victim"].GetId())
				set(m, "display_name", "Victim")
			}},
			{name: "admin", set: func(w *world, _ *tcase, m protoreflect.Message) {
				set(m, "id", w.users["victim"].GetId())
				set(m, "admin", false)
			}, needs: []need{{perm: access.AdminRoles, on: onInstall}}},
		}},
		hearthv1connect.UserServiceDeactivateUserProcedure: {variants: []variant{{
			set: func(w *world, _ *tcase, m protoreflect.Message) { set(m, "id", w.users["victim"].GetId()) },
			fresh: func(t testing.TB, w *world, _ *tcase, _ *principal, m protoreflect.Message) {
				set(m, "id", w.freshUser(t))
			},
		}}},
		hearthv1connect.UserServiceUpdateProfileProcedure: {sessionOnly: true, variants: []variant{with("", "display_name", "Table")}},
		// An invalid new password: an allowed caller is refused after
		// authorization, and nobody's password changes.
		hearthv1connect.UserServiceChangePasswordProcedure: {sessionOnly: true, variants: []variant{with("", "current_password", "x", "new_password", "short")}},
	}
}

func inGroup(c *tcase) bool    { return c.target.project != nil && c.target.project.group != uuid.Nil }
func notInGroup(c *tcase) bool { return !inGroup(c) }

// freshSession signs the principal in again for a call that ends its
// session (the principal keeps its own).
func freshSession(t testing.TB, w *world, c *tcase, pr *principal, _ protoreflect.Message) {
	if pr.session == nil {
		return
	}
	copied := *pr
	copied.session = w.srv.Login(t, pr.user, pr.password)
	c.caller = &copied
}

// freshProject moves a call expected to succeed to a throwaway copy of
// its project (same visibility, members, group and delegation).
func freshProject(more func(w *world, m protoreflect.Message)) func(testing.TB, *world, *tcase, *principal, protoreflect.Message) {
	return func(t testing.TB, w *world, c *tcase, _ *principal, m protoreflect.Message) {
		p := w.throwaway(t, c.target.project)
		p.throwaway = true
		c.target.project = p
		set(m, "owner", p.owner)
		set(m, "name", p.name)
		if more != nil {
			more(w, m)
		}
	}
}
