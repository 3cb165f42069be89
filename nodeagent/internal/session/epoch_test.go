package session

import (
	"testing"

	"github.com/hearth-dev/hearth/nodeagent/internal/gatewaytest"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

// TestCancelFromADeposedLeaderIsDropped: once the agent has seen epoch 7
// (in the CancelJob of another job), a CancelJob stamped with epoch 6 is
// dropped, on a later stream too, while one stamped 7 is obeyed: the job
// ends with the current leader's reason, not the deposed one's (commands
// on a stream are handled in order).
func TestCancelFromADeposedLeaderIsDropped(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	startAgent(t, gw, t.TempDir())
	waitConnects(t, gw, 1)
	gw.RunJob(newRunJob("job-a", "hang"))
	gw.RunJob(newRunJob("job-e", "hang"))
	waitState(t, gw, "job-a", agentv1.JobState_JOB_STATE_RUNNING)
	waitState(t, gw, "job-e", agentv1.JobState_JOB_STATE_RUNNING)
	cancel := func(job, reason string, epoch uint64) {
		t.Helper()
		if !gw.Send(&agentv1.ConnectResponse{Msg: &agentv1.ConnectResponse_CancelJob{CancelJob: &agentv1.CancelJob{
			JobId: job, Reason: reason, Epoch: epoch,
		}}}) {
			t.Fatal("no stream to send on")
		}
	}
	cancel("job-a", "by the current leader", 7)
	waitState(t, gw, "job-a", agentv1.JobState_JOB_STATE_CANCELLED)
	gw.Drop()
	waitConnects(t, gw, 2)
	cancel("job-e", "by the deposed leader", 6)
	cancel("job-e", "by the current leader", 7)
	st := waitState(t, gw, "job-e", agentv1.JobState_JOB_STATE_CANCELLED)
	if st.GetMessage() != "by the current leader" {
		t.Fatalf("the job was cancelled %q, want by the current leader only", st.GetMessage())
	}
	noViolations(t, gw)
}
