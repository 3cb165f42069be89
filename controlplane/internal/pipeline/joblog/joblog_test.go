package joblog_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/objectstore"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline/joblog"
)

func TestAppendKeepsOnlyContiguousBytes(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	job := newJob(t)

	f.append(t, job, 0, 0, "hello ", 6)
	f.append(t, job, 0, 0, "hello ", 6)                // duplicate
	f.append(t, job, 0, 2, "llo", 6)                   // duplicate inside
	f.append(t, job, 0, 3, "lo world", 11)             // overlap: "world" is new
	f.append(t, job, 0, 20, "far ahead", 11)           // gap: nothing stored
	f.append(t, job, 0, 11, "", 11)                    // nothing to store
	f.append(t, job, 2, 0, "\x1b[31mred\x1b[0m\n", 13) // step 1 has none; ANSI kept
	f.append(t, job, 2, 5, "", 13)

	if got := f.raw(t, job); got != "hello world\x1b[31mred\x1b[0m\n" {
		t.Fatalf("raw log %q", got)
	}
	lengths, err := f.logs.Lengths(ctx, job)
	if err != nil || len(lengths) != 3 || lengths[0] != 11 || lengths[1] != 0 || lengths[2] != 13 {
		t.Fatalf("lengths %v %v", lengths, err)
	}
	if n := f.chunkCount(t, job); n != 3 {
		t.Fatalf("%d chunk rows, want 3 (duplicates and gaps store nothing)", n)
	}

	// Bad input: a clear error, nothing stored.
	_, err = f.logs.Append(ctx, job, 0, 11, make([]byte, joblog.MaxChunkBytes+1))
	wantKind(t, "oversized chunk", err, apperr.KindInvalid)
	_, err = f.logs.Append(ctx, job, joblog.MaxStep+1, 0, []byte("x"))
	wantKind(t, "step out of range", err, apperr.KindInvalid)
	_, err = f.logs.Append(ctx, job, 0, math.MaxInt64, []byte("x"))
	wantKind(t, "offset out of range", err, apperr.KindInvalid)
	if end, err := f.logs.Append(ctx, job, 0, 11, make([]byte, joblog.MaxChunkBytes)); err != nil || end != 11+joblog.MaxChunkBytes {
		t.Fatalf("a chunk of exactly the limit: %d %v", end, err)
	}

	// A job without output.
	other := newJob(t)
	if lengths, err := f.logs.Lengths(ctx, other); err != nil || len(lengths) != 0 {
		t.Fatalf("lengths of a job without log: %v %v", lengths, err)
	}
	if end, err := f.logs.Append(ctx, other, 4, 0, nil); err != nil || end != 0 {
		t.Fatalf("empty append to a new log: %d %v", end, err)
	}
	if got := f.raw(t, other); got != "" {
		t.Fatalf("raw log of a job without output: %q", got)
	}
}

func TestConcurrentAppendsOfTheSameChunkStoreItOnce(t *testing.T) {
	f := newFixture(t)
	job := newJob(t)
	var want strings.Builder
	var offset uint64
	for i := range 50 {
		chunk := []byte(strings.Repeat(string(rune('a'+i%26)), 1+i*37%500))
		var wg sync.WaitGroup
		ends := make([]uint64, 2)
		errs := make([]error, 2)
		for g := range 2 {
			wg.Go(func() { ends[g], errs[g] = f.logs.Append(t.Context(), job, 1, offset, chunk) })
		}
		wg.Wait()
		offset += uint64(len(chunk))
		want.Write(chunk)
		for g := range 2 {
			if errs[g] != nil || ends[g] != offset {
				t.Fatalf("round %d goroutine %d: end %d err %v, want end %d", i, g, ends[g], errs[g], offset)
			}
		}
	}
	if got := f.raw(t, job); got != want.String() {
		t.Fatalf("raw log differs: %d bytes, want %d", len(got), want.Len())
	}
	if n := f.chunkCount(t, job); n != 50 {
		t.Fatalf("%d chunk rows, want 50", n)
	}
}

