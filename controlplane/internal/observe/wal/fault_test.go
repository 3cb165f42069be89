package wal

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// faultFile wraps a segment's real file: it can fail writes or syncs, or
// hold a sync until released, the way a failing or slow disk would.
type faultFile struct {
	segmentFile
	failWrite, failSync, panicWrite atomic.Bool
	syncs                           atomic.Int32 // Sync calls, failed ones included

	gate    chan struct{} // when non-nil, Sync waits for it to close
	entered chan struct{} // a Sync call is waiting at gate
}

var errDisk = errors.New("injected disk failure")

func (f *faultFile) Write(p []byte) (int, error) {
	if f.panicWrite.Load() {
		panic("injected committer bug")
	}
	if f.failWrite.Load() {
		// A short write: half the bytes reached the file.
		n, _ := f.segmentFile.Write(p[:len(p)/2])
		return n, errDisk
	}
	return f.segmentFile.Write(p)
}

func (f *faultFile) Sync() error {
	f.syncs.Add(1)
	if f.gate != nil {
		f.entered <- struct{}{}
		<-f.gate
	}
	if f.failSync.Load() {
		return errDisk
	}
	return f.segmentFile.Sync()
}

// openFaulty opens a WAL whose segments are all wrapped in faultFiles;
// files() returns them, oldest first.
func openFaulty(t *testing.T, opts Options, setup func(*faultFile)) (w *WAL, files func() []*faultFile) {
	t.Helper()
	var mu sync.Mutex
	var all []*faultFile
	opts.wrapFile = func(inner segmentFile) segmentFile {
		f := &faultFile{segmentFile: inner}
		if setup != nil {
			setup(f)
		}
		mu.Lock()
		defer mu.Unlock()
		all = append(all, f)
		return f
	}
	w, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	return w, func() []*faultFile {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(all)
	}
}

