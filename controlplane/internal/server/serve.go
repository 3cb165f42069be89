package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/config"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// serveHTTP serves the one URL space on ln (h2c without TLS, TLS with
// --tls-cert) until runCtx ends; draining runs when shutdown begins.
func serveHTTP(runCtx context.Context, wg *sync.WaitGroup, stops *stopStack, ln net.Listener, routes http.Handler,
	cfg config.Config, log zerolog.Logger, draining []func(), errs chan<- error,
) error {
	srv := &http.Server{
		Handler:           withClient(newClientPolicy(cfg), routes),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          newStdLogger(log),
		BaseContext:       func(net.Listener) context.Context { return runCtx },
	}
	srv.Protocols = new(http.Protocols)
	srv.Protocols.SetHTTP1(true)
	srv.Protocols.SetHTTP2(true)
	if cfg.TLSCert == "" {
		// h2c: gRPC clients and node agents speak HTTP/2 without TLS on
		// loopback (or behind a TLS-terminating proxy).
		srv.Protocols.SetUnencryptedHTTP2(true)
	} else {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return startupErr("TLS certificate: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ln = tlsListener(ln, srv.TLSConfig)
	}
	// Long-lived streams (agents) are told to reconnect elsewhere, or
	// Shutdown would wait for them until the deadline.
	for _, drain := range draining {
		srv.RegisterOnShutdown(drain)
	}
	stops.push("http", func(stopCtx context.Context) error {
		err := srv.Shutdown(stopCtx)
		if errors.Is(err, context.DeadlineExceeded) {
			_ = srv.Close() // long-lived streams do not end by themselves
		}
		return err
	})
	wg.Go(func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs <- fmt.Errorf("http: %w", err)
		}
	})
	return nil
}

// serveMetrics serves the unauthenticated scrape port (--metrics-listen).
func serveMetrics(ctx context.Context, wg *sync.WaitGroup, stops *stopStack, ln net.Listener, reg *prometheus.Registry,
	log zerolog.Logger, errs chan<- error,
) {
	srv := &http.Server{
		Handler:           scrapeHandler(reg),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          newStdLogger(log),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	stops.push("metrics http", func(stopCtx context.Context) error { return srv.Shutdown(stopCtx) })
	wg.Go(func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs <- fmt.Errorf("metrics http: %w", err)
		}
	})
	log.Info().Str(logfield.Address, ln.Addr().String()).Msg("serving unauthenticated /metrics")
}

func listen(ctx context.Context, addr string) (net.Listener, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err == nil {
		return ln, nil
	}
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("cannot listen on %s: the address is already in use", addr)
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Err != nil {
		return nil, fmt.Errorf("cannot listen on %s: %w", addr, opErr.Err)
	}
	return nil, fmt.Errorf("cannot listen on %s: %w", addr, err)
}

func tlsListener(ln net.Listener, cfg *tls.Config) net.Listener {
	cfg = cfg.Clone()
	cfg.NextProtos = []string{"h2", "http/1.1"}
	return tls.NewListener(ln, cfg)
}

func ignoreClosed(err error) error {
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

func waitGroup(ctx context.Context, wg *sync.WaitGroup) error {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
