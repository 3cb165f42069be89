package otlp_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/nodeagent/internal/otlp"
)

const waitFor = 20 * time.Second

// logBuffer collects a logger's output for assertions.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) count(s string) int { return strings.Count(l.String(), s) }

func (l *logBuffer) logger() zerolog.Logger {
	return zerolog.New(l).Level(zerolog.DebugLevel)
}

func openQueue(t *testing.T, dir string, o otlp.QueueOptions) *otlp.Queue {
	t.Helper()
	q, err := otlp.OpenQueue(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Close() })
	return q
}

// peek returns the head entry, failing the test if none comes in time.
func peek(t *testing.T, q *otlp.Queue) otlp.Item {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), waitFor)
	defer cancel()
	it, err := q.Peek(ctx)
	if err != nil {
		t.Fatalf("peek: %v", err)
	}
	return it
}

// empty fails unless the queue holds nothing to deliver now.
func empty(t *testing.T, q *otlp.Queue) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if it, err := q.Peek(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the queue is not empty: %v %v", it.BatchID, err)
	}
}

// waitUntil polls cond until it holds, failing after waitFor.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}
