package session

import (
	"slices"
	"testing"
	"time"

	"github.com/hearth-dev/hearth/nodeagent/internal/gatewaytest"
	"github.com/hearth-dev/hearth/shared/backoff"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

func TestHeartbeatsCarryRunningJobs(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{HeartbeatInterval: 20 * time.Millisecond})
	a := startAgent(t, gw, t.TempDir())
	waitConnects(t, gw, 1)
	gw.RunJob(newRunJob("job-hb", "hang"))
	waitState(t, gw, "job-hb", agentv1.JobState_JOB_STATE_RUNNING)
	gw.Wait(t, waitFor, "a heartbeat naming the job", func() bool {
		for _, hb := range gw.Heartbeats() {
			if slices.Equal(hb.GetRunningJobIds(), []string{"job-hb"}) && hb.GetSentAt() != nil {
				return true
			}
		}
		return false
	})
	if gw.Stats().Connects != 1 {
		t.Fatalf("the stream was replaced while heartbeats flowed: %d streams", gw.Stats().Connects)
	}
	if err := a.stop(); err != nil {
		t.Fatal(err)
	}
}

func TestSilentControlPlaneEndsTheStream(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{HeartbeatInterval: 20 * time.Millisecond})
	startAgent(t, gw, t.TempDir())
	waitConnects(t, gw, 1)
	gw.SetSilent(true)
	// Three silent intervals later the agent gives up on the stream and
	// opens another.
	waitConnects(t, gw, 2)
}

func TestDrainReconnectsAtOnce(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	// A backoff this long proves the reconnect after Drain skips it.
	startAgent(t, gw, t.TempDir(), func(d *Deps) { d.Tuning.Backoff = backoff.Policy{Min: time.Hour, Max: time.Hour} })
	waitConnects(t, gw, 1)
	if !gw.Drain("maximum age") {
		t.Fatal("no stream to drain")
	}
	waitConnects(t, gw, 2)
}

func TestDroppedStreamReconnectsWithBackoff(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	startAgent(t, gw, t.TempDir())
	for i := 1; i <= 3; i++ {
		waitConnects(t, gw, i)
		gw.Drop()
	}
	waitConnects(t, gw, 4)
}