func TestFinishMovesTheLogToS3(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	job := newJob(t)
	big := strings.Repeat("0123456789abcdef", 300_000) // 4.8 MB: several chunks and pages
	for off := 0; off < len(big); off += 64 << 10 {
		end := min(off+64<<10, len(big))
		f.append(t, job, 0, uint64(off), big[off:end], uint64(end))
	}
	f.append(t, job, 1, 0, "\x1b[1;32mok\x1b[0m\r\n", 15)
	f.append(t, job, 3, 0, "tail", 4)
	before := f.raw(t, job)
	if before != big+"\x1b[1;32mok\x1b[0m\r\ntail" {
		t.Fatalf("raw before finish: %d bytes", len(before))
	}

	if err := f.logs.Finish(ctx, job); err != nil {
		t.Fatal(err)
	}
	if n := f.chunkCount(t, job); n != 0 {
		t.Fatalf("%d chunk rows left after Finish", n)
	}
	if got, err := f.object(t, job, 0); err != nil || got != big {
		t.Fatalf("step 0 object: %d bytes, %v", len(got), err)
	}
	if got, err := f.object(t, job, 1); err != nil || got != "\x1b[1;32mok\x1b[0m\r\n" {
		t.Fatalf("step 1 object: %q %v", got, err)
	}
	if _, err := f.object(t, job, 2); !errors.Is(err, objectstore.ErrNotFound) {
		t.Fatalf("step 2 has no output and no object: %v", err)
	}
	if after := f.raw(t, job); after != before {
		t.Fatalf("raw after finish differs: %d bytes, want %d", len(after), len(before))
	}
	lengths, err := f.logs.Lengths(ctx, job)
	if err != nil || len(lengths) != 4 || lengths[0] != uint64(len(big)) || lengths[1] != 15 || lengths[2] != 0 || lengths[3] != 4 {
		t.Fatalf("lengths after finish %v %v", lengths, err)
	}

	if err := f.logs.Finish(ctx, job); err != nil {
		t.Fatalf("second Finish: %v", err)
	}
	if after := f.raw(t, job); after != before {
		t.Fatal("raw after a second Finish differs")
	}
	for _, off := range []uint64{0, 4} { // a duplicate and new bytes alike
		_, err = f.logs.Append(ctx, job, 3, off, []byte("more"))
		wantKind(t, "append after finish", err, apperr.KindFailedPrecondition)
	}
	_, err = f.logs.Append(ctx, job, 7, 0, []byte("new step"))
	wantKind(t, "append of a new step after finish", err, apperr.KindFailedPrecondition)

	// A job that never logged anything finishes empty.
	empty := newJob(t)
	if err := f.logs.Finish(ctx, empty); err != nil {
		t.Fatal(err)
	}
	if got := f.raw(t, empty); got != "" {
		t.Fatalf("raw of an empty finished log: %q", got)
	}
	_, err = f.logs.Append(ctx, empty, 0, 0, []byte("late"))
	wantKind(t, "append after finishing an empty log", err, apperr.KindFailedPrecondition)
}

func TestFinishAfterACrashBetweenUploadAndCommit(t *testing.T) {
	crashing := true
	var mu sync.Mutex
	f := newFixture(t, func(d *joblog.Deps) {
		d.Objects = crashingObjects{Objects: d.Objects, crash: func(key string) bool {
			mu.Lock()
			defer mu.Unlock()
			return crashing && strings.HasSuffix(key, "/1.log")
		}}
	})
	ctx := t.Context()
	job := newJob(t)
	f.append(t, job, 0, 0, "checkout\n", 9)
	f.append(t, job, 1, 0, "build\n", 6)
	before := f.raw(t, job)

	if err := f.logs.Finish(ctx, job); err == nil {
		t.Fatal("Finish reported success although an upload failed")
	}
	// Sealed, still readable from the chunks, refusing output.
	if n := f.chunkCount(t, job); n != 2 {
		t.Fatalf("%d chunk rows after a failed Finish, want 2", n)
	}
	if got := f.raw(t, job); got != before {
		t.Fatalf("raw after a failed Finish: %q", got)
	}
	_, err := f.logs.Append(ctx, job, 1, 6, []byte("more"))
	wantKind(t, "append after a failed Finish", err, apperr.KindFailedPrecondition)

	mu.Lock()
	crashing = false
	mu.Unlock()
	if err := f.logs.Finish(ctx, job); err != nil {
		t.Fatalf("Finish again: %v", err)
	}
	if n := f.chunkCount(t, job); n != 0 {
		t.Fatalf("%d chunk rows after Finish", n)
	}
	if got := f.raw(t, job); got != before {
		t.Fatalf("raw after the second Finish: %q", got)
	}
}

