package secret

import (
	"context"
	"net/http"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// API implements hearthv1connect.SecretServiceHandler.
type API struct {
	svc *Service
}

var _ hearthv1connect.SecretServiceHandler = (*API)(nil)

// NewAPI serves svc.
func NewAPI(svc *Service) *API { return &API{svc: svc} }

// Handler returns the Connect handler and its path prefix.
func (a *API) Handler(opts ...connect.HandlerOption) (string, http.Handler) {
	return hearthv1connect.NewSecretServiceHandler(a, opts...)
}

// Rules declares what each RPC needs: secret:read to list, secret:write
// to change, on the project, on the group, or installation-wide.
func (a *API) Rules() access.Rules {
	project := func(p access.Permission) access.Rule { return access.Rule{Permission: p, Project: a.projectOf} }
	group := func(p access.Permission) access.Rule { return access.Rule{Permission: p, Group: a.groupOf} }
	instance := func(p access.Permission) access.Rule { return access.Rule{Permission: p} }
	read, write := access.SecretRead, access.SecretWrite
	return access.Rules{
		hearthv1connect.SecretServiceListProjectSecretsProcedure:   project(read),
		hearthv1connect.SecretServiceSetProjectSecretProcedure:     project(write),
		hearthv1connect.SecretServiceDeleteProjectSecretProcedure:  project(write),
		hearthv1connect.SecretServiceRotateProjectKeyProcedure:     project(write),
		hearthv1connect.SecretServiceListGroupSecretsProcedure:     group(read),
		hearthv1connect.SecretServiceSetGroupSecretProcedure:       group(write),
		hearthv1connect.SecretServiceDeleteGroupSecretProcedure:    group(write),
		hearthv1connect.SecretServiceListInstanceSecretsProcedure:  instance(read),
		hearthv1connect.SecretServiceSetInstanceSecretProcedure:    instance(write),
		hearthv1connect.SecretServiceDeleteInstanceSecretProcedure: instance(write),
	}
}

type projectNamed interface {
	GetOwner() string
	GetName() string
}

func (a *API) projectOf(ctx context.Context, req any) (uuid.UUID, error) {
	r, ok := req.(projectNamed)
	if !ok {
		return uuid.Nil, apperr.NotFound("project not found")
	}
	return a.svc.projects.ProjectID(ctx, r.GetOwner(), r.GetName())
}

func (a *API) groupOf(ctx context.Context, req any) (uuid.UUID, error) {
	r, ok := req.(interface{ GetGroup() string })
	if !ok {
		return uuid.Nil, apperr.NotFound("group not found")
	}
	return a.svc.projects.GroupID(ctx, r.GetGroup())
}

// The interceptor resolved and authorized the scope; the handlers look it
// up again (cheap) rather than trusting anything but the request.

func (a *API) projectScope(ctx context.Context, r projectNamed) (Scope, error) {
	id, err := a.svc.projects.ProjectID(ctx, r.GetOwner(), r.GetName())
	return ProjectScope(id), err
}

func (a *API) groupScope(ctx context.Context, name string) (Scope, error) {
	id, err := a.svc.projects.GroupID(ctx, name)
	return GroupScope(id), err
}

// ListProjectSecrets lists a project's own secrets.
func (a *API) ListProjectSecrets(ctx context.Context, req *hearthv1.ListProjectSecretsRequest) (*hearthv1.ListProjectSecretsResponse, error) {
	list, err := a.list(ctx, func() (Scope, error) { return a.projectScope(ctx, req) })
	return &hearthv1.ListProjectSecretsResponse{Secrets: list}, err
}

// SetProjectSecret creates or updates a project's secret.
func (a *API) SetProjectSecret(ctx context.Context, req *hearthv1.SetProjectSecretRequest) (*hearthv1.SetProjectSecretResponse, error) {
	sec, err := a.set(ctx, req.GetSecret(), func() (Scope, error) { return a.projectScope(ctx, req) })
	return &hearthv1.SetProjectSecretResponse{Secret: sec}, err
}

// DeleteProjectSecret deletes a project's secret.
func (a *API) DeleteProjectSecret(ctx context.Context, req *hearthv1.DeleteProjectSecretRequest) (*hearthv1.DeleteProjectSecretResponse, error) {
	err := a.delete(ctx, req.GetSecretName(), req.GetEnvironment(), func() (Scope, error) { return a.projectScope(ctx, req) })
	return &hearthv1.DeleteProjectSecretResponse{}, err
}

// RotateProjectKey gives the project a new data key.
func (a *API) RotateProjectKey(ctx context.Context, req *hearthv1.RotateProjectKeyRequest) (*hearthv1.RotateProjectKeyResponse, error) {
	sc, err := a.projectScope(ctx, req)
	if err != nil {
		return nil, err
	}
	n, err := a.svc.RotateKey(ctx, sc)
	if err != nil {
		return nil, err
	}
	return &hearthv1.RotateProjectKeyResponse{PendingValues: n}, nil
}

// ListGroupSecrets lists a group's secrets.
func (a *API) ListGroupSecrets(ctx context.Context, req *hearthv1.ListGroupSecretsRequest) (*hearthv1.ListGroupSecretsResponse, error) {
	list, err := a.list(ctx, func() (Scope, error) { return a.groupScope(ctx, req.GetGroup()) })
	return &hearthv1.ListGroupSecretsResponse{Secrets: list}, err
}

// SetGroupSecret creates or updates a group's secret.
func (a *API) SetGroupSecret(ctx context.Context, req *hearthv1.SetGroupSecretRequest) (*hearthv1.SetGroupSecretResponse, error) {
	sec, err := a.set(ctx, req.GetSecret(), func() (Scope, error) { return a.groupScope(ctx, req.GetGroup()) })
	return &hearthv1.SetGroupSecretResponse{Secret: sec}, err
}

// DeleteGroupSecret deletes a group's secret.
func (a *API) DeleteGroupSecret(ctx context.Context, req *hearthv1.DeleteGroupSecretRequest) (*hearthv1.DeleteGroupSecretResponse, error) {
	err := a.delete(ctx, req.GetSecretName(), req.GetEnvironment(), func() (Scope, error) { return a.groupScope(ctx, req.GetGroup()) })
	return &hearthv1.DeleteGroupSecretResponse{}, err
}

func instanceScope() (Scope, error) { return Installation, nil }

// ListInstanceSecrets lists the installation's secrets.
func (a *API) ListInstanceSecrets(ctx context.Context, _ *hearthv1.ListInstanceSecretsRequest) (*hearthv1.ListInstanceSecretsResponse, error) {
	list, err := a.list(ctx, instanceScope)
	return &hearthv1.ListInstanceSecretsResponse{Secrets: list}, err
}

// SetInstanceSecret creates or updates an installation secret.
func (a *API) SetInstanceSecret(ctx context.Context, req *hearthv1.SetInstanceSecretRequest) (*hearthv1.SetInstanceSecretResponse, error) {
	sec, err := a.set(ctx, req.GetSecret(), instanceScope)
	return &hearthv1.SetInstanceSecretResponse{Secret: sec}, err
}

// DeleteInstanceSecret deletes an installation secret.
func (a *API) DeleteInstanceSecret(ctx context.Context, req *hearthv1.DeleteInstanceSecretRequest) (*hearthv1.DeleteInstanceSecretResponse, error) {
	err := a.delete(ctx, req.GetSecretName(), req.GetEnvironment(), instanceScope)
	return &hearthv1.DeleteInstanceSecretResponse{}, err
}

func (a *API) list(ctx context.Context, scope func() (Scope, error)) ([]*hearthv1.Secret, error) {
	sc, err := scope()
	if err != nil {
		return nil, err
	}
	list, err := a.svc.List(ctx, sc)
	if err != nil {
		return nil, err
	}
	out := make([]*hearthv1.Secret, len(list))
	for i, s := range list {
		out[i] = toProto(s)
	}
	return out, nil
}

func (a *API) set(ctx context.Context, in *hearthv1.SecretInput, scope func() (Scope, error)) (*hearthv1.Secret, error) {
	if in == nil {
		return nil, apperr.Invalid("secret is required")
	}
	sc, err := scope()
	if err != nil {
		return nil, err
	}
	input := Input{Name: in.GetName(), Environment: in.GetEnvironment(), Protected: in.GetProtected(), Description: in.GetDescription()}
	if len(in.GetValue()) > 0 {
		input.Value = in.GetValue()
	}
	for _, u := range in.GetUsages() {
		us, ok := usageFromProto[u]
		if !ok {
			return nil, apperr.Invalid("usage %v is not known", u)
		}
		input.Usages = append(input.Usages, us)
	}
	s, err := a.svc.Set(ctx, sc, input)
	if err != nil {
		return nil, err
	}
	return toProto(s), nil
}

func (a *API) delete(ctx context.Context, name, environment string, scope func() (Scope, error)) error {
	sc, err := scope()
	if err != nil {
		return err
	}
	return a.svc.Delete(ctx, sc, name, environment)
}

var usageFromProto = map[hearthv1.SecretUsage]Usage{
	hearthv1.SecretUsage_SECRET_USAGE_PIPELINE:      UsagePipeline,
	hearthv1.SecretUsage_SECRET_USAGE_AGENT_SESSION: UsageAgentSession,
	hearthv1.SecretUsage_SECRET_USAGE_DEPLOY:        UsageDeploy,
}

func toProto(s Secret) *hearthv1.Secret {
	out := &hearthv1.Secret{
		Name: s.Name, Environment: s.Environment, Protected: s.Protected, Description: s.Description, Version: s.Version,
		Scope: s.Scope.Kind(), CreateTime: timestamppb.New(s.CreatedAt), UpdateTime: timestamppb.New(s.UpdatedAt), UpdatedBy: s.UpdatedBy,
	}
	for _, u := range s.Usages {
		for pu, su := range usageFromProto {
			if su == u {
				out.Usages = append(out.Usages, pu)
			}
		}
	}
	return out
}
