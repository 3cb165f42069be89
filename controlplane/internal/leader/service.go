package leader

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/hashicorp/raft"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/controlplane/internal/supervisor"
	"github.com/hearth-dev/hearth/shared/backoff"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// Errors reported by Ready, WaitLeader, Register and Run.
var (
	// ErrNotRunning: Run has not started Raft yet, or has returned.
	ErrNotRunning = errors.New("leader: raft is not running")
	// ErrNoLeader: Raft runs but knows of no leader (an election is under
	// way, or this node cannot reach a quorum).
	ErrNoLeader = errors.New("leader: no known raft leader")
	// ErrStarted: Register or Run was called after Run.
	ErrStarted = errors.New("leader: already started")
)

// Timings are Raft's timeouts. A zero field takes the value of
// DefaultTimings. Tests tighten them with FastTimings.
type Timings struct {
	// HeartbeatTimeout is how long a follower waits without hearing from
	// a leader before it calls an election.
	HeartbeatTimeout time.Duration
	// ElectionTimeout is how long a candidate waits before it calls a new
	// election. At least HeartbeatTimeout.
	ElectionTimeout time.Duration
	// LeaderLeaseTimeout is how long a leader keeps leading without
	// contact with a quorum before it steps down. At most
	// HeartbeatTimeout.
	LeaderLeaseTimeout time.Duration
	// CommitTimeout is how long the leader waits before it sends an
	// AppendEntries RPC when there is nothing to apply.
	CommitTimeout time.Duration
}

// DefaultTimings are hashicorp/raft's defaults, suitable for production.
func DefaultTimings() Timings {
	c := raft.DefaultConfig()
	return Timings{
		HeartbeatTimeout:   c.HeartbeatTimeout,
		ElectionTimeout:    c.ElectionTimeout,
		LeaderLeaseTimeout: c.LeaderLeaseTimeout,
		CommitTimeout:      c.CommitTimeout,
	}
}

// FastTimings are tight timeouts for tests on loopback: a single replica
// leads within about 100ms.
func FastTimings() Timings {
	return Timings{
		HeartbeatTimeout:   50 * time.Millisecond,
		ElectionTimeout:    50 * time.Millisecond,
		LeaderLeaseTimeout: 50 * time.Millisecond,
		CommitTimeout:      5 * time.Millisecond,
	}
}

// Deps is what a Service needs.
type Deps struct {
	// Logger receives the service's logs and Raft's own (prefixed "raft:").
	Logger zerolog.Logger
	// Registerer receives the leader metrics; nil registers nothing.
	Registerer prometheus.Registerer
	// Supervisor runs the leader-only workers. Nil: the service builds
	// one from Logger, Registerer and Backoff.
	Supervisor *supervisor.Supervisor
	// Backoff spaces retries of the barrier a new leader issues before
	// starting its workers (and of its own supervisor's restarts when
	// Supervisor is nil). Zero: backoff.Default.
	Backoff backoff.Policy

	// DataDir is the replica's data directory; Raft keeps its state in
	// DataDir/raft (raft.db for the log and stable store, snapshots/).
	DataDir string
	// NodeID names this replica in the Raft configuration, across all
	// time: keep it stable across restarts (e.g. the StatefulSet pod name).
	NodeID string
	// BindAddr is the TCP address Raft listens on ("127.0.0.1:0" picks a
	// free port).
	BindAddr string
	// AdvertiseAddr is the address peers dial ("10.0.0.7:7000"); it must
	// be an IP and port. Empty: the bound address, which must then be a
	// specific IP (not 0.0.0.0 or ::).
	AdvertiseAddr string
	// FSM is the replicated state machine. Nil: a no-op one (the log
	// carries only Raft's own entries).
	FSM raft.FSM
	// Timings are Raft's timeouts; zero fields take DefaultTimings.
	Timings Timings
	// Epochs records each term's epoch in the database before the term's
	// workers start, so that a deposed leader's writes are refused there
	// (see Fencing). Nil: nothing is recorded and the workers' contexts
	// carry no store.Epoch (tests of Raft alone).
	Epochs EpochRecorder
}

