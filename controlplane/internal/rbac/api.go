package rbac

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// RoleAPI implements hearthv1connect.RoleServiceHandler.
type RoleAPI struct{ s *Service }

// DelegationAPI implements hearthv1connect.DelegationServiceHandler.
type DelegationAPI struct{ s *Service }

var (
	_ hearthv1connect.RoleServiceHandler       = (*RoleAPI)(nil)
	_ hearthv1connect.DelegationServiceHandler = (*DelegationAPI)(nil)
)

// NewRoleAPI returns the RoleService handlers.
func NewRoleAPI(s *Service) *RoleAPI { return &RoleAPI{s: s} }

// NewDelegationAPI returns the DelegationService handlers.
func NewDelegationAPI(s *Service) *DelegationAPI { return &DelegationAPI{s: s} }

// Handler returns the Connect handler and the path prefix it serves.
func (a *RoleAPI) Handler(opts ...connect.HandlerOption) (string, http.Handler) {
	return hearthv1connect.NewRoleServiceHandler(a, opts...)
}

// Handler returns the Connect handler and the path prefix it serves.
func (a *DelegationAPI) Handler(opts ...connect.HandlerOption) (string, http.Handler) {
	return hearthv1connect.NewDelegationServiceHandler(a, opts...)
}

// Rules declares what each RoleService RPC needs.
func (a *RoleAPI) Rules() access.Rules {
	admin := access.Rule{Permission: access.AdminRoles}
	return access.Rules{
		hearthv1connect.RoleServiceListRolesProcedure:         {Authenticated: true},
		hearthv1connect.RoleServiceCreateRoleProcedure:        admin,
		hearthv1connect.RoleServiceUpdateRoleProcedure:        admin,
		hearthv1connect.RoleServiceDeleteRoleProcedure:        admin,
		hearthv1connect.RoleServiceListRoleBindingsProcedure:  admin,
		hearthv1connect.RoleServiceCreateRoleBindingProcedure: admin,
		hearthv1connect.RoleServiceDeleteRoleBindingProcedure: admin,
	}
}

// Rules declares what each DelegationService RPC needs: any signed-in
// caller; the service lends only what the caller holds through its own
// roles and lists the caller's own delegations. Revoking one needs to be
// its delegator or to hold admin:roles installation-wide; its delegate is
// refused, anyone else told it does not exist.
func (a *DelegationAPI) Rules() access.Rules {
	return access.Rules{
		hearthv1connect.DelegationServiceCreateDelegationProcedure: {Authenticated: true},
		hearthv1connect.DelegationServiceListDelegationsProcedure:  {Authenticated: true},
		hearthv1connect.DelegationServiceRevokeDelegationProcedure: {Authenticated: true, Also: a.revokeDelegationNeeds},
	}
}

// revokeDelegationNeeds: see Rules. An id that is not one is left to the
// handler's InvalidArgument.
func (a *DelegationAPI) revokeDelegationNeeds(ctx context.Context, p access.Principal, _ uuid.UUID, req any) ([]access.Need, error) {
	r, ok := req.(*hearthv1.RevokeDelegationRequest)
	if !ok {
		return nil, fmt.Errorf("rbac: RevokeDelegation's rule given a %T", req)
	}
	id, err := parseID("id", r.GetId())
	if err != nil {
		return nil, nil //nolint:nilerr // the handler answers a malformed id
	}
	d, err := a.s.q.GetDelegation(ctx, id)
	if err != nil {
		return nil, apperr.IfNotFound(err, "delegation not found")
	}
	switch {
	case p.Kind == access.User && d.DelegatorID == p.UserID:
		return nil, nil
	case d.DelegateID == p.UserID:
		return []access.Need{{Permission: access.AdminRoles, Refusal: "only the delegator or an administrator can revoke a delegation"}}, nil
	default:
		return []access.Need{{Permission: access.AdminRoles, Hidden: "delegation not found"}}, nil
	}
}

