package supervisor

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/shared/backoff"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// DefaultHealthyAfter is how long a run must last before the supervisor
// forgets earlier failures, when [Deps.HealthyAfter] is zero.
const DefaultHealthyAfter = time.Minute

// Worker is a named background task. Run must return soon after ctx is
// cancelled. A method value such as svc.Run fits.
type Worker struct {
	// Name identifies the worker in logs and metric labels; keep it short,
	// stable and low-cardinality ("deploy-reconciler").
	Name string
	// Run does the work. A nil return while ctx is live means "finished";
	// an error or a panic means "restart me after a backoff".
	Run func(ctx context.Context) error
}

// Deps is what a Supervisor needs.
type Deps struct {
	// Logger receives worker failures and lifecycle events.
	Logger zerolog.Logger
	// Registerer receives the worker metrics; nil registers nothing.
	Registerer prometheus.Registerer
	// Backoff spaces restarts; the zero value means backoff.Default.
	Backoff backoff.Policy
	// HealthyAfter is how long a run must last for the restart attempt
	// counter to reset; zero means DefaultHealthyAfter.
	HealthyAfter time.Duration
}

// Supervisor runs workers, restarting them when they fail. It is safe for
// concurrent use.
type Supervisor struct {
	log          zerolog.Logger
	backoff      backoff.Policy
	healthyAfter time.Duration

	panics   *prometheus.CounterVec
	restarts *prometheus.CounterVec
	running  *prometheus.GaugeVec
}

// New returns a Supervisor and registers its metrics on deps.Registerer.
func New(deps Deps) (*Supervisor, error) {
	s := &Supervisor{
		log:          deps.Logger,
		backoff:      deps.Backoff,
		healthyAfter: deps.HealthyAfter,
	}
	if s.backoff == (backoff.Policy{}) {
		s.backoff = backoff.Default
	}
	if s.healthyAfter <= 0 {
		s.healthyAfter = DefaultHealthyAfter
	}
	if s.backoff.Min < 0 || s.backoff.Max < s.backoff.Min {
		return nil, fmt.Errorf("supervisor: invalid backoff policy %+v", s.backoff)
	}

	var err error
	if s.panics, err = register(deps.Registerer, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hearth_worker_panics_total",
		Help: "Panics recovered from supervised background workers.",
	}, []string{"worker"})); err != nil {
		return nil, err
	}
	if s.restarts, err = register(deps.Registerer, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hearth_worker_restarts_total",
		Help: "Restarts of supervised background workers after a panic or an error.",
	}, []string{"worker"})); err != nil {
		return nil, err
	}
	if s.running, err = register(deps.Registerer, prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "hearth_worker_running",
		Help: "Supervised background worker instances currently running.",
	}, []string{"worker"})); err != nil {
		return nil, err
	}
	return s, nil
}

// register registers c on r, or returns the equivalent collector already
// registered there.
func register[C prometheus.Collector](r prometheus.Registerer, c C) (C, error) {
	if r == nil {
		return c, nil
	}
	err := r.Register(c)
	if err == nil {
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	var zero C
	return zero, fmt.Errorf("supervisor: register metrics: %w", err)
}

// Run starts every worker in its own goroutine and supervises it until ctx
// is cancelled or the worker finishes (returns nil while ctx is live). It
// returns once every worker has returned: when all have finished, or after
// ctx is cancelled and each has stopped. It returns an error without
// starting anything if a worker has no name or no Run function, or if two
// workers share a name.
func (s *Supervisor) Run(ctx context.Context, workers ...Worker) error {
	seen := make(map[string]bool, len(workers))
	for i, w := range workers {
		if w.Name == "" {
			return fmt.Errorf("supervisor: worker %d has no name", i)
		}
		if w.Run == nil {
			return fmt.Errorf("supervisor: worker %q has no Run function", w.Name)
		}
		if seen[w.Name] {
			return fmt.Errorf("supervisor: duplicate worker name %q", w.Name)
		}
		seen[w.Name] = true
	}

	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Go(func() { s.supervise(ctx, w) })
	}
	wg.Wait()
	return nil
}

// supervise runs w until it finishes or ctx is cancelled, restarting it
// with backoff after each failure.
func (s *Supervisor) supervise(ctx context.Context, w Worker) {
	log := s.log.With().Str(logfield.Worker, w.Name).Logger()
	attempt := 0
	for {
		started := time.Now()
		err := s.runOnce(ctx, w, log)
		if ctx.Err() != nil {
			if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				log.Warn().Err(err).Msg("worker returned an error while stopping")
			} else {
				log.Debug().Msg("worker stopped")
			}
			return
		}
		if err == nil {
			log.Debug().Msg("worker finished")
			return
		}
		if time.Since(started) >= s.healthyAfter {
			attempt = 0
		}
		delay := s.backoff.Delay(attempt)
		attempt++
		log.Error().Err(err).Int(logfield.Attempt, attempt).Dur(logfield.Backoff, delay).
			Msg("worker failed; restarting after backoff")
		if !wait(ctx, delay) {
			log.Debug().Msg("worker not restarted: stopping")
			return
		}
		s.restarts.WithLabelValues(w.Name).Inc()
	}
}

// runOnce calls w.Run once, turning a panic into an error.
func (s *Supervisor) runOnce(ctx context.Context, w Worker, log zerolog.Logger) (err error) {
	running := s.running.WithLabelValues(w.Name)
	running.Inc()
	defer running.Dec()
	defer func() {
		if v := recover(); v != nil {
			s.panics.WithLabelValues(w.Name).Inc()
			log.Error().Str(logfield.PanicValue, fmt.Sprint(v)).Str(logfield.Stack, string(debug.Stack())).
				Msg("worker panicked")
			err = panicError{value: v}
		}
	}()
	return w.Run(ctx)
}

// panicError is the failure recorded for a worker run that panicked.
type panicError struct{ value any }

func (e panicError) Error() string { return fmt.Sprintf("panic: %v", e.value) }

// wait waits for d or until ctx is done, and reports whether d elapsed.
func wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
