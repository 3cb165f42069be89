package otlpconv

import (
	"math"
	"time"
)

// converter carries one request's conversion state: the limits, the
// accepted time window, and the counts of what was dropped.
type converter struct {
	tenant Tenant
	lim    Limits
	win    Window
	now    int64
	drops  Drops
}

func newConverter(t Tenant, now time.Time, lim Limits) *converter {
	lim = lim.Normalized()
	return &converter{tenant: t, lim: lim, win: lim.Window(now), now: now.UnixNano()}
}

// toNano converts an OTLP fixed64 timestamp to record's int64, reporting
// false for values int64 cannot hold (past year 2262).
func toNano(u uint64) (int64, bool) {
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

// inWindow converts an OTLP timestamp and reports whether it lies in the
// accepted window.
func (c *converter) inWindow(u uint64) (int64, bool) {
	ns, ok := toNano(u)
	return ns, ok && c.win.Contains(ns)
}

// addDropped adds n to an OTLP dropped-attributes count without wrapping.
func addDropped(a uint32, n int) uint32 {
	if n <= 0 {
		return a
	}
	sum := uint64(a) + uint64(n)
	if sum > math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(sum)
}

// validID reports whether id has the given length and is not all zeros
// (W3C trace context: an all-zero trace or span id is invalid).
func validID(id []byte, n int) bool {
	if len(id) != n {
		return false
	}
	for _, b := range id {
		if b != 0 {
			return true
		}
	}
	return false
}

// optionalID returns id when it is valid, nil when absent, and reports
// false when present but invalid.
func optionalID(id []byte, n int) ([]byte, bool) {
	if len(id) == 0 {
		return nil, true
	}
	if !validID(id, n) {
		return nil, false
	}
	return id, true
}
