package agentcli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/nodeagent/internal/otlp"
	kuberunner "github.com/hearth-dev/hearth/nodeagent/internal/runner/kubernetes"
	"github.com/hearth-dev/hearth/nodeagent/internal/session"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// The receiver's default addresses: loopback for the process runner,
// whose jobs are local processes; every interface for the kubernetes
// runner, whose job pods reach the agent through a Service.
const (
	defaultOTLPListen     = "127.0.0.1:4318"
	defaultOTLPListenKube = "0.0.0.0:4318"
	// otlpQueueDir is the queue's directory in --data-dir.
	otlpQueueDir = "otlp-queue"
	// minOTLPQueueBytes holds two exports of the largest size.
	minOTLPQueueBytes = 8 << 20
	// otlpStatsEvery: how often the counts are logged (debug) while they
	// change.
	otlpStatsEvery = time.Minute
)

// otlpConfig is the OTLP receiver's part of run's configuration.
type otlpConfig struct {
	// Listen is the receiver's address; empty: no receiver.
	Listen string
	// Defaulted: Listen is the default, not asked for (a busy port then
	// disables the receiver instead of stopping the agent).
	Defaulted bool
	// Endpoint is what jobs are told; empty: derived from the listener.
	Endpoint   string
	QueueBytes int64
	// OffReason says why the receiver is off when it was not asked to be
	// (logged at start).
	OffReason string
}

// readOTLP reads --otlp-listen, --otlp-endpoint and --otlp-queue-bytes;
// listenGiven says --otlp-listen was set (as a flag or variable).
func (c *runConfig) readOTLP(get getter, bad complaint, listenGiven bool) {
	o := &c.OTLP
	v, src := get("otlp-listen")
	o.Defaulted = !listenGiven
	if o.Defaulted && c.Runner == kuberunner.Kind {
		v = defaultOTLPListenKube
	}
	if v == "off" {
		v = ""
	}
	o.Listen = v
	if v != "" {
		if _, port, err := net.SplitHostPort(v); err != nil || !validPort(port) {
			bad("%s %q: want host:port (127.0.0.1:4318, 0.0.0.0:4318), empty or off", src, v)
		}
	}

	v, src = get("otlp-endpoint")
	o.Endpoint = v
	if v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			bad("%s %q: want an http:// or https:// URL without credentials, query or fragment", src, v)
		}
	} else if c.Runner == kuberunner.Kind && o.Listen != "" && !loopbackListen(o.Listen) {
		if o.Defaulted {
			// Agents deployed before the receiver existed have no
			// Service for it: they keep running, without one.
			o.Listen = ""
			o.OffReason = "no OTLP receiver: with --runner kubernetes it needs --otlp-endpoint, the URL of a Service in front of the agent that job pods reach"
		} else {
			bad("--otlp-endpoint is required with --runner kubernetes and a non-loopback --otlp-listen (%s): the URL job pods reach the agent at, e.g. http://hearth-agent.<namespace>.svc:4318", o.Listen)
		}
	}

	v, src = get("otlp-queue-bytes")
	n, err := parseBytes(v)
	switch {
	case err != nil:
		bad("%s %q: %v", src, v, err)
	case n < minOTLPQueueBytes:
		bad("%s %q: at least 8MiB (two exports of the largest size)", src, v)
	}
	o.QueueBytes = n
}

func validPort(p string) bool {
	n, err := strconv.ParseUint(p, 10, 16)
	return err == nil && n <= 65535
}

