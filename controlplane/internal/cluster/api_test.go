package cluster_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/cluster"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1/agentv1connect"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// mapErrors stands in for the server's error interceptor: apperr kinds to
// Connect codes.
type mapErrors struct{}

func (mapErrors) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		res, err := next(ctx, req)
		var e *apperr.Error
		if err != nil && errors.As(err, &e) {
			code := map[apperr.Kind]connect.Code{
				apperr.KindInvalid: connect.CodeInvalidArgument, apperr.KindNotFound: connect.CodeNotFound,
				apperr.KindConflict: connect.CodeAlreadyExists, apperr.KindUnauthenticated: connect.CodeUnauthenticated,
				apperr.KindPermissionDenied: connect.CodePermissionDenied, apperr.KindFailedPrecondition: connect.CodeFailedPrecondition,
			}[e.Kind]
			return nil, connect.NewError(code, errors.New(e.Message))
		}
		return res, err
	}
}

func (mapErrors) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (mapErrors) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}

type bearer string

func (b bearer) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		req.Header().Set("Authorization", "Bearer "+string(b))
		return next(ctx, req)
	}
}

func (b bearer) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (b bearer) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}

// startAPI serves both APIs with an admin principal in every request's
// context (the server's authentication middleware does this for real).
func startAPI(t *testing.T, f fixture) string {
	t.Helper()
	admin := access.Principal{Kind: access.User, UserID: uuid.New(), Username: "root"}
	mux := http.NewServeMux()
	for _, api := range []interface {
		Handler(...connect.HandlerOption) (string, http.Handler)
	}{cluster.NewAPI(f.svc), cluster.NewRegistrationAPI(f.svc)} {
		path, h := api.Handler(connect.WithInterceptors(mapErrors{}))
		mux.Handle(path, h)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/hearth.agent.v1.") {
			// Agents are anonymous to the server's authenticator.
			mux.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r.WithContext(access.WithPrincipal(r.Context(), admin)))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestRules(t *testing.T) {
	rules := cluster.NewAPI(nil).Rules()
	svc := hearthv1.File_hearth_v1_cluster_proto.Services().ByName("ClusterService")
	for i := range svc.Methods().Len() {
		proc := "/hearth.v1.ClusterService/" + string(svc.Methods().Get(i).Name())
		if r, ok := rules[proc]; !ok || r.Public || r.Authenticated || r.Permission != access.AdminRoles {
			t.Errorf("%s: rule %+v, want admin:roles", proc, r)
		}
	}
	if len(rules) != svc.Methods().Len() {
		t.Errorf("%d rules for %d methods", len(rules), svc.Methods().Len())
	}
	reg := cluster.NewRegistrationAPI(nil).Rules()
	agentSvc := agentv1.File_hearth_agent_v1_registration_proto.Services().ByName("RegistrationService")
	for i := range agentSvc.Methods().Len() {
		proc := "/hearth.agent.v1.RegistrationService/" + string(agentSvc.Methods().Get(i).Name())
		if r, ok := reg[proc]; !ok || !r.Public {
			t.Errorf("%s: rule %+v, want Public (the handler authenticates)", proc, r)
		}
	}
}

func TestAPI(t *testing.T) {
	f := newFixture(t)
	url := startAPI(t, f)
	ctx := t.Context()
	admin := hearthv1connect.NewClusterServiceClient(http.DefaultClient, url)
	agents := agentv1connect.NewRegistrationServiceClient(http.DefaultClient, url)

	created, err := admin.CreateCluster(ctx, &hearthv1.CreateClusterRequest{Name: "edge", Labels: map[string]string{"zone": "a"}})
	if err != nil {
		t.Fatal(err)
	}
	id := created.GetCluster().GetId()
	if _, err := admin.CreateCluster(ctx, &hearthv1.CreateClusterRequest{Name: "edge"}); connect.CodeOf(err) != connect.CodeAlreadyExists {
		t.Fatalf("duplicate: %v", err)
	}
	if _, err := admin.CreateCluster(ctx, &hearthv1.CreateClusterRequest{Name: "Edge!"}); connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Fatalf("bad name: %v", err)
	}
	got, err := admin.GetCluster(ctx, &hearthv1.GetClusterRequest{Id: id})
	if err != nil || got.GetCluster().GetLabels()["zone"] != "a" {
		t.Fatalf("get: %v %v", got, err)
	}
	if _, err := admin.GetCluster(ctx, &hearthv1.GetClusterRequest{Id: "nope"}); connect.CodeOf(err) != connect.CodeNotFound {
		t.Fatalf("bad id: %v", err)
	}
	list, err := admin.ListClusters(ctx, &hearthv1.ListClustersRequest{})
	if err != nil || len(list.GetClusters()) != 1 {
		t.Fatalf("list: %v %v", list, err)
	}

	tok, err := admin.CreateJoinToken(ctx, &hearthv1.CreateJoinTokenRequest{
		ClusterId: id, MaxUses: 1, Description: "rack 4", ExpireTime: timestamppb.New(f.clock.Now().Add(time.Hour)),
	})
	if err != nil || tok.GetInfo().GetMaxUses() != 1 || tok.GetInfo().GetDescription() != "rack 4" {
		t.Fatalf("join token: %v %v", tok, err)
	}
	if _, err := admin.CreateJoinToken(ctx, &hearthv1.CreateJoinTokenRequest{ClusterId: id, MaxUses: 1}); connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Fatalf("no expiry: %v", err)
	}

	reg, err := agents.Register(ctx, &agentv1.RegisterRequest{
		JoinToken: tok.GetToken(), AgentName: "n1", RunnerKind: "process", ProtocolVersion: cluster.ProtocolVersion,
	})
	if err != nil || reg.GetClusterId() != id {
		t.Fatalf("register: %v %v", reg, err)
	}
	_, err = agents.Register(ctx, &agentv1.RegisterRequest{
		JoinToken: tok.GetToken(), AgentName: "n2", RunnerKind: "process", ProtocolVersion: cluster.ProtocolVersion,
	})
	if connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatalf("single-use token reused: %v", err)
	}
	tokens, err := admin.ListJoinTokens(ctx, &hearthv1.ListJoinTokensRequest{ClusterId: id})
	if err != nil || len(tokens.GetTokens()) != 1 || tokens.GetTokens()[0].GetUses() != 1 {
		t.Fatalf("tokens: %v %v", tokens, err)
	}
	if _, err := admin.RevokeJoinToken(ctx, &hearthv1.RevokeJoinTokenRequest{ClusterId: id, Id: tok.GetInfo().GetId()}); err != nil {
		t.Fatal(err)
	}

	// RotateCredential reads the credential from the Authorization header.
	if _, err := agents.RotateCredential(ctx, &agentv1.RotateCredentialRequest{}); connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatalf("rotate without a credential: %v", err)
	}
	withCred := agentv1connect.NewRegistrationServiceClient(http.DefaultClient, url, connect.WithInterceptors(bearer(reg.GetCredential())))
	rotated, err := withCred.RotateCredential(ctx, &agentv1.RotateCredentialRequest{})
	if err != nil || rotated.GetCredential() == reg.GetCredential() {
		t.Fatalf("rotate: %v %v", rotated, err)
	}
	forged := agentv1connect.NewRegistrationServiceClient(http.DefaultClient, url, connect.WithInterceptors(bearer(cluster.CredentialPrefix+"x")))
	if _, err := forged.RotateCredential(ctx, &agentv1.RotateCredentialRequest{}); connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatalf("forged: %v", err)
	}

	listed, err := admin.ListAgents(ctx, &hearthv1.ListAgentsRequest{ClusterId: id})
	if err != nil || len(listed.GetAgents()) != 1 || listed.GetAgents()[0].GetId() != reg.GetAgentId() {
		t.Fatalf("agents: %v %v", listed, err)
	}
	revoked, err := admin.RevokeAgent(ctx, &hearthv1.RevokeAgentRequest{ClusterId: id, Id: reg.GetAgentId()})
	if err != nil || revoked.GetAgent().GetRevokeTime() == nil {
		t.Fatalf("revoke: %v %v", revoked, err)
	}
	if _, err := f.svc.AuthenticateAgent(ctx, rotated.GetCredential()); err == nil {
		t.Fatal("a revoked agent's credential still works")
	}

	// The admin's mutations are audited under the admin's name, the
	// agent's without an actor.
	var n int
	if err := f.db.Pool.QueryRow(ctx, "SELECT count(*) FROM audit_events WHERE actor_name = 'root' AND action LIKE 'cluster.%'").Scan(&n); err != nil || n != 4 {
		t.Fatalf("%d admin audit rows (%v), want 4", n, err)
	}
	if err := f.db.Pool.QueryRow(ctx, "SELECT count(*) FROM audit_events WHERE actor_id IS NULL AND action IN ('cluster.agent.register', 'cluster.agent.rotate_credential')").Scan(&n); err != nil || n != 2 {
		t.Fatalf("%d agent audit rows (%v), want 2", n, err)
	}
}
