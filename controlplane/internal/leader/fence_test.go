package leader

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/internal/store"
)

// fakeEpochs records RecordEpoch calls; its first failures answer err.
type fakeEpochs struct {
	mu       sync.Mutex
	recorded []store.Epoch
	fail     int
	err      error
}

func (f *fakeEpochs) RecordEpoch(_ context.Context, e store.Epoch) (store.Epoch, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != 0 {
		if f.fail > 0 {
			f.fail--
		}
		return e, f.err
	}
	e.Takeover = uint64(len(f.recorded) + 1)
	f.recorded = append(f.recorded, e)
	return e, nil
}

func (f *fakeEpochs) all() []store.Epoch {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]store.Epoch(nil), f.recorded...)
}

// TestTakeoverRecordsTheEpochBeforeWorkersStart: each term's epoch (this
// Raft cluster's id and the term) is recorded, after retries when the
// database fails, before the workers start with it in their context; a
// restart on the same data directory keeps the cluster id.
func TestTakeoverRecordsTheEpochBeforeWorkersStart(t *testing.T) {
	dir := t.TempDir()
	epochs := &fakeEpochs{fail: 2, err: errors.New("database unreachable")}
	started := make(chan store.Epoch, 1)
	probe := func(s *Service) {
		if err := s.Register("probe", func(ctx context.Context) error {
			e, _ := store.EpochFrom(ctx)
			started <- e
			<-ctx.Done()
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	first := startNode(t, nodeConfig{id: "n1", dataDir: dir, epochs: epochs, register: probe})
	got := receive(t, started, "the worker to start")
	if rec := epochs.all(); len(rec) != 1 || rec[0] != got || got.Term != first.Epoch() || got.Cluster == "" || got.Takeover != 1 {
		t.Fatalf("recorded %v, worker got %v, Epoch() %d", rec, got, first.Epoch())
	}
	first.stop()

	second := startNode(t, nodeConfig{id: "n1", dataDir: dir, epochs: epochs, register: probe})
	again := receive(t, started, "the worker to start after a restart")
	if again.Cluster != got.Cluster || again.Term <= got.Term || again.Term != second.Epoch() || again.Takeover != 2 {
		t.Fatalf("after a restart the worker got %v, before %v", again, got)
	}
}

// TestFencedTakeoverStartsNoWorkers: a leader that finds a newer epoch
// recorded (it was deposed before it could take over) starts no worker
// and is not IsLeader.
func TestFencedTakeoverStartsNoWorkers(t *testing.T) {
	epochs := &fakeEpochs{fail: -1, err: store.ErrFenced}
	ran := make(chan struct{}, 1)
	n := startNode(t, nodeConfig{id: "n1", epochs: epochs, register: func(s *Service) {
		if err := s.Register("probe", func(context.Context) error { ran <- struct{}{}; return nil }); err != nil {
			t.Fatal(err)
		}
	}})
	eventually(t, "the fenced takeover to be logged", func() bool { return n.logs.has(t, "a newer leader took over") })
	if n.IsLeader() {
		t.Error("IsLeader after a fenced takeover")
	}
	select {
	case <-ran:
		t.Fatal("a worker started after a fenced takeover")
	default:
	}
}
