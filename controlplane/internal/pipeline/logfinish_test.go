package pipeline_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/pipeline"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

// flakyLogs fails Finish while fail is set (S3 down).
type flakyLogs struct {
	pipeline.Logs
	fail atomic.Bool
}

func (f *flakyLogs) Finish(ctx context.Context, id uuid.UUID) error {
	if f.fail.Load() {
		return errors.New("s3 is down")
	}
	return f.Logs.Finish(ctx, id)
}

// TestReaperFinishesLogsLeftOpen: a job's log that could not be moved to
// S3 when the job ended is finished later by the reaper, so followers get
// their end and PostgreSQL lets go of the chunks.
func TestReaperFinishesLogsLeftOpen(t *testing.T) {
	f := newFixture(t)
	flaky := &flakyLogs{Logs: f.logs}
	flaky.fail.Store(true)
	var err error
	f.svc, err = pipeline.New(pipeline.Deps{
		DB: f.db, Logger: testsvc.Logger(t), Projects: f.projects, Repositories: f.repos, JobTokens: f.tokens,
		Logs: flaky, Artifacts: f.artifacts, Now: f.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.push(t, "refs/heads/main", zero, sha(1), "jobs:\n  build:\n    steps: [x]\n")
	job := current(f.latest(t))["build"]
	if _, err := f.svc.CancelJob(t.Context(), job.ID); err != nil {
		t.Fatal(err)
	}
	logFinished := func() bool {
		var at *time.Time
		if err := f.db.Pool.QueryRow(t.Context(), `SELECT log_finished_at FROM jobs WHERE id = $1`, job.ID).Scan(&at); err != nil {
			t.Fatal(err)
		}
		return at != nil
	}
	if logFinished() {
		t.Fatal("the log counts as finished although Finish failed")
	}

	flaky.fail.Store(false)
	f.clock.Advance(2 * time.Minute)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.svc.RunReaper(ctx, 10*time.Millisecond, 10*time.Millisecond) }()
	testsvc.WaitFor(t, "the reaper to finish the log", logFinished)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	follow, stop := context.WithTimeout(t.Context(), 10*time.Second)
	defer stop()
	if err := f.logs.Follow(follow, job.ID, 0, 0, func(uint32, uint64, []byte) error { return nil }); err != nil {
		t.Fatalf("following the finished log: %v", err)
	}
}
