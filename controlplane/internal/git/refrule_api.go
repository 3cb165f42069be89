package git

import (
	"context"
	"net/http"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// RefRuleAPI implements hearthv1connect.RefRuleServiceHandler over the
// protected refs in PostgreSQL.
type RefRuleAPI struct {
	store    *PGStore
	projects BrowseProjects
}

var _ hearthv1connect.RefRuleServiceHandler = (*RefRuleAPI)(nil)

// NewRefRuleAPI serves the rules in store for the projects resolver finds.
func NewRefRuleAPI(store *PGStore, projects BrowseProjects) *RefRuleAPI {
	return &RefRuleAPI{store: store, projects: projects}
}

// Handler returns the Connect handler and its path prefix.
func (a *RefRuleAPI) Handler(opts ...connect.HandlerOption) (string, http.Handler) {
	return hearthv1connect.NewRefRuleServiceHandler(a, opts...)
}

// Rules declares what each RPC needs: reading rules is reading the
// repository; changing them administers the project.
func (a *RefRuleAPI) Rules() access.Rules {
	return access.Rules{
		hearthv1connect.RefRuleServiceListProtectedRefsProcedure:  {Permission: access.RepoRead, Project: a.projectOf},
		hearthv1connect.RefRuleServiceSetProtectedRefProcedure:    {Permission: access.ProjectAdmin, Project: a.projectOf},
		hearthv1connect.RefRuleServiceDeleteProtectedRefProcedure: {Permission: access.ProjectAdmin, Project: a.projectOf},
	}
}

func (a *RefRuleAPI) projectOf(ctx context.Context, req any) (uuid.UUID, error) {
	r, ok := req.(ownerName)
	if !ok {
		return uuid.Nil, nil
	}
	return a.projects.ResolveProject(ctx, r.GetOwner(), r.GetName())
}

// ListProtectedRefs lists the project's rules.
func (a *RefRuleAPI) ListProtectedRefs(ctx context.Context, req *hearthv1.ListProtectedRefsRequest) (*hearthv1.ListProtectedRefsResponse, error) {
	id, err := a.projectOf(ctx, req)
	if err != nil {
		return nil, err
	}
	rules, err := a.store.ProtectedRefs(ctx, id)
	if err != nil {
		return nil, err
	}
	res := &hearthv1.ListProtectedRefsResponse{}
	for _, r := range rules {
		res.Rules = append(res.Rules, protectedRefToProto(r))
	}
	return res, nil
}

// SetProtectedRef creates or replaces a rule.
func (a *RefRuleAPI) SetProtectedRef(ctx context.Context, req *hearthv1.SetProtectedRefRequest) (*hearthv1.SetProtectedRefResponse, error) {
	id, err := a.projectOf(ctx, req)
	if err != nil {
		return nil, err
	}
	in := req.GetRule()
	rule := ProtectedRef{
		Kind: RefKind(in.GetKind()), Pattern: in.GetPattern(),
		AllowForcePush: in.GetAllowForcePush(), AllowDeletion: in.GetAllowDeletion(),
		PushPermission:    access.RepoWrite,
		RequiredApprovals: int(in.GetRequiredApprovals()), RequirePipeline: in.GetRequirePipeline(),
	}
	switch in.GetPushPermission() {
	case "", access.RepoWrite.String():
	case access.ProjectAdmin.String():
		rule.PushPermission = access.ProjectAdmin
	default:
		return nil, apperr.Invalid("push_permission must be %q or %q", access.RepoWrite, access.ProjectAdmin)
	}
	if err := rule.Validate(); err != nil {
		return nil, apperr.Invalid("%s", err.Error())
	}
	if err := a.store.SetProtectedRef(ctx, id, rule); err != nil {
		return nil, err
	}
	return &hearthv1.SetProtectedRefResponse{Rule: protectedRefToProto(rule)}, nil
}

// DeleteProtectedRef removes a rule.
func (a *RefRuleAPI) DeleteProtectedRef(ctx context.Context, req *hearthv1.DeleteProtectedRefRequest) (*hearthv1.DeleteProtectedRefResponse, error) {
	id, err := a.projectOf(ctx, req)
	if err != nil {
		return nil, err
	}
	if err := a.store.DeleteProtectedRef(ctx, id, RefKind(req.GetKind()), req.GetPattern()); err != nil {
		return nil, err
	}
	return &hearthv1.DeleteProtectedRefResponse{}, nil
}

func protectedRefToProto(r ProtectedRef) *hearthv1.ProtectedRef {
	return &hearthv1.ProtectedRef{
		Kind: string(r.Kind), Pattern: r.Pattern, AllowForcePush: r.AllowForcePush,
		AllowDeletion: r.AllowDeletion, PushPermission: r.PushPermission.String(),
		RequiredApprovals: int32(r.RequiredApprovals), //nolint:gosec // G115: Validate bounds it to 0..50.
		RequirePipeline:   r.RequirePipeline,
	}
}