// ListRoles lists every role.
func (a *RoleAPI) ListRoles(ctx context.Context, _ *hearthv1.ListRolesRequest) (*hearthv1.ListRolesResponse, error) {
	roles, err := a.s.ListRoles(ctx)
	if err != nil {
		return nil, err
	}
	out := &hearthv1.ListRolesResponse{Roles: make([]*hearthv1.Role, len(roles))}
	for i, r := range roles {
		out.Roles[i] = roleToProto(r)
	}
	return out, nil
}

// CreateRole defines a custom role.
func (a *RoleAPI) CreateRole(ctx context.Context, req *hearthv1.CreateRoleRequest) (*hearthv1.CreateRoleResponse, error) {
	perms, err := parsePermissions(req.GetPermissions())
	if err != nil {
		return nil, err
	}
	r, err := a.s.CreateRole(ctx, req.GetName(), req.GetDescription(), perms)
	if err != nil {
		return nil, err
	}
	return &hearthv1.CreateRoleResponse{Role: roleToProto(r)}, nil
}

// UpdateRole changes a custom role.
func (a *RoleAPI) UpdateRole(ctx context.Context, req *hearthv1.UpdateRoleRequest) (*hearthv1.UpdateRoleResponse, error) {
	id, err := parseID("id", req.GetId())
	if err != nil {
		return nil, err
	}
	perms, err := parsePermissions(req.GetPermissions())
	if err != nil {
		return nil, err
	}
	r, err := a.s.UpdateRole(ctx, id, req.Description, perms)
	if err != nil {
		return nil, err
	}
	return &hearthv1.UpdateRoleResponse{Role: roleToProto(r)}, nil
}

// DeleteRole deletes a custom role.
func (a *RoleAPI) DeleteRole(ctx context.Context, req *hearthv1.DeleteRoleRequest) (*hearthv1.DeleteRoleResponse, error) {
	id, err := parseID("id", req.GetId())
	if err != nil {
		return nil, err
	}
	if err := a.s.DeleteRole(ctx, id); err != nil {
		return nil, err
	}
	return &hearthv1.DeleteRoleResponse{}, nil
}

// ListRoleBindings lists bindings.
func (a *RoleAPI) ListRoleBindings(ctx context.Context, req *hearthv1.ListRoleBindingsRequest) (*hearthv1.ListRoleBindingsResponse, error) {
	user, err := parseOptionalID("user_id", req.GetUserId())
	if err != nil {
		return nil, err
	}
	project, err := parseOptionalID("project_id", req.GetProjectId())
	if err != nil {
		return nil, err
	}
	bs, err := a.s.ListBindings(ctx, access.BindingFilter{UserID: user, ProjectID: project})
	if err != nil {
		return nil, err
	}
	out := &hearthv1.ListRoleBindingsResponse{Bindings: make([]*hearthv1.RoleBinding, len(bs))}
	for i, b := range bs {
		out.Bindings[i] = bindingToProto(b)
	}
	return out, nil
}

// CreateRoleBinding grants a role.
func (a *RoleAPI) CreateRoleBinding(ctx context.Context, req *hearthv1.CreateRoleBindingRequest) (*hearthv1.CreateRoleBindingResponse, error) {
	user, err := parseID("user_id", req.GetUserId())
	if err != nil {
		return nil, err
	}
	project, err := parseOptionalID("project_id", req.GetProjectId())
	if err != nil {
		return nil, err
	}
	b, err := a.s.CreateBinding(ctx, req.GetRole(), user, project)
	if err != nil {
		return nil, err
	}
	return &hearthv1.CreateRoleBindingResponse{Binding: bindingToProto(b)}, nil
}

// DeleteRoleBinding removes a binding.
func (a *RoleAPI) DeleteRoleBinding(ctx context.Context, req *hearthv1.DeleteRoleBindingRequest) (*hearthv1.DeleteRoleBindingResponse, error) {
	id, err := parseID("id", req.GetId())
	if err != nil {
		return nil, err
	}
	if err := a.s.DeleteBinding(ctx, id); err != nil {
		return nil, err
	}
	return &hearthv1.DeleteRoleBindingResponse{}, nil
}

