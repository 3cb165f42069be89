package supervisor

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/hearth-dev/hearth/shared/backoff"
	"github.com/hearth-dev/hearth/shared/logfield"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// tiny keeps restart delays short in tests.
var tiny = backoff.Policy{Min: time.Millisecond, Max: 2 * time.Millisecond}

const waitLimit = 10 * time.Second

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b.buf.Bytes()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

type fixture struct {
	sup  *Supervisor
	reg  *prometheus.Registry
	logs *syncBuffer
}

func newFixture(t *testing.T, deps Deps) fixture {
	t.Helper()
	f := fixture{reg: prometheus.NewRegistry(), logs: &syncBuffer{}}
	deps.Logger = zerolog.New(f.logs)
	deps.Registerer = f.reg
	if deps.Backoff == (backoff.Policy{}) {
		deps.Backoff = tiny
	}
	sup, err := New(deps)
	if err != nil {
		t.Fatal(err)
	}
	f.sup = sup
	return f
}

// start runs the workers in the background. done delivers Run's result
// when it returns on its own; stop cancels the context and waits for Run.
func (f fixture) start(t *testing.T, workers ...Worker) (done <-chan error, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	result := make(chan error, 1)
	returned := make(chan struct{})
	go func() {
		result <- f.sup.Run(ctx, workers...)
		close(returned)
	}()
	stop = func() {
		cancel()
		select {
		case <-returned:
		case <-time.After(waitLimit):
			t.Fatal("Run did not return after cancellation")
		}
		select {
		case err := <-result:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		default: // already received through done
		}
	}
	t.Cleanup(stop)
	return result, stop
}

func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitLimit):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

func TestPanickingWorkerIsRestarted(t *testing.T) {
	f := newFixture(t, Deps{})
	var calls atomic.Int32
	steady := make(chan struct{})
	_, stop := f.start(t, Worker{Name: "flaky", Run: func(ctx context.Context) error {
		if calls.Add(1) <= 2 {
			panic("boom")
		}
		close(steady)
		<-ctx.Done()
		return ctx.Err()
	}})

	receive(t, steady, "the third run")
	if got := testutil.ToFloat64(f.sup.panics.WithLabelValues("flaky")); got != 2 {
		t.Errorf("hearth_worker_panics_total = %v, want 2", got)
	}
	if got := testutil.ToFloat64(f.sup.restarts.WithLabelValues("flaky")); got != 2 {
		t.Errorf("hearth_worker_restarts_total = %v, want 2", got)
	}
	if got := testutil.ToFloat64(f.sup.running.WithLabelValues("flaky")); got != 1 {
		t.Errorf("hearth_worker_running = %v, want 1", got)
	}

	stop()
	if got := testutil.ToFloat64(f.sup.running.WithLabelValues("flaky")); got != 0 {
		t.Errorf("hearth_worker_running after stop = %v, want 0", got)
	}
	var panicLogs int
	for _, l := range f.logs.lines(t) {
		if l["message"] == "worker panicked" {
			panicLogs++
			if l[logfield.PanicValue] != "boom" || l[logfield.Worker] != "flaky" || l[logfield.Stack] == "" {
				t.Errorf("panic log line lacks fields: %v", l)
			}
		}
	}
	if panicLogs != 2 {
		t.Errorf("logged %d panics, want 2", panicLogs)
	}
}

func TestErroringWorkerIsRestartedUntilItFinishes(t *testing.T) {
	f := newFixture(t, Deps{})
	var calls atomic.Int32
	done, _ := f.start(t, Worker{Name: "erring", Run: func(context.Context) error {
		if calls.Add(1) <= 3 {
			return errors.New("transient")
		}
		return nil
	}})

	// The worker finishes on its own (nil return), so Run returns without
	// cancellation.
	if err := receive(t, done, "Run to return after the worker finished"); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := calls.Load(); got != 4 {
		t.Errorf("worker ran %d times, want 4", got)
	}
	if got := testutil.ToFloat64(f.sup.restarts.WithLabelValues("erring")); got != 3 {
		t.Errorf("hearth_worker_restarts_total = %v, want 3", got)
	}
	if got := testutil.ToFloat64(f.sup.panics.WithLabelValues("erring")); got != 0 {
		t.Errorf("hearth_worker_panics_total = %v, want 0", got)
	}
}

func TestFinishedWorkerIsNotRestarted(t *testing.T) {
	f := newFixture(t, Deps{})
	var calls atomic.Int32
	block := make(chan struct{})
	blocked := make(chan struct{})
	done, stop := f.start(t,
		Worker{Name: "once", Run: func(context.Context) error { calls.Add(1); return nil }},
		Worker{Name: "blocker", Run: func(ctx context.Context) error {
			close(blocked)
			select {
			case <-block:
			case <-ctx.Done():
			}
			return nil
		}},
	)
	receive(t, blocked, "the blocking worker")
	// Run is still waiting for "blocker"; "once" must have run exactly once.
	select {
	case err := <-done:
		t.Fatalf("Run returned early: %v", err)
	default:
	}
	close(block)
	if err := receive(t, done, "Run to return"); err != nil {
		t.Fatalf("Run: %v", err)
	}
	stop()
	if got := calls.Load(); got != 1 {
		t.Errorf("worker ran %d times, want 1", got)
	}
}