// EpochRecorder records a leader's epoch as the newest of its Raft cluster
// and returns it with its Takeover number (*store.DB implements it). It
// returns store.ErrFenced when a newer epoch is already recorded, and waits
// for transactions of older epochs still in flight.
type EpochRecorder interface {
	RecordEpoch(ctx context.Context, e store.Epoch) (store.Epoch, error)
}

// options are hooks for this package's tests only.
type options struct {
	// skipBootstrap starts a node with no configuration, to be added as a
	// voter by an existing leader (what joining will do later).
	skipBootstrap bool
}

type runState int

const (
	idle runState = iota
	running
	stopped
)

// Service runs this replica's Raft node and the leader-only workers. Its
// methods are safe for concurrent use.
type Service struct {
	log     zerolog.Logger
	deps    Deps
	opts    options
	sup     *supervisor.Supervisor
	backoff backoff.Policy
	conf    raft.Config
	metrics metrics

	// bg tracks goroutines waiting on Raft futures on behalf of a term
	// that may have moved on; Run waits for them after Raft shut down.
	bg sync.WaitGroup

	mu      sync.Mutex
	state   runState
	workers []supervisor.Worker
	raft    *raft.Raft
	addr    raft.ServerAddress
	epoch   uint64        // non-zero while leading with workers started
	changed chan struct{} // closed and replaced on every change of the above
}

// New validates deps and returns a Service. It opens nothing: Run owns
// every resource (files, listener, goroutines) from start to return.
func New(deps Deps) (*Service, error) {
	return newService(deps, options{})
}

func newService(deps Deps, opts options) (*Service, error) {
	switch {
	case deps.DataDir == "":
		return nil, errors.New("leader: DataDir is required")
	case deps.NodeID == "":
		return nil, errors.New("leader: NodeID is required")
	case deps.BindAddr == "":
		return nil, errors.New("leader: BindAddr is required")
	}
	if deps.FSM == nil {
		deps.FSM = noopFSM{}
	}
	s := &Service{
		log:     deps.Logger.With().Str(logfield.NodeID, deps.NodeID).Logger(),
		deps:    deps,
		opts:    opts,
		sup:     deps.Supervisor,
		backoff: deps.Backoff,
		changed: make(chan struct{}),
	}
	if s.backoff == (backoff.Policy{}) {
		s.backoff = backoff.Default
	}

	def := DefaultTimings()
	t := deps.Timings
	conf := raft.DefaultConfig()
	conf.LocalID = raft.ServerID(deps.NodeID)
	conf.HeartbeatTimeout = orDefault(t.HeartbeatTimeout, def.HeartbeatTimeout)
	conf.ElectionTimeout = orDefault(t.ElectionTimeout, def.ElectionTimeout)
	conf.LeaderLeaseTimeout = orDefault(t.LeaderLeaseTimeout, def.LeaderLeaseTimeout)
	conf.CommitTimeout = orDefault(t.CommitTimeout, def.CommitTimeout)
	conf.Logger = newHCLogAdapter(s.log, "raft")
	if err := raft.ValidateConfig(conf); err != nil {
		return nil, fmt.Errorf("leader: invalid raft timings: %w", err)
	}
	s.conf = *conf

	var err error
	if s.metrics, err = newMetrics(deps.Registerer); err != nil {
		return nil, err
	}
	if s.sup == nil {
		s.sup, err = supervisor.New(supervisor.Deps{
			Logger:     deps.Logger,
			Registerer: deps.Registerer,
			Backoff:    deps.Backoff,
		})
		if err != nil {
			return nil, fmt.Errorf("leader: %w", err)
		}
	}
	return s, nil
}

func orDefault(v, def time.Duration) time.Duration {
	if v == 0 {
		return def
	}
	return v
}

