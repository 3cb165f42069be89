package leader

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/hearth-dev/hearth/shared/backoff"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const waitLimit = 20 * time.Second

// syncBuffer is a bytes.Buffer safe for a logger's concurrent writes.
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

func (b *syncBuffer) has(t *testing.T, substr string) bool {
	t.Helper()
	for _, l := range b.lines(t) {
		if msg, _ := l["message"].(string); strings.Contains(msg, substr) {
			return true
		}
	}
	return false
}

type testNode struct {
	*Service
	id   string
	reg  *prometheus.Registry
	logs *syncBuffer
	stop func() // cancels Run and waits for it; idempotent
}

type nodeConfig struct {
	id       string
	dataDir  string
	reg      *prometheus.Registry
	timings  Timings
	opts     options
	register func(s *Service)
	epochs   EpochRecorder
}

// startNode builds a Service and runs it until stop or the end of the test.
func startNode(t *testing.T, c nodeConfig) *testNode {
	t.Helper()
	if c.reg == nil {
		c.reg = prometheus.NewRegistry()
	}
	if c.timings == (Timings{}) {
		c.timings = FastTimings()
	}
	if c.dataDir == "" {
		c.dataDir = t.TempDir()
	}
	logs := &syncBuffer{}
	s, err := newService(Deps{
		Logger:     zerolog.New(logs).Level(zerolog.DebugLevel),
		Registerer: c.reg,
		Backoff:    backoff.Policy{Min: time.Millisecond, Max: 10 * time.Millisecond},
		DataDir:    c.dataDir,
		NodeID:     c.id,
		BindAddr:   "127.0.0.1:0",
		Timings:    c.timings,
		Epochs:     c.epochs,
	}, c.opts)
	if err != nil {
		t.Fatal(err)
	}
	if c.register != nil {
		c.register(s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	result := make(chan error, 1)
	go func() { result <- s.Run(ctx) }()

	var once sync.Once
	n := &testNode{Service: s, id: c.id, reg: c.reg, logs: logs}
	n.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-result:
				if err != nil {
					t.Errorf("%s: Run: %v", c.id, err)
				}
			case <-time.After(waitLimit):
				t.Fatalf("%s: Run did not return after cancellation", c.id)
			}
			if t.Failed() {
				t.Logf("%s logs:\n%s", c.id, logs.buf.String())
			}
		})
	}
	t.Cleanup(n.stop)
	return n
}

func waitLeader(t *testing.T, n *testNode) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := n.WaitLeader(ctx); err != nil {
		t.Fatalf("%s: WaitLeader: %v", n.id, err)
	}
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

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

