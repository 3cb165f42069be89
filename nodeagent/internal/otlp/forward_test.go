package otlp_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/hearth-dev/hearth/nodeagent/internal/otlp"
	"github.com/hearth-dev/hearth/shared/backoff"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1/agentv1connect"
)

// fakeGateway is the control plane's side of ExportTelemetry: it stores
// each batch once and answers a repeat duplicate, unless answer (set by
// the test) says otherwise.
type fakeGateway struct {
	agentv1connect.UnimplementedAgentServiceHandler

	mu      sync.Mutex
	answer  func(req *agentv1.ExportTelemetryRequest) error
	calls   []string        // batch ids, every call
	stored  []string        // batch ids, first successful call of each
	okAt    map[string]int  // batch id → index in calls of its success
	tokens  map[string]bool // tokens of stored batches
	changed chan struct{}
}

func (g *fakeGateway) ExportTelemetry(_ context.Context, req *agentv1.ExportTelemetryRequest) (*agentv1.ExportTelemetryResponse, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	defer func() { close(g.changed); g.changed = make(chan struct{}) }()
	g.calls = append(g.calls, req.GetBatchId())
	if g.answer != nil {
		if err := g.answer(req); err != nil {
			return nil, err
		}
	}
	if _, ok := g.okAt[req.GetBatchId()]; ok {
		return &agentv1.ExportTelemetryResponse{Duplicate: true}, nil
	}
	g.okAt[req.GetBatchId()] = len(g.calls) - 1
	g.stored = append(g.stored, req.GetBatchId())
	g.tokens[req.GetToken()] = true
	return &agentv1.ExportTelemetryResponse{}, nil
}

func (g *fakeGateway) setAnswer(f func(req *agentv1.ExportTelemetryRequest) error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.answer = f
}

func (g *fakeGateway) snapshot() (calls, stored []string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.calls...), append([]string(nil), g.stored...)
}

// wait blocks until cond holds, re-checking at every call.
func (g *fakeGateway) wait(t *testing.T, what string, cond func(calls, stored []string) bool) {
	t.Helper()
	deadline := time.NewTimer(waitFor)
	defer deadline.Stop()
	for {
		g.mu.Lock()
		ch := g.changed
		g.mu.Unlock()
		if cond(g.snapshot()) {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			calls, stored := g.snapshot()
			t.Fatalf("timed out waiting for %s; calls %v, stored %v", what, calls, stored)
		}
	}
}

// noCallAfterSuccess fails if a batch was sent again after the call that
// stored it was answered (the forwarder had acknowledged it).
func (g *fakeGateway) noCallAfterSuccess(t *testing.T) {
	t.Helper()
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, id := range g.calls {
		if at, ok := g.okAt[id]; ok && i > at {
			t.Fatalf("batch %s sent again (call %d) after it was stored (call %d)", id, i, at)
		}
	}
}

