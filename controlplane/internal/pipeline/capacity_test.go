package pipeline_test

import (
	"testing"

	"github.com/google/uuid"
)

// TestClaimCountsWhatTheAgentStillRuns: a job the queue already counts as
// ended but the agent still reports running (stopping after the reaper
// failed it) takes a slot, so the agent is never sent a job beyond its
// capacity; a job reported and running in the queue counts once.
func TestClaimCountsWhatTheAgentStillRuns(t *testing.T) {
	f := newFixture(t)
	f.push(t, "refs/heads/main", zero, sha(1), "jobs:\n  a:\n    steps: [x]\n  b:\n    steps: [x]\n  c:\n    steps: [x]\n")
	ag := f.agent(2, nil)
	ag.info.Running = []string{uuid.NewString(), "not-a-uuid"} // ended in the queue, still stopping there
	got := ag.claim(t)
	if len(got) != 1 {
		t.Fatalf("claimed %d jobs with one of two slots held by a stopping job", len(got))
	}
	first := ag.claim(t)
	if len(first) != 0 {
		t.Fatalf("claimed %d more with both slots taken", len(first))
	}
	ag.info.Running = nil
	second := ag.claim(t)
	if len(second) != 1 {
		t.Fatalf("claimed %d once the stopping job was gone, want 1", len(second))
	}
	// The agent reports its two queue-running jobs: they count once, so
	// with a third slot it takes the third job.
	ag.info.Running = []string{got[0].JobID.String(), second[0].JobID.String()}
	ag.info.Capacity = 3
	if third := ag.claim(t); len(third) != 1 {
		t.Fatalf("claimed %d with one slot free, want 1", len(third))
	}
}
