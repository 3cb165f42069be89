package git_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/git"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

// recordingConsumer counts deliveries per key and refreshes per ref.
type recordingConsumer struct {
	mu         sync.Mutex
	deliveries map[string]int
	refreshes  map[string]int
	actors     map[string]bool // the principals deliveries acted as
	// block, when set, holds every delivery until the context ends.
	block bool
	// failRefreshes fails this many refreshes before they succeed.
	failRefreshes int
	refreshCalls  int
}

func newRecordingConsumer() *recordingConsumer {
	return &recordingConsumer{deliveries: map[string]int{}, refreshes: map[string]int{}, actors: map[string]bool{}}
}

func (c *recordingConsumer) PushRef(ctx context.Context, key string, e git.PushEvent) error {
	if len(e.Refs) != 1 {
		return fmt.Errorf("a delivery with %d refs", len(e.Refs))
	}
	if c.block {
		<-ctx.Done()
		return ctx.Err()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deliveries[key+"/"+e.Refs[0].Ref]++
	p := access.PrincipalFrom(ctx)
	c.actors[p.UserID.String()+" "+p.Username] = true
	return nil
}

func (c *recordingConsumer) RefsMoved(_ context.Context, e git.PushEvent) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.refreshCalls++
	if c.refreshCalls <= c.failRefreshes {
		return errors.New("merge requests unavailable")
	}
	c.refreshes[e.ID.String()+"/"+e.Refs[0].Ref]++
	return nil
}

func (c *recordingConsumer) counts() (keys, deliveries, refreshes int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.deliveries {
		deliveries += n
	}
	for _, n := range c.refreshes {
		refreshes += n
	}
	return len(c.deliveries), deliveries, refreshes
}

