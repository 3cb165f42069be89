package observe

import (
	"sync"
	"sync/atomic"

	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

// tailHub fans newly stored log records out to the live tails of their
// project on this replica. A tail that falls behind loses records (it is
// told how many) rather than slowing ingest down.
type tailHub struct {
	mu   sync.RWMutex
	subs map[string]map[*tailSub]struct{}
}

type tailSub struct {
	ch      chan []record.Log
	dropped atomic.Int64
}

func newTailHub() *tailHub { return &tailHub{subs: map[string]map[*tailSub]struct{}{}} }

// subscribe starts a tail of project; cancel ends it.
func (h *tailHub) subscribe(project string) (sub *tailSub, cancel func()) {
	sub = &tailSub{ch: make(chan []record.Log, 64)}
	h.mu.Lock()
	if h.subs[project] == nil {
		h.subs[project] = map[*tailSub]struct{}{}
	}
	h.subs[project][sub] = struct{}{}
	h.mu.Unlock()
	return sub, func() {
		h.mu.Lock()
		delete(h.subs[project], sub)
		if len(h.subs[project]) == 0 {
			delete(h.subs, project)
		}
		h.mu.Unlock()
	}
}

// publish hands logs to every tail of project without blocking.
func (h *tailHub) publish(project string, logs []record.Log) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for sub := range h.subs[project] {
		select {
		case sub.ch <- logs:
		default:
			sub.dropped.Add(int64(len(logs)))
		}
	}
}