// serveGateway serves g over h2c on addr (":0": any loopback port) and
// returns the server's URL and a function stopping it.
func serveGateway(t *testing.T, g *fakeGateway, addr string) (string, func()) {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle(agentv1connect.NewAgentServiceHandler(g))
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.Protocols = new(http.Protocols)
	srv.Config.Protocols.SetHTTP1(true)
	srv.Config.Protocols.SetUnencryptedHTTP2(true)
	if addr != "" {
		_ = srv.Listener.Close()
		var lc net.ListenConfig
		ln, err := lc.Listen(t.Context(), "tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		srv.Listener = ln
	}
	srv.Start()
	stop := func() {
		srv.CloseClientConnections()
		srv.Close()
	}
	t.Cleanup(stop)
	return srv.URL, stop
}

func newGateway() *fakeGateway {
	return &fakeGateway{okAt: map[string]int{}, tokens: map[string]bool{}, changed: make(chan struct{})}
}

// gatewayClient is an AgentService client over h2c, as the session's.
func gatewayClient(t *testing.T, url string) agentv1connect.AgentServiceClient {
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	t.Cleanup(tr.CloseIdleConnections)
	return agentv1connect.NewAgentServiceClient(&http.Client{Transport: tr}, url)
}

// runForwarder runs f until the test ends.
func runForwarder(t *testing.T, f *otlp.Forwarder) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

var fastRetry = backoff.Policy{Min: time.Millisecond, Max: 5 * time.Millisecond}

// enqueueN queues n entries (token tok(i)) and returns the first one's
// batch id.
func enqueueN(t *testing.T, q *otlp.Queue, n int, tok func(i int) string) string {
	t.Helper()
	for i := range n {
		if err := q.Enqueue(otlp.Entry{Signal: otlp.Traces, Token: tok(i), Payload: []byte(fmt.Sprint(i)), Items: 2}); err != nil {
			t.Fatal(err)
		}
	}
	return peek(t, q).BatchID
}

func TestForwardDeliversInOrder(t *testing.T) {
	g := newGateway()
	url, _ := serveGateway(t, g, "")
	counters := &otlp.Counters{}
	q := openQueue(t, t.TempDir(), otlp.QueueOptions{Counters: counters})
	first := enqueueN(t, q, 20, func(int) string { return token })
	runForwarder(t, &otlp.Forwarder{Queue: q, Client: gatewayClient(t, url), Backoff: fastRetry, Counters: counters})
	g.wait(t, "20 batches stored", func(_, stored []string) bool { return len(stored) == 20 })
	calls, stored := g.snapshot()
	if len(calls) != 20 || stored[0] != first {
		t.Fatalf("calls %v", calls)
	}
	prefix := q.ID() + "/"
	var last int
	for _, id := range stored {
		var seq int
		if _, err := fmt.Sscanf(strings.TrimPrefix(id, prefix), "%d", &seq); err != nil || !strings.HasPrefix(id, prefix) || seq <= last {
			t.Fatalf("stored out of order: %v", stored)
		}
		last = seq
	}
	waitUntil(t, "every entry acknowledged", func() bool { return counters.Stats().Forwarded == 20 })
	empty(t, q)
	if st := counters.Stats(); st.ForwardedItems != 40 || st.Refused != 0 || st.Retries != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestForwardRetriesWhileUnavailable: while the control plane answers
// UNAVAILABLE (or RESOURCE_EXHAUSTED), the head entry is retried, never
// skipped; once it answers, everything is delivered, in order, each batch
// once.
func TestForwardRetriesWhileUnavailable(t *testing.T) {
	for _, code := range []connect.Code{connect.CodeUnavailable, connect.CodeResourceExhausted, connect.CodeDeadlineExceeded} {
		t.Run(code.String(), func(t *testing.T) {
			g := newGateway()
			g.setAnswer(func(*agentv1.ExportTelemetryRequest) error { return connect.NewError(code, errors.New("down")) })
			url, _ := serveGateway(t, g, "")
			counters := &otlp.Counters{}
			q := openQueue(t, t.TempDir(), otlp.QueueOptions{Counters: counters})
			first := enqueueN(t, q, 5, func(int) string { return token })
			runForwarder(t, &otlp.Forwarder{Queue: q, Client: gatewayClient(t, url), Backoff: fastRetry, Counters: counters})
			g.wait(t, "retries", func(calls, _ []string) bool { return len(calls) >= 5 })
			calls, stored := g.snapshot()
			for _, id := range calls {
				if id != first {
					t.Fatalf("while failing, batch %s was sent (the head is %s): %v", id, first, calls)
				}
			}
			if len(stored) != 0 {
				t.Fatalf("stored %v", stored)
			}
			g.setAnswer(nil)
			g.wait(t, "everything stored", func(_, stored []string) bool { return len(stored) == 5 })
			g.noCallAfterSuccess(t)
			if _, stored := g.snapshot(); stored[0] != first {
				t.Fatalf("stored %v", stored)
			}
			waitUntil(t, "every entry acknowledged", func() bool { return counters.Stats().Forwarded == 5 })
			if st := counters.Stats(); st.Retries < 4 || st.Refused != 0 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

// TestForwardRetriesWhileTheServerIsDown: with the control plane's
// listener closed (connection refused: a transport error), entries stay
// queued; a server on the same address gets all of them.
func TestForwardRetriesWhileTheServerIsDown(t *testing.T) {
	g := newGateway()
	url, stop := serveGateway(t, g, "")
	addr := strings.TrimPrefix(url, "http://")
	stop()
	var logs logBuffer
	counters := &otlp.Counters{}
	q := openQueue(t, t.TempDir(), otlp.QueueOptions{Counters: counters})
	enqueueN(t, q, 3, func(int) string { return token })
	runForwarder(t, &otlp.Forwarder{Queue: q, Client: gatewayClient(t, url), Backoff: fastRetry, Counters: counters, Logger: logs.logger()})
	waitUntil(t, "retries", func() bool { return counters.Stats().Retries >= 3 })
	if counters.Stats().Forwarded != 0 || counters.Stats().Refused != 0 {
		t.Fatalf("stats %+v", counters.Stats())
	}
	if n := logs.count(`"level":"warn"`); n != 1 {
		t.Fatalf("%d warnings for one outage:\n%s", n, logs.String())
	}
	serveGateway(t, g, addr)
	g.wait(t, "everything stored", func(_, stored []string) bool { return len(stored) == 3 })
	g.noCallAfterSuccess(t)
	waitUntil(t, "every entry acknowledged", func() bool { return counters.Stats().Forwarded == 3 })
}

// TestForwardDropsRefusedEntries: an entry the control plane refuses for
// good (its token is unknown, lacks permission, the payload is invalid) is
// acknowledged after one call, counted, and logged once per reason,
// without its token.
func TestForwardDropsRefusedEntries(t *testing.T) {
	g := newGateway()
	g.setAnswer(func(req *agentv1.ExportTelemetryRequest) error {
		switch {
		case strings.HasPrefix(req.GetToken(), "denied"):
			return connect.NewError(connect.CodePermissionDenied, errors.New("the token may not write telemetry"))
		case strings.HasPrefix(req.GetToken(), "unknown"):
			return connect.NewError(connect.CodeUnauthenticated, errors.New("unknown token"))
		}
		return nil
	})
	url, _ := serveGateway(t, g, "")
	var logs logBuffer
	counters := &otlp.Counters{}
	q := openQueue(t, t.TempDir(), otlp.QueueOptions{Counters: counters})
	toks := []string{token, "denied-1-secret", "denied-2-secret", "unknown-3-secret", token}
	enqueueN(t, q, len(toks), func(i int) string { return toks[i] })
	runForwarder(t, &otlp.Forwarder{Queue: q, Client: gatewayClient(t, url), Backoff: fastRetry, Counters: counters, Logger: logs.logger()})
	waitUntil(t, "every entry handled", func() bool {
		st := counters.Stats()
		return st.Forwarded+st.Refused == 5
	})
	calls, stored := g.snapshot()
	if len(calls) != 5 || len(stored) != 2 {
		t.Fatalf("calls %v, stored %v: each entry is sent once", calls, stored)
	}
	if st := counters.Stats(); st.Refused != 3 || st.RefusedItems != 6 || st.Forwarded != 2 {
		t.Fatalf("stats %+v", st)
	}
	if n := logs.count("refused forwarded telemetry"); n != 2 {
		t.Fatalf("%d warnings for two reasons:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), "secret") || strings.Contains(logs.String(), token) {
		t.Fatalf("a token was logged:\n%s", logs.String())
	}
	empty(t, q)
}

// TestForwardDuplicateAcks: an answer "duplicate" (stored by an earlier
// attempt, the agent restarted before recording it) acknowledges the entry.
func TestForwardDuplicateAcks(t *testing.T) {
	g := newGateway()
	url, _ := serveGateway(t, g, "")
	dir := t.TempDir()
	counters := &otlp.Counters{}
	q, err := otlp.OpenQueue(dir, otlp.QueueOptions{Counters: counters})
	if err != nil {
		t.Fatal(err)
	}
	enqueueN(t, q, 2, func(int) string { return token })
	// The control plane stores the first batch, but the agent stops before
	// acknowledging it.
	it := peek(t, q)
	if _, err := gatewayClient(t, url).ExportTelemetry(t.Context(), &agentv1.ExportTelemetryRequest{Signal: it.Signal, Payload: it.Payload, Token: it.Token, BatchId: it.BatchID}); err != nil {
		t.Fatal(err)
	}
	_ = q.Close()
	q2 := openQueue(t, dir, otlp.QueueOptions{Counters: counters})
	runForwarder(t, &otlp.Forwarder{Queue: q2, Client: gatewayClient(t, url), Backoff: fastRetry, Counters: counters})
	waitUntil(t, "both acknowledged", func() bool { return counters.Stats().Forwarded == 2 })
	calls, stored := g.snapshot()
	if len(stored) != 2 || len(calls) != 3 || calls[1] != it.BatchID {
		t.Fatalf("calls %v, stored %v", calls, stored)
	}
	if st := counters.Stats(); st.Duplicates != 1 {
		t.Fatalf("stats %+v", st)
	}
	empty(t, q2)
}

// BenchmarkForward measures one-at-a-time forwarding over loopback h2c,
// each acknowledgement fsync'd to the queue's disk.
func BenchmarkForward(b *testing.B) {
	for _, size := range []int{1 << 10, 256 << 10} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			g := newGateway()
			mux := http.NewServeMux()
			mux.Handle(agentv1connect.NewAgentServiceHandler(g))
			srv := httptest.NewUnstartedServer(mux)
			srv.Config.Protocols = new(http.Protocols)
			srv.Config.Protocols.SetUnencryptedHTTP2(true)
			srv.Start()
			defer srv.Close()
			tr := &http.Transport{Protocols: new(http.Protocols)}
			tr.Protocols.SetUnencryptedHTTP2(true)
			defer tr.CloseIdleConnections()
			client := agentv1connect.NewAgentServiceClient(&http.Client{Transport: tr}, srv.URL)
			counters := &otlp.Counters{}
			// Large enough to hold b.N entries: the bound would drop some.
			maxBytes := max(int64(otlp.DefaultQueueBytes), 2*int64(b.N)*int64(size+1024))
			q, err := otlp.OpenQueue(b.TempDir(), otlp.QueueOptions{MaxBytes: maxBytes, Counters: counters})
			if err != nil {
				b.Fatal(err)
			}
			defer q.Close()
			payload := make([]byte, size)
			for range b.N {
				if err := q.Enqueue(otlp.Entry{Signal: otlp.Logs, Token: token, Payload: payload, Items: 1}); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(size))
			b.ResetTimer()
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			f := &otlp.Forwarder{Queue: q, Client: client, Counters: counters}
			go func() { done <- f.Run(ctx) }()
			for {
				g.mu.Lock()
				n, ch := len(g.stored), g.changed
				g.mu.Unlock()
				if n == b.N {
					break
				}
				<-ch
			}
			b.StopTimer()
			cancel()
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		})
	}
}