// Register adds a leader-only worker. Call it before Run. Every time this
// node becomes leader (after a Raft barrier) the registered workers are
// started under the supervisor with a context carrying the term's epoch
// (see EpochFrom); the context is cancelled when leadership is lost or
// Run stops, and the workers have all returned before a later term starts
// them again.
func (s *Service) Register(name string, run func(ctx context.Context) error) error {
	if name == "" || run == nil {
		return errors.New("leader: Register needs a name and a run function")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != idle {
		return fmt.Errorf("leader: register %q: %w", name, ErrStarted)
	}
	if slices.ContainsFunc(s.workers, func(w supervisor.Worker) bool { return w.Name == name }) {
		return fmt.Errorf("leader: worker %q registered twice", name)
	}
	s.workers = append(s.workers, supervisor.Worker{Name: name, Run: run})
	return nil
}

// IsLeader reports whether this node leads the cluster and has started
// its leader-only workers (its barrier has completed).
func (s *Service) IsLeader() bool {
	return s.Epoch() != 0
}

// Epoch returns the Raft term in which this node became the current
// leader, or 0 when it does not lead (see IsLeader). It is a fencing
// token: Raft elects at most one leader per term and terms only grow, so a
// write stamped with an epoch can be rejected once a higher epoch has been
// recorded; PostgreSQL does so for the workers' transactions (see the
// package doc, Fencing). A deposed leader's workers may still be
// finishing; their epoch is lower than the new leader's. Workers should
// read their own epoch with EpochFrom(ctx), which cannot change under them.
func (s *Service) Epoch() uint64 {
	s.mu.Lock()
	r, epoch := s.raft, s.epoch
	s.mu.Unlock()
	if r == nil || epoch == 0 || r.State() != raft.Leader {
		return 0
	}
	return epoch
}

// Addr returns the Raft address this node advertises, or "" before Run
// has bound its listener.
func (s *Service) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.addr)
}

// Ready reports whether the replica can serve (for /readyz): nil when Raft
// runs and knows a leader, ErrNotRunning or ErrNoLeader otherwise.
func (s *Service) Ready() error {
	s.mu.Lock()
	r := s.raft
	s.mu.Unlock()
	if r == nil {
		return ErrNotRunning
	}
	if _, id := r.LeaderWithID(); id == "" {
		return ErrNoLeader
	}
	return nil
}

// WaitLeader blocks until the cluster has a known leader and, when that
// leader is this node, until it has started its leader-only workers (so
// IsLeader is true on return for a single replica). It may be called
// before Run. It returns ctx.Err() when ctx ends first, and ErrNotRunning
// when Run has returned.
func (s *Service) WaitLeader(ctx context.Context) error {
	for {
		s.mu.Lock()
		state, r, epoch, changed := s.state, s.raft, s.epoch, s.changed
		s.mu.Unlock()
		if state == stopped {
			return ErrNotRunning
		}
		if r != nil {
			if _, id := r.LeaderWithID(); id != "" && (id != s.conf.LocalID || epoch != 0) {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		}
	}
}

// notifyLocked wakes WaitLeader callers. s.mu must be held.
func (s *Service) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Service) notify() {
	s.mu.Lock()
	s.notifyLocked()
	s.mu.Unlock()
}

type epochKey struct{}

// EpochFrom returns the epoch of the leadership term a leader-only
// worker's context belongs to (see Service.Epoch).
func EpochFrom(ctx context.Context) (uint64, bool) {
	e, ok := ctx.Value(epochKey{}).(uint64)
	return e, ok
}

type metrics struct {
	isLeader prometheus.Gauge
	epoch    prometheus.Gauge
	terms    prometheus.Counter
}

func newMetrics(r prometheus.Registerer) (metrics, error) {
	var m metrics
	var err error
	if m.isLeader, err = register(r, prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "hearth_leader_is_leader",
		Help: "1 while this replica leads the Raft cluster and runs the leader-only workers, else 0.",
	})); err != nil {
		return m, err
	}
	if m.epoch, err = register(r, prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "hearth_leader_epoch",
		Help: "Raft term of this replica's current leadership (the fencing epoch), 0 when not leading.",
	})); err != nil {
		return m, err
	}
	if m.terms, err = register(r, prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hearth_leader_terms_total",
		Help: "Leadership terms in which this replica started the leader-only workers.",
	})); err != nil {
		return m, err
	}
	return m, nil
}

// register registers c on r, or returns the equivalent collector already
// registered there.
func register[C prometheus.Collector](r prometheus.Registerer, c C) (C, error) {
	if r == nil {
		return c, nil
	}
	err := r.Register(c)
	if err == nil {
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	var zero C
	return zero, fmt.Errorf("leader: register metrics: %w", err)
}
