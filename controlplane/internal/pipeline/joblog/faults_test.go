package joblog_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/cache"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline/joblog"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

// countingPubSub counts the messages subscriptions delivered, relaying
// them, so a test can tell live delivery from polling.
type countingPubSub struct {
	joblog.PubSub
	delivered atomic.Int64
}

func (p *countingPubSub) Subscribe(ctx context.Context, channel string) (<-chan []byte, error) {
	in, err := p.PubSub.Subscribe(ctx, channel)
	if err != nil {
		return nil, err
	}
	out := make(chan []byte)
	go func() {
		defer close(out)
		for m := range in {
			p.delivered.Add(1)
			select {
			case out <- m:
			case <-ctx.Done():
				// Drain: in closes once the subscription's ctx ends.
				for range in {
				}
				return
			}
		}
	}()
	return out, nil
}

// TestFollowDegradesToPollingWhileRedisIsDownAndRecovers: Redis stops
// under a live follower. The follower learns it (the subscription ends),
// gets what is stored meanwhile by re-reading the store every
// PollInterval (ResyncInterval is an hour: nothing else would deliver it),
// subscribes again once Redis is back, and is live again; every byte
// arrives once.
func TestFollowDegradesToPollingWhileRedisIsDownAndRecovers(t *testing.T) {
	redis := testsvc.NewRedis(t)
	ctx := t.Context()
	c, err := cache.Open(ctx, redis.URL(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	counting := &countingPubSub{PubSub: c}
	f := newFixture(t, func(d *joblog.Deps) {
		d.PubSub = counting
		d.PollInterval = 50 * time.Millisecond
		d.ResyncInterval = time.Hour
	})
	job := newJob(t)
	subscribers := func() int64 {
		n, err := c.Commands().PubSubNumSub(ctx, "hearth:joblog:"+job.String()).Result()
		if err != nil {
			return -1
		}
		return n["hearth:joblog:"+job.String()]
	}

	col := newCollector()
	done := f.follow(ctx, job, 0, 0, col)
	waitFor(t, "the follower to subscribe", func() bool { return subscribers() == 1 })
	f.append(t, job, 0, 0, "live\n", 5)
	waitFor(t, "the live piece", func() bool { return col.step(0) == "live\n" })
	if counting.delivered.Load() == 0 {
		t.Fatal("the first piece was not delivered live")
	}

	redis.Stop(t)
	f.append(t, job, 0, 5, "while down\n", 16) // its publish fails: stored anyway
	waitFor(t, "the piece stored while Redis is down (polling)", func() bool { return col.step(0) == "live\nwhile down\n" })

	redis.Start(t)
	waitFor(t, "the follower to subscribe again", func() bool { return subscribers() == 1 })
	before := counting.delivered.Load()
	// Publishing pauses for a PollInterval after its failure: append
	// until a piece goes out live again.
	want := "live\nwhile down\n"
	waitFor(t, "a piece delivered live after Redis came back", func() bool {
		line := "back\n"
		f.append(t, job, 0, uint64(len(want)), line, uint64(len(want)+len(line)))
		want += line
		waitFor(t, "the piece", func() bool { return col.step(0) == want })
		return counting.delivered.Load() > before
	})

	if err := f.logs.Finish(ctx, job); err != nil {
		t.Fatal(err)
	}
	if err := waitDone(t, done); err != nil {
		t.Fatal(err)
	}
	col.check(t, map[uint32]string{0: want})
}

// TestFollowRidesOutAPostgresRestart: PostgreSQL restarts under a
// follower that is polling. Its reads fail meanwhile; it keeps reading
// instead of giving up, and gets every byte once.
func TestFollowRidesOutAPostgresRestart(t *testing.T) {
	pg := testsvc.NewPostgres(t)
	ctx := t.Context()
	db, err := store.Open(ctx, store.Config{URL: pg.DatabaseURL(t), MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	if err := store.Migrate(ctx, db, zerolog.Nop()); err != nil {
		t.Fatal(err)
	}
	var logged testsvc.Buffer
	f := newFixture(t, func(d *joblog.Deps) {
		d.DB = db
		d.PubSub = nil
		d.PollInterval = 20 * time.Millisecond
		d.Logger = zerolog.New(&logged)
	})
	job := newJob(t)
	f.append(t, job, 0, 0, "before\n", 7)
	col := newCollector()
	done := f.follow(ctx, job, 0, 0, col)
	waitFor(t, "the first piece", func() bool { return col.step(0) == "before\n" })

	pg.Stop(t)
	var early error
	waitFor(t, "a read to fail", func() bool {
		select {
		case early = <-done:
			return true
		default:
			return strings.Contains(logged.String(), "reading the job log failed")
		}
	})
	if early != nil {
		t.Fatalf("Follow gave up while PostgreSQL restarted: %v", early)
	}
	pg.Start(t)
	// The pool may hand out a connection that died with the old server
	// once: the agent would resend, so does the test.
	waitFor(t, "an append after the restart", func() bool {
		end, err := f.logs.Append(ctx, job, 0, 7, []byte("after\n"))
		return err == nil && end == 13
	})
	waitFor(t, "the piece stored after the restart", func() bool { return col.step(0) == "before\nafter\n" })
	if err := f.logs.Finish(ctx, job); err != nil {
		t.Fatal(err)
	}
	if err := waitDone(t, done); err != nil {
		t.Fatal(err)
	}
	col.check(t, map[uint32]string{0: "before\nafter\n"})
}

// TestFollowGivesUpOnAPermanentError: an error that reading again cannot
// cure (the job's finished log is missing from S3) ends Follow at once.
func TestFollowGivesUpOnAPermanentError(t *testing.T) {
	f := newFixture(t)
	job := newJob(t)
	f.append(t, job, 0, 0, "x\n", 2)
	if err := f.logs.Finish(t.Context(), job); err != nil {
		t.Fatal(err)
	}
	if err := f.objects.Delete(t.Context(), joblog.ObjectKey(job, 0)); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	err := f.logs.Follow(t.Context(), job, 0, 0, func(uint32, uint64, []byte) error { return nil })
	if err == nil {
		t.Fatal("Follow of a log whose object is gone succeeded")
	}
	if d := time.Since(began); d > 10*time.Second {
		t.Fatalf("Follow took %s to give up on a permanent error", d)
	}
}

// failingPublishes is Redis refusing every publish, counted.
type failingPublishes struct {
	joblog.PubSub
	calls atomic.Int64
}

func (p *failingPublishes) Publish(context.Context, string, []byte) error {
	p.calls.Add(1)
	return errRedisDown
}

// TestPublishingPausesAfterAFailure: once a publish failed, appends do not
// try Redis again (and wait for its timeouts) for a PollInterval.
func TestPublishingPausesAfterAFailure(t *testing.T) {
	pubsub := &failingPublishes{PubSub: failingPubSub{}}
	f := newFixture(t, func(d *joblog.Deps) {
		d.PubSub = pubsub
		d.PollInterval = time.Hour
	})
	job := newJob(t)
	for i := range uint64(5) {
		f.append(t, job, 0, i, "x", i+1)
	}
	if n := pubsub.calls.Load(); n != 1 {
		t.Fatalf("%d publishes for 5 appends while Redis fails, want 1", n)
	}
	other := uuid.New()
	f.append(t, other, 0, 0, "y", 1)
	if n := pubsub.calls.Load(); n != 1 {
		t.Fatalf("another job's append published (%d calls) during the pause", n)
	}
}