// payloadsIn reopens dir without faults and returns every payload in it.
func payloadsIn(t *testing.T, dir string) []string {
	t.Helper()
	w, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var got []string
	for _, id := range w.Sealed() {
		if err := w.Replay(id, func(_ Position, p []byte) error { got = append(got, string(p)); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	return got
}

// waitFor waits until cond holds, yielding the processor in between; the
// goroutines it waits for run meanwhile.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		runtime.Gosched()
	}
}

// TestPoisoned: after a failed write or fsync, every later Append and
// Rotate fails, even once the disk "recovers", and the failed file is
// never fsync'd again; what was acknowledged before survives a reopen,
// and what failed after the poisoning is not there.
func TestPoisoned(t *testing.T) {
	tests := []struct {
		name   string
		inject func(*faultFile)
		heal   func(*faultFile)
	}{
		{"failed fsync", func(f *faultFile) { f.failSync.Store(true) }, func(f *faultFile) { f.failSync.Store(false) }},
		{"failed write", func(f *faultFile) { f.failWrite.Store(true) }, func(f *faultFile) { f.failWrite.Store(false) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			w, files := openFaulty(t, Options{Dir: dir}, nil)
			ctx := context.Background()
			if _, err := w.Append(ctx, []byte("acked")); err != nil {
				t.Fatal(err)
			}
			f := files()[0]
			tc.inject(f)
			if _, err := w.Append(ctx, []byte("failed")); !errors.Is(err, ErrPoisoned) || !errors.Is(err, errDisk) {
				t.Fatalf("Append during the failure: %v, want ErrPoisoned wrapping the disk error", err)
			}
			tc.heal(f)
			syncs := f.syncs.Load()
			if _, err := w.Append(ctx, []byte("after")); !errors.Is(err, ErrPoisoned) {
				t.Fatalf("Append after the failure: %v, want ErrPoisoned", err)
			}
			if _, _, err := w.Rotate(); !errors.Is(err, ErrPoisoned) {
				t.Fatalf("Rotate after the failure: %v, want ErrPoisoned", err)
			}
			if n := f.syncs.Load(); n != syncs {
				t.Fatalf("the failed file was fsync'd again (%d → %d)", syncs, n)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			got := payloadsIn(t, dir)
			if len(got) == 0 || got[0] != "acked" || slices.Contains(got, "after") {
				t.Fatalf("after reopen: %q; want the acknowledged entry first and never the one refused", got)
			}
		})
	}
}

// TestCommitterPanicPoisons: a panic in the committer fails the appends
// waiting on it instead of leaving them blocked forever, and poisons the
// WAL; Close still returns and no goroutine is left (goleak).
func TestCommitterPanicPoisons(t *testing.T) {
	w, files := openFaulty(t, Options{Dir: t.TempDir()}, nil)
	files()[0].panicWrite.Store(true)
	if _, err := w.Append(context.Background(), []byte("x")); !errors.Is(err, ErrPoisoned) {
		t.Fatalf("Append when the committer panics: %v, want ErrPoisoned", err)
	}
	if _, err := w.Append(context.Background(), []byte("y")); !errors.Is(err, ErrPoisoned) {
		t.Fatalf("Append after the panic: %v, want ErrPoisoned", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// gated makes every segment's Sync wait at a gate the test opens.
func gated(gate chan struct{}, entered chan struct{}) func(*faultFile) {
	return func(f *faultFile) { f.gate, f.entered = gate, entered }
}

// TestAppendCancelWhileWaiting: an Append whose context ends while its
// entry waits for the committer returns ctx.Err() at once, without
// waiting for the disk, and its entry is still made durable (as
// documented); an Append whose context has already ended queues nothing.
func TestAppendCancelWhileWaiting(t *testing.T) {
	dir := t.TempDir()
	gate, entered := make(chan struct{}), make(chan struct{})
	w, _ := openFaulty(t, Options{Dir: dir}, gated(gate, entered))

	first := make(chan error, 1)
	go func() {
		_, err := w.Append(context.Background(), []byte("first"))
		first <- err
	}()
	<-entered // the committer is inside first's fdatasync

	ctx, cancel := context.WithCancel(context.Background())
	second := make(chan error, 1)
	go func() {
		_, err := w.Append(ctx, []byte("second"))
		second <- err
	}()
	waitFor(t, "second is queued", func() bool { return w.Stats().QueuedEntries == 1 })
	cancel()
	if err := <-second; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Append returned %v, want context.Canceled", err)
	}
	select {
	case err := <-first:
		t.Fatalf("first returned (%v) while its fsync was held", err)
	default:
	}

	if _, err := w.Append(ctx, []byte("never")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Append with a cancelled context returned %v", err)
	}
	if q := w.Stats().QueuedEntries; q != 1 {
		t.Fatalf("%d entries queued; an Append with a dead context queued its entry", q)
	}

	close(gate)
	go func() {
		for range entered { // later syncs pass the open gate
		}
	}()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	close(entered)
	if got := payloadsIn(t, dir); !slices.Equal(got, []string{"first", "second"}) {
		t.Fatalf("log holds %q, want first and the cancelled-but-queued second", got)
	}
}

// TestAppendWaitsForQueueSpace: past MaxPendingBytes an Append waits
// instead of queueing, gives up with its context without having queued
// anything, and proceeds once the committer takes the queue.
func TestAppendWaitsForQueueSpace(t *testing.T) {
	dir := t.TempDir()
	gate, entered := make(chan struct{}), make(chan struct{})
	w, _ := openFaulty(t, Options{Dir: dir, MaxPendingBytes: 100}, gated(gate, entered))
	ctx := context.Background()
	results := make(chan error, 3)
	appendAsync := func(ctx context.Context, p string) {
		go func() {
			_, err := w.Append(ctx, []byte(p))
			results <- err
		}()
	}

	appendAsync(ctx, "a-"+string(make([]byte, 48)))
	<-entered // a is being synced; the queue is empty again
	appendAsync(ctx, "b-"+string(make([]byte, 58)))
	waitFor(t, "b is queued", func() bool { return w.Stats().QueuedEntries == 1 })

	cctx, cancel := context.WithCancel(ctx)
	appendAsync(cctx, "c-"+string(make([]byte, 58))) // 66+66 > 100: must wait
	waitFor(t, "c waits for space", func() bool { return w.Stats().Blocked == 1 })
	cancel()
	if err := <-results; !errors.Is(err, context.Canceled) {
		t.Fatalf("blocked Append returned %v, want context.Canceled", err)
	}
	if st := w.Stats(); st.Blocked != 0 || st.QueuedEntries != 1 {
		t.Fatalf("Stats = %+v after the blocked Append gave up", st)
	}

	appendAsync(ctx, "d-"+string(make([]byte, 58)))
	waitFor(t, "d waits for space", func() bool { return w.Stats().Blocked == 1 })
	close(gate)
	go func() {
		for range entered {
		}
	}()
	for range 3 { // a, b and d
		if err := <-results; err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	close(entered)
	got := payloadsIn(t, dir)
	var prefixes []string
	for _, p := range got {
		prefixes = append(prefixes, p[:1])
	}
	if !slices.Equal(prefixes, []string{"a", "b", "d"}) {
		t.Fatalf("log holds %q, want a, b, d (c gave up before it was queued)", prefixes)
	}
}
