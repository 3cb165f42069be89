package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/jobs"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

// deposedAndCurrent records two leadership epochs of one Raft cluster and
// returns a deposed leader's worker context and the current leader's.
func deposedAndCurrent(t *testing.T, f *fixture) (deposed, leading context.Context) {
	t.Helper()
	var recorded []store.Epoch
	for _, term := range []uint64{3, 4} {
		e, err := f.db.RecordEpoch(t.Context(), store.Epoch{Cluster: "raft", Term: term})
		if err != nil {
			t.Fatal(err)
		}
		recorded = append(recorded, e)
	}
	return store.WithEpoch(t.Context(), recorded[0]), store.WithEpoch(t.Context(), recorded[1])
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
	job := gone.claimOne(t, "build").JobID.String()
	gone.status(t, job, jobs.StateRunning)
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

// TestCancelsCarryTheNewestEpoch: a user's cancel is stamped with the
// newest leadership epoch recorded (the newest takeover, whichever replica
// serves the call) and reaches the agent gateway with it; a deposed
// leader's cancel is refused by the database like its other writes.
func TestCancelsCarryTheNewestEpoch(t *testing.T) {
	f := newFixture(t)
	agents := &fakeAgents{}
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.svc.RunListener(ctx, agents) }()
	testsvc.WaitFor(t, "the listener", func() bool { w, _ := agents.snapshot(); return w >= 1 })

	f.push(t, "refs/heads/main", zero, sha(1), "jobs:\n  a:\n    steps: [x]\n  b:\n    steps: [x]\n")
	ag := f.agent(2, nil)
	runs := ag.claim(t)
	if len(runs) != 2 {
		t.Fatalf("claimed %d jobs", len(runs))
	}
	deposed, _ := deposedAndCurrent(t, f)
	newest, err := store.CommandEpoch(t.Context(), f.db.Pool)
	if err != nil || newest == 0 {
		t.Fatalf("newest epoch %d (%v)", newest, err)
	}

	if _, err := f.svc.CancelJob(deposed, uuid.MustParse(runs[0].JobID.String())); !errors.Is(err, store.ErrFenced) {
		t.Fatalf("a deposed leader's cancel: %v, want ErrFenced", err)
	}
	if _, err := f.svc.CancelJob(t.Context(), uuid.MustParse(runs[1].JobID.String())); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%s:%s epoch %d", ag.info.ID, runs[1].JobID.String(), newest)
	testsvc.WaitFor(t, "the stamped cancellation", func() bool {
		_, cs := agents.snapshot()
		return len(cs) == 1 && cs[0] == want
	})
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
