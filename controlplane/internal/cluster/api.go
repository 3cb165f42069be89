package cluster

import (
	"context"
	"net/http"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1/agentv1connect"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// API implements hearthv1connect.ClusterServiceHandler (admins).
type API struct {
	svc *Service
}

var _ hearthv1connect.ClusterServiceHandler = (*API)(nil)

// NewAPI serves svc to admins.
func NewAPI(svc *Service) *API { return &API{svc: svc} }

// Handler returns the Connect handler and its path prefix.
func (a *API) Handler(opts ...connect.HandlerOption) (string, http.Handler) {
	return hearthv1connect.NewClusterServiceHandler(a, opts...)
}

// adminPermission administers clusters. There is no cluster permission
// yet; clusters are installation-wide infrastructure, so for now they go
// with the other installation-administration permission, admin:roles.
const adminPermission = access.AdminRoles

// Rules declares what each RPC needs.
func (a *API) Rules() access.Rules {
	admin := access.Rule{Permission: adminPermission}
	return access.Rules{
		hearthv1connect.ClusterServiceCreateClusterProcedure:   admin,
		hearthv1connect.ClusterServiceListClustersProcedure:    admin,
		hearthv1connect.ClusterServiceGetClusterProcedure:      admin,
		hearthv1connect.ClusterServiceCreateJoinTokenProcedure: admin,
		hearthv1connect.ClusterServiceListJoinTokensProcedure:  admin,
		hearthv1connect.ClusterServiceRevokeJoinTokenProcedure: admin,
		hearthv1connect.ClusterServiceListAgentsProcedure:      admin,
		hearthv1connect.ClusterServiceRevokeAgentProcedure:     admin,
	}
}

// CreateCluster creates a cluster.
func (a *API) CreateCluster(ctx context.Context, req *hearthv1.CreateClusterRequest) (*hearthv1.CreateClusterResponse, error) {
	c, err := a.svc.CreateCluster(ctx, req.GetName(), req.GetLabels())
	if err != nil {
		return nil, err
	}
	return &hearthv1.CreateClusterResponse{Cluster: clusterToProto(c)}, nil
}

// ListClusters lists clusters.
func (a *API) ListClusters(ctx context.Context, _ *hearthv1.ListClustersRequest) (*hearthv1.ListClustersResponse, error) {
	cs, err := a.svc.ListClusters(ctx)
	if err != nil {
		return nil, err
	}
	out := &hearthv1.ListClustersResponse{Clusters: make([]*hearthv1.Cluster, len(cs))}
	for i, c := range cs {
		out.Clusters[i] = clusterToProto(c)
	}
	return out, nil
}

// GetCluster returns one cluster.
func (a *API) GetCluster(ctx context.Context, req *hearthv1.GetClusterRequest) (*hearthv1.GetClusterResponse, error) {
	id, err := parseID(req.GetId(), "cluster")
	if err != nil {
		return nil, err
	}
	c, err := a.svc.GetCluster(ctx, id)
	if err != nil {
		return nil, err
	}
	return &hearthv1.GetClusterResponse{Cluster: clusterToProto(c)}, nil
}

// CreateJoinToken creates a join token and returns its secret once.
func (a *API) CreateJoinToken(ctx context.Context, req *hearthv1.CreateJoinTokenRequest) (*hearthv1.CreateJoinTokenResponse, error) {
	id, err := parseID(req.GetClusterId(), "cluster")
	if err != nil {
		return nil, err
	}
	var expires time.Time
	if req.GetExpireTime() != nil {
		expires = req.GetExpireTime().AsTime()
	}
	t, secret, err := a.svc.CreateJoinToken(ctx, id, NewJoinToken{
		Description: req.GetDescription(), ExpiresAt: expires, MaxUses: int(req.GetMaxUses()),
	})
	if err != nil {
		return nil, err
	}
	return &hearthv1.CreateJoinTokenResponse{Info: joinTokenToProto(t), Token: secret}, nil
}

// ListJoinTokens lists a cluster's join tokens.
func (a *API) ListJoinTokens(ctx context.Context, req *hearthv1.ListJoinTokensRequest) (*hearthv1.ListJoinTokensResponse, error) {
	id, err := parseID(req.GetClusterId(), "cluster")
	if err != nil {
		return nil, err
	}
	ts, err := a.svc.ListJoinTokens(ctx, id)
	if err != nil {
		return nil, err
	}
	out := &hearthv1.ListJoinTokensResponse{Tokens: make([]*hearthv1.JoinToken, len(ts))}
	for i, t := range ts {
		out.Tokens[i] = joinTokenToProto(t)
	}
	return out, nil
}

// RevokeJoinToken revokes a join token.
func (a *API) RevokeJoinToken(ctx context.Context, req *hearthv1.RevokeJoinTokenRequest) (*hearthv1.RevokeJoinTokenResponse, error) {
	clusterID, err := parseID(req.GetClusterId(), "join token")
	if err != nil {
		return nil, err
	}
	id, err := parseID(req.GetId(), "join token")
	if err != nil {
		return nil, err
	}
	if err := a.svc.RevokeJoinToken(ctx, clusterID, id); err != nil {
		return nil, err
	}
	return &hearthv1.RevokeJoinTokenResponse{}, nil
}

// ListAgents lists a cluster's agents.
func (a *API) ListAgents(ctx context.Context, req *hearthv1.ListAgentsRequest) (*hearthv1.ListAgentsResponse, error) {
	id, err := parseID(req.GetClusterId(), "cluster")
	if err != nil {
		return nil, err
	}
	as, err := a.svc.ListAgents(ctx, id)
	if err != nil {
		return nil, err
	}
	out := &hearthv1.ListAgentsResponse{Agents: make([]*hearthv1.NodeAgent, len(as))}
	for i, ag := range as {
		out.Agents[i] = agentToProto(ag)
	}
	return out, nil
}

// RevokeAgent revokes an agent and all its credentials.
func (a *API) RevokeAgent(ctx context.Context, req *hearthv1.RevokeAgentRequest) (*hearthv1.RevokeAgentResponse, error) {
	clusterID, err := parseID(req.GetClusterId(), "agent")
	if err != nil {
		return nil, err
	}
	id, err := parseID(req.GetId(), "agent")
	if err != nil {
		return nil, err
	}
	ag, err := a.svc.RevokeAgent(ctx, clusterID, id)
	if err != nil {
		return nil, err
	}
	return &hearthv1.RevokeAgentResponse{Agent: agentToProto(ag)}, nil
}

// RegistrationAPI implements agentv1connect.RegistrationServiceHandler
// (node agents).
type RegistrationAPI struct {
	svc *Service
}

var _ agentv1connect.RegistrationServiceHandler = (*RegistrationAPI)(nil)

// NewRegistrationAPI serves svc to node agents.
func NewRegistrationAPI(svc *Service) *RegistrationAPI { return &RegistrationAPI{svc: svc} }

// Handler returns the Connect handler and its path prefix.
func (a *RegistrationAPI) Handler(opts ...connect.HandlerOption) (string, http.Handler) {
	return agentv1connect.NewRegistrationServiceHandler(a, opts...)
}

// Rules declares both RPCs Public. They are not open to anyone: each
// authenticates its caller itself, Register with the join token in its
// request and RotateCredential with the agent credential in its
// Authorization header. The server's authenticator knows only user
// credentials (hth_ tokens, sessions, Basic): it reports a hac_ Bearer as
// an authentication error and continues anonymously, which the
// authorization interceptor lets through only for Public rules. Neither
// RPC reads the principal.
func (a *RegistrationAPI) Rules() access.Rules {
	return access.Rules{
		agentv1connect.RegistrationServiceRegisterProcedure:         {Public: true},
		agentv1connect.RegistrationServiceRotateCredentialProcedure: {Public: true},
	}
}

// Register exchanges a join token for an agent identity.
func (a *RegistrationAPI) Register(ctx context.Context, req *agentv1.RegisterRequest) (*agentv1.RegisterResponse, error) {
	ag, credential, err := a.svc.Register(ctx, Registration{
		JoinToken: req.GetJoinToken(), Name: req.GetAgentName(), Labels: req.GetLabels(),
		RunnerKind: req.GetRunnerKind(), ProtocolVersion: int(req.GetProtocolVersion()),
	})
	if err != nil {
		return nil, err
	}
	return &agentv1.RegisterResponse{AgentId: ag.ID.String(), ClusterId: ag.ClusterID.String(), Credential: credential}, nil
}

// RotateCredential issues a new credential to the agent whose credential
// is in the Authorization header.
func (a *RegistrationAPI) RotateCredential(ctx context.Context, _ *agentv1.RotateCredentialRequest) (*agentv1.RotateCredentialResponse, error) {
	credential, err := AgentCredentialFrom(ctx)
	if err != nil {
		return nil, err
	}
	next, err := a.svc.RotateCredential(ctx, credential)
	if err != nil {
		return nil, err
	}
	return &agentv1.RotateCredentialResponse{Credential: next}, nil
}

// AgentCredentialFrom reads the agent credential from the Authorization
// header ("Bearer hac_…") of the Connect call in ctx. It does not verify
// it: pass it to AuthenticateAgent.
func AgentCredentialFrom(ctx context.Context) (string, error) {
	ci, ok := connect.CallInfoForHandlerContext(ctx)
	if !ok {
		return "", apperr.Unauthenticated("an agent credential is required")
	}
	return parseAgentAuthorization(ci.RequestHeader().Values("Authorization"))
}

func parseAgentAuthorization(values []string) (string, error) {
	if len(values) != 1 {
		return "", apperr.Unauthenticated("an agent credential is required: Authorization: Bearer %s…", CredentialPrefix)
	}
	scheme, rest, ok := strings.Cut(values[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", apperr.Unauthenticated("an agent credential is required: Authorization: Bearer %s…", CredentialPrefix)
	}
	return strings.TrimSpace(rest), nil
}

// parseID reads an id; a malformed one is NotFound, like a missing one.
func parseID(s, what string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, apperr.NotFound("%s not found", what)
	}
	return id, nil
}

func optionalTime(t *time.Time) *timestamppb.Timestamp {
	if t == nil {
		return nil
	}
	return timestamppb.New(*t)
}

func clusterToProto(c Cluster) *hearthv1.Cluster {
	return &hearthv1.Cluster{Id: c.ID.String(), Name: c.Name, Labels: c.Labels, CreateTime: timestamppb.New(c.CreatedAt)}
}

func joinTokenToProto(t JoinToken) *hearthv1.JoinToken {
	return &hearthv1.JoinToken{
		Id: t.ID.String(), ClusterId: t.ClusterID.String(), Prefix: t.Prefix, Description: t.Description,
		MaxUses: int32(t.MaxUses), Uses: int32(t.Uses), //nolint:gosec // G115: bounded by the table's checks (≤ 10000).
		CreateTime: timestamppb.New(t.CreatedAt), ExpireTime: timestamppb.New(t.ExpiresAt), RevokeTime: optionalTime(t.RevokedAt),
	}
}

func agentToProto(a Agent) *hearthv1.NodeAgent {
	return &hearthv1.NodeAgent{
		Id: a.ID.String(), ClusterId: a.ClusterID.String(), Name: a.Name, Labels: a.Labels, RunnerKind: a.RunnerKind,
		ProtocolVersion: uint32(a.ProtocolVersion), //nolint:gosec // G115: a positive protocol version (table check).
		CreateTime:      timestamppb.New(a.CreatedAt), LastSeenTime: optionalTime(a.LastSeenAt), RevokeTime: optionalTime(a.RevokedAt),
	}
}
