package cluster

import (
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/jobs"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

// TestRunJobMessageCarriesEveryField: what the queue decides to run
// reaches the agent whole.
func TestRunJobMessageCarriesEveryField(t *testing.T) {
	r := jobs.Run{
		JobID: uuid.New(), PipelineID: uuid.New(), Project: "ada/tools", Name: "build", Image: "golang:1.26",
		CloneURL: "https://hearth.example/ada/tools.git", CloneToken: "hjt_x", Commit: "abc", Ref: "refs/heads/main",
		Steps: []jobs.Step{{Name: "compile", Script: "make"}, {Name: "vet", Script: "make vet"}},
		Env:   map[string]string{"A": "1"}, Timeout: 10 * time.Minute, ArtifactPaths: []string{"bin/"}, Attempt: 2,
		Pod: &jobs.Pod{
			Requests: map[string]string{"cpu": "1"}, Limits: map[string]string{"memory": "2Gi"}, NodeSelector: map[string]string{"d": "ssd"},
			Tolerations: []jobs.Toleration{{Key: "k", Operator: "Equal", Value: "v", Effect: "NoSchedule"}}, ServiceAccount: "sa",
			Labels: map[string]string{"l": "1"}, Annotations: map[string]string{"a": "2"},
		},
	}
	m := runJobMessage(r).GetRunJob()
	if m.GetJobId() != r.JobID.String() || m.GetPipelineId() != r.PipelineID.String() || m.GetProject() != r.Project ||
		m.GetName() != r.Name || m.GetImage() != r.Image || m.GetCloneUrl() != r.CloneURL || m.GetCloneToken() != r.CloneToken ||
		m.GetCommitSha() != r.Commit || m.GetRef() != r.Ref || m.GetEnv()["A"] != "1" || m.GetTimeout().AsDuration() != r.Timeout ||
		!slices.Equal(m.GetArtifactPaths(), r.ArtifactPaths) || len(m.GetSteps()) != 2 ||
		m.GetSteps()[1].GetName() != "vet" || m.GetSteps()[1].GetScript() != "make vet" || m.GetAttempt() != 2 {
		t.Fatalf("RunJob %v from %+v", m, r)
	}
	pod := m.GetPod()
	if pod.GetRequests()["cpu"] != "1" || pod.GetLimits()["memory"] != "2Gi" || pod.GetNodeSelector()["d"] != "ssd" || pod.GetServiceAccount() != "sa" ||
		pod.GetLabels()["l"] != "1" || pod.GetAnnotations()["a"] != "2" || len(pod.GetTolerations()) != 1 ||
		pod.GetTolerations()[0].GetEffect() != "NoSchedule" || pod.GetTolerations()[0].GetValue() != "v" {
		t.Fatalf("pod overrides %v", pod)
	}
	c := cancelJobMessage(jobs.Cancel{JobID: "junk", Reason: "cancelled"}).GetCancelJob()
	if c.GetJobId() != "junk" || c.GetReason() != "cancelled" || c.GetEpoch() != 0 {
		t.Fatalf("CancelJob %v", c)
	}
}

// TestJobStatusStates: the agent's states map one to one; one this
// version does not know is no state, which the queue refuses.
func TestJobStatusStates(t *testing.T) {
	for in, want := range map[agentv1.JobState]jobs.State{
		agentv1.JobState_JOB_STATE_UNSPECIFIED: jobs.StateUnspecified,
		agentv1.JobState_JOB_STATE_RUNNING:     jobs.StateRunning,
		agentv1.JobState_JOB_STATE_SUCCESS:     jobs.StateSuccess,
		agentv1.JobState_JOB_STATE_FAILURE:     jobs.StateFailure,
		agentv1.JobState_JOB_STATE_CANCELLED:   jobs.StateCancelled,
		agentv1.JobState_JOB_STATE_TIMED_OUT:   jobs.StateTimedOut,
		agentv1.JobState(42):                   jobs.StateUnspecified,
	} {
		st := jobStatus(&agentv1.JobStatus{JobId: "j", State: in, Step: 2, ExitCode: 3, Message: "m", LogLengths: []uint64{1, 2}})
		if st.State != want || st.JobID != "j" || st.Step != 2 || st.ExitCode != 3 || st.Message != "m" || !slices.Equal(st.LogLengths, []uint64{1, 2}) {
			t.Errorf("%v: %+v, want state %v", in, st, want)
		}
	}
}
