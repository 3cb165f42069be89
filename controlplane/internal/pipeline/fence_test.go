package pipeline_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/pipeline"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
)

// deposedAndCurrent records two leadership epochs of one Raft cluster and
// returns a deposed leader's worker context and the current leader's.
func deposedAndCurrent(t *testing.T, f *fixture) (deposed, leading context.Context) {
	t.Helper()
	old, newer := store.Epoch{Cluster: "raft", Term: 3}, store.Epoch{Cluster: "raft", Term: 4}
	for _, e := range []store.Epoch{old, newer} {
		if err := f.db.RecordEpoch(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	return store.WithEpoch(t.Context(), old), store.WithEpoch(t.Context(), newer)
}

// TestDeposedLeaderFiresNoSchedule: the schedules worker of a deposed
// leader is refused by the database (the schedule stays due, no pipeline);
// the current leader's fires it.
func TestDeposedLeaderFiresNoSchedule(t *testing.T) {
	f := newFixture(t)
	f.repos.set("refs/heads/main", sha(1), "jobs:\n  nightly:\n    when: {events: [schedule]}\n    steps: [x]\n")
	if _, err := f.svc.CreateSchedule(asUser(t.Context(), uuid.New()), f.project.ID, "* * * * *", "main", nil, ""); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(2 * time.Minute)
	deposed, leading := deposedAndCurrent(t, f)

	n, err := f.svc.FireDueSchedules(deposed)
	if !errors.Is(err, store.ErrFenced) || n != 0 {
		t.Fatalf("deposed leader fired %d schedules (%v), want ErrFenced", n, err)
	}
	if ps := f.pipelines(t); len(ps) != 0 {
		t.Fatalf("deposed leader made %d pipelines", len(ps))
	}
	if n, err := f.svc.FireDueSchedules(leading); err != nil || n != 1 {
		t.Fatalf("current leader fired %d (%v), want 1", n, err)
	}
}

// TestDeposedLeaderReapsNothing: the reaper of a deposed leader is refused
// by the database (the silent agent's job keeps running); the current
// leader's reaps it.
func TestDeposedLeaderReapsNothing(t *testing.T) {
	f := newFixture(t)
	f.push(t, "refs/heads/main", zero, sha(1), "jobs:\n  build:\n    steps: [x]\n")
	gone := f.agent(1, nil)
	job := gone.claimOne(t, "build").GetJobId()
	gone.status(t, job, agentv1.JobState_JOB_STATE_RUNNING)
	f.clock.Advance(3 * time.Minute)
	deposed, leading := deposedAndCurrent(t, f)

	n, err := f.svc.Reap(deposed, 2*time.Minute)
	if !errors.Is(err, store.ErrFenced) || n != 0 {
		t.Fatalf("deposed leader reaped %d (%v), want ErrFenced", n, err)
	}
	if s := current(f.latest(t))["build"].State; s != pipeline.StateRunning {
		t.Fatalf("after the deposed leader's reaper the job is %s", s)
	}
	if n, err := f.svc.Reap(leading, 2*time.Minute); err != nil || n != 1 {
		t.Fatalf("current leader reaped %d (%v), want 1", n, err)
	}
	if s := current(f.latest(t))["build"].State; s != pipeline.StateFailure {
		t.Fatalf("after the current leader's reaper the job is %s", s)
	}
}
