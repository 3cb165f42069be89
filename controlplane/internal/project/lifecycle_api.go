package project

import (
	"context"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// lifecycleRules declares the rules of the project RPCs beyond CRUD: by
// id, rename, transfer (and the groups it moves between: needs_api.go),
// archive, delete (a group's project: its group's maintainers) and members.
func (a *API) lifecycleRules() access.Rules {
	admin := access.Rule{Permission: access.ProjectAdmin, Project: a.ProjectOf}
	transfer, remove := admin, admin
	transfer.Also, remove.Also = a.transferProjectNeeds, a.deleteProjectNeeds
	return access.Rules{
		hearthv1connect.ProjectServiceGetProjectByIdProcedure:      {Permission: access.ProjectRead, Project: a.projectByID},
		hearthv1connect.ProjectServiceRenameProjectProcedure:       admin,
		hearthv1connect.ProjectServiceTransferProjectProcedure:     transfer,
		hearthv1connect.ProjectServiceArchiveProjectProcedure:      admin,
		hearthv1connect.ProjectServiceUnarchiveProjectProcedure:    admin,
		hearthv1connect.ProjectServiceDeleteProjectProcedure:       remove,
		hearthv1connect.ProjectServiceAddProjectMemberProcedure:    admin,
		hearthv1connect.ProjectServiceListProjectMembersProcedure:  {Permission: access.ProjectRead, Project: a.ProjectOf},
		hearthv1connect.ProjectServiceRemoveProjectMemberProcedure: admin,
	}
}

func mergeRules(base, more access.Rules) access.Rules {
	for k, v := range more {
		base[k] = v
	}
	return base
}

// projectByID resolves GetProjectById's project for its rule; a malformed
// id is InvalidArgument, an unknown one NotFound.
func (a *API) projectByID(ctx context.Context, req any) (uuid.UUID, error) {
	r, ok := req.(*hearthv1.GetProjectByIdRequest)
	if !ok {
		return uuid.Nil, nil
	}
	id, err := uuid.Parse(r.GetId())
	if err != nil {
		// What names no project is reported like an unknown one, so the
		// authorizer still answers anonymous callers with 401.
		return uuid.Nil, apperr.NotFound("project not found")
	}
	if _, err := a.svc.ByID(ctx, id); err != nil {
		if apperr.KindOf(err) == apperr.KindNotFound {
			return uuid.Nil, apperr.NotFound("project not found")
		}
		return uuid.Nil, err
	}
	return id, nil
}

// GetProjectById returns a project by id (the rule checked project:read).
func (a *API) GetProjectById(ctx context.Context, req *hearthv1.GetProjectByIdRequest) (*hearthv1.GetProjectByIdResponse, error) {
	id, err := uuid.Parse(req.GetId())
	if err != nil {
		return nil, apperr.Invalid("id: not a project id")
	}
	p, err := a.svc.ByID(ctx, id)
	if err != nil {
		if apperr.KindOf(err) == apperr.KindNotFound {
			return nil, apperr.NotFound("project not found")
		}
		return nil, err
	}
	return &hearthv1.GetProjectByIdResponse{Project: a.toProto(p)}, nil
}

// RenameProject renames a project under its owner.
func (a *API) RenameProject(ctx context.Context, req *hearthv1.RenameProjectRequest) (*hearthv1.RenameProjectResponse, error) {
	p, err := a.svc.ByPath(ctx, req.GetOwner(), req.GetName())
	if err != nil {
		return nil, err
	}
	if p, err = a.svc.Rename(ctx, p.ID, req.GetNewName()); err != nil {
		return nil, err
	}
	return &hearthv1.RenameProjectResponse{Project: a.toProto(p)}, nil
}

// TransferProject moves a project to another namespace.
func (a *API) TransferProject(ctx context.Context, req *hearthv1.TransferProjectRequest) (*hearthv1.TransferProjectResponse, error) {
	p, err := a.svc.ByPath(ctx, req.GetOwner(), req.GetName())
	if err != nil {
		return nil, err
	}
	if p, err = a.svc.Transfer(ctx, access.PrincipalFrom(ctx), p.ID, req.GetNamespace()); err != nil {
		return nil, err
	}
	return &hearthv1.TransferProjectResponse{Project: a.toProto(p)}, nil
}

// ArchiveProject makes a project read-only.
func (a *API) ArchiveProject(ctx context.Context, req *hearthv1.ArchiveProjectRequest) (*hearthv1.ArchiveProjectResponse, error) {
	p, err := a.setArchived(ctx, req, true)
	if err != nil {
		return nil, err
	}
	return &hearthv1.ArchiveProjectResponse{Project: p}, nil
}

// UnarchiveProject makes a project writable again.
func (a *API) UnarchiveProject(ctx context.Context, req *hearthv1.UnarchiveProjectRequest) (*hearthv1.UnarchiveProjectResponse, error) {
	p, err := a.setArchived(ctx, req, false)
	if err != nil {
		return nil, err
	}
	return &hearthv1.UnarchiveProjectResponse{Project: p}, nil
}

func (a *API) setArchived(ctx context.Context, req projectPath, archived bool) (*hearthv1.Project, error) {
	p, err := a.svc.ByPath(ctx, req.GetOwner(), req.GetName())
	if err != nil {
		return nil, err
	}
	if p, err = a.svc.SetArchived(ctx, p.ID, archived); err != nil {
		return nil, err
	}
	return a.toProto(p), nil
}

// DeleteProject soft-deletes a project.
func (a *API) DeleteProject(ctx context.Context, req *hearthv1.DeleteProjectRequest) (*hearthv1.DeleteProjectResponse, error) {
	p, err := a.svc.ByPath(ctx, req.GetOwner(), req.GetName())
	if err != nil {
		return nil, err
	}
	if err := a.svc.Delete(ctx, p.ID); err != nil {
		return nil, err
	}
	return &hearthv1.DeleteProjectResponse{}, nil
}

// AddProjectMember gives a user a role on the project.
func (a *API) AddProjectMember(ctx context.Context, req *hearthv1.AddProjectMemberRequest) (*hearthv1.AddProjectMemberResponse, error) {
	p, err := a.svc.ByPath(ctx, req.GetOwner(), req.GetName())
	if err != nil {
		return nil, err
	}
	m, err := a.svc.AddMember(ctx, access.PrincipalFrom(ctx), ScopeOf(p), req.GetUsername(), req.GetRole())
	if err != nil {
		return nil, err
	}
	return &hearthv1.AddProjectMemberResponse{Member: memberToProto(m)}, nil
}

// ListProjectMembers lists one page of the project's direct members.
func (a *API) ListProjectMembers(ctx context.Context, req *hearthv1.ListProjectMembersRequest) (*hearthv1.ListProjectMembersResponse, error) {
	p, err := a.svc.ByPath(ctx, req.GetOwner(), req.GetName())
	if err != nil {
		return nil, err
	}
	ms, next, err := a.svc.ListMembers(ctx, ScopeOf(p), int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &hearthv1.ListProjectMembersResponse{Members: membersToProto(ms), NextPageToken: next}, nil
}

// RemoveProjectMember removes a user's roles on the project.
func (a *API) RemoveProjectMember(ctx context.Context, req *hearthv1.RemoveProjectMemberRequest) (*hearthv1.RemoveProjectMemberResponse, error) {
	p, err := a.svc.ByPath(ctx, req.GetOwner(), req.GetName())
	if err != nil {
		return nil, err
	}
	if err := a.svc.RemoveMember(ctx, access.PrincipalFrom(ctx), ScopeOf(p), req.GetUsername()); err != nil {
		return nil, err
	}
	return &hearthv1.RemoveProjectMemberResponse{}, nil
}

func memberToProto(m Member) *hearthv1.Member {
	return &hearthv1.Member{Username: m.Username, Role: m.Role, CreateTime: timestamppb.New(m.CreatedAt)}
}

func membersToProto(ms []Member) []*hearthv1.Member {
	out := make([]*hearthv1.Member, len(ms))
	for i, m := range ms {
		out[i] = memberToProto(m)
	}
	return out
}
