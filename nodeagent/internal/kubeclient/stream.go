package kubeclient

import (
	"context"
	"io"
	"net/url"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/streaming/pkg/httpstream"
)

// Streams are an exec's or attach's standard streams; nil ones are not
// requested.
type Streams struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	TTY            bool
}

// Exec runs command in a container of a pod of the namespace and
// returns when it ended (an exit code other than 0 is an error
// implementing k8s.io/client-go/util/exec.ExitError). It speaks the
// remotecommand protocol over WebSocket and falls back to SPDY for API
// servers that refuse the upgrade.
func (c *Client) Exec(ctx context.Context, pod, container string, command []string, s Streams) error {
	return c.stream(ctx, c.StreamURL(pod, "exec", &corev1.PodExecOptions{
		Container: container, Command: command,
		Stdin: s.Stdin != nil, Stdout: s.Stdout != nil, Stderr: s.Stderr != nil && !s.TTY, TTY: s.TTY,
	}), s)
}

// Attach connects to the running process of a container (which must have
// stdin: true for Stdin).
func (c *Client) Attach(ctx context.Context, pod, container string, s Streams) error {
	return c.stream(ctx, c.StreamURL(pod, "attach", &corev1.PodAttachOptions{
		Container: container,
		Stdin:     s.Stdin != nil, Stdout: s.Stdout != nil, Stderr: s.Stderr != nil && !s.TTY, TTY: s.TTY,
	}), s)
}

func (c *Client) stream(ctx context.Context, rawURL string, s Streams) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return err
	}
	ws, err := remotecommand.NewWebSocketExecutor(c.cfg, "GET", u.String())
	if err != nil {
		return err
	}
	spdy, err := remotecommand.NewSPDYExecutor(c.cfg, "POST", u)
	if err != nil {
		return err
	}
	exec, err := remotecommand.NewFallbackExecutor(ws, spdy, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
	if err != nil {
		return err
	}
	return exec.StreamWithContext(ctx, remotecommand.StreamOptions{Stdin: s.Stdin, Stdout: s.Stdout, Stderr: s.Stderr, Tty: s.TTY})
}