func newOutboxProject(t *testing.T, d *store.DB) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	if err := d.Pool.QueryRow(t.Context(), `INSERT INTO projects (owner_id, owner_name, name, visibility) VALUES ($1, 'o', 'p', 'private') RETURNING id`,
		uuid.New()).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func pendingPushRefs(t *testing.T, d *store.DB) int {
	t.Helper()
	var n int
	if err := d.Pool.QueryRow(t.Context(), `SELECT count(*) FROM git_push_refs WHERE consumed_at IS NULL`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// claimablePushRefs counts the pending refs no transaction holds.
func claimablePushRefs(t *testing.T, d *store.DB) int {
	t.Helper()
	tx, err := d.Pool.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(context.Background()) }()
	rows, err := tx.Query(t.Context(), `SELECT 1 FROM git_push_refs WHERE consumed_at IS NULL FOR UPDATE SKIP LOCKED`)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}

func startPushWorker(t *testing.T, d *store.DB, c *recordingConsumer) context.CancelFunc {
	t.Helper()
	return startPushWorkerSweeping(t, d, c, time.Hour) // only NOTIFY wakes it (and its start)
}

func startPushWorkerSweeping(t *testing.T, d *store.DB, c *recordingConsumer, sweep time.Duration) context.CancelFunc {
	t.Helper()
	w, err := git.NewPushWorker(git.PushWorkerDeps{
		Store: git.NewPGStore(d), Pipelines: c, MergeRequests: c, Logger: testsvc.Logger(t), Sweep: sweep,
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
	return cancel
}

const zeroSHA = "0000000000000000000000000000000000000000"

// TestPushWorkersConsumeABurstExactlyOnce: a thousand pushes recorded
// concurrently while two workers (two replicas) consume them: every
// (event, ref) is delivered and refreshed exactly once, none lost, none
// doubled, woken by NOTIFY alone.
func TestPushWorkersConsumeABurstExactlyOnce(t *testing.T) {
	d := testsvc.NewDatabase(t)
	project := newOutboxProject(t, d)
	s := git.NewPGStore(d)
	c := newRecordingConsumer()
	startPushWorker(t, d, c)
	startPushWorker(t, d, c)

	const writers, perWriter = 20, 50
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				sha := fmt.Sprintf("%040x", w*perWriter+i+1)
				e := git.PushEvent{ProjectID: project, Refs: []git.RefUpdate{{Ref: fmt.Sprintf("refs/heads/b%d-%d", w, i), Old: zeroSHA, New: sha}}}
				if err := s.Trigger(context.Background(), e); err != nil {
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
	testsvc.WaitFor(t, "every recorded ref to be consumed", func() bool {
		keys, _, _ := c.counts()
		return keys == total && pendingPushRefs(t, d) == 0
	})
	keys, deliveries, refreshes := c.counts()
	if keys != total || deliveries != total || refreshes != total {
		t.Fatalf("%d refs delivered %d times and refreshed %d times, want %d each once", keys, deliveries, refreshes, total)
	}

	// The workers are idle now and sweep hourly: only the NOTIFY of the
	// next push wakes them.
	late := git.PushEvent{ProjectID: project, Refs: []git.RefUpdate{{Ref: "refs/heads/late", Old: zeroSHA, New: fmt.Sprintf("%040x", total+1)}}}
	if err := s.Trigger(context.Background(), late); err != nil {
		t.Fatal(err)
	}
	testsvc.WaitFor(t, "a push after the burst to wake an idle worker", func() bool {
		keys, _, _ := c.counts()
		return keys == total+1
	})
}

// TestPushWorkerStoppedMidDeliveryDeliversAgainWithTheSameKey: a worker
// stopped while it delivers (a crash before it marked the ref consumed)
// leaves the ref pending, and the next worker delivers it with the same
// key, which the consumer deduplicates on.
func TestPushWorkerStoppedMidDeliveryDeliversAgainWithTheSameKey(t *testing.T) {
	d := testsvc.NewDatabase(t)
	project := newOutboxProject(t, d)
	s := git.NewPGStore(d)
	pusher := uuid.New()
	e := git.PushEvent{ID: uuid.Must(uuid.NewV7()), ProjectID: project, PusherID: pusher, Refs: []git.RefUpdate{
		{Ref: "refs/heads/main", Old: zeroSHA, New: fmt.Sprintf("%040x", 1)},
		{Ref: "refs/tags/v1", Old: zeroSHA, New: fmt.Sprintf("%040x", 2)},
	}}
	ctx := access.WithPrincipal(context.Background(), access.Principal{Kind: access.User, UserID: pusher, Username: "ada"})
	if err := s.Trigger(ctx, e); err != nil {
		t.Fatal(err)
	}
	stuck := newRecordingConsumer()
	stuck.block = true
	w, err := git.NewPushWorker(git.PushWorkerDeps{Store: s, Pipelines: stuck, Logger: testsvc.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	_, err = w.Drain(stopCtx)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a stopped delivery: %v, want the context's error", err)
	}
	if n := pendingPushRefs(t, d); n != 2 {
		t.Fatalf("%d refs pending after a stopped delivery, want 2", n)
	}
	// The stopped delivery's connection dies asynchronously; until then
	// its row locks make a starting worker (woken only at its start here)
	// skip the rows. In production the periodic sweep covers that gap.
	testsvc.WaitFor(t, "the stopped delivery's row locks to go", func() bool { return claimablePushRefs(t, d) == 2 })
	c := newRecordingConsumer()
	startPushWorker(t, d, c)
	testsvc.WaitFor(t, "the refs to be delivered again", func() bool { return pendingPushRefs(t, d) == 0 })
	want := map[string]int{e.ID.String() + "/refs/heads/main": 1, e.ID.String() + "/refs/tags/v1": 1}
	c.mu.Lock()
	defer c.mu.Unlock()
	if fmt.Sprint(c.deliveries) != fmt.Sprint(want) {
		t.Fatalf("delivered %v, want %v (the event's id as the key of each ref)", c.deliveries, want)
	}
	if actors := fmt.Sprint(c.actors); actors != fmt.Sprint(map[string]bool{pusher.String() + " ada": true}) {
		t.Fatalf("deliveries acted as %s, want the pusher ada", actors)
	}
}

// TestPushWorkerRetriesAFailedRefresh: when the merge request refresh of a
// pushed ref fails, the ref stays pending and is delivered again later,
// to both consumers under the same key, until the refresh succeeds; only
// then is it consumed.
func TestPushWorkerRetriesAFailedRefresh(t *testing.T) {
	d := testsvc.NewDatabase(t)
	project := newOutboxProject(t, d)
	c := newRecordingConsumer()
	c.failRefreshes = 1
	startPushWorkerSweeping(t, d, c, 100*time.Millisecond) // the retry is due a second later
	e := git.PushEvent{ProjectID: project, Refs: []git.RefUpdate{{Ref: "refs/heads/main", Old: zeroSHA, New: strings.Repeat("a", 40)}}}
	if err := git.NewPGStore(d).Trigger(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	testsvc.WaitFor(t, "the ref to be consumed", func() bool { return pendingPushRefs(t, d) == 0 })
	keys, deliveries, refreshes := c.counts()
	c.mu.Lock()
	calls := c.refreshCalls
	c.mu.Unlock()
	if keys != 1 || deliveries != 2 || calls != 2 || refreshes != 1 {
		t.Fatalf("%d keys, %d deliveries, %d refresh calls, %d refreshes; want 1 key delivered twice, refreshed once on the second call",
			keys, deliveries, calls, refreshes)
	}
	var lastError string
	if err := d.Pool.QueryRow(t.Context(), `SELECT last_error FROM git_push_refs`).Scan(&lastError); err != nil {
		t.Fatal(err)
	}
	if lastError != "" {
		t.Fatalf("a delivered ref keeps its last error %q", lastError)
	}
}
