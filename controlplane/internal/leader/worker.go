package leader

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"go.etcd.io/bbolt"

	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/controlplane/internal/supervisor"
	"github.com/hearth-dev/hearth/shared/logfield"
)

const (
	// raftTimeout bounds how long a Raft request (barrier, configuration
	// change) may wait to be enqueued; waiting for its result is bounded
	// by the term's context instead.
	raftTimeout = 10 * time.Second
	// boltOpenTimeout bounds the wait for raft.db's file lock, held by
	// another process using the same data directory.
	boltOpenTimeout = 5 * time.Second
	// snapshotsRetained is how many Raft snapshots are kept on disk.
	snapshotsRetained = 2
	// transportPool is how many connections per peer the transport keeps.
	transportPool = 3
)

// node is the Raft node and the resources Run opened for it.
type node struct {
	raft    *raft.Raft
	store   *raftboltdb.BoltStore
	trans   *raft.NetworkTransport
	cluster string
}

// Run starts Raft (bootstrapping a single-replica cluster on a fresh data
// directory), runs the leader-only workers whenever this node leads, and
// returns once ctx is cancelled and everything is stopped and closed:
// workers, Raft, the transport's listener and connections, raft.db. It
// returns an error at once if Raft cannot start; a Service runs once.
func (s *Service) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.state != idle {
		s.mu.Unlock()
		return ErrStarted
	}
	s.state = running
	workers := slices.Clone(s.workers)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.state = stopped
		s.notifyLocked()
		s.mu.Unlock()
	}()

	n, err := s.open()
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.raft, s.addr = n.raft, n.trans.LocalAddr()
	s.notifyLocked()
	s.mu.Unlock()
	s.log.Info().Str(logfield.Address, string(n.trans.LocalAddr())).Msg("raft started")

	s.follow(ctx, n.raft, n.cluster, workers)

	s.mu.Lock()
	s.raft = nil
	s.notifyLocked()
	s.mu.Unlock()
	err = s.close(n)
	s.log.Info().Err(err).Msg("raft stopped")
	return err
}

// open opens the stores and the transport, bootstraps a fresh data
// directory and starts Raft.
func (s *Service) open() (_ *node, err error) {
	dir := filepath.Join(s.deps.DataDir, "raft")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("leader: %w", err)
	}
	hl := s.conf.Logger

	store, err := raftboltdb.New(raftboltdb.Options{
		Path:        filepath.Join(dir, "raft.db"),
		BoltOptions: &bbolt.Options{Timeout: boltOpenTimeout},
	})
	if err != nil {
		return nil, fmt.Errorf("leader: open %s: %w", filepath.Join(dir, "raft.db"), err)
	}
	defer func() {
		if err != nil {
			_ = store.Close()
		}
	}()
	cluster, err := clusterID(store)
	if err != nil {
		return nil, err
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, snapshotsRetained, hl.Named("snapshots"))
	if err != nil {
		return nil, fmt.Errorf("leader: snapshot store: %w", err)
	}

	var advertise net.Addr
	if s.deps.AdvertiseAddr != "" {
		if advertise, err = net.ResolveTCPAddr("tcp", s.deps.AdvertiseAddr); err != nil {
			return nil, fmt.Errorf("leader: advertise address: %w", err)
		}
	}
	trans, err := raft.NewTCPTransportWithConfig(s.deps.BindAddr, advertise, &raft.NetworkTransportConfig{
		MaxPool: transportPool,
		Timeout: raftTimeout,
		Logger:  hl.Named("transport"),
	})
	if err != nil {
		return nil, fmt.Errorf("leader: listen on %s (an unspecified IP needs AdvertiseAddr): %w", s.deps.BindAddr, err)
	}
	defer func() {
		if err != nil {
			_ = trans.Close()
		}
	}()

	conf := s.conf
	if !s.opts.skipBootstrap {
		existing, err := raft.HasExistingState(store, store, snaps)
		if err != nil {
			return nil, fmt.Errorf("leader: read raft state: %w", err)
		}
		if !existing {
			s.log.Info().Str(logfield.Address, string(trans.LocalAddr())).Msg("bootstrapping a single-replica raft cluster")
			err := raft.BootstrapCluster(&conf, store, store, snaps, trans, raft.Configuration{Servers: []raft.Server{{
				Suffrage: raft.Voter,
				ID:       conf.LocalID,
				Address:  trans.LocalAddr(),
			}}})
			if err != nil {
				return nil, fmt.Errorf("leader: bootstrap: %w", err)
			}
		}
	}

	r, err := raft.NewRaft(&conf, s.deps.FSM, store, store, snaps, trans)
	if err != nil {
		return nil, fmt.Errorf("leader: start raft: %w", err)
	}
	return &node{raft: r, store: store, trans: trans, cluster: cluster}, nil
}

