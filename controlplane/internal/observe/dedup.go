package observe

import (
	"sync"
	"time"
)

// batchLog remembers the keys of recently stored forwarded batches, so an
// agent's retry of a batch whose answer it never got is acknowledged
// without storing it twice. Keys last keyTTL (an agent retries within
// seconds to minutes); at most maxKeys are kept, the oldest forgotten
// first. The WAL's replay restores the keys of unflushed segments.
type batchLog struct {
	mu   sync.Mutex
	keys map[string]time.Time
	// pending are keys whose batch is being stored right now: a
	// concurrent retry waits for the outcome rather than storing again.
	pending map[string]chan struct{}
}

const (
	keyTTL  = 30 * time.Minute
	maxKeys = 500_000
)

func newBatchLog() *batchLog {
	return &batchLog{keys: map[string]time.Time{}, pending: map[string]chan struct{}{}}
}

// begin claims key for storing. seen: it was stored already. Otherwise
// the caller must call done with whether the store succeeded.
func (l *batchLog) begin(key string, now time.Time) (seen bool, done func(stored bool)) {
	for {
		l.mu.Lock()
		if at, ok := l.keys[key]; ok && now.Sub(at) < keyTTL {
			l.mu.Unlock()
			return true, nil
		}
		wait, busy := l.pending[key]
		if !busy {
			ch := make(chan struct{})
			l.pending[key] = ch
			l.mu.Unlock()
			return false, func(stored bool) {
				l.mu.Lock()
				delete(l.pending, key)
				if stored {
					l.remember(key, now)
				}
				l.mu.Unlock()
				close(ch)
			}
		}
		l.mu.Unlock()
		<-wait
	}
}

// add records key as stored (WAL replay).
func (l *batchLog) add(key string, at time.Time) {
	l.mu.Lock()
	l.remember(key, at)
	l.mu.Unlock()
}

func (l *batchLog) remember(key string, at time.Time) {
	if len(l.keys) >= maxKeys {
		l.expire(at)
	}
	l.keys[key] = at
}

// expire drops keys past their TTL, and the oldest half if that was not
// enough. Called with mu held, rarely (when the map is full).
func (l *batchLog) expire(now time.Time) {
	for k, at := range l.keys {
		if now.Sub(at) >= keyTTL {
			delete(l.keys, k)
		}
	}
	if len(l.keys) < maxKeys {
		return
	}
	cut := now
	for _, at := range l.keys {
		if at.Before(cut) {
			cut = at
		}
	}
	mid := cut.Add(now.Sub(cut) / 2)
	for k, at := range l.keys {
		if at.Before(mid) {
			delete(l.keys, k)
		}
	}
	for k := range l.keys { // all of one instant: any will do
		if len(l.keys) < maxKeys*9/10 {
			break
		}
		delete(l.keys, k)
	}
}
