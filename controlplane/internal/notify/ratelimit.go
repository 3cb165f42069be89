package notify

import (
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/time/rate"
)

// maxLimiters bounds the webhooks whose limiters a replica keeps; past it
// they start again full (a burst allowance more, nothing worse).
const maxLimiters = 10_000

// limiters are the webhooks' delivery rates on this replica.
type limiters struct {
	mu    sync.Mutex
	every rate.Limit
	burst int
	by    map[uuid.UUID]*rate.Limiter
}

func newLimiters(perSecond float64, burst int) *limiters {
	return &limiters{every: rate.Limit(perSecond), burst: burst, by: map[uuid.UUID]*rate.Limiter{}}
}

// wait returns how long a delivery to webhook id must wait for its turn
// (0: send now, which takes the turn).
func (l *limiters) wait(id uuid.UUID, now time.Time) time.Duration {
	l.mu.Lock()
	lim, ok := l.by[id]
	if !ok {
		if len(l.by) >= maxLimiters {
			l.by = map[uuid.UUID]*rate.Limiter{}
		}
		lim = rate.NewLimiter(l.every, l.burst)
		l.by[id] = lim
	}
	l.mu.Unlock()
	r := lim.ReserveN(now, 1)
	d := r.DelayFrom(now)
	if d > 0 {
		r.CancelAt(now) // not sent now: give the turn back
	}
	return d
}