// keyClusterID is where raft.db keeps the Raft cluster's id.
var keyClusterID = []byte("hearth_cluster_id")

// clusterID returns the id of the Raft cluster this node's state belongs
// to, creating it on a fresh (or older) raft.db. Fencing epochs are Raft
// terms, comparable only within one cluster: lost Raft state starts terms
// over, and must start over under a new id rather than be fenced off by
// the old terms recorded in PostgreSQL. Joining a node to a cluster will
// copy the leader's id into the new node's raft.db.
func clusterID(ss raft.StableStore) (string, error) {
	v, err := ss.Get(keyClusterID)
	if err == nil && len(v) > 0 {
		return string(v), nil
	}
	if err != nil && !errors.Is(err, raftboltdb.ErrKeyNotFound) {
		return "", fmt.Errorf("leader: read the raft cluster id: %w", err)
	}
	id := uuid.NewString()
	if err := ss.Set(keyClusterID, []byte(id)); err != nil {
		return "", fmt.Errorf("leader: store the raft cluster id: %w", err)
	}
	return id, nil
}

// close shuts Raft down and releases what open opened.
func (s *Service) close(n *node) error {
	err := n.raft.Shutdown().Error()
	s.bg.Wait()
	// Shutdown closes the listener; CloseStreams also drops pooled
	// outbound connections so peers' handlers see EOF.
	n.trans.CloseStreams()
	err = errors.Join(err, n.trans.Close(), n.store.Close())
	if err != nil {
		return fmt.Errorf("leader: shut down raft: %w", err)
	}
	return nil
}

// term is one leadership term's running workers.
type term struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// follow reacts to leadership changes until ctx is cancelled, starting the
// workers on each gain and stopping them on each loss.
func (s *Service) follow(ctx context.Context, r *raft.Raft, cluster string, workers []supervisor.Worker) {
	observations := make(chan raft.Observation, 1)
	observer := raft.NewObserver(observations, false, func(o *raft.Observation) bool {
		_, ok := o.Data.(raft.LeaderObservation)
		return ok
	})
	r.RegisterObserver(observer)
	defer r.DeregisterObserver(observer)

	var cur *term
	defer func() { s.endTerm(cur) }()
	// LeaderCh keeps only the latest transition, so a slow stop of the
	// workers never blocks Raft; two trues in a row mean leadership was
	// lost and regained meanwhile, which ends the old term too.
	leaderCh := r.LeaderCh()
	for {
		select {
		case <-ctx.Done():
			return
		case <-observations:
			s.notify()
		case leading := <-leaderCh:
			s.endTerm(cur)
			cur = nil
			if leading {
				cur = s.beginTerm(ctx, r, cluster, workers)
			}
		}
	}
}

func (s *Service) beginTerm(ctx context.Context, r *raft.Raft, cluster string, workers []supervisor.Worker) *term {
	ctx, cancel := context.WithCancel(ctx)
	t := &term{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(t.done)
		s.lead(ctx, r, cluster, workers)
	}()
	return t
}

// endTerm cancels the term's workers and waits for them.
func (s *Service) endTerm(t *term) {
	if t == nil {
		return
	}
	t.cancel()
	s.mu.Lock()
	epoch := s.epoch
	s.epoch = 0
	s.notifyLocked()
	s.mu.Unlock()
	s.metrics.isLeader.Set(0)
	s.metrics.epoch.Set(0)
	<-t.done
	if epoch != 0 {
		s.log.Info().Uint64(logfield.Epoch, epoch).Msg("leadership ended; leader-only workers stopped")
	}
}

// lead runs one leadership term: barrier, epoch recorded in the
// database, then the workers until ctx is cancelled.
func (s *Service) lead(ctx context.Context, r *raft.Raft, cluster string, workers []supervisor.Worker) {
	epoch, ok := s.establish(ctx, r)
	if !ok {
		return
	}
	fence, ok := s.record(ctx, r, store.Epoch{Cluster: cluster, Term: epoch})
	if !ok {
		return
	}
	s.updateSelfAddress(ctx, r)

	s.mu.Lock()
	if ctx.Err() != nil { // endTerm already ran
		s.mu.Unlock()
		return
	}
	s.epoch = epoch
	s.notifyLocked()
	s.mu.Unlock()
	s.metrics.isLeader.Set(1)
	s.metrics.epoch.Set(float64(epoch))
	s.metrics.terms.Inc()
	s.log.Info().Uint64(logfield.Epoch, epoch).Msg("leading; starting leader-only workers")

	wctx := context.WithValue(ctx, epochKey{}, epoch)
	if s.deps.Epochs != nil {
		wctx = store.WithEpoch(wctx, fence)
	}
	if err := s.sup.Run(wctx, workers...); err != nil {
		s.log.Error().Err(err).Msg("leader-only workers not started")
	}
}

