package session

import (
	"fmt"
	"sync"
	"testing"

	"github.com/hearth-dev/hearth/nodeagent/internal/gatewaytest"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

// TestStepsAreStoredInOrder: a step's bytes reach the store only once
// every earlier step's are stored, even when an earlier step's last chunk
// is lost and must be resent. Followers resume by (step, offset) and are
// sent later steps from their start, so a later step stored first would
// make a resumed follower miss the earlier step's last bytes.
func TestStepsAreStoredInOrder(t *testing.T) {
	gw := gatewaytest.New(t, gatewaytest.Options{})
	var (
		mu     sync.Mutex
		stored []string // "step:offset+len", in the order the store took them
		lost   bool
	)
	gw.SetChunkHook(func(c *agentv1.LogChunk) gatewaytest.ChunkAction {
		mu.Lock()
		defer mu.Unlock()
		if c.GetStep() == 1 && !lost {
			lost = true
			return gatewaytest.Ignore // stored nothing, said nothing: resent after ResendAfter
		}
		stored = append(stored, fmt.Sprintf("%d:%d+%d", c.GetStep(), c.GetOffset(), len(c.GetData())))
		return gatewaytest.Store
	})
	dir := t.TempDir()
	startAgent(t, gw, dir)
	waitConnects(t, gw, 1)
	gw.RunJob(newRunJob("job-order", "echo first step", "echo second step"))
	waitState(t, gw, "job-order", agentv1.JobState_JOB_STATE_SUCCESS)
	checkLog(t, gw, "job-order", 1, []byte("first step\n"))
	checkLog(t, gw, "job-order", 2, []byte("second step\n"))

	mu.Lock()
	defer mu.Unlock()
	highest := -1
	for _, s := range stored {
		var step, off, n int
		if _, err := fmt.Sscanf(s, "%d:%d+%d", &step, &off, &n); err != nil {
			t.Fatal(err)
		}
		if step < highest {
			t.Fatalf("step %d stored after step %d: %v", step, highest, stored)
		}
		highest = step
	}
	noViolations(t, gw)
}
