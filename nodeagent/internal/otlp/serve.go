package otlp

import (
	"context"
	"errors"
	stdlog "log"
	"net"
	"net/http"
	"time"

	"github.com/rs/zerolog"
)

// shutdownGrace is how long a stopping server waits for exports being
// received.
const shutdownGrace = 5 * time.Second

// Serve serves h (the Receiver) on ln until ctx ends, then shuts down
// gracefully: requests under way may finish within a few seconds. It
// speaks HTTP/1.1 and HTTP/2 without TLS (h2c, prior knowledge): OTLP/gRPC
// clients need HTTP/2, and the receiver listens on loopback or inside the
// cluster's network. ln is closed when Serve returns.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, log zerolog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		Protocols:         new(http.Protocols),
		ErrorLog:          stdlog.New(log, "", 0),
	}
	srv.Protocols.SetHTTP1(true)
	srv.Protocols.SetUnencryptedHTTP2(true)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
