package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"connectrpc.com/connect"

	"github.com/hearth-dev/hearth/nodeagent/internal/identity"
	agentv1 "github.com/hearth-dev/hearth/shared/gen/hearth/agent/v1"
	"github.com/hearth-dev/hearth/shared/version"
)

// newHTTPClient speaks HTTP/2 only: h2c (prior knowledge) for http:// and
// TLS with ALPN for https://. A bidirectional stream needs HTTP/2. With
// credential set, every request carries `Authorization: Bearer <credential>`
// read at request time, so a rotated credential takes effect at once.
func newHTTPClient(u *url.URL, credential func() string) *http.Client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout: 10 * time.Second,
		// HTTP/2 pings find a dead connection even while the stream is idle.
		HTTP2:     &http.HTTP2Config{SendPingTimeout: 30 * time.Second, PingTimeout: 15 * time.Second},
		Protocols: new(http.Protocols),
	}
	if u.Scheme == "http" {
		tr.Protocols.SetUnencryptedHTTP2(true)
	} else {
		tr.Protocols.SetHTTP2(true)
		// Through a proxy only over TLS (CONNECT): h2c does not survive an
		// HTTP proxy.
		tr.Proxy = http.ProxyFromEnvironment
	}
	var rt http.RoundTripper = tr
	if credential != nil {
		rt = bearer{base: tr, credential: credential}
	}
	return &http.Client{Transport: rt}
}

type bearer struct {
	base       http.RoundTripper
	credential func() string
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context()) // a RoundTripper must not modify its request
	r.Header.Set("Authorization", "Bearer "+b.credential())
	return b.base.RoundTrip(r)
}

type clientConn = connect.BidiStreamForClientSimple[agentv1.ConnectRequest, agentv1.ConnectResponse]

// stream is one open Connect call past Welcome. Its sender and receiver
// goroutines are the only users of conn; Run's goroutine talks to them
// through out and in.
type stream struct {
	conn    *clientConn
	ctx     context.Context
	cancel  context.CancelFunc
	welcome *agentv1.Welcome
	started time.Time

	out  chan *agentv1.ConnectRequest  // to the sender
	in   chan *agentv1.ConnectResponse // from the receiver
	done chan struct{}                 // closed by end
	once sync.Once
	err  error // why it ended; valid after done
	wg   sync.WaitGroup

	// Owned by Run's goroutine.
	control   []*agentv1.ConnectRequest // heartbeats, statuses: sent first
	chunks    []*agentv1.ConnectRequest // log chunks
	lastHeard time.Time
	hb        *time.Ticker
	interval  time.Duration
	drained   bool
}

// end records why the stream ended (the first reason wins) and stops it.
func (st *stream) end(err error) {
	st.once.Do(func() {
		st.err = err
		st.cancel()
		close(st.done)
	})
}

// close ends the stream and waits for its goroutines.
func (st *stream) close() {
	st.end(errors.New("closed by the agent"))
	st.wg.Wait()
	st.hb.Stop()
	_ = st.conn.CloseResponse()
}

// dial opens a stream: Connect, Hello, Welcome. It returns the stream with
// its sender and receiver running, or the error that ended the attempt.
func (s *Session) dial(ctx context.Context, running []string) (*stream, error) {
	sctx, cancel := context.WithCancel(ctx)
	conn, err := s.agents.Connect(sctx)
	if err != nil {
		cancel()
		return nil, err
	}
	hello := &agentv1.Hello{
		ProtocolVersion: identity.ProtocolVersion,
		Capacity:        uint32(s.d.Capacity), //nolint:gosec // G115: New checks 1-1000.
		Labels:          s.d.Labels,
		RunnerKind:      s.d.Runner.Kind(),
		AgentVersion:    version.Get().Version,
		RunningJobIds:   running,
	}
	if err := conn.Send(&agentv1.ConnectRequest{Msg: &agentv1.ConnectRequest_Hello{Hello: hello}}); err != nil && !errors.Is(err, io.EOF) {
		// io.EOF: the server already answered; Receive tells what.
		cancel()
		_ = conn.CloseRequest()
		_ = conn.CloseResponse()
		return nil, err
	}
	var timedOut atomic.Bool
	timer := time.AfterFunc(s.t.WelcomeTimeout, func() { timedOut.Store(true); cancel() })
	// A cancelled context alone does not end a Receive while the request
	// side is open (see sendLoop); nothing sends until Welcome.
	unwatch := context.AfterFunc(sctx, func() { _ = conn.CloseRequest() })
	msg, err := conn.Receive()
	closed := !unwatch()
	if !timer.Stop() && timedOut.Load() {
		_ = conn.CloseRequest()
		_ = conn.CloseResponse()
		return nil, connect.NewError(connect.CodeDeadlineExceeded, fmt.Errorf("no Welcome within %s", s.t.WelcomeTimeout))
	}
	if err == nil && msg.GetWelcome() == nil {
		err = connect.NewError(connect.CodeInternal, fmt.Errorf("the control plane's first message is %T, not Welcome", msg.GetMsg()))
	}
	if err != nil {
		cancel()
		_ = conn.CloseRequest()
		_ = conn.CloseResponse()
		return nil, err
	}
	if closed {
		// The context ended just as Welcome arrived: the request side is
		// closed, so this stream is of no use.
		cancel()
		_ = conn.CloseResponse()
		return nil, context.Cause(sctx)
	}
	w := msg.GetWelcome()
	interval := w.GetHeartbeatInterval().AsDuration()
	if interval <= 0 {
		interval = 10 * time.Second
	}
	st := &stream{
		conn: conn, ctx: sctx, cancel: cancel, welcome: w, started: time.Now(),
		out: make(chan *agentv1.ConnectRequest), in: make(chan *agentv1.ConnectResponse),
		done: make(chan struct{}), lastHeard: time.Now(), hb: time.NewTicker(interval), interval: interval,
	}
	st.wg.Go(st.sendLoop)
	st.wg.Go(st.receiveLoop)
	return st, nil
}

func (st *stream) sendLoop() {
	// Closing the request side is what makes the HTTP/2 transport notice
	// the cancelled context while it waits for more request body; without
	// it a Receive would wait for the server.
	defer func() { _ = st.conn.CloseRequest() }()
	for {
		select {
		case <-st.ctx.Done():
			return
		case m := <-st.out:
			if err := st.conn.Send(m); err != nil {
				if !errors.Is(err, io.EOF) {
					st.end(err)
				}
				// io.EOF: the server ended the stream; the receiver
				// reports why.
				return
			}
		}
	}
}

func (st *stream) receiveLoop() {
	for {
		m, err := st.conn.Receive()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = errors.New("the control plane ended the stream")
			}
			st.end(err)
			return
		}
		select {
		case st.in <- m:
		case <-st.ctx.Done():
			return
		}
	}
}
