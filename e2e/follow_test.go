package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hearth-dev/hearth/controlplane/servertest"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// followRetry is how often a broken FollowJobLog is opened again.
const followRetry = 100 * time.Millisecond

// liveFollower follows a job's log with FollowJobLog as the console does:
// whenever the stream breaks it opens another from where it got. It checks
// that every piece continues exactly where the step's previous one ended
// and that steps never go back.
type liveFollower struct {
	done chan struct{} // closed when the final state arrived or ctx ended

	mu         sync.Mutex
	data       map[uint32][]byte // per step, from offset 0
	step       uint32            // the highest step anything arrived for
	final      hearthv1.PipelineState
	reconnects int   // streams that broke before the final state
	lastErr    error // of the last broken stream
	problems   []string
	err        error // ctx's, if it ended first
}

// followLive starts following jobID through the proxy, so the same URL
// leads to whichever control plane serves now.
func (w *world) followLive(t testing.TB, jobID string) *liveFollower {
	t.Helper()
	f := &liveFollower{done: make(chan struct{}), data: map[uint32][]byte{}}
	client := hearthv1connect.NewPipelineServiceClient(http.DefaultClient, w.proxy.URL(), servertest.BearerOption(w.admin))
	ctx, cancel := context.WithCancel(context.Background())
	go f.run(ctx, client, jobID)
	t.Cleanup(func() {
		cancel()
		<-f.done
	})
	return f
}

func (f *liveFollower) run(ctx context.Context, client hearthv1connect.PipelineServiceClient, jobID string) {
	defer close(f.done)
	retry := time.NewTicker(followRetry)
	defer retry.Stop()
	for {
		f.mu.Lock()
		req := &hearthv1.FollowJobLogRequest{JobId: jobID, Step: f.step, Offset: uint64(len(f.data[f.step]))}
		f.mu.Unlock()
		stream, err := client.FollowJobLog(ctx, req)
		if err == nil {
			for stream.Receive() {
				if f.take(stream.Msg()) {
					_ = stream.Close()
					return
				}
			}
			err = stream.Err()
			_ = stream.Close()
		}
		if ctx.Err() != nil {
			f.mu.Lock()
			f.err = ctx.Err()
			f.mu.Unlock()
			return
		}
		f.mu.Lock()
		f.reconnects++
		f.lastErr = err
		f.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-retry.C:
		}
	}
}

// take records one message and reports whether it was the last.
func (f *liveFollower) take(m *hearthv1.FollowJobLogResponse) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s := m.GetFinalState(); s != hearthv1.PipelineState_PIPELINE_STATE_UNSPECIFIED {
		f.final = s
		return true
	}
	if len(m.GetData()) == 0 {
		return false // the empty piece opening each stream
	}
	step, have := m.GetStep(), uint64(len(f.data[m.GetStep()]))
	switch {
	case step < f.step:
		f.problems = append(f.problems, fmt.Sprintf("step %d after step %d", step, f.step))
	case m.GetOffset() != have:
		// Ahead: bytes lost; behind: bytes repeated.
		f.problems = append(f.problems, fmt.Sprintf("step %d: a piece at offset %d, %d bytes were received", step, m.GetOffset(), have))
	}
	f.data[step] = append(f.data[step], m.GetData()...)
	f.step = max(f.step, step)
	return false
}

// text is what arrived, steps in order.
func (f *liveFollower) text() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	steps := make([]uint32, 0, len(f.data))
	for s := range f.data {
		steps = append(steps, s)
	}
	slices.Sort(steps)
	var b bytes.Buffer
	for _, s := range steps {
		b.Write(f.data[s])
	}
	return b.Bytes()
}

func (f *liveFollower) has(line string) bool { return bytes.Contains(f.text(), []byte(line+"\n")) }

func (f *liveFollower) reconnected() (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reconnects, f.lastErr
}

// check waits for the final state and fails unless it is success, the
// pieces all continued each other, and what arrived is the stored log.
func (f *liveFollower) check(t *testing.T, stored []byte) {
	t.Helper()
	select {
	case <-f.done:
	case <-time.After(2 * time.Minute):
		t.Fatal("the live follower did not get the final state")
	}
	f.mu.Lock()
	final, problems, err := f.final, f.problems, f.err
	f.mu.Unlock()
	for _, p := range problems {
		t.Errorf("live follower: %s", p)
	}
	if err != nil || final != hearthv1.PipelineState_PIPELINE_STATE_SUCCESS {
		t.Fatalf("live follower ended with %s (%v)", state(final), err)
	}
	if got := f.text(); !bytes.Equal(got, stored) {
		t.Fatalf("the live follower got %d bytes, the stored log has %d:\nfollowed: %s\nstored:   %s", len(got), len(stored), tail(got), tail(stored))
	}
}
