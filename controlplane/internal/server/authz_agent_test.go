package server_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1/agentv1connect"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// worldJobLog is what the world's agent reports as each job's only step.
const worldJobLog = "built\n"

// runWorldJobs plays a node agent through the real gateway, just enough to
// finish the world's jobs: it registers with a join token, takes the jobs
// of priv and pub, logs one line, uploads an artifact and reports success.
// It then disconnects, so every later job stays queued.
func (w *world) runWorldJobs(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	jt, err := hearthv1connect.NewClusterServiceClient(http.DefaultClient, w.srv.URL, w.client(w.adminToken)).CreateJoinToken(ctx,
		&hearthv1.CreateJoinTokenRequest{ClusterId: w.cluster, MaxUses: 1, ExpireTime: timestamppb.New(time.Now().Add(time.Hour))})
	must(t, "agent join token", err)
	reg, err := agentv1connect.NewRegistrationServiceClient(http.DefaultClient, w.srv.URL).Register(ctx, &agentv1.RegisterRequest{
		JoinToken: jt.GetToken(), AgentName: "authz-agent", RunnerKind: "process", ProtocolVersion: 1,
	})
	must(t, "register the agent", err)
	w.agent = reg.GetAgentId()

	h2c := &http.Transport{Protocols: new(http.Protocols)}
	h2c.Protocols.SetUnencryptedHTTP2(true)
	defer h2c.CloseIdleConnections()
	client := agentv1connect.NewAgentServiceClient(&http.Client{Transport: h2c}, w.srv.URL, w.client(reg.GetCredential()))
	stream, err := client.Connect(ctx)
	must(t, "open the agent stream", err)
	defer func() {
		_ = stream.CloseRequest()
		_ = stream.CloseResponse()
	}()
	send := func(m *agentv1.ConnectRequest) { must(t, "send to the gateway", stream.Send(m)) }
	send(&agentv1.ConnectRequest{Msg: &agentv1.ConnectRequest_Hello{Hello: &agentv1.Hello{
		ProtocolVersion: 1, Capacity: 4, RunnerKind: "process", AgentVersion: "authz-test",
	}}})
	want := map[string]bool{w.priv.job: true, w.pub.job: true}
	for len(want) > 0 {
		msg, err := stream.Receive()
		if err != nil {
			t.Fatalf("the gateway ended the stream with %d jobs left: %v", len(want), err)
		}
		switch {
		case msg.GetRunJob() != nil:
			job := msg.GetRunJob().GetJobId()
			send(&agentv1.ConnectRequest{Msg: &agentv1.ConnectRequest_JobStatus{JobStatus: &agentv1.JobStatus{JobId: job, State: agentv1.JobState_JOB_STATE_RUNNING}}})
			send(&agentv1.ConnectRequest{Msg: &agentv1.ConnectRequest_LogChunk{LogChunk: &agentv1.LogChunk{JobId: job, Step: 1, Data: []byte(worldJobLog)}}})
		case msg.GetJobStatusAck().GetState() == agentv1.JobState_JOB_STATE_RUNNING:
			// The job is the agent's: its artifact may be uploaded now.
			job := msg.GetJobStatusAck().GetJobId()
			uploadArtifact(ctx, t, client, job)
			send(&agentv1.ConnectRequest{Msg: &agentv1.ConnectRequest_JobStatus{JobStatus: &agentv1.JobStatus{
				JobId: job, State: agentv1.JobState_JOB_STATE_SUCCESS, Step: 1, LogLengths: []uint64{0, uint64(len(worldJobLog))},
			}}})
		case msg.GetJobStatusAck().GetState() == agentv1.JobState_JOB_STATE_SUCCESS:
			delete(want, msg.GetJobStatusAck().GetJobId())
		}
	}
}

// uploadArtifact uploads a small archive for job.
func uploadArtifact(ctx context.Context, t testing.TB, client agentv1connect.AgentServiceClient, job string) {
	t.Helper()
	up, err := client.UploadArtifact(ctx)
	must(t, "open the upload", err)
	for _, m := range []*agentv1.UploadArtifactRequest{
		{Msg: &agentv1.UploadArtifactRequest_Header{Header: &agentv1.ArtifactHeader{JobId: job, Name: "artifacts.tar.gz"}}},
		{Msg: &agentv1.UploadArtifactRequest_Data{Data: []byte("not really a tarball")}},
	} {
		if err := up.Send(m); err != nil && !errors.Is(err, context.Canceled) {
			break // the answer says why
		}
	}
	if _, err := up.CloseAndReceive(); err != nil {
		t.Fatalf("upload the artifact of %s: %v", job, err)
	}
}
