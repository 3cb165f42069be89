package git

import (
	"context"
	"errors"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// Limits bound what git over HTTP may cost. Zero fields take the defaults
// of DefaultLimits.
type Limits struct {
	// MaxPushBytes bounds one push's body, as sent and after gzip
	// decoding; git is also told (receive.maxInputSize), so it stops with a
	// clear message.
	MaxPushBytes int64
	// MaxRequestBytes bounds a fetch negotiation body (wants and haves),
	// as sent and after gzip decoding. Bodies are streamed to git, never
	// held whole.
	MaxRequestBytes int64
	// PerRepo and Global bound concurrent git processes per repository and
	// per server. A request waits at most Wait for a slot, then gets 429
	// (repository busy) or 503 (server busy) with Retry-After.
	PerRepo int
	Global  int
	Wait    time.Duration
	// IdleTimeout ends a request that moved no byte either way for that
	// long (git sends keep-alives while it works); TotalTimeout bounds any
	// one request.
	IdleTimeout  time.Duration
	TotalTimeout time.Duration
}

// DefaultLimits are used for every zero field of Limits.
func DefaultLimits() Limits {
	return Limits{
		MaxPushBytes:    2 << 30,
		MaxRequestBytes: 64 << 20,
		PerRepo:         16,
		Global:          max(8, 4*runtime.NumCPU()),
		Wait:            10 * time.Second,
		IdleTimeout:     2 * time.Minute,
		TotalTimeout:    time.Hour,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxPushBytes <= 0 {
		l.MaxPushBytes = d.MaxPushBytes
	}
	if l.MaxRequestBytes <= 0 {
		l.MaxRequestBytes = d.MaxRequestBytes
	}
	if l.PerRepo <= 0 {
		l.PerRepo = d.PerRepo
	}
	if l.Global <= 0 {
		l.Global = d.Global
	}
	if l.Wait <= 0 {
		l.Wait = d.Wait
	}
	if l.IdleTimeout <= 0 {
		l.IdleTimeout = d.IdleTimeout
	}
	if l.TotalTimeout <= 0 {
		l.TotalTimeout = d.TotalTimeout
	}
	return l
}

var (
	errRepoBusy   = errors.New("too many git operations on this repository")
	errServerBusy = errors.New("too many git operations on this server")
	errTooLarge   = errors.New("request body too large")
)

// limiter hands out git process slots: one per repository pool and one of
// the server's.
type limiter struct {
	perRepo int
	global  chan struct{}
	mu      sync.Mutex
	repos   map[uuid.UUID]*repoSlots
}

type repoSlots struct {
	ch    chan struct{}
	users int // holders and waiters; the entry goes when it drops to 0
}

func newLimiter(perRepo, global int) *limiter {
	return &limiter{perRepo: perRepo, global: make(chan struct{}, global), repos: map[uuid.UUID]*repoSlots{}}
}

// acquire waits up to wait for a slot of repo and one of the server.
func (l *limiter) acquire(ctx context.Context, repo uuid.UUID, wait time.Duration) (release func(), err error) {
	l.mu.Lock()
	s := l.repos[repo]
	if s == nil {
		s = &repoSlots{ch: make(chan struct{}, l.perRepo)}
		l.repos[repo] = s
	}
	s.users++
	l.mu.Unlock()
	drop := func() {
		l.mu.Lock()
		if s.users--; s.users == 0 {
			delete(l.repos, repo)
		}
		l.mu.Unlock()
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case s.ch <- struct{}{}:
	case <-timer.C:
		drop()
		return nil, errRepoBusy
	case <-ctx.Done():
		drop()
		return nil, ctx.Err()
	}
	select {
	case l.global <- struct{}{}:
	case <-timer.C:
		<-s.ch
		drop()
		return nil, errServerBusy
	case <-ctx.Done():
		<-s.ch
		drop()
		return nil, ctx.Err()
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			<-l.global
			<-s.ch
			drop()
		})
	}, nil
}

// watchdog cancels a request that made no progress for its duration.
type watchdog struct {
	d     time.Duration
	t     *time.Timer
	fired atomic.Bool
}

func newWatchdog(d time.Duration, cancel context.CancelFunc) *watchdog {
	w := &watchdog{d: d}
	w.t = time.AfterFunc(d, func() {
		w.fired.Store(true)
		cancel()
	})
	return w
}

func (w *watchdog) touch() { w.t.Reset(w.d) }
func (w *watchdog) stop()  { w.t.Stop() }

// bodyReader counts what a request body yields, refuses more than max
// bytes, and tells the watchdog about progress.
type bodyReader struct {
	r        io.Reader
	n, max   int64
	dog      *watchdog
	exceeded bool
	// wire is the bound on the compressed body under a decompressed one.
	wire *bodyReader
}

// tooLarge reports whether this body, or the compressed one under it,
// went over its limit.
func (b *bodyReader) tooLarge() bool {
	return b.exceeded || (b.wire != nil && b.wire.exceeded)
}

func (b *bodyReader) Read(p []byte) (int, error) {
	if b.n > b.max {
		b.exceeded = true
		return 0, errTooLarge
	}
	if rem := b.max - b.n + 1; int64(len(p)) > rem {
		p = p[:rem]
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	if n > 0 {
		b.dog.touch()
	}
	if b.n > b.max {
		b.exceeded = true
		return n, errTooLarge
	}
	return n, err
}