// CreateDelegation lends permissions the caller holds.
func (a *DelegationAPI) CreateDelegation(ctx context.Context, req *hearthv1.CreateDelegationRequest) (*hearthv1.CreateDelegationResponse, error) {
	delegate, err := parseID("delegate_id", req.GetDelegateId())
	if err != nil {
		return nil, err
	}
	project, err := parseOptionalID("project_id", req.GetProjectId())
	if err != nil {
		return nil, err
	}
	perms, err := parsePermissions(req.GetPermissions())
	if err != nil {
		return nil, err
	}
	if req.GetExpireTime() == nil {
		return nil, apperr.Invalid("expire_time is required")
	}
	if err := req.GetExpireTime().CheckValid(); err != nil {
		return nil, apperr.Invalid("expire_time is not a valid time")
	}
	d, err := a.s.CreateDelegation(ctx, access.PrincipalFrom(ctx), delegate, project, perms, req.GetReason(), req.GetExpireTime().AsTime())
	if err != nil {
		return nil, err
	}
	return &hearthv1.CreateDelegationResponse{Delegation: delegationToProto(d)}, nil
}

// ListDelegations lists the caller's delegations (an admin's: all).
func (a *DelegationAPI) ListDelegations(ctx context.Context, req *hearthv1.ListDelegationsRequest) (*hearthv1.ListDelegationsResponse, error) {
	ds, err := a.s.ListDelegations(ctx, access.PrincipalFrom(ctx), req.GetIncludeInactive())
	if err != nil {
		return nil, err
	}
	out := &hearthv1.ListDelegationsResponse{Delegations: make([]*hearthv1.Delegation, len(ds))}
	for i, d := range ds {
		out.Delegations[i] = delegationToProto(d)
	}
	return out, nil
}

// RevokeDelegation ends a delegation.
func (a *DelegationAPI) RevokeDelegation(ctx context.Context, req *hearthv1.RevokeDelegationRequest) (*hearthv1.RevokeDelegationResponse, error) {
	id, err := parseID("id", req.GetId())
	if err != nil {
		return nil, err
	}
	if err := a.s.RevokeDelegation(ctx, access.PrincipalFrom(ctx), id); err != nil {
		return nil, err
	}
	return &hearthv1.RevokeDelegationResponse{}, nil
}

func parseID(field, s string) (uuid.UUID, error) {
	if s == "" {
		return uuid.Nil, apperr.Invalid("%s is required", field)
	}
	id, err := uuid.Parse(s)
	if err != nil || id == uuid.Nil {
		return uuid.Nil, apperr.Invalid("%s is not a valid id", field)
	}
	return id, nil
}

func parseOptionalID(field, s string) (uuid.UUID, error) {
	if s == "" {
		return uuid.Nil, nil
	}
	return parseID(field, s)
}

func parsePermissions(names []string) (access.Set, error) {
	set, err := access.ParseSet(names)
	if err != nil {
		return 0, apperr.Invalid("%s", err.Error())
	}
	return set, nil
}

func roleToProto(r Role) *hearthv1.Role {
	return &hearthv1.Role{
		Id: r.ID.String(), Name: r.Name, Description: r.Description,
		Permissions: r.Permissions.Names(), System: r.System, CreateTime: timestamp(r.CreatedAt),
	}
}

func bindingToProto(b access.Binding) *hearthv1.RoleBinding {
	return &hearthv1.RoleBinding{
		Id: b.ID.String(), RoleId: b.RoleID.String(), RoleName: b.RoleName, UserId: b.UserID.String(),
		ProjectId: optionalString(b.ProjectID), GroupId: optionalString(b.GroupID), CreateTime: timestamp(b.CreatedAt),
	}
}

func delegationToProto(d Delegation) *hearthv1.Delegation {
	return &hearthv1.Delegation{
		Id: d.ID.String(), DelegatorId: d.DelegatorID.String(), DelegateId: d.DelegateID.String(),
		ProjectId: optionalString(d.ProjectID), Permissions: d.Permissions.Names(), Reason: d.Reason,
		CreateTime: timestamp(d.CreatedAt), ExpireTime: timestamp(d.ExpiresAt), RevokeTime: timestamp(d.RevokedAt),
	}
}

func optionalString(id uuid.UUID) string {
	if id == uuid.Nil {
		return ""
	}
	return id.String()
}

func timestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}