// establish issues a barrier, so every entry of earlier terms is applied
// before the workers start, and returns the term it was issued in. The
// term is read before and after the barrier: if it did not change, this
// node led throughout that term (Raft has at most one leader per term).
func (s *Service) establish(ctx context.Context, r *raft.Raft) (uint64, bool) {
	for attempt := 0; ; attempt++ {
		before := r.CurrentTerm()
		err := s.await(ctx, r.Barrier(raftTimeout))
		switch {
		case ctx.Err() != nil:
			return 0, false
		case err == nil:
			if r.CurrentTerm() != before || r.State() != raft.Leader {
				return 0, false // lost meanwhile; LeaderCh says so next
			}
			return before, true
		case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipLost),
			errors.Is(err, raft.ErrLeadershipTransferInProgress), errors.Is(err, raft.ErrRaftShutdown):
			s.log.Info().Err(err).Msg("leadership lost before the barrier completed")
			return 0, false
		}
		s.log.Warn().Err(err).Int(logfield.Attempt, attempt+1).Msg("raft barrier failed; retrying")
		if !s.backoff.Sleep(ctx, attempt) {
			return 0, false
		}
	}
}

// record records the term's epoch in the database (Deps.Epochs), retrying
// until it succeeds, leadership is lost or ctx ends, and returns it as
// recorded (with its Takeover). It reports whether the workers may start:
// false when a newer epoch was recorded already (this node was deposed
// before it could take over).
func (s *Service) record(ctx context.Context, r *raft.Raft, e store.Epoch) (store.Epoch, bool) {
	if s.deps.Epochs == nil {
		return e, true
	}
	for attempt := 0; ; attempt++ {
		recorded, err := s.deps.Epochs.RecordEpoch(ctx, e)
		switch {
		case ctx.Err() != nil:
			return e, false
		case err == nil:
			// Still the leader of that term: a newer leader would have
			// recorded a newer epoch and fenced this one off anyway.
			return recorded, r.CurrentTerm() == e.Term && r.State() == raft.Leader
		case errors.Is(err, store.ErrFenced):
			s.log.Warn().Err(err).Uint64(logfield.Epoch, e.Term).Msg("a newer leader took over before this one could; not starting leader-only workers")
			return e, false
		}
		s.log.Warn().Err(err).Int(logfield.Attempt, attempt+1).Msg("could not record the leadership epoch; retrying")
		if !s.backoff.Sleep(ctx, attempt) {
			return e, false
		}
	}
}

// updateSelfAddress corrects this node's address in the Raft configuration
// when it changed since the configuration was written (a new port or IP
// after a restart). Only a leader can do it; failure is logged, not fatal.
func (s *Service) updateSelfAddress(ctx context.Context, r *raft.Raft) {
	f := r.GetConfiguration()
	if err := s.await(ctx, f); err != nil {
		return
	}
	self, addr := s.conf.LocalID, s.localAddr()
	for _, srv := range f.Configuration().Servers {
		if srv.ID != self || srv.Address == addr {
			continue
		}
		if srv.Suffrage != raft.Voter {
			return
		}
		// AddVoter for an existing voter updates its address.
		err := s.await(ctx, r.AddVoter(self, addr, 0, raftTimeout))
		if err != nil {
			s.log.Warn().Err(err).Str(logfield.Address, string(addr)).Msg("could not update this node's raft address")
			return
		}
		s.log.Info().Str(logfield.Address, string(addr)).Msgf("updated this node's raft address (was %s)", srv.Address)
		return
	}
}

func (s *Service) localAddr() raft.ServerAddress {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// await waits for f or for ctx. A waiter abandoned on cancellation is
// tracked in s.bg: Raft answers every future by the time it has shut down.
func (s *Service) await(ctx context.Context, f raft.Future) error {
	done := make(chan error, 1)
	s.bg.Go(func() { done <- f.Error() })
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
