package joblog_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.uber.org/goleak"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/cache"
	"github.com/hearth-dev/hearth/controlplane/internal/objectstore"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline/joblog"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

func TestMain(m *testing.M) {
	code := testsvc.Run(m)
	if code == 0 {
		// Idle keep-alive connections of the S3 clients are not leaks.
		if err := goleak.Find(
			goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
			goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		); err != nil {
			fmt.Fprintln(os.Stderr, "goroutines leaked:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// waitLimit bounds every wait for a condition.
const waitLimit = 30 * time.Second

type fixture struct {
	logs    *joblog.Store
	db      *store.DB
	objects *objectstore.Store
	pubsub  *cache.Cache
}

// newFixture builds a store on a fresh database, bucket and Redis
// database. adjust may change the dependencies (wrap PubSub or Objects).
func newFixture(t testing.TB, adjust ...func(*joblog.Deps)) fixture {
	t.Helper()
	ctx := context.Background()
	db := testsvc.NewDatabase(t)
	s3 := testsvc.S3(t)
	objects, err := objectstore.Open(ctx, objectstore.Config{
		Endpoint: "http://" + s3.Endpoint, Region: s3.Region, Bucket: s3.Bucket,
		AccessKey: s3.AccessKey, SecretKey: s3.SecretKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := cache.Open(ctx, testsvc.Redis(t), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	d := joblog.Deps{DB: db, Objects: objects, PubSub: c, Logger: testsvc.Logger(t)}
	for _, f := range adjust {
		f(&d)
	}
	logs, err := joblog.New(d)
	if err != nil {
		t.Fatal(err)
	}
	return fixture{logs: logs, db: db, objects: objects, pubsub: c}
}

func newJob(t testing.TB) uuid.UUID {
	t.Helper()
	id, err := uuid.NewV7()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (f fixture) append(t testing.TB, job uuid.UUID, step uint32, offset uint64, data string, wantEnd uint64) {
	t.Helper()
	end, err := f.logs.Append(context.Background(), job, step, offset, []byte(data))
	if err != nil {
		t.Fatalf("append step %d offset %d: %v", step, offset, err)
	}
	if end != wantEnd {
		t.Fatalf("append step %d offset %d %q: end %d, want %d", step, offset, data, end, wantEnd)
	}
}

func (f fixture) raw(t testing.TB, job uuid.UUID) string {
	t.Helper()
	var b bytes.Buffer
	if err := f.logs.WriteRaw(context.Background(), job, &b); err != nil {
		t.Fatalf("write raw: %v", err)
	}
	return b.String()
}

func (f fixture) chunkCount(t testing.TB, job uuid.UUID) int {
	t.Helper()
	var n int
	if err := f.db.Pool.QueryRow(context.Background(), "SELECT count(*) FROM job_log_chunks WHERE job_id = $1", job).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (f fixture) object(t testing.TB, job uuid.UUID, step uint32) (string, error) {
	t.Helper()
	r, err := f.objects.Get(context.Background(), joblog.ObjectKey(job, step))
	if err != nil {
		return "", err
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	return string(b), err
}

func wantKind(t testing.TB, what string, err error, want apperr.Kind) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Kind != want {
		t.Fatalf("%s: error %v, want apperr kind %d", what, err, want)
	}
}

// collector records what Follow sends and checks, as it goes, that each
// step's bytes arrive in order, each once, and steps in ascending order.
type collector struct {
	mu       sync.Mutex
	steps    map[uint32][]byte
	base     map[uint32]uint64 // offset of the first byte expected per step
	lastStep uint32
	problems []string
}

func newCollector() *collector { return newCollectorAt(0, 0) }

// newCollectorAt expects a Follow from (step, offset).
func newCollectorAt(step uint32, offset uint64) *collector {
	return &collector{steps: map[uint32][]byte{}, base: map[uint32]uint64{step: offset}, lastStep: step}
}

func (c *collector) send(step uint32, offset uint64, data []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if have := c.base[step] + uint64(len(c.steps[step])); offset != have {
		c.problems = append(c.problems, fmt.Sprintf("step %d: piece at %d, expected %d", step, offset, have))
	}
	if step < c.lastStep {
		c.problems = append(c.problems, fmt.Sprintf("step %d after step %d", step, c.lastStep))
	}
	if len(data) == 0 {
		c.problems = append(c.problems, fmt.Sprintf("step %d: empty piece", step))
	}
	c.lastStep = max(c.lastStep, step)
	c.steps[step] = append(c.steps[step], data...)
	return nil
}

func (c *collector) step(s uint32) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return string(c.steps[s])
}

func (c *collector) check(t testing.TB, want map[uint32]string) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.problems {
		t.Error(p)
	}
	for s, got := range c.steps {
		if _, ok := want[s]; !ok {
			t.Errorf("step %d was sent (%d bytes), not expected", s, len(got))
		}
	}
	for s, w := range want {
		if got := string(c.steps[s]); got != w {
			t.Errorf("step %d: got %d bytes %.60q, want %d bytes %.60q", s, len(got), got, len(w), w)
		}
	}
}

// waitFor polls cond until it holds or waitLimit passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// follow runs Follow in a goroutine; the returned channel yields its error.
func (f fixture) follow(ctx context.Context, job uuid.UUID, step uint32, offset uint64, c *collector) <-chan error {
	done := make(chan error, 1)
	go func() { done <- f.logs.Follow(ctx, job, step, offset, c.send) }()
	return done
}

func waitDone(t testing.TB, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(waitLimit):
		t.Fatal("Follow did not return")
		return nil
	}
}

// failingPubSub is Redis being down.
type failingPubSub struct{}

var errRedisDown = errors.New("redis is down")

func (failingPubSub) Publish(context.Context, string, []byte) error { return errRedisDown }
func (failingPubSub) Subscribe(context.Context, string) (<-chan []byte, error) {
	return nil, errRedisDown
}

// lossyPubSub drops the messages drop selects (by sequence number, from 0).
type lossyPubSub struct {
	joblog.PubSub
	mu   sync.Mutex
	n    int
	drop func(n int, msg []byte) bool
}

func (p *lossyPubSub) Publish(ctx context.Context, channel string, msg []byte) error {
	p.mu.Lock()
	n := p.n
	p.n++
	p.mu.Unlock()
	if p.drop(n, msg) {
		return nil
	}
	return p.PubSub.Publish(ctx, channel, msg)
}

// crashingObjects stores objects, then reports failure for the step keys
// crash selects: the process "crashed" after the upload, before the
// database learned of it.
type crashingObjects struct {
	joblog.Objects
	crash func(key string) bool
}

func (o crashingObjects) Put(ctx context.Context, key string, r io.Reader, size int64, ct string) error {
	if err := o.Objects.Put(ctx, key, r, size, ct); err != nil {
		return err
	}
	if o.crash(key) {
		return errors.New("crashed after the upload")
	}
	return nil
}
