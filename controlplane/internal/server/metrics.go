package server

import (
	"context"
	"errors"
	"net/http"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
)

// newRegistry returns this server's Prometheus registry. It is not the
// global default registry: tests run several servers in one process.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// metricsPermission is what /metrics on the main port needs: an
// installation-wide administration right that only administrators hold and
// only the admin token scope carries (not "api", not "read-only").
// admin:audit is the read-only one: metrics, like the audit log, observe
// the whole installation.
const metricsPermission = access.AdminAudit

// adminMetrics serves Prometheus on the main port to administrators only,
// asked through the one authorizer: anonymous callers get 401, others
// without metricsPermission 403. The main port faces users; what the
// process exposes (routes, rates, workers) is not theirs to read.
// Scrapers use --metrics-listen, or an admin-scoped token.
func adminMetrics(reg *prometheus.Registry, authz Authorizer) http.Handler {
	scrape := promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		p := access.PrincipalFrom(ctx)
		var err error
		switch {
		case access.AuthErrorFrom(ctx) != nil:
			err = apperr.Unauthenticated("invalid credentials")
		case p.MustChangePassword && !p.IsAnonymous():
			err = apperr.PermissionDenied("you must change your password first")
		default:
			err = authz.Authorize(ctx, p, metricsPermission, uuid.Nil)
		}
		if err != nil {
			metricsRefusal(w, r, err)
			return
		}
		scrape.ServeHTTP(w, r)
	})
}

// metricsRefusal answers a refused scrape in plain text (Prometheus shows
// the body of a failed scrape), classified by the one classifier. /metrics
// is installation-wide, so a refusal says which permission it needs.
func metricsRefusal(w http.ResponseWriter, r *http.Request, err error) {
	c := apperr.Classify(err)
	status, msg := c.Status, c.Message
	switch {
	case c.Kind == apperr.KindUnauthenticated:
		w.Header().Set("WWW-Authenticate", wwwAuthenticate)
	case c.Kind == apperr.KindPermissionDenied, c.Kind == apperr.KindNotFound:
		status, msg = http.StatusForbidden, "permission "+metricsPermission.String()+" is required (an administrator; a token needs the admin scope)"
	case c.Internal():
		zerolog.Ctx(r.Context()).Error().Err(c.Log).Msg("metrics refusal")
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(msg + "\n"))
}

// scrapeHandler is --metrics-listen's: /metrics without authentication,
// nothing else. That port is for a Prometheus on a private network.
func scrapeHandler(reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	return mux
}

// rpcMetrics counts and times every RPC by procedure and code.
type rpcMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newRPCMetrics(reg prometheus.Registerer) *rpcMetrics {
	m := &rpcMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hearth_rpc_requests_total", Help: "RPCs handled, by procedure and code.",
		}, []string{"procedure", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "hearth_rpc_duration_seconds", Help: "RPC handling time, by procedure.",
			Buckets: prometheus.DefBuckets,
		}, []string{"procedure"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

func (m *rpcMetrics) observe(procedure string, start time.Time, err error) {
	code := "ok"
	if err != nil {
		code = connect.CodeOf(err).String()
		var ce *connect.Error
		if !errors.As(err, &ce) {
			code = connect.CodeUnknown.String()
		}
	}
	m.requests.WithLabelValues(procedure, code).Inc()
	m.duration.WithLabelValues(procedure).Observe(time.Since(start).Seconds())
}

func (m *rpcMetrics) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		start := time.Now()
		res, err := next(ctx, req)
		m.observe(req.Spec().Procedure, start, err)
		return res, err
	}
}

func (m *rpcMetrics) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

func (m *rpcMetrics) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		start := time.Now()
		err := next(ctx, conn)
		m.observe(conn.Spec().Procedure, start, err)
		return err
	}
}
