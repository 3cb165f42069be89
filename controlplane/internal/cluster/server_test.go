package cluster_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/hearth-dev/hearth/controlplane/servertest"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1/agentv1connect"
)

// TestClusterAPIAndRegistrationThroughTheServer drives the REST routes as
// an administrator and anonymously, then registers and rotates an agent
// over Connect, through the whole server with its interceptors.
func TestClusterAPIAndRegistrationThroughTheServer(t *testing.T) {
	srv := servertest.Start(t)
	admin := srv.AdminToken(t)
	do := func(method, path, token string, body any) (int, map[string]any) {
		var r io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			r = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, srv.URL+path, r)
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		out := map[string]any{}
		_ = json.Unmarshal(raw, &out)
		return res.StatusCode, out
	}
	if code, _ := do("POST", "/api/v1/clusters", "", map[string]any{"name": "x1"}); code != 401 {
		t.Fatalf("anonymous create: %d", code)
	}
	code, c := do("POST", "/api/v1/clusters", admin, map[string]any{"name": "prod", "labels": map[string]string{"a": "b"}})
	if code != 200 {
		t.Fatal(code)
	}
	id := c["cluster"].(map[string]any)["id"].(string)
	code, tok := do("POST", "/api/v1/clusters/"+id+"/join-tokens", admin, map[string]any{"maxUses": 1, "expireTime": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
	if code != 200 {
		t.Fatal(code)
	}
	reg, err := agentv1connect.NewRegistrationServiceClient(http.DefaultClient, srv.URL).Register(t.Context(), &agentv1.RegisterRequest{
		JoinToken: tok["token"].(string), AgentName: "n1", RunnerKind: "process", ProtocolVersion: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	rot, err := agentv1connect.NewRegistrationServiceClient(http.DefaultClient, srv.URL, connect.WithInterceptors(bearer(reg.GetCredential()))).
		RotateCredential(t.Context(), &agentv1.RotateCredentialRequest{})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rot.GetCredential()[:8])
	do("GET", "/api/v1/clusters/"+id+"/agents", admin, nil)
	do("GET", "/api/v1/clusters/"+id+"/join-tokens", admin, nil)
	if code, _ := do("POST", "/api/v1/clusters/"+id+"/agents/"+reg.GetAgentId()+"/revoke", admin, map[string]any{}); code != 200 {
		t.Fatal(code)
	}
	if code, _ := do("DELETE", "/api/v1/clusters/"+id+"/join-tokens/"+tok["info"].(map[string]any)["id"].(string), admin, nil); code != 200 {
		t.Fatal(code)
	}
	_, err = agentv1connect.NewRegistrationServiceClient(http.DefaultClient, srv.URL, connect.WithInterceptors(bearer(rot.GetCredential()))).
		RotateCredential(t.Context(), &agentv1.RotateCredentialRequest{})
	if connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatal(err)
	}
	t.Log(err)
}