func TestCancellationStopsEveryWorker(t *testing.T) {
	// A long backoff: the failing worker is waiting to restart when Run is
	// cancelled, which must not delay shutdown.
	f := newFixture(t, Deps{Backoff: backoff.Policy{Min: time.Hour, Max: time.Hour}})
	var started sync.WaitGroup
	started.Add(3)
	var stopped atomic.Int32
	blocking := func(ctx context.Context) error {
		started.Done()
		<-ctx.Done()
		stopped.Add(1)
		return ctx.Err()
	}
	failed := make(chan struct{})
	_, stop := f.start(t,
		Worker{Name: "a", Run: blocking},
		Worker{Name: "b", Run: blocking},
		Worker{Name: "c", Run: blocking},
		Worker{Name: "failing", Run: func(context.Context) error {
			close(failed)
			return errors.New("down")
		}},
	)
	allStarted := make(chan struct{})
	go func() { started.Wait(); close(allStarted) }()
	receive(t, allStarted, "workers to start")
	receive(t, failed, "the failing worker")

	stop()
	if got := stopped.Load(); got != 3 {
		t.Errorf("%d workers saw cancellation before Run returned, want 3", got)
	}
	if got := testutil.ToFloat64(f.sup.restarts.WithLabelValues("failing")); got != 0 {
		t.Errorf("restarted a worker during shutdown: restarts = %v", got)
	}
}

func TestBackoffIsRespected(t *testing.T) {
	const delay = 20 * time.Millisecond
	f := newFixture(t, Deps{Backoff: backoff.Policy{Min: delay, Max: delay}})
	var (
		mu    sync.Mutex
		times []time.Time
	)
	done, _ := f.start(t, Worker{Name: "slow-restart", Run: func(context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		times = append(times, time.Now())
		if len(times) < 4 {
			return errors.New("again")
		}
		return nil
	}})
	if err := receive(t, done, "Run to return"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for i := 1; i < len(times); i++ {
		if gap := times[i].Sub(times[i-1]); gap < delay {
			t.Errorf("restart %d came %v after the failure, want at least %v", i, gap, delay)
		}
	}
}

// attempts returns the attempt numbers logged for restarts of a worker.
func attempts(t *testing.T, logs *syncBuffer) []float64 {
	t.Helper()
	var out []float64
	for _, l := range logs.lines(t) {
		if a, ok := l[logfield.Attempt].(float64); ok {
			out = append(out, a)
		}
	}
	return out
}

func TestAttemptCounterGrowsAndResetsAfterHealthyRun(t *testing.T) {
	failThrice := func(calls *atomic.Int32) func(context.Context) error {
		return func(context.Context) error {
			if calls.Add(1) <= 3 {
				return errors.New("again")
			}
			return nil
		}
	}

	t.Run("consecutive failures", func(t *testing.T) {
		f := newFixture(t, Deps{HealthyAfter: time.Hour})
		var calls atomic.Int32
		done, _ := f.start(t, Worker{Name: "w", Run: failThrice(&calls)})
		if err := receive(t, done, "Run to return"); err != nil {
			t.Fatal(err)
		}
		if got, want := attempts(t, f.logs), []float64{1, 2, 3}; !slices.Equal(got, want) {
			t.Errorf("logged attempts %v, want %v", got, want)
		}
	})

	t.Run("healthy runs reset the counter", func(t *testing.T) {
		f := newFixture(t, Deps{HealthyAfter: time.Nanosecond})
		var calls atomic.Int32
		done, _ := f.start(t, Worker{Name: "w", Run: failThrice(&calls)})
		if err := receive(t, done, "Run to return"); err != nil {
			t.Fatal(err)
		}
		if got, want := attempts(t, f.logs), []float64{1, 1, 1}; !slices.Equal(got, want) {
			t.Errorf("logged attempts %v, want %v", got, want)
		}
	})
}

func TestRunRejectsBadWorkers(t *testing.T) {
	f := newFixture(t, Deps{})
	noop := func(context.Context) error { return nil }
	for name, workers := range map[string][]Worker{
		"no name":   {{Run: noop}},
		"no run":    {{Name: "x"}},
		"duplicate": {{Name: "x", Run: noop}, {Name: "x", Run: noop}},
	} {
		if err := f.sup.Run(context.Background(), workers...); err == nil {
			t.Errorf("%s: Run accepted %v", name, workers)
		}
	}
	if err := f.sup.Run(context.Background()); err != nil {
		t.Errorf("Run with no workers: %v", err)
	}
}

func TestNewTwiceOnOneRegistryShares(t *testing.T) {
	reg := prometheus.NewRegistry()
	first, err := New(Deps{Logger: zerolog.Nop(), Registerer: reg, Backoff: tiny})
	if err != nil {
		t.Fatal(err)
	}
	second, err := New(Deps{Logger: zerolog.Nop(), Registerer: reg, Backoff: tiny})
	if err != nil {
		t.Fatalf("second New on the same registry: %v", err)
	}
	var calls atomic.Int32
	err = second.Run(context.Background(), Worker{Name: "p", Run: func(context.Context) error {
		if calls.Add(1) == 1 {
			panic("once")
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(first.panics.WithLabelValues("p")); got != 1 {
		t.Errorf("panic counted by the second supervisor not visible through the first: %v", got)
	}
	if n, err := testutil.GatherAndCount(reg, "hearth_worker_panics_total"); err != nil || n != 1 {
		t.Errorf("registry has %d panic series (err %v), want 1", n, err)
	}
}

func TestNilRegistererIsAllowed(t *testing.T) {
	sup, err := New(Deps{Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	if err := sup.Run(context.Background(), Worker{Name: "x", Run: func(context.Context) error { return nil }}); err != nil {
		t.Fatal(err)
	}
}