// TestConcurrentFinishes runs Finish on "three replicas" at once, with a
// step large enough for a multipart upload: the losers' uploads fail when
// the winner deletes the chunks, and they return nil all the same.
func TestConcurrentFinishes(t *testing.T) {
	f := newFixture(t)
	job := newJob(t)
	const chunk = joblog.MaxChunkBytes
	data := strings.Repeat("concurrent finish\n", (17<<20)/18) // > 16 MiB: multipart
	data = data[:len(data)/chunk*chunk]
	for off := 0; off < len(data); off += chunk {
		f.append(t, job, 0, uint64(off), data[off:off+chunk], uint64(off+chunk))
	}
	f.append(t, job, 1, 0, "small", 5)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() { errs[i] = f.logs.Finish(t.Context(), job) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Finish %d: %v", i, err)
		}
	}
	if got, err := f.object(t, job, 0); err != nil || got != data {
		t.Fatalf("object: %d bytes, want %d, %v", len(got), len(data), err)
	}
	if got := f.raw(t, job); got != data+"small" {
		t.Fatalf("raw: %d bytes", len(got))
	}
}

func TestFollowFromPositions(t *testing.T) {
	f := newFixture(t)
	job := newJob(t)
	f.append(t, job, 0, 0, "clone\n", 6)
	f.append(t, job, 1, 0, "step one\n", 9)
	f.append(t, job, 2, 0, "\x1b[33mwarn\x1b[0m", 13)

	cases := []struct {
		name   string
		step   uint32
		offset uint64
		want   map[uint32]string
	}{
		{"from the start", 0, 0, map[uint32]string{0: "clone\n", 1: "step one\n", 2: "\x1b[33mwarn\x1b[0m + live", 3: "next"}},
		{"mid-offset", 1, 5, map[uint32]string{1: "one\n", 2: "\x1b[33mwarn\x1b[0m + live", 3: "next"}},
		{"a later step", 2, 0, map[uint32]string{2: "\x1b[33mwarn\x1b[0m + live", 3: "next"}},
		{"past the stored end", 2, 13, map[uint32]string{2: " + live", 3: "next"}},
		{"a step not started yet", 3, 0, map[uint32]string{3: "next"}},
	}
	cols := make([]*collector, len(cases))
	dones := make([]<-chan error, len(cases))
	for i, c := range cases {
		cols[i] = newCollectorAt(c.step, c.offset)
		dones[i] = f.follow(t.Context(), job, c.step, c.offset, cols[i])
	}
	// Everything stored so far reaches each follower before more comes.
	for i, c := range cases {
		if c.step <= 2 {
			want := c.want[2][:len(c.want[2])-len(" + live")]
			waitFor(t, c.name+" catching up", func() bool { return cols[i].step(2) == want })
		}
	}
	f.append(t, job, 2, 13, " + live", 20)
	f.append(t, job, 3, 0, "next", 4)
	if err := f.logs.Finish(t.Context(), job); err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		if err := waitDone(t, dones[i]); err != nil {
			t.Fatalf("%s: Follow: %v", c.name, err)
		}
		t.Run(c.name, func(t *testing.T) { cols[i].check(t, c.want) })
	}
}

func TestFollowOfAFinishedLog(t *testing.T) {
	f := newFixture(t)
	job := newJob(t)
	f.append(t, job, 0, 0, "abc", 3)
	f.append(t, job, 1, 0, "\x1b[0mdef", 7)
	if err := f.logs.Finish(t.Context(), job); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		step   uint32
		offset uint64
		want   map[uint32]string
	}{
		{0, 0, map[uint32]string{0: "abc", 1: "\x1b[0mdef"}},
		{0, 2, map[uint32]string{0: "c", 1: "\x1b[0mdef"}},
		{1, 4, map[uint32]string{1: "def"}},
		{1, 7, map[uint32]string{}},
		{5, 0, map[uint32]string{}},
	} {
		col := newCollectorAt(c.step, c.offset)
		ctx, cancel := context.WithTimeout(t.Context(), waitLimit)
		err := f.logs.Follow(ctx, job, c.step, c.offset, col.send)
		cancel()
		if err != nil {
			t.Fatalf("follow (%d, %d): %v", c.step, c.offset, err)
		}
		col.check(t, c.want)
	}
	// An empty finished log ends at once too.
	empty := newJob(t)
	if err := f.logs.Finish(t.Context(), empty); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), waitLimit)
	defer cancel()
	if err := f.logs.Follow(ctx, empty, 0, 0, newCollector().send); err != nil {
		t.Fatal(err)
	}
}

// writeRandomly appends steps of want in random chunk sizes, sometimes
// resending a stretch already sent (as an agent does after a reconnect),
// and signals started once a quarter is written.
func writeRandomly(f fixture, job uuid.UUID, want []string, started chan<- struct{}) error {
	rng := rand.New(rand.NewPCG(1, 2))
	total := 0
	for _, s := range want {
		total += len(s)
	}
	written := 0
	signalled := false
	for step, data := range want {
		off := 0
		for off < len(data) {
			n := min(1+rng.IntN(128<<10), len(data)-off)
			from := off
			if rng.IntN(5) == 0 {
				from = max(0, off-rng.IntN(8<<10)) // overlap
			}
			end, err := f.logs.Append(context.Background(), job, uint32(step), uint64(from), []byte(data[from:off+n]))
			if err != nil {
				return err
			}
			if end != uint64(off+n) {
				return errors.New("unexpected end")
			}
			written += n
			off += n
			if !signalled && written >= total/4 {
				close(started)
				signalled = true
			}
		}
	}
	return nil
}

