package otlp

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/shared/logfield"
)

// Counters count what the collector received, queued, forwarded and lost
// since the agent started. The receiver, the queue and the forwarder share
// one (each counts its own part); the agent has no metrics endpoint yet,
// so they are read through Stats and logged at debug level. Safe for
// concurrent use; the zero value is ready.
type Counters struct {
	received, receivedItems   atomic.Int64
	unmapped                  atomic.Int64
	badRequests, tooLarge     atomic.Int64
	unsupported, busy, failed atomic.Int64
	queued, queuedItems       atomic.Int64
	dropped, droppedItems     atomic.Int64
	forwarded, forwardedItems atomic.Int64
	duplicates                atomic.Int64
	refused, refusedItems     atomic.Int64
	rejectedItems             atomic.Int64
	retries                   atomic.Int64
}

// Stats is a snapshot of Counters. Requests are exports sent to the
// receiver; entries are queued exports; items are spans, log records or
// metric data points.
type Stats struct {
	// Received: exports accepted by the receiver, and their items.
	Received      int64 `json:"received"`
	ReceivedItems int64 `json:"received_items"`
	// Unmapped: exports refused because no tenant (token) could be
	// found for them (401).
	Unmapped int64 `json:"unmapped"`
	// Refused by the receiver: malformed (400), too large (413), in an
	// unsupported encoding (415), while too busy (429), or because the
	// queue could not store them (503).
	BadRequests int64 `json:"bad_requests"`
	TooLarge    int64 `json:"too_large"`
	Unsupported int64 `json:"unsupported"`
	Busy        int64 `json:"busy"`
	Failed      int64 `json:"failed"`
	// Queued: entries written to the disk queue.
	Queued      int64 `json:"queued"`
	QueuedItems int64 `json:"queued_items"`
	// Dropped: entries the queue's bound deleted before they were
	// delivered (or lost to a damaged file).
	Dropped      int64 `json:"dropped"`
	DroppedItems int64 `json:"dropped_items"`
	// Forwarded: entries the control plane acknowledged (stored, or
	// already stored: Duplicates).
	Forwarded      int64 `json:"forwarded"`
	ForwardedItems int64 `json:"forwarded_items"`
	Duplicates     int64 `json:"duplicates"`
	// Refused: entries the control plane refused for good (bad token,
	// no permission, invalid): acknowledged and lost.
	Refused      int64 `json:"refused"`
	RefusedItems int64 `json:"refused_items"`
	// RejectedItems: items of forwarded entries the control plane did
	// not store (OTLP partial success).
	RejectedItems int64 `json:"rejected_items"`
	// Retries: failed attempts to forward an entry that were retried.
	Retries int64 `json:"retries"`
}

// Stats returns the counts now.
func (c *Counters) Stats() Stats {
	return Stats{
		Received: c.received.Load(), ReceivedItems: c.receivedItems.Load(),
		Unmapped:    c.unmapped.Load(),
		BadRequests: c.badRequests.Load(), TooLarge: c.tooLarge.Load(), Unsupported: c.unsupported.Load(),
		Busy: c.busy.Load(), Failed: c.failed.Load(),
		Queued: c.queued.Load(), QueuedItems: c.queuedItems.Load(),
		Dropped: c.dropped.Load(), DroppedItems: c.droppedItems.Load(),
		Forwarded: c.forwarded.Load(), ForwardedItems: c.forwardedItems.Load(), Duplicates: c.duplicates.Load(),
		Refused: c.refused.Load(), RefusedItems: c.refusedItems.Load(),
		RejectedItems: c.rejectedItems.Load(), Retries: c.retries.Load(),
	}
}

// LogStats logs c's counts at debug level every interval in which they
// changed, until ctx ends (the agent has no metrics endpoint yet).
func LogStats(ctx context.Context, c *Counters, every time.Duration, log zerolog.Logger) error {
	t := time.NewTicker(every)
	defer t.Stop()
	var last Stats
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if st := c.Stats(); st != last {
			last = st
			log.Debug().Interface(logfield.Detail, st).Msg("OTLP collector counts since the agent started")
		}
	}
}
