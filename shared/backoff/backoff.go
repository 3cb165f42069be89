// Package backoff computes jittered exponential retry delays. Both binaries
// use it: the control plane's worker supervisor and the node agent's
// reconnect loop.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Policy is an exponential backoff with full jitter: attempt n waits a
// random duration in [Min, min(Max, Min*2^n)]. The zero value is not useful;
// use Default or fill in both bounds.
type Policy struct {
	Min time.Duration
	Max time.Duration
}

// Default is a sensible policy for reconnects and restarts.
var Default = Policy{Min: 100 * time.Millisecond, Max: 30 * time.Second}

// Delay returns the wait before retry number attempt (0-based).
func (p Policy) Delay(attempt int) time.Duration {
	if p.Min <= 0 {
		return 0
	}
	ceiling := p.Min
	for i := 0; i < attempt && ceiling < p.Max; i++ {
		ceiling *= 2
	}
	if ceiling > p.Max {
		ceiling = p.Max
	}
	if ceiling <= p.Min {
		return p.Min
	}
	return p.Min + rand.N(ceiling-p.Min+1) //nolint:gosec // G404: jitter needs no cryptographic randomness.
}

// Sleep waits for Delay(attempt) or until ctx is done, whichever is first,
// and reports whether the full delay elapsed.
func (p Policy) Sleep(ctx context.Context, attempt int) bool {
	t := time.NewTimer(p.Delay(attempt))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
