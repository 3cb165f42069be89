package kubetest

import (
	"context"
	"fmt"
	"io"

	corev1 "k8s.io/api/core/v1"
)

// Behaviour is what a container does on a SimNode when SimOptions.Program
// overrides its command. The zero value runs the command.
type Behaviour struct {
	// Waiting keeps the container from ever starting, waiting with this
	// reason (ErrImagePull, ImagePullBackOff, ErrImageNeverPull,
	// CreateContainerConfigError, ...) and Message; a Warning event
	// carries the message, as the kubelet records one.
	Waiting, Message string
	// Run replaces the container's process and returns its exit code.
	// ctx ends at SIGTERM (the pod's deletion); a Run still going when
	// the grace period is over counts as killed (137) and is abandoned,
	// so it should return once c.Killed is closed.
	Run func(ctx context.Context, c *SimContainer) int32
}

// SimContainer is what a Behaviour's Run gets.
type SimContainer struct {
	Pod  *corev1.Pod
	Name string
	// Stdin is fed by attaches (nil unless the container has stdin: true).
	Stdin io.Reader
	// Log is the container's output: what is written becomes its log,
	// line by line, each timestamped when written.
	Log io.Writer
	// Killed is closed at SIGKILL.
	Killed <-chan struct{}
	paths  *mountPaths
}

// HostPath is where a path inside the pod (a volume mount) is on the host.
func (c *SimContainer) HostPath(path string) string { return c.paths.rewrite(path) }

// Exit is a container that prints lines and exits with code.
func Exit(code int32, lines ...string) Behaviour {
	return Behaviour{Run: func(_ context.Context, c *SimContainer) int32 {
		for _, l := range lines {
			_, _ = fmt.Fprintln(c.Log, l)
		}
		return code
	}}
}

// Forever is a container that never exits by itself: it ends at SIGTERM
// with 143, or, when ignoreTerm, only at SIGKILL (137).
func Forever(ignoreTerm bool) Behaviour {
	return Behaviour{Run: func(ctx context.Context, c *SimContainer) int32 {
		if !ignoreTerm {
			select {
			case <-ctx.Done():
				return 143
			case <-c.Killed:
			}
		}
		<-c.Killed
		return 137
	}}
}

// PullFailure is a container whose image cannot be pulled: waiting with
// reason (ErrImagePull, ImagePullBackOff, ErrImageNeverPull) and message.
func PullFailure(reason, message string) Behaviour {
	return Behaviour{Waiting: reason, Message: message}
}
