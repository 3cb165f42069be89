package pipeline_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/jobs"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

// TestArchivedProjectRunsNoPipelines: once a project is archived nothing
// makes or re-runs pipelines in it (pushes, manual runs, retries,
// schedules, external statuses), while a running pipeline can still be
// cancelled.
func TestArchivedProjectRunsNoPipelines(t *testing.T) {
	f := newFixture(t)
	f.clock = &clock{t: time.Date(2026, 11, 27, 10, 30, 0, 0, time.UTC)}
	var err error
	f.svc, err = pipeline.New(pipeline.Deps{
		DB: f.db, Logger: testsvc.Logger(t), Projects: f.projects, Repositories: f.repos, JobTokens: f.tokens,
		Logs: f.logs, Artifacts: f.artifacts, Now: f.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := asUser(t.Context(), f.owner)
	const file = "jobs:\n  build:\n    steps: [make]\n  nightly:\n    when: {events: [schedule]}\n    steps: [make slow]\n"
	f.push(t, "refs/heads/main", zero, sha(1), file)
	failed := f.latest(t)
	a := f.agent(2, nil)
	build := a.claimOne(t, "build")
	a.run(t, build.JobID.String(), jobs.StateFailure)
	f.push(t, "refs/heads/main", sha(1), sha(2), file)
	running := f.latest(t)
	if _, err := f.svc.CreateSchedule(ctx, f.project.ID, "0 * * * *", "main", nil, "hourly"); err != nil {
		t.Fatal(err)
	}

	f.projects.mu.Lock()
	p := f.projects.byID[f.project.ID]
	p.Archived = true
	f.projects.byID[f.project.ID] = p
	f.projects.mu.Unlock()

	f.repos.set("refs/heads/main", sha(3), file)
	err = f.svc.TriggerPush(ctx, pipeline.PushEvent{ProjectID: f.project.ID, PusherID: f.owner, Refs: []pipeline.RefUpdate{{Ref: "refs/heads/main", Old: sha(2), New: sha(3)}}})
	wantKind(t, "push", err, apperr.KindFailedPrecondition)
	_, err = f.svc.RunPipeline(ctx, f.project.ID, "main", nil)
	wantKind(t, "manual run", err, apperr.KindFailedPrecondition)
	_, err = f.svc.RetryJob(ctx, uuid.MustParse(build.JobID.String()))
	wantKind(t, "job retry", err, apperr.KindFailedPrecondition)
	_, err = f.svc.RetryPipeline(ctx, failed.ID)
	wantKind(t, "pipeline retry", err, apperr.KindFailedPrecondition)
	_, err = f.svc.CreateSchedule(ctx, f.project.ID, "0 * * * *", "main", nil, "")
	wantKind(t, "new schedule", err, apperr.KindFailedPrecondition)
	_, err = f.svc.SetCommitStatus(ctx, f.project.ID, pipeline.NewCommitStatus{SHA: sha(3), Context: "ci/external", State: "success"})
	wantKind(t, "commit status", err, apperr.KindFailedPrecondition)

	f.clock.Advance(31 * time.Minute)
	if n, err := f.svc.FireDueSchedules(t.Context()); err != nil || n != 0 {
		t.Fatalf("the due schedule made %d pipelines (%v)", n, err)
	}
	scheds, err := f.svc.ListSchedules(ctx, f.project.ID)
	if err != nil || len(scheds) != 1 || !strings.Contains(scheds[0].LastError, "archived") {
		t.Fatalf("the schedule's run should record why it made no pipeline: %+v %v", scheds, err)
	}
	if n := len(f.pipelines(t)); n != 2 {
		t.Fatalf("%d pipelines, want the 2 made before the archive", n)
	}

	if c, err := f.svc.CancelPipeline(ctx, running.ID); err != nil || c.State != pipeline.StateCancelled {
		t.Fatalf("cancelling in an archived project: %+v %v", c, err)
	}
}