func TestSingleReplicaLeadsAndRunsWorkers(t *testing.T) {
	started := make(chan uint64, 1)
	stopped := make(chan struct{})
	n := startNode(t, nodeConfig{id: "solo", register: func(s *Service) {
		err := s.Register("probe", func(ctx context.Context) error {
			epoch, _ := EpochFrom(ctx)
			started <- epoch
			<-ctx.Done()
			close(stopped)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}})

	waitLeader(t, n)
	if !n.IsLeader() {
		t.Fatal("single replica: IsLeader false after WaitLeader")
	}
	if err := n.Ready(); err != nil {
		t.Fatalf("Ready: %v", err)
	}
	if addr := n.Addr(); addr == "" || strings.HasSuffix(addr, ":0") {
		t.Errorf("Addr = %q, want the bound address", addr)
	}
	epoch := receive(t, started, "the leader-only worker to start")
	if epoch == 0 || epoch != n.Epoch() {
		t.Errorf("worker epoch %d, Epoch() %d: want equal and non-zero", epoch, n.Epoch())
	}
	if got := testutil.ToFloat64(n.metrics.isLeader); got != 1 {
		t.Errorf("hearth_leader_is_leader = %v, want 1", got)
	}
	if err := n.Register("late", func(context.Context) error { return nil }); !errors.Is(err, ErrStarted) {
		t.Errorf("Register after Run: %v, want ErrStarted", err)
	}
	if err := n.Run(context.Background()); !errors.Is(err, ErrStarted) {
		t.Errorf("second Run: %v, want ErrStarted", err)
	}

	n.stop()
	select {
	case <-stopped:
	default:
		t.Fatal("Run returned before the leader-only worker stopped")
	}
	if n.IsLeader() || n.Epoch() != 0 {
		t.Error("still leader after Run returned")
	}
	if err := n.Ready(); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Ready after Run: %v, want ErrNotRunning", err)
	}
	if err := n.WaitLeader(context.Background()); !errors.Is(err, ErrNotRunning) {
		t.Errorf("WaitLeader after Run: %v, want ErrNotRunning", err)
	}
	if got := testutil.ToFloat64(n.metrics.isLeader); got != 0 {
		t.Errorf("hearth_leader_is_leader after stop = %v, want 0", got)
	}
}

func TestRestartOnSameDataDir(t *testing.T) {
	dir := t.TempDir()
	reg := prometheus.NewRegistry() // shared: the second New must accept it
	first := startNode(t, nodeConfig{id: "n1", dataDir: dir, reg: reg})
	waitLeader(t, first)
	firstEpoch, firstAddr := first.Epoch(), first.Addr()
	first.stop()
	if !first.logs.has(t, "bootstrapping") {
		t.Fatal("first start did not bootstrap")
	}

	ran := make(chan struct{})
	second := startNode(t, nodeConfig{id: "n1", dataDir: dir, reg: reg, register: func(s *Service) {
		if err := s.Register("probe", func(ctx context.Context) error {
			close(ran)
			<-ctx.Done()
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}})
	waitLeader(t, second)
	receive(t, ran, "the worker to run after restart")
	if second.logs.has(t, "bootstrapping") {
		t.Error("restart bootstrapped again")
	}
	if second.Epoch() <= firstEpoch {
		t.Errorf("epoch after restart %d, want > %d", second.Epoch(), firstEpoch)
	}

	// The new listener has a new port; the leader fixes its own entry.
	f := second.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		t.Fatal(err)
	}
	servers := f.Configuration().Servers
	if len(servers) != 1 || string(servers[0].Address) != second.Addr() {
		t.Errorf("configuration %+v, want only n1 at %s (was %s)", servers, second.Addr(), firstAddr)
	}
}

// event is a leader-only worker starting or stopping on a node.
type event struct {
	node  string
	start bool
	epoch uint64
}

// TestLeadershipLossStopsWorkers runs three replicas over loopback TCP,
// moves leadership away from the first and back, and checks that workers
// follow: cancelled on loss, restarted on gain, never twice at once on a
// node, each epoch used by one node only.
func TestLeadershipLossStopsWorkers(t *testing.T) {
	events := make(chan event, 64)
	var overlap atomic.Bool
	probe := func(id string) func(*Service) {
		var active atomic.Int32
		return func(s *Service) {
			err := s.Register("probe", func(ctx context.Context) error {
				if active.Add(1) != 1 {
					overlap.Store(true)
				}
				epoch, _ := EpochFrom(ctx)
				events <- event{id, true, epoch}
				<-ctx.Done()
				active.Add(-1)
				events <- event{id, false, epoch}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	// Looser than FastTimings: three nodes under -race must not hold
	// spurious elections.
	timings := Timings{
		HeartbeatTimeout:   200 * time.Millisecond,
		ElectionTimeout:    200 * time.Millisecond,
		LeaderLeaseTimeout: 100 * time.Millisecond,
		CommitTimeout:      5 * time.Millisecond,
	}
	a := startNode(t, nodeConfig{id: "a", timings: timings, register: probe("a")})
	b := startNode(t, nodeConfig{id: "b", timings: timings, register: probe("b"), opts: options{skipBootstrap: true}})
	c := startNode(t, nodeConfig{id: "c", timings: timings, register: probe("c"), opts: options{skipBootstrap: true}})
	nodes := map[string]*testNode{"a": a, "b": b, "c": c}

	var history []event
	// next reads events until one matches.
	next := func(what string, match func(event) bool) event {
		t.Helper()
		for {
			e := receive(t, events, what)
			history = append(history, e)
			if match(e) {
				return e
			}
		}
	}

	waitLeader(t, a)
	first := next("a to start its worker", func(e event) bool { return e.node == "a" && e.start })

	for _, n := range []*testNode{b, c} {
		eventually(t, n.id+" to bind", func() bool { return n.Addr() != "" })
		if err := a.raft.AddVoter(raft.ServerID(n.id), raft.ServerAddress(n.Addr()), 0, waitLimit).Error(); err != nil {
			t.Fatalf("add %s: %v", n.id, err)
		}
	}
	waitLeader(t, b)
	waitLeader(t, c)

	// a → b: a's worker stops, b's starts with a later epoch.
	transfer(t, a, b)
	next("a's worker to stop", func(e event) bool { return e.node == "a" && !e.start })
	eventually(t, "a to report it no longer leads", func() bool { return !a.IsLeader() })
	second := next("b to start its worker", func(e event) bool { return e.node == "b" && e.start })
	if second.epoch <= first.epoch {
		t.Errorf("b's epoch %d not after a's %d", second.epoch, first.epoch)
	}

	// b → a: the next term on a starts only after the previous one ended.
	leader := nodes[second.node]
	transfer(t, leader, a)
	third := next("a to start its worker again", func(e event) bool { return e.node == "a" && e.start })
	if third.epoch <= second.epoch {
		t.Errorf("a's new epoch %d not after %d", third.epoch, second.epoch)
	}
	if third.epoch != a.Epoch() {
		t.Errorf("worker epoch %d, a.Epoch() %d", third.epoch, a.Epoch())
	}

	for _, n := range []*testNode{a, b, c} {
		n.stop()
	}
	close(events)
	for e := range events {
		history = append(history, e)
	}

	if overlap.Load() {
		t.Error("a node ran two terms' workers at once")
	}
	// Per node: start/stop alternate with growing epochs, every start is
	// stopped; across nodes: an epoch belongs to one node.
	owner := map[uint64]string{}
	open := map[string]*event{}
	for _, e := range history {
		if e.start {
			if open[e.node] != nil {
				t.Errorf("%s started epoch %d while epoch %d was running", e.node, e.epoch, open[e.node].epoch)
			}
			if o, ok := owner[e.epoch]; ok {
				t.Errorf("epoch %d started on %s and %s", e.epoch, o, e.node)
			}
			owner[e.epoch] = e.node
			open[e.node] = &e
			continue
		}
		if open[e.node] == nil || open[e.node].epoch != e.epoch {
			t.Errorf("%s stopped epoch %d it was not running", e.node, e.epoch)
		}
		open[e.node] = nil
	}
	for node, e := range open {
		if e != nil {
			t.Errorf("%s's worker of epoch %d never stopped", node, e.epoch)
		}
	}
	t.Logf("events: %+v", history)
}

func TestNewValidates(t *testing.T) {
	ok := Deps{Logger: zerolog.Nop(), DataDir: t.TempDir(), NodeID: "n", BindAddr: "127.0.0.1:0"}
	for name, mutate := range map[string]func(*Deps){
		"no data dir":  func(d *Deps) { d.DataDir = "" },
		"no node id":   func(d *Deps) { d.NodeID = "" },
		"no bind addr": func(d *Deps) { d.BindAddr = "" },
		"lease above heartbeat": func(d *Deps) {
			d.Timings = Timings{HeartbeatTimeout: 50 * time.Millisecond, LeaderLeaseTimeout: time.Second}
		},
	} {
		d := ok
		mutate(&d)
		if _, err := New(d); err == nil {
			t.Errorf("%s: New accepted %+v", name, d)
		}
	}
	s, err := New(ok)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Ready(); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Ready before Run: %v, want ErrNotRunning", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.WaitLeader(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitLeader before Run: %v, want context.Canceled", err)
	}
}

func TestRunFailsOnBadBindAddr(t *testing.T) {
	s, err := New(Deps{Logger: zerolog.Nop(), DataDir: t.TempDir(), NodeID: "n", BindAddr: "0.0.0.0:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Run(context.Background()); err == nil {
		t.Fatal("Run accepted an unadvertisable bind address")
	}
	if err := s.Ready(); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Ready after failed Run: %v", err)
	}
}

func TestHCLogAdapter(t *testing.T) {
	buf := &syncBuffer{}
	l := newHCLogAdapter(zerolog.New(buf).Level(zerolog.DebugLevel), "raft")
	l.Trace("hidden by zerolog's level")
	l.Named("transport").With("peer", "b").Warn("dial failed", "error", errors.New("refused"), "attempt", 2)
	l.SetLevel(hclog.Error)
	l.Info("hidden by SetLevel")
	if l.IsInfo() || !l.IsError() || l.GetLevel() != hclog.Error {
		t.Errorf("levels after SetLevel(Error): IsInfo %v IsError %v GetLevel %v", l.IsInfo(), l.IsError(), l.GetLevel())
	}
	l.StandardLogger(&hclog.StandardLoggerOptions{ForceLevel: hclog.Error}).Print("from std")

	lines := buf.lines(t)
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2: %v", len(lines), lines)
	}
	want := map[string]any{
		"level": "warn", "message": "raft.transport: dial failed",
		"peer": "b", "error": "refused", "attempt": float64(2),
	}
	for k, v := range want {
		if lines[0][k] != v {
			t.Errorf("field %s = %v, want %v (line %v)", k, lines[0][k], v, lines[0])
		}
	}
	if lines[1]["level"] != "error" || lines[1]["message"] != "raft: from std" {
		t.Errorf("standard logger line %v", lines[1])
	}
}

// transfer hands leadership from one node to another. With the tight test
// timings a transfer can time out while the target is still catching up
// its log (more so on a loaded machine); it is retried then.
func transfer(t *testing.T, from, to *testNode) {
	t.Helper()
	var err error
	for range 5 {
		err = from.raft.LeadershipTransferToServer(raft.ServerID(to.id), raft.ServerAddress(to.Addr())).Error()
		if err != nil && to.raft.State() == raft.Leader {
			err = nil // the timed-out transfer went through after all
		}
		if err == nil || !strings.Contains(err.Error(), "timeout") {
			break
		}
	}
	if err != nil {
		t.Fatalf("transfer %s → %s: %v", from.id, to.id, err)
	}
}
