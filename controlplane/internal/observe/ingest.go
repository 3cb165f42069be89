package observe

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/otlpconv"
	"github.com/hearth-dev/hearth/controlplane/internal/observe/record"
)

// throttled refuses a batch the project's rate cannot cover now: OTLP
// exporters retry it after the wait (gRPC RESOURCE_EXHAUSTED with
// RetryInfo, HTTP 429 with Retry-After). after 0: the batch alone exceeds
// the burst and must not be retried as is.
type throttled struct{ after time.Duration }

func (t *throttled) Error() string {
	if t.after == 0 {
		return "the batch holds more items than this project may send at once; send smaller batches"
	}
	return fmt.Sprintf("this project is sending telemetry faster than it may; retry in %s", t.after.Round(time.Millisecond))
}

// tenantOf decides whose telemetry a request carries: the project of its
// token, which must hold observe:write there. Data never names its
// tenant (a resource attribute cannot move it elsewhere).
func (s *Service) tenantOf(ctx context.Context) (uuid.UUID, error) {
	p := access.PrincipalFrom(ctx)
	if p.IsAnonymous() {
		if err := access.AuthErrorFrom(ctx); err != nil {
			return uuid.Nil, err
		}
		return uuid.Nil, apperr.Unauthenticated("send telemetry with a project token holding observe:write (Authorization: Bearer <token>)")
	}
	if p.TokenProject == uuid.Nil {
		return uuid.Nil, apperr.PermissionDenied("telemetry is sent with a token restricted to one project, its tenant; this credential names no project")
	}
	if err := s.d.Authz.Authorize(ctx, p, access.ObserveWrite, p.TokenProject); err != nil {
		return uuid.Nil, err
	}
	return p.TokenProject, nil
}

// accepted is what an export answers: how many items were refused and
// why (OTLP partial success; 0 and no message: all of it), and whether it
// was a retry of a batch stored before.
type accepted struct {
	rejected  int64
	message   string
	duplicate bool
}

// ingest runs one export: authenticate the tenant, convert under the
// limits, spend the project's rate, make it durable. Only then is the
// answer given. key, when set, makes it idempotent: a batch already
// stored under key is acknowledged again, not stored twice.
func (s *Service) ingest(ctx context.Context, signal record.Signal, key string, extra map[string]string,
	convert func(t otlpconv.Tenant, now time.Time) (*record.Batch, otlpconv.Drops),
) (accepted, error) {
	project, err := s.tenantOf(ctx)
	if err != nil {
		s.metrics.refused.WithLabelValues(signal.String(), "auth").Inc()
		return accepted{}, err
	}
	now := s.now()
	if key != "" {
		seen, done := s.batches.begin(key, now)
		if seen {
			return accepted{duplicate: true}, nil
		}
		stored := false
		defer func() { done(stored) }()
		a, err := s.ingestAs(ctx, signal, project, key, extra, now, convert)
		stored = err == nil
		return a, err
	}
	return s.ingestAs(ctx, signal, project, "", extra, now, convert)
}

func (s *Service) ingestAs(ctx context.Context, signal record.Signal, project uuid.UUID, key string, extra map[string]string, now time.Time,
	convert func(t otlpconv.Tenant, now time.Time) (*record.Batch, otlpconv.Drops),
) (accepted, error) {
	b, drops := convert(otlpconv.Tenant{Project: project.String(), Resource: extra}, now)
	s.metrics.countDrops(signal, drops)
	if ok, after := s.limits.take(b.Project, b.Len(), now); !ok {
		s.metrics.refused.WithLabelValues(signal.String(), "rate").Inc()
		return accepted{}, &throttled{after: after}
	}
	if err := s.store(ctx, key, b); err != nil {
		s.metrics.refused.WithLabelValues(signal.String(), "unavailable").Inc()
		return accepted{}, err
	}
	s.metrics.accepted.WithLabelValues(signal.String()).Add(float64(b.Len()))
	return accepted{rejected: drops.Rejected(), message: drops.Message()}, nil
}

// isThrottled reports a rate refusal and its wait.
func isThrottled(err error) (*throttled, bool) {
	var t *throttled
	ok := errors.As(err, &t)
	return t, ok
}
