package observe_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hearth-dev/hearth/controlplane/servertest"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1/agentv1connect"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// registerAgent registers a node agent of a new cluster and returns its
// AgentService client (HTTP/2, its credential).
func (w *world) registerAgent(t *testing.T, cluster string) agentv1connect.AgentServiceClient {
	t.Helper()
	clusters := hearthv1connect.NewClusterServiceClient(http.DefaultClient, w.srv.URL, servertest.BearerOption(w.admin))
	c, err := clusters.CreateCluster(t.Context(), &hearthv1.CreateClusterRequest{Name: cluster})
	if err != nil {
		t.Fatal(err)
	}
	jt, err := clusters.CreateJoinToken(t.Context(), &hearthv1.CreateJoinTokenRequest{
		ClusterId: c.GetCluster().GetId(), MaxUses: 1, ExpireTime: timestamppb.New(time.Now().Add(time.Hour)),
	})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := agentv1connect.NewRegistrationServiceClient(http.DefaultClient, w.srv.URL).Register(t.Context(), &agentv1.RegisterRequest{
		JoinToken: jt.GetToken(), AgentName: "edge-agent", RunnerKind: "process", ProtocolVersion: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return agentClient(w.srv.URL, reg.GetCredential())
}

func agentClient(url, credential string) agentv1connect.AgentServiceClient {
	h2c := &http.Transport{Protocols: new(http.Protocols)}
	h2c.Protocols.SetUnencryptedHTTP2(true)
	return agentv1connect.NewAgentServiceClient(&http.Client{Transport: h2c}, url, servertest.BearerOption(credential))
}

// TestForwardedTelemetry: an agent forwards a workload's export with the
// workload's token: it lands in the token's project stamped with the
// agent's cluster (a sender's own hearth.cluster is removed), a retry of
// the batch is acknowledged as a duplicate and not stored twice, and a
// token that may not write there, a made-up one or a bad agent credential
// are refused.
func TestForwardedTelemetry(t *testing.T) {
	w := newWorld(t)
	agent := w.registerAgent(t, "edge")
	now := time.Now()
	req := logsRequest("worker", now, "forwarded")
	req.ResourceLogs[0].Resource.Attributes = append(req.ResourceLogs[0].Resource.Attributes, str("hearth.cluster", "spoofed"))
	payload, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	export := func(token, batch string) (*agentv1.ExportTelemetryResponse, error) {
		return agent.ExportTelemetry(t.Context(), &agentv1.ExportTelemetryRequest{
			Signal: agentv1.TelemetrySignal_TELEMETRY_SIGNAL_LOGS, Payload: payload, Token: token, BatchId: batch,
		})
	}
	res, err := export(w.appWriter, "q1/1")
	if err != nil || res.GetDuplicate() {
		t.Fatalf("first export: %v %v", res, err)
	}
	if res, err = export(w.appWriter, "q1/1"); err != nil || !res.GetDuplicate() {
		t.Fatalf("the retry: %v %v", res, err)
	}
	window := &hearthv1.QueryLogsRequest{StartTime: timestamppb.New(now.Add(-time.Minute)), EndTime: timestamppb.New(now.Add(time.Minute))}
	got := w.logs(t, "app", window)
	if len(got.GetLogs()) != 1 || got.GetLogs()[0].GetResourceAttributes()["hearth.cluster"] != "edge" {
		t.Fatalf("stored: %v", got.GetLogs())
	}
	if other := w.logs(t, "other", &hearthv1.QueryLogsRequest{StartTime: window.StartTime, EndTime: window.EndTime}); len(other.GetLogs()) != 0 {
		t.Fatalf("other project got %v", other.GetLogs())
	}
	for name, tc := range map[string]struct {
		token string
		want  connect.Code
	}{
		"no project":  {w.admin, connect.CodePermissionDenied},
		"read scope":  {w.srv.ProjectToken(t, "admin", w.srv.AdminPassword, w.app, "observe:read"), connect.CodePermissionDenied},
		"made up":     {"hth_" + strings.Repeat("y", 43), connect.CodeUnauthenticated},
		"not a token": {"", connect.CodeUnauthenticated},
	} {
		if _, err := export(tc.token, "q1/"+name); connect.CodeOf(err) != tc.want {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	if _, err := agentClient(w.srv.URL, "hac_"+strings.Repeat("z", 43)).ExportTelemetry(t.Context(), &agentv1.ExportTelemetryRequest{
		Signal: agentv1.TelemetrySignal_TELEMETRY_SIGNAL_LOGS, Payload: payload, Token: w.appWriter, BatchId: "q1/2",
	}); connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatalf("a bad agent credential: %v", err)
	}
	if _, err := agent.ExportTelemetry(t.Context(), &agentv1.ExportTelemetryRequest{
		Signal: agentv1.TelemetrySignal_TELEMETRY_SIGNAL_LOGS, Payload: []byte{0x0a, 0xff}, Token: w.appWriter, BatchId: "q1/3",
	}); connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Fatalf("a malformed payload: %v", err)
	}
}
