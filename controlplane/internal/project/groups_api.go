package project

import (
	"context"
	"net/http"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// GroupAPI implements hearthv1connect.GroupServiceHandler.
type GroupAPI struct{ svc *Service }

var _ hearthv1connect.GroupServiceHandler = (*GroupAPI)(nil)

// NewGroupAPI serves svc's groups.
func NewGroupAPI(svc *Service) *GroupAPI { return &GroupAPI{svc: svc} }

// Handler returns the Connect handler and its path prefix.
func (a *GroupAPI) Handler(opts ...connect.HandlerOption) (string, http.Handler) {
	return hearthv1connect.NewGroupServiceHandler(a, opts...)
}

// Rules declares what each RPC needs: reads need project:read on the
// group's scope (public groups: anyone; internal: signed-in users),
// membership changes project:admin on it (its maintainers); granting a
// role also needs its permissions through the caller's own roles
// (AddMember).
func (a *GroupAPI) Rules() access.Rules {
	return access.Rules{
		hearthv1connect.GroupServiceCreateGroupProcedure: {Authenticated: true},
		// Anyone: the service lists only what the caller may see.
		hearthv1connect.GroupServiceListGroupsProcedure:        {Public: true},
		hearthv1connect.GroupServiceGetGroupProcedure:          {Permission: access.ProjectRead, Group: a.groupOf},
		hearthv1connect.GroupServiceListGroupMembersProcedure:  {Permission: access.ProjectRead, Group: a.groupOf},
		hearthv1connect.GroupServiceAddGroupMemberProcedure:    {Permission: access.ProjectAdmin, Group: a.groupOf},
		hearthv1connect.GroupServiceRemoveGroupMemberProcedure: {Permission: access.ProjectAdmin, Group: a.groupOf},
	}
}

// groupOf resolves the group a request names, for rules.
func (a *GroupAPI) groupOf(ctx context.Context, req any) (uuid.UUID, error) {
	r, ok := req.(interface{ GetName() string })
	if !ok {
		return uuid.Nil, nil
	}
	g, err := a.svc.GroupByName(ctx, r.GetName())
	return g.ID, err
}

// CreateGroup creates a group; the caller becomes its maintainer.
func (a *GroupAPI) CreateGroup(ctx context.Context, req *hearthv1.CreateGroupRequest) (*hearthv1.CreateGroupResponse, error) {
	g, err := a.svc.CreateGroup(ctx, access.PrincipalFrom(ctx), req.GetName(), req.GetDescription(), visibilityFromProto(req.GetVisibility()))
	if err != nil {
		return nil, err
	}
	return &hearthv1.CreateGroupResponse{Group: groupToProto(g)}, nil
}

// ListGroups lists the groups the caller may see.
func (a *GroupAPI) ListGroups(ctx context.Context, req *hearthv1.ListGroupsRequest) (*hearthv1.ListGroupsResponse, error) {
	gs, next, err := a.svc.ListGroups(ctx, access.PrincipalFrom(ctx), int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	out := &hearthv1.ListGroupsResponse{NextPageToken: next, Groups: make([]*hearthv1.Group, len(gs))}
	for i, g := range gs {
		out.Groups[i] = groupToProto(g)
	}
	return out, nil
}

// GetGroup returns a group the caller may see.
func (a *GroupAPI) GetGroup(ctx context.Context, req *hearthv1.GetGroupRequest) (*hearthv1.GetGroupResponse, error) {
	g, err := a.svc.GroupByName(ctx, req.GetName())
	if err != nil {
		return nil, err
	}
	return &hearthv1.GetGroupResponse{Group: groupToProto(g)}, nil
}

// AddGroupMember gives a user a role on the group.
func (a *GroupAPI) AddGroupMember(ctx context.Context, req *hearthv1.AddGroupMemberRequest) (*hearthv1.AddGroupMemberResponse, error) {
	g, err := a.svc.GroupByName(ctx, req.GetName())
	if err != nil {
		return nil, err
	}
	m, err := a.svc.AddMember(ctx, access.PrincipalFrom(ctx), GroupScope(g), req.GetUsername(), req.GetRole())
	if err != nil {
		return nil, err
	}
	return &hearthv1.AddGroupMemberResponse{Member: memberToProto(m)}, nil
}

// ListGroupMembers lists one page of the group's members.
func (a *GroupAPI) ListGroupMembers(ctx context.Context, req *hearthv1.ListGroupMembersRequest) (*hearthv1.ListGroupMembersResponse, error) {
	g, err := a.svc.GroupByName(ctx, req.GetName())
	if err != nil {
		return nil, err
	}
	ms, next, err := a.svc.ListMembers(ctx, GroupScope(g), int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &hearthv1.ListGroupMembersResponse{Members: membersToProto(ms), NextPageToken: next}, nil
}

// RemoveGroupMember removes a user's roles on the group.
func (a *GroupAPI) RemoveGroupMember(ctx context.Context, req *hearthv1.RemoveGroupMemberRequest) (*hearthv1.RemoveGroupMemberResponse, error) {
	g, err := a.svc.GroupByName(ctx, req.GetName())
	if err != nil {
		return nil, err
	}
	if err := a.svc.RemoveMember(ctx, access.PrincipalFrom(ctx), GroupScope(g), req.GetUsername()); err != nil {
		return nil, err
	}
	return &hearthv1.RemoveGroupMemberResponse{}, nil
}

func groupToProto(g Group) *hearthv1.Group {
	return &hearthv1.Group{
		Id: g.ID.String(), Name: g.Name, Description: g.Description,
		Visibility: visibilityToProto(g.Visibility), CreateTime: timestamppb.New(g.CreatedAt),
	}
}
