package observe

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// projectLimits holds one token bucket of items per project on this
// replica. A batch larger than the burst is refused outright (retrying it
// would never pass); one the bucket cannot cover now is refused with the
// wait, which the handlers turn into OTLP's retryable answer.
type projectLimits struct {
	perSecond rate.Limit
	burst     int
	mu        sync.Mutex
	buckets   map[string]*rate.Limiter
}

func newProjectLimits(perSecond float64, burst int) *projectLimits {
	return &projectLimits{perSecond: rate.Limit(perSecond), burst: burst, buckets: map[string]*rate.Limiter{}}
}

// take spends n items of project's budget. ok false: refuse, and come
// back after retryAfter (0: never, the batch exceeds the burst).
func (l *projectLimits) take(project string, n int, now time.Time) (ok bool, retryAfter time.Duration) {
	if n > l.burst {
		return false, 0
	}
	l.mu.Lock()
	b := l.buckets[project]
	if b == nil {
		b = rate.NewLimiter(l.perSecond, l.burst)
		l.buckets[project] = b
	}
	l.mu.Unlock()
	r := b.ReserveN(now, n)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}