// loopbackListen reports whether addr listens on loopback only.
func loopbackListen(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// otlpRun is the OTLP collector of a run: the receiver's listener, the
// queue and their counters.
type otlpRun struct {
	ln       net.Listener
	queue    *otlp.Queue
	receiver *otlp.Receiver
	counters *otlp.Counters
	endpoint string
	log      zerolog.Logger
}

// startOTLP opens the queue in <data-dir>/otlp-queue and listens. nil,
// nil: the receiver is off (--otlp-listen empty or off, OffReason, or the
// default port is taken, which is logged: another agent on this machine
// may hold it).
func startOTLP(c runConfig, log zerolog.Logger) (*otlpRun, error) {
	log = log.With().Str(logfield.Component, "otlp").Logger()
	if c.OTLP.Listen == "" {
		if c.OTLP.OffReason != "" {
			log.Info().Msg(c.OTLP.OffReason)
		}
		return nil, nil //nolint:nilnil // documented: no receiver
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), "tcp", c.OTLP.Listen)
	if err != nil {
		if c.OTLP.Defaulted && errors.Is(err, syscall.EADDRINUSE) {
			log.Warn().Err(err).Str(logfield.Address, c.OTLP.Listen).
				Msg("the OTLP receiver's default address is taken (another agent on this machine?): no OTLP receiver; set --otlp-listen to another address")
			return nil, nil //nolint:nilnil // documented: no receiver
		}
		return nil, fmt.Errorf("--otlp-listen %s: %w", c.OTLP.Listen, err)
	}
	counters := &otlp.Counters{}
	q, err := otlp.OpenQueue(filepath.Join(c.DataDir, otlpQueueDir), otlp.QueueOptions{
		MaxBytes: c.OTLP.QueueBytes, Counters: counters, Logger: log,
	})
	if err != nil {
		_ = ln.Close()
		return nil, err
	}
	rcv, err := otlp.NewReceiver(otlp.ReceiverConfig{Queue: q, Counters: counters, Logger: log})
	if err != nil {
		_ = ln.Close()
		_ = q.Close()
		return nil, err
	}
	endpoint := c.OTLP.Endpoint
	if endpoint == "" {
		endpoint = "http://" + reachable(ln.Addr())
	}
	return &otlpRun{ln: ln, queue: q, receiver: rcv, counters: counters, endpoint: endpoint, log: log}, nil
}

// reachable is a listener's address as a local job dials it: an
// unspecified IP (every interface) becomes loopback.
func reachable(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	ip := tcp.IP
	switch {
	case ip == nil || ip.Equal(net.IPv4zero):
		ip = net.IPv4(127, 0, 0, 1)
	case ip.Equal(net.IPv6unspecified):
		ip = net.IPv6loopback
	}
	return net.JoinHostPort(ip.String(), strconv.Itoa(tcp.Port))
}

// start serves the receiver and forwards the queue through s's
// AgentService client (once s has the agent's identity) until ctx ends.
// wg tracks the goroutines.
func (o *otlpRun) start(ctx context.Context, wg *sync.WaitGroup, s *session.Session) {
	o.log.Info().Str(logfield.Address, o.ln.Addr().String()).Str(logfield.URL, o.endpoint).Msg("OTLP receiver listening")
	wg.Go(func() {
		if err := otlp.Serve(ctx, o.ln, o.receiver, o.log); err != nil {
			o.log.Error().Err(err).Msg("the OTLP receiver stopped; jobs' telemetry is refused until the agent restarts")
		}
	})
	wg.Go(func() {
		client, err := s.AgentService(ctx)
		if err != nil {
			return // stopped before the agent had an identity
		}
		f := &otlp.Forwarder{Queue: o.queue, Client: client, Counters: o.counters,
			Logger: o.log.With().Str(logfield.Worker, "otlp forwarder").Logger()}
		if err := f.Run(ctx); err != nil {
			o.log.Error().Err(err).Msg("forwarding telemetry stopped; it stays queued for the next start")
		}
	})
	wg.Go(func() { _ = otlp.LogStats(ctx, o.counters, otlpStatsEvery, o.log) })
}

// close releases the queue once everything started has stopped.
func (o *otlpRun) close() {
	_ = o.ln.Close() // Serve closed it, unless the run ended before it started
	if err := o.queue.Close(); err != nil {
		o.log.Warn().Err(err).Msg("closing the telemetry queue failed")
	}
	if st := o.counters.Stats(); st != (otlp.Stats{}) {
		o.log.Info().Interface(logfield.Detail, st).Msg("OTLP collector counts")
	}
}
