package cluster

import (
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/hearth-dev/hearth/controlplane/internal/jobs"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

// The gateway is the one place the job queue's types meet the agent
// protocol's messages.

func runJobMessage(r jobs.Run) *agentv1.ConnectResponse {
	run := &agentv1.RunJob{
		JobId: r.JobID.String(), PipelineId: r.PipelineID.String(), Attempt: r.Attempt, Project: r.Project, Name: r.Name, Image: r.Image,
		CloneUrl: r.CloneURL, CommitSha: r.Commit, Ref: r.Ref, CloneToken: r.CloneToken,
		Env: r.Env, Timeout: durationpb.New(r.Timeout), ArtifactPaths: r.ArtifactPaths, Files: r.Files, SecretEnv: r.SecretEnv,
		Steps: make([]*agentv1.Step, len(r.Steps)),
	}
	for i, st := range r.Steps {
		run.Steps[i] = &agentv1.Step{Name: st.Name, Script: st.Script}
	}
	if p := r.Pod; p != nil {
		run.Pod = &agentv1.PodOverrides{
			Requests: p.Requests, Limits: p.Limits, NodeSelector: p.NodeSelector, ServiceAccount: p.ServiceAccount,
			Labels: p.Labels, Annotations: p.Annotations,
		}
		for _, t := range p.Tolerations {
			run.Pod.Tolerations = append(run.Pod.Tolerations, &agentv1.Toleration{Key: t.Key, Operator: t.Operator, Value: t.Value, Effect: t.Effect})
		}
	}
	return &agentv1.ConnectResponse{Msg: &agentv1.ConnectResponse_RunJob{RunJob: run}}
}

func cancelJobMessage(c jobs.Cancel) *agentv1.ConnectResponse {
	return &agentv1.ConnectResponse{Msg: &agentv1.ConnectResponse_CancelJob{
		CancelJob: &agentv1.CancelJob{JobId: c.JobID, Reason: c.Reason},
	}}
}

// jobStates maps the states an agent reports; any other is
// jobs.StateUnspecified, which the queue refuses.
var jobStates = map[agentv1.JobState]jobs.State{
	agentv1.JobState_JOB_STATE_RUNNING:   jobs.StateRunning,
	agentv1.JobState_JOB_STATE_SUCCESS:   jobs.StateSuccess,
	agentv1.JobState_JOB_STATE_FAILURE:   jobs.StateFailure,
	agentv1.JobState_JOB_STATE_CANCELLED: jobs.StateCancelled,
	agentv1.JobState_JOB_STATE_TIMED_OUT: jobs.StateTimedOut,
}

func jobStatus(st *agentv1.JobStatus) jobs.Status {
	return jobs.Status{
		JobID: st.GetJobId(), State: jobStates[st.GetState()], Step: st.GetStep(), ExitCode: st.GetExitCode(),
		Message: st.GetMessage(), LogLengths: st.GetLogLengths(),
	}
}

func logChunk(c *agentv1.LogChunk) jobs.LogChunk {
	return jobs.LogChunk{JobID: c.GetJobId(), Step: c.GetStep(), Offset: c.GetOffset(), Data: c.GetData()}
}

func uploadResponse(a jobs.Artifact) *agentv1.UploadArtifactResponse {
	return &agentv1.UploadArtifactResponse{ArtifactId: a.ID.String(), SizeBytes: a.Size, Sha256: a.SHA256}
}
