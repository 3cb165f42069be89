package pipeline_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hearth-dev/hearth/controlplane/internal/git"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

const outboxSpec = "jobs:\n  build:\n    steps:\n      - echo built\n"

// outboxConsumer is the server's adapter from the push outbox to
// TriggerPush; deliveries > 1 delivers every ref that many times at once,
// as a worker killed after the pipeline committed and before its outbox
// row was marked would, again and again.
type outboxConsumer struct {
	svc        *pipeline.Service
	deliveries int
}

func (c outboxConsumer) PushRef(ctx context.Context, key string, e git.PushEvent) error {
	ev := pipeline.PushEvent{ProjectID: e.ProjectID, PusherID: e.PusherID, Refs: e.Refs, Key: key}
	var wg sync.WaitGroup
	errs := make([]error, max(c.deliveries, 1))
	for i := range errs {
		wg.Go(func() { errs[i] = c.svc.TriggerPush(ctx, ev) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (f *fixture) countPipelines(t *testing.T) (pipelines, refs int) {
	t.Helper()
	err := f.db.Pool.QueryRow(t.Context(), `SELECT count(*), count(DISTINCT ref) FROM pipelines WHERE project_id = $1`, f.project.ID).
		Scan(&pipelines, &refs)
	if err != nil {
		t.Fatal(err)
	}
	return pipelines, refs
}

// TestAThousandRecordedPushesMakeAThousandPipelines: a thousand pushes
// recorded concurrently through the git store, consumed by two push
// workers (two replicas) into real pipelines, each ref delivered twice
// at once: exactly a thousand pipelines, one per ref.
func TestAThousandRecordedPushesMakeAThousandPipelines(t *testing.T) {
	f := newFixture(t)
	commit := sha(7)
	f.repos.set("refs/heads/main", commit, outboxSpec)
	store := git.NewPGStore(f.db)
	for range 2 {
		w, err := git.NewPushWorker(git.PushWorkerDeps{
			Store: store, Pipelines: outboxConsumer{svc: f.svc, deliveries: 2}, Logger: testsvc.Logger(t), Sweep: time.Hour,
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("push worker: %v", err)
			}
		})
	}
	const writers, perWriter = 10, 100
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				e := git.PushEvent{ProjectID: f.project.ID, PusherID: f.owner, Refs: []git.RefUpdate{
					{Ref: fmt.Sprintf("refs/heads/w%d/b%d", w, i), Old: sha(0), New: commit},
				}}
				if err := store.Trigger(context.Background(), e); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	const total = writers * perWriter
	testsvc.WaitFor(t, "every recorded push to be consumed", func() bool {
		var pending int
		if err := f.db.Pool.QueryRow(t.Context(), `SELECT count(*) FROM git_push_refs WHERE consumed_at IS NULL`).Scan(&pending); err != nil {
			t.Fatal(err)
		}
		return pending == 0
	})
	if n, refs := f.countPipelines(t); n != total || refs != total {
		t.Fatalf("%d pipelines on %d refs, want %d on %d", n, refs, total, total)
	}
}

// TestATriggerKeyMakesOnePipeline: the same push delivered twice with a
// key makes one pipeline; without a key (a plain TriggerPush), two.
func TestATriggerKeyMakesOnePipeline(t *testing.T) {
	f := newFixture(t)
	f.repos.set("refs/heads/main", sha(1), outboxSpec)
	ev := pipeline.PushEvent{ProjectID: f.project.ID, Refs: []pipeline.RefUpdate{{Ref: "refs/heads/main", Old: sha(0), New: sha(1)}}, Key: "event-1"}
	for range 2 {
		if err := f.svc.TriggerPush(t.Context(), ev); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := f.countPipelines(t); n != 1 {
		t.Fatalf("%d pipelines from one keyed push delivered twice, want 1", n)
	}
	ev.Key = ""
	for range 2 {
		if err := f.svc.TriggerPush(t.Context(), ev); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := f.countPipelines(t); n != 3 {
		t.Fatalf("%d pipelines after two unkeyed deliveries more, want 3", n)
	}
}

// TestAMergeRequestHeadGetsOnePipeline: opening a merge request and the
// push outbox's refresh both ask for the head's merge_request pipeline, in
// either order: one pipeline per (merge request, head), a new head gets
// its own.
func TestAMergeRequestHeadGetsOnePipeline(t *testing.T) {
	f := newFixture(t)
	spec := "jobs:\n  test:\n    when:\n      events: [merge_request]\n    steps: [\"true\"]\n"
	f.repos.set("refs/heads/feature", sha(1), spec)
	ev := pipeline.MergeRequestEvent{ProjectID: f.project.ID, Number: 1, SourceBranch: "feature", TargetBranch: "main", Commit: sha(1)}
	for range 2 {
		if err := f.svc.TriggerMergeRequest(t.Context(), ev); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := f.countPipelines(t); n != 1 {
		t.Fatalf("%d pipelines for one merge request head asked twice, want 1", n)
	}
	f.repos.set("refs/heads/feature", sha(2), spec)
	ev.Commit = sha(2)
	if err := f.svc.TriggerMergeRequest(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	if n, _ := f.countPipelines(t); n != 2 {
		t.Fatalf("%d pipelines after a new head, want 2", n)
	}
}
