package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/hearth-dev/hearth/controlplane/servertest"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1/agentv1connect"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
)

// TestInvalidPipelineFilesFailVisibly: each bad .hearth.yml pushed makes a
// failed pipeline that says what is wrong (with a position where there is
// one) and has no jobs; nothing is half-created.
func TestInvalidPipelineFilesFailVisibly(t *testing.T) {
	w := newWorld(t)
	var manyJobs strings.Builder
	manyJobs.WriteString("jobs:\n")
	for i := range 10000 {
		fmt.Fprintf(&manyJobs, "  j%d:\n    steps: [\"true\"]\n", i)
	}
	cases := []struct {
		name, file, want string
	}{
		{"invalid-yaml", "jobs:\n  build:\n    steps: [echo\n", "line "},
		{"cycle", "jobs:\n  a:\n    needs: [b]\n    steps: [\"true\"]\n  b:\n    needs: [a]\n    steps: [\"true\"]\n", "cycle"},
		{"unknown-key", "jobs:\n  build:\n    stpes: [\"true\"]\n", "line 3, column 5"},
		{"too-large", "# " + strings.Repeat("x", 10<<20) + "\njobs: {}\n", "MiB"},
		{"too-many-jobs", manyJobs.String(), "jobs"},
	}
	for _, c := range cases {
		sha := w.push(t, c.name, map[string]string{".hearth.yml": c.file})
		p := w.waitPipeline(t, time.Minute, func(p *hearthv1.Pipeline) bool { return p.GetCommitSha() == sha })
		if p.GetState() != hearthv1.PipelineState_PIPELINE_STATE_FAILURE || len(p.GetJobs()) != 0 {
			t.Fatalf("%s: pipeline %s with %d jobs, want a failed pipeline without jobs", c.name, state(p.GetState()), len(p.GetJobs()))
		}
		if !strings.Contains(p.GetError(), c.want) || len(p.GetError()) > 4096 {
			t.Fatalf("%s: error %q does not say %q", c.name, p.GetError(), c.want)
		}
	}
}

// TestForgedAndRevokedAgentCredentialsAreRefused: the stream refuses a
// forged credential and a revoked agent's; a revoked agent process stops
// with an error instead of retrying forever.
func TestForgedAndRevokedAgentCredentialsAreRefused(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	// Bidirectional streams need HTTP/2: h2c, as agents speak it.
	protocols := new(http.Protocols)
	protocols.SetUnencryptedHTTP2(true)
	h2c := &http.Client{Transport: &http.Transport{Protocols: protocols}}
	connectWith := func(credential string) error {
		client := agentv1connect.NewAgentServiceClient(h2c, w.srv.URL, servertest.BearerOption(credential), connect.WithGRPC())
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		stream, err := client.Connect(cctx)
		if err != nil {
			return err
		}
		_ = stream.Send(&agentv1.ConnectRequest{Msg: &agentv1.ConnectRequest_Hello{Hello: &agentv1.Hello{ProtocolVersion: 1, Capacity: 1, RunnerKind: "fake"}}})
		_, err = stream.Receive()
		_ = stream.CloseRequest()
		_ = stream.CloseResponse()
		return err
	}
	if err := connectWith("hac_forgedforgedforgedforgedforgedforgedforg"); connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatalf("forged credential: %v", err)
	}

	reg, err := agentv1connect.NewRegistrationServiceClient(http.DefaultClient, w.srv.URL).Register(ctx, &agentv1.RegisterRequest{
		JoinToken: w.joinToken(t), AgentName: "doomed", RunnerKind: "fake", ProtocolVersion: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.clusters().RevokeAgent(ctx, &hearthv1.RevokeAgentRequest{ClusterId: w.cluster, Id: reg.GetAgentId()}); err != nil {
		t.Fatal(err)
	}
	if err := connectWith(reg.GetCredential()); connect.CodeOf(err) != connect.CodeUnauthenticated {
		t.Fatalf("revoked credential: %v", err)
	}

	// A real agent whose credential is revoked while it runs stops.
	agent := w.startAgent(t, 1)
	var agentID string
	waitFor(t, 30*time.Second, "the agent to register", func() bool {
		res, err := w.clusters().ListAgents(ctx, &hearthv1.ListAgentsRequest{ClusterId: w.cluster})
		if err != nil {
			return false
		}
		for _, a := range res.GetAgents() {
			if a.GetName() == "e2e" {
				agentID = a.GetId()
				return true
			}
		}
		return false
	})
	if _, err := w.clusters().RevokeAgent(ctx, &hearthv1.RevokeAgentRequest{ClusterId: w.cluster, Id: agentID}); err != nil {
		t.Fatal(err)
	}
	// No reconnect forced: revocation must end the open stream by itself.
	done := make(chan error, 1)
	go func() { agent.mu.Lock(); cmd := agent.cmd; agent.mu.Unlock(); done <- cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if err == nil || !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Fatalf("revoked agent exited with %v, want exit status 1", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a revoked agent kept running")
	}
}
