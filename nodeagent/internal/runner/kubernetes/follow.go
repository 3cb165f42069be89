package kubernetes

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hearth-dev/hearth/shared/logfield"
)

// saveEvery is how often a follower writes its cursor while lines flow.
const saveEvery = time.Second

// follower copies one container's log into the job's step logs (demux)
// until the container ended and its whole log was read.
type follower struct {
	h         *handle
	container string
	d         *demux
	done      chan struct{}
	err       error // valid after done
}

func (h *handle) newFollower(container, nonce string, firstStep uint32) (*follower, error) {
	d, err := openDemux(h.dir, filepath.Join(h.dir, stateDir, container+".cursor"), nonce, firstStep)
	if err != nil {
		return nil, err
	}
	return &follower{h: h, container: container, d: d, done: make(chan struct{})}, nil
}

// terminationLag bounds how long a follower waits, after a follow that
// ended, for the pod to show its container terminated: the kubelet
// reports a container's end up to about a second after its log is
// complete (PLEG), and reopening at once would read the log's last second
// again and again until then.
const terminationLag = 500 * time.Millisecond

// run follows until the container's log is complete, ctx ends or the log
// cannot be made sense of. A broken connection is reopened from the
// cursor (sinceTime); the demux drops what it already has.
//
// The end of a response does not prove the log complete: when the
// kubelet's connection breaks, the API server ends its own response to us
// as cleanly as a whole one (it ignores the copy's error). So the log of
// a terminated container is complete only once a read of it confirms the
// previous one (readEnd.confirms); a follow that ends while the container
// still runs is reopened.
func (f *follower) run(ctx context.Context) {
	defer close(f.done)
	defer f.d.close()
	backoff := 100 * time.Millisecond
	var prev *readEnd
	for {
		terminated := f.terminated()
		opts := &corev1.PodLogOptions{Container: f.container, Follow: !terminated, Timestamps: true}
		if t := f.d.since(); !t.IsZero() {
			opts.SinceTime = &metav1.Time{Time: t}
		}
		stream, err := f.h.r.c.PodLogs(ctx, f.h.m.Pod, opts)
		if err == nil {
			err = f.copy(stream)
			_ = stream.Close()
		}
		ended := errors.Is(err, io.EOF)
		if ended {
			end := f.d.end()
			if terminated && prev != nil && end.confirms(*prev) {
				if err = f.d.finish(); err == nil {
					err = f.d.save()
				}
				f.err = err
				return
			}
			prev = &end
		} else {
			prev = nil
		}
		_ = f.d.save()
		var bad *badLogError
		if errors.As(err, &bad) {
			f.err = bad
			return
		}
		if ctx.Err() != nil {
			f.err = ctx.Err()
			return
		}
		switch {
		case !ended:
			f.h.log.Debug().Err(err).Str(logfield.Container, f.container).Msg("following the log again")
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 2*time.Second)
		case !terminated:
			f.awaitTerminated(ctx)
		}
		f.d.rewind()
	}
}

// awaitTerminated waits up to terminationLag for the cached pod to show
// the container ended, as a follow that ends cleanly most often means.
func (f *follower) awaitTerminated(ctx context.Context) {
	deadline := time.Now().Add(terminationLag)
	for !f.terminated() && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// badLogError is a log the demux cannot read (no timestamps): reading it
// again would not help.
type badLogError struct{ err error }

func (e *badLogError) Error() string { return "reading the container log: " + e.err.Error() }

// copy feeds the stream to the demux, saving the cursor every saveEvery.
func (f *follower) copy(r io.Reader) error {
	buf := make([]byte, 64<<10)
	last := time.Now()
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if ferr := f.d.feed(buf[:n]); ferr != nil {
				return &badLogError{ferr}
			}
			if time.Since(last) > saveEvery {
				if serr := f.d.save(); serr != nil {
					return &badLogError{serr}
				}
				last = time.Now()
			}
		}
		if err != nil {
			return err
		}
	}
}

// terminated reports whether the container has ended (its log is then
// complete and a read without follow gets all of it).
func (f *follower) terminated() bool {
	pod := f.h.r.pod(f.h.m.Pod)
	if pod == nil {
		return true
	}
	st := containerStatus(pod, f.container)
	return st != nil && st.State.Terminated != nil
}

// containerStatus finds a container's status among the pod's.
func containerStatus(pod *corev1.Pod, name string) *corev1.ContainerStatus {
	for _, list := range [][]corev1.ContainerStatus{pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses} {
		for i := range list {
			if list[i].Name == name {
				return &list[i]
			}
		}
	}
	return nil
}