func TestFollowerStartedMidStreamGetsEveryByteOnce(t *testing.T) {
	f := newFixture(t)
	job := newJob(t)
	rng := rand.New(rand.NewPCG(3, 4))
	want := make([]string, 3)
	sizes := []int{256 << 10, 4 << 20, 1 << 20} // 5.25 MB in all
	for i, n := range sizes {
		b := make([]byte, n)
		for j := range b {
			b[j] = byte(rng.IntN(256)) // every byte value, ANSI escapes and NULs included
		}
		want[i] = string(b)
	}
	started := make(chan struct{})
	writeErr := make(chan error, 1)
	go func() { writeErr <- writeRandomly(f, job, want, started) }()
	<-started
	cols := []*collector{newCollector(), newCollectorAt(1, 1000)}
	dones := []<-chan error{
		f.follow(t.Context(), job, 0, 0, cols[0]),
		f.follow(t.Context(), job, 1, 1000, cols[1]),
	}
	if err := <-writeErr; err != nil {
		t.Fatalf("writer: %v", err)
	}
	if err := f.logs.Finish(t.Context(), job); err != nil {
		t.Fatal(err)
	}
	for i, done := range dones {
		if err := waitDone(t, done); err != nil {
			t.Fatalf("follower %d: %v", i, err)
		}
	}
	cols[0].check(t, map[uint32]string{0: want[0], 1: want[1], 2: want[2]})
	cols[1].check(t, map[uint32]string{1: want[1][1000:], 2: want[2]})
}

func TestFollowSurvivesLostMessages(t *testing.T) {
	f := newFixture(t, func(d *joblog.Deps) {
		// Every third piece and every end marker lost.
		d.PubSub = &lossyPubSub{PubSub: d.PubSub, drop: func(n int, msg []byte) bool { return n%3 == 1 || msg[0] == 2 }}
		d.ResyncInterval = 50 * time.Millisecond
	})
	job := newJob(t)
	col := newCollector()
	done := f.follow(t.Context(), job, 0, 0, col)
	want := map[uint32]string{}
	for i := range 30 {
		step := uint32(i / 10)
		line := strings.Repeat(string(rune('A'+i%26)), 10+i) + "\n"
		off := uint64(len(want[step]))
		f.append(t, job, step, off, line, off+uint64(len(line)))
		want[step] += line
	}
	if err := f.logs.Finish(t.Context(), job); err != nil {
		t.Fatal(err)
	}
	if err := waitDone(t, done); err != nil {
		t.Fatal(err)
	}
	col.check(t, want)
}

func TestFollowWithoutRedisPolls(t *testing.T) {
	f := newFixture(t, func(d *joblog.Deps) {
		d.PubSub = failingPubSub{}
		d.PollInterval = 20 * time.Millisecond
	})
	job := newJob(t)
	f.append(t, job, 0, 0, "before\n", 7) // publish fails: stored anyway
	col := newCollector()
	done := f.follow(t.Context(), job, 0, 0, col)
	waitFor(t, "stored bytes", func() bool { return col.step(0) == "before\n" })
	f.append(t, job, 0, 7, "after\n", 13)
	waitFor(t, "polled bytes", func() bool { return col.step(0) == "before\nafter\n" })
	if err := f.logs.Finish(t.Context(), job); err != nil {
		t.Fatal(err)
	}
	if err := waitDone(t, done); err != nil {
		t.Fatal(err)
	}
	col.check(t, map[uint32]string{0: "before\nafter\n"})
}

func TestFollowStopsWithItsContextAndSendErrors(t *testing.T) {
	f := newFixture(t)
	job := newJob(t)
	f.append(t, job, 0, 0, "x", 1)
	ctx, cancel := context.WithCancel(t.Context())
	col := newCollector()
	done := f.follow(ctx, job, 0, 0, col)
	waitFor(t, "first byte", func() bool { return col.step(0) == "x" })
	cancel()
	if err := waitDone(t, done); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Follow returned %v", err)
	}

	boom := errors.New("client went away")
	err := f.logs.Follow(t.Context(), job, 0, 0, func(uint32, uint64, []byte) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("Follow with a failing send returned %v", err)
	}
}
