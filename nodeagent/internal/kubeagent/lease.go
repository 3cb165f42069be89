package kubeagent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"
	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hearth-dev/hearth/nodeagent/internal/kubeclient"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// DefaultLeaseDuration is how long a Lease holds without renewal.
const DefaultLeaseDuration = 15 * time.Second

// Lease elects one replica (see the package doc).
type Lease struct {
	Client *kubeclient.Client
	Name   string
	// Holder names this replica (the pod's name, made unique).
	Holder   string
	Duration time.Duration // 0: DefaultLeaseDuration
	Log      zerolog.Logger

	observed    string // the holder and renew time last seen
	observedAt  time.Time
	lastRenewal time.Time
}

// ErrLost is the cause of the held context when renewing failed.
var ErrLost = errors.New("the lease was lost: another replica may take over")

// Acquire blocks until this replica holds the Lease or ctx ends. held
// ends (cause ErrLost) when the Lease is lost, or when ctx ends; release
// stops renewing and gives the Lease up, so a standby takes over at once.
func (l *Lease) Acquire(ctx context.Context) (held context.Context, release func(), err error) {
	if l.Duration <= 0 {
		l.Duration = DefaultLeaseDuration
	}
	retry := l.Duration / 5
	waiting := false
	for {
		ok, err := l.try(ctx)
		if err != nil {
			l.Log.Warn().Err(err).Str(logfield.Lease, l.Name).Msg("trying the lease failed")
		}
		if ok {
			break
		}
		if !waiting {
			l.Log.Info().Str(logfield.Lease, l.Name).Str(logfield.Holder, l.observed).Msg("another replica holds the lease; waiting")
			waiting = true
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(retry):
		}
	}
	l.Log.Info().Str(logfield.Lease, l.Name).Str(logfield.Holder, l.Holder).Msg("holding the lease")
	held, cancel := context.WithCancelCause(ctx)
	stopped := make(chan struct{})
	stop := make(chan struct{})
	go func() {
		defer close(stopped)
		l.renew(held, stop, cancel)
	}()
	release = func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		<-stopped
		cancel(context.Canceled)
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer rcancel()
		l.giveUp(rctx)
	}
	return held, release, nil
}

// renew keeps the Lease until stop, ctx's end or a failure to renew
// within two thirds of the duration.
func (l *Lease) renew(ctx context.Context, stop <-chan struct{}, cancel context.CancelCauseFunc) {
	every := l.Duration / 3
	for {
		select {
		case <-ctx.Done():
			return
		case <-stop:
			return
		case <-time.After(every):
		}
		ok, err := l.try(ctx)
		if ok {
			continue
		}
		if time.Since(l.lastRenewal) > 2*l.Duration/3 {
			l.Log.Error().Err(err).Str(logfield.Lease, l.Name).Msg("could not renew the lease in time; stopping")
			cancel(ErrLost)
			return
		}
	}
}

// try takes or renews the Lease once; ok reports that this replica holds it.
func (l *Lease) try(ctx context.Context) (bool, error) {
	now := metav1.NewMicroTime(time.Now())
	secs := int32(min(l.Duration/time.Second, 1<<30)) //nolint:gosec // G115: bounded just above
	lease, err := l.Client.GetLease(ctx, l.Name)
	if apierrors.IsNotFound(err) {
		_, err = l.Client.CreateLease(ctx, &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Name: l.Name},
			Spec:       coordinationv1.LeaseSpec{HolderIdentity: &l.Holder, LeaseDurationSeconds: &secs, AcquireTime: &now, RenewTime: &now},
		})
		if err != nil {
			return false, fmt.Errorf("creating lease %s: %w", l.Name, err)
		}
		l.lastRenewal = now.Time
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading lease %s: %w", l.Name, err)
	}
	holder := ""
	if lease.Spec.HolderIdentity != nil {
		holder = *lease.Spec.HolderIdentity
	}
	seen := holder
	if lease.Spec.RenewTime != nil {
		seen += "@" + lease.Spec.RenewTime.UTC().Format(time.RFC3339Nano)
	}
	if seen != l.observed {
		l.observed, l.observedAt = seen, time.Now()
	}
	mine := holder == l.Holder
	if !mine && holder != "" && time.Since(l.observedAt) < l.Duration {
		return false, nil
	}
	if !mine {
		lease.Spec.AcquireTime = &now
		transitions := int32(1)
		if lease.Spec.LeaseTransitions != nil {
			transitions = *lease.Spec.LeaseTransitions + 1
		}
		lease.Spec.LeaseTransitions = &transitions
	}
	lease.Spec.HolderIdentity = &l.Holder
	lease.Spec.RenewTime = &now
	lease.Spec.LeaseDurationSeconds = &secs
	if _, err := l.Client.UpdateLease(ctx, lease); err != nil {
		return false, fmt.Errorf("updating lease %s: %w", l.Name, err)
	}
	l.lastRenewal = now.Time
	return true, nil
}

// giveUp empties the holder if it is still this replica.
func (l *Lease) giveUp(ctx context.Context) {
	lease, err := l.Client.GetLease(ctx, l.Name)
	if err != nil || lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity != l.Holder {
		return
	}
	empty := ""
	lease.Spec.HolderIdentity = &empty
	if _, err := l.Client.UpdateLease(ctx, lease); err != nil {
		l.Log.Warn().Err(err).Str(logfield.Lease, l.Name).Msg("giving the lease up failed; a standby takes over when it expires")
	}
}
