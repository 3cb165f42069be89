package project

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// API implements hearthv1connect.ProjectServiceHandler.
type API struct {
	svc *Service
	// publicURL prefixes clone URLs ("https://hearth.example.com").
	publicURL string
}

var _ hearthv1connect.ProjectServiceHandler = (*API)(nil)

// NewAPI serves svc; publicURL is how users reach the installation.
func NewAPI(svc *Service, publicURL string) *API {
	return &API{svc: svc, publicURL: strings.TrimRight(publicURL, "/")}
}

// Handler returns the Connect handler and its path prefix.
func (a *API) Handler(opts ...connect.HandlerOption) (string, http.Handler) {
	return hearthv1connect.NewProjectServiceHandler(a, opts...)
}

// Rules declares what each RPC needs.
func (a *API) Rules() access.Rules {
	return mergeRules(access.Rules{
		// Creating in a group also needs project:admin on the group (the
		// destination is in the body: needs_api.go).
		hearthv1connect.ProjectServiceCreateProjectProcedure: {Authenticated: true, Also: a.createProjectNeeds},
		hearthv1connect.ProjectServiceGetProjectProcedure:    {Permission: access.ProjectRead, Project: a.ProjectOf},
		// Anyone: the service lists only what the caller may read.
		hearthv1connect.ProjectServiceListProjectsProcedure:  {Public: true},
		hearthv1connect.ProjectServiceUpdateProjectProcedure: {Permission: access.ProjectAdmin, Project: a.ProjectOf},
	}, a.lifecycleRules())
}

// ProjectOf resolves the project a request names by owner and name, for
// rules; an unknown project is NotFound, like one the caller cannot see.
func (a *API) ProjectOf(ctx context.Context, req any) (uuid.UUID, error) {
	r, ok := req.(interface {
		GetOwner() string
		GetName() string
	})
	if !ok {
		return uuid.Nil, nil
	}
	p, err := a.svc.ByPath(ctx, r.GetOwner(), r.GetName())
	if err != nil {
		return uuid.Nil, err
	}
	return p.ID, nil
}

// CreateProject creates a project owned by the caller.
func (a *API) CreateProject(ctx context.Context, req *hearthv1.CreateProjectRequest) (*hearthv1.CreateProjectResponse, error) {
	p, err := a.svc.CreateIn(ctx, access.PrincipalFrom(ctx), req.GetNamespace(), req.GetName(), req.GetDescription(),
		visibilityFromProto(req.GetVisibility()), req.GetDefaultBranch())
	if err != nil {
		return nil, err
	}
	return &hearthv1.CreateProjectResponse{Project: a.toProto(p)}, nil
}

// GetProject returns a project the caller may read.
func (a *API) GetProject(ctx context.Context, req *hearthv1.GetProjectRequest) (*hearthv1.GetProjectResponse, error) {
	p, err := a.svc.ByPath(ctx, req.GetOwner(), req.GetName())
	if err != nil {
		return nil, err
	}
	return &hearthv1.GetProjectResponse{Project: a.toProto(p)}, nil
}

// ListProjects lists the projects the caller may read.
func (a *API) ListProjects(ctx context.Context, req *hearthv1.ListProjectsRequest) (*hearthv1.ListProjectsResponse, error) {
	ps, next, err := a.svc.List(ctx, access.PrincipalFrom(ctx), ListQuery{
		Search: req.GetSearch(), PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken(),
	})
	if err != nil {
		return nil, err
	}
	out := &hearthv1.ListProjectsResponse{NextPageToken: next, Projects: make([]*hearthv1.Project, 0, len(ps))}
	for _, p := range ps {
		out.Projects = append(out.Projects, a.toProto(p))
	}
	return out, nil
}

// UpdateProject changes a project's description, visibility or default
// branch (the rule requires project:admin).
func (a *API) UpdateProject(ctx context.Context, req *hearthv1.UpdateProjectRequest) (*hearthv1.UpdateProjectResponse, error) {
	p, err := a.svc.ByPath(ctx, req.GetOwner(), req.GetName())
	if err != nil {
		return nil, err
	}
	u := Update{Description: req.Description, DefaultBranch: req.DefaultBranch}
	switch req.GetVisibility() {
	case hearthv1.Visibility_VISIBILITY_UNSPECIFIED:
	case hearthv1.Visibility_VISIBILITY_PRIVATE, hearthv1.Visibility_VISIBILITY_INTERNAL, hearthv1.Visibility_VISIBILITY_PUBLIC:
		v := visibilityFromProto(req.GetVisibility())
		u.Visibility = &v
	default:
		return nil, apperr.Invalid("visibility: unknown value %d", req.GetVisibility())
	}
	p, err = a.svc.Update(ctx, p.ID, u)
	if err != nil {
		return nil, err
	}
	return &hearthv1.UpdateProjectResponse{Project: a.toProto(p)}, nil
}

func visibilityFromProto(v hearthv1.Visibility) access.Visibility {
	switch v {
	case hearthv1.Visibility_VISIBILITY_PUBLIC:
		return access.Public
	case hearthv1.Visibility_VISIBILITY_INTERNAL:
		return access.Internal
	default:
		return access.Private
	}
}

func visibilityToProto(v access.Visibility) hearthv1.Visibility {
	switch v {
	case access.Public:
		return hearthv1.Visibility_VISIBILITY_PUBLIC
	case access.Internal:
		return hearthv1.Visibility_VISIBILITY_INTERNAL
	default:
		return hearthv1.Visibility_VISIBILITY_PRIVATE
	}
}

func (a *API) toProto(p Project) *hearthv1.Project {
	out := &hearthv1.Project{
		Id: p.ID.String(), Owner: p.Owner, Name: p.Name, Description: p.Description,
		Visibility: visibilityToProto(p.Visibility), DefaultBranch: p.DefaultBranch,
		CreateTime: timestamppb.New(p.CreatedAt), Archived: p.Archived,
		NamespaceKind: hearthv1.NamespaceKind_NAMESPACE_KIND_USER,
	}
	if p.OwnerKind == OwnedByGroup {
		out.NamespaceKind = hearthv1.NamespaceKind_NAMESPACE_KIND_GROUP
	}
	if a.publicURL != "" {
		out.HttpUrl = a.publicURL + "/" + url.PathEscape(p.Owner) + "/" + url.PathEscape(p.Name) + ".git"
	}
	return out
}
