package pipeline_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/jobs"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

func TestSchedulesFire(t *testing.T) {
	f := newFixture(t)
	// A fixed hour, so "0 * * * *" is due in a known time.
	f.clock = &clock{t: time.Date(2026, 11, 27, 10, 30, 0, 0, time.UTC)}
	var err error
	f.svc, err = pipeline.New(pipeline.Deps{
		DB: f.db, Logger: testsvc.Logger(t), Projects: f.projects, Repositories: f.repos, JobTokens: f.tokens,
		Logs: f.logs, Artifacts: f.artifacts, Now: f.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	user := uuid.New()
	ctx := asUser(t.Context(), user)
	f.repos.set("refs/heads/main", sha(1), "jobs:\n  nightly:\n    when: {events: [schedule]}\n    steps: [make slow]\n  push-only:\n    when: {events: [push]}\n    steps: [x]\n")

	for _, c := range []struct {
		cron, ref string
		kind      apperr.Kind
	}{
		{"", "", apperr.KindInvalid},
		{"* * *", "", apperr.KindInvalid},
		{"@every 1s", "", apperr.KindInvalid},
		{"61 * * * *", "", apperr.KindInvalid},
		{"0 * * * *", "missing", apperr.KindInvalid},
	} {
		_, err := f.svc.CreateSchedule(ctx, f.project.ID, c.cron, c.ref, nil, "")
		wantKind(t, "cron "+c.cron+" ref "+c.ref, err, c.kind)
	}
	_, err = f.svc.CreateSchedule(t.Context(), f.project.ID, "0 * * * *", "", nil, "")
	wantKind(t, "anonymous", err, apperr.KindUnauthenticated)

	s, err := f.svc.CreateSchedule(ctx, f.project.ID, "0 * * * *", "main", map[string]string{"NIGHTLY": "1"}, "hourly")
	if err != nil {
		t.Fatal(err)
	}
	if !s.NextRunAt.Equal(time.Date(2026, 11, 27, 11, 0, 0, 0, time.UTC)) || !s.Active || s.OwnerID != user {
		t.Fatalf("schedule %+v", s)
	}
	if n, err := f.svc.FireDueSchedules(t.Context()); err != nil || n != 0 {
		t.Fatalf("fired %d early (%v)", n, err)
	}
	f.clock.Advance(31 * time.Minute)
	if n, err := f.svc.FireDueSchedules(t.Context()); err != nil || n != 1 {
		t.Fatalf("fired %d (%v)", n, err)
	}
	p := f.latest(t)
	if p.Event != "schedule" || p.TriggeredBy != user || p.Variables["NIGHTLY"] != "1" || p.Ref != "refs/heads/main" {
		t.Fatalf("scheduled pipeline %+v", p)
	}
	wantStates(t, p, "nightly=pending")
	run := f.agent(1, nil).claimOne(t, "nightly")
	if run.Env["NIGHTLY"] != "1" {
		t.Fatalf("env %v", run.Env)
	}
	if f.tokens.issued[0].user != user {
		t.Fatal("the clone token is not the schedule owner's")
	}
	// Fired once: the next run is an hour on.
	if n, _ := f.svc.FireDueSchedules(t.Context()); n != 0 {
		t.Fatalf("fired again: %d", n)
	}
	ss, err := f.svc.ListSchedules(t.Context(), f.project.ID)
	if err != nil || len(ss) != 1 || !ss[0].NextRunAt.Equal(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)) || ss[0].LastRunAt == nil {
		t.Fatalf("schedules %+v %v", ss, err)
	}

	// A run that cannot make a pipeline records why and moves on.
	f.repos.set("refs/heads/main", sha(2), "jobs:\n  push-only:\n    when: {events: [push]}\n    steps: [x]\n")
	f.clock.Advance(time.Hour)
	if n, err := f.svc.FireDueSchedules(t.Context()); err != nil || n != 0 {
		t.Fatalf("fired %d (%v)", n, err)
	}
	ss, _ = f.svc.ListSchedules(t.Context(), f.project.ID)
	if ss[0].LastError == "" || !ss[0].NextRunAt.After(f.clock.Now()) {
		t.Fatalf("schedule after a run without jobs: %+v", ss[0])
	}

	// The worker fires due schedules and stops with its context.
	f.repos.set("refs/heads/main", sha(3), "jobs:\n  nightly:\n    steps: [x]\n")
	f.clock.Advance(time.Hour)
	wctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.svc.RunSchedules(wctx) }()
	testsvc.WaitFor(t, "the schedule worker", func() bool { return len(f.pipelines(t)) == 2 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	if err := f.svc.DeleteSchedule(ctx, uuid.New(), s.ID); kindOf(err) != apperr.KindNotFound {
		t.Fatalf("delete in another project: %v", err)
	}
	if err := f.svc.DeleteSchedule(ctx, f.project.ID, s.ID); err != nil {
		t.Fatal(err)
	}
	if ss, _ := f.svc.ListSchedules(t.Context(), f.project.ID); len(ss) != 0 {
		t.Fatalf("%d schedules after delete", len(ss))
	}
}

func TestRetryJobAndPipeline(t *testing.T) {
	f := newFixture(t)
	ctx := asUser(t.Context(), f.owner)
	f.push(t, "refs/heads/main", zero, sha(1), dag)
	p := f.latest(t)
	a := f.agent(3, nil)
	build := a.claimOne(t, "build")
	_, err := f.svc.RetryJob(ctx, uuid.MustParse(build.JobID.String()))
	wantKind(t, "retry a running job", err, apperr.KindFailedPrecondition)
	_, err = f.svc.RetryPipeline(ctx, p.ID)
	wantKind(t, "retry a running pipeline", err, apperr.KindFailedPrecondition)

	a.run(t, build.JobID.String(), jobs.StateSuccess)
	test := a.claimOne(t, "test")
	a.run(t, test.JobID.String(), jobs.StateFailure)
	p = f.get(t, p.ID)
	wantStates(t, p, "build=success deploy=skipped test=failure")

	// Retrying deploy first is refused: it needs test, which failed.
	_, err = f.svc.RetryJob(ctx, current(p)["deploy"].ID)
	wantKind(t, "retry deploy", err, apperr.KindFailedPrecondition)

	// Retrying test brings deploy back too.
	nj, err := f.svc.RetryJob(ctx, uuid.MustParse(test.JobID.String()))
	if err != nil || nj.Attempt != 2 || nj.State != pipeline.StatePending {
		t.Fatalf("retry: %+v %v", nj, err)
	}
	p = f.get(t, p.ID)
	wantStates(t, p, "build=success deploy=created test=pending")
	if p.State != pipeline.StateRunning || p.FinishedAt != nil {
		t.Fatalf("pipeline %s finished %v", p.State, p.FinishedAt)
	}
	_, err = f.svc.RetryJob(ctx, uuid.MustParse(test.JobID.String()))
	wantKind(t, "retry a superseded attempt", err, apperr.KindFailedPrecondition)

	test2 := a.claimOne(t, "test")
	a.run(t, test2.JobID.String(), jobs.StateSuccess)
	deploy := a.claimOne(t, "deploy")
	a.run(t, deploy.JobID.String(), jobs.StateFailure)
	if p = f.get(t, p.ID); p.State != pipeline.StateFailure {
		t.Fatalf("pipeline %s", p.State)
	}

	// RetryPipeline reruns only what did not succeed.
	out, err := f.svc.RetryPipeline(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantStates(t, out, "build=success deploy=pending test=success")
	if current(out)["deploy"].Attempt != 3 || len(out.Jobs) != 6 {
		t.Fatalf("jobs after retry: %d", len(out.Jobs))
	}
	deploy2 := a.claimOne(t, "deploy")
	a.run(t, deploy2.JobID.String(), jobs.StateSuccess)
	if p = f.get(t, p.ID); p.State != pipeline.StateSuccess {
		t.Fatalf("pipeline %s", p.State)
	}
	_, err = f.svc.RetryPipeline(ctx, p.ID)
	wantKind(t, "retry a successful pipeline", err, apperr.KindFailedPrecondition)
	if n := f.count(t, "SELECT count(*) FROM audit_events WHERE action IN ('pipeline.retry', 'pipeline.job.retry')"); n != 2 {
		t.Fatalf("%d retry audit rows", n)
	}
}

func TestListenerWakesAndCancels(t *testing.T) {
	f := newFixture(t)
	agents := &fakeAgents{}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.svc.RunListener(ctx, agents) }()
	// Woken once on connect.
	testsvc.WaitFor(t, "the first wake-up", func() bool { w, _ := agents.snapshot(); return w >= 1 })
	w0, _ := agents.snapshot()
	f.push(t, "refs/heads/main", zero, sha(1), "jobs:\n  a:\n    steps: [x]\n")
	testsvc.WaitFor(t, "a wake-up for queued work", func() bool { w, _ := agents.snapshot(); return w > w0 })

	ag := f.agent(1, nil)
	run := ag.claimOne(t, "a")
	if _, err := f.svc.CancelJob(t.Context(), run.JobID); err != nil {
		t.Fatal(err)
	}
	want := ag.info.ID.String() + ":" + run.JobID.String()
	testsvc.WaitFor(t, "the cancellation", func() bool {
		_, cs := agents.snapshot()
		return len(cs) == 1 && cs[0] == want
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestScheduleStopsWhenItsOwnerLosesAccess: a schedule fires as its owner;
// once the owner may no longer run pipelines in the project, it makes none
// and says why.
func TestScheduleStopsWhenItsOwnerLosesAccess(t *testing.T) {
	f := newFixture(t)
	f.clock = &clock{t: time.Date(2026, 11, 27, 10, 30, 0, 0, time.UTC)}
	user := uuid.New()
	authz := fakeAuthz{grants: map[uuid.UUID]map[uuid.UUID]access.Set{
		user: {f.project.ID: access.SetOf(access.ProjectRead, access.PipelineRead, access.PipelineRun)},
	}}
	var err error
	f.svc, err = pipeline.New(pipeline.Deps{
		DB: f.db, Logger: testsvc.Logger(t), Projects: f.projects, Repositories: f.repos, JobTokens: f.tokens,
		Logs: f.logs, Artifacts: f.artifacts, Now: f.clock.Now, Authz: authz,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.repos.set("refs/heads/main", sha(1), "jobs:\n  nightly:\n    steps: [x]\n")
	s, err := f.svc.CreateSchedule(asUser(t.Context(), user), f.project.ID, "0 * * * *", "main", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(31 * time.Minute)
	if n, err := f.svc.FireDueSchedules(t.Context()); err != nil || n != 1 {
		t.Fatalf("fired %d while the owner may run pipelines (%v)", n, err)
	}
	delete(authz.grants, user) // removed from the project
	f.clock.Advance(time.Hour)
	if n, err := f.svc.FireDueSchedules(t.Context()); err != nil || n != 0 {
		t.Fatalf("made %d pipelines for an owner without access (%v)", n, err)
	}
	got, err := f.svc.ListSchedules(t.Context(), f.project.ID)
	if err != nil || len(got) != 1 || got[0].ID != s.ID || got[0].LastError == "" {
		t.Fatalf("schedules %+v (%v)", got, err)
	}
}
