package webhook

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// These tests deliver for real, to httptest servers on loopback, through
// loopbackDialer, which refuses (and fails the test on) anything else.

// loopbackDialer dials loopback addresses only.
type loopbackDialer struct {
	t *testing.T
	d net.Dialer
}

func (l *loopbackDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().Unmap().IsLoopback() {
		l.t.Errorf("asked to dial %s, which is not a loopback address", addr)
		return nil, errors.New("loopbackDialer: not loopback")
	}
	return l.d.DialContext(ctx, network, addr)
}

var loopbackPolicy = Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}}

// receiver is an httptest server counting connections and requests.
type receiver struct {
	*httptest.Server
	conns, hits atomic.Int32
}

func newReceiver(t *testing.T, h http.HandlerFunc) *receiver {
	r := &receiver{}
	r.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.hits.Add(1)
		h(w, req)
	}))
	r.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			r.conns.Add(1)
		}
	}
	// Refused TLS handshakes are expected here; the server's complaint
	// about them is noise.
	r.Config.ErrorLog = log.New(io.Discard, "", 0)
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) port() string {
	_, port, _ := net.SplitHostPort(r.Listener.Addr().String())
	return port
}

func TestLoopbackRefusedWithoutAllowlist(t *testing.T) {
	r := newReceiver(t, func(http.ResponseWriter, *http.Request) {})
	r.Start()
	s := newTestSender(t, Options{
		Resolver: newResolver(t, map[string]string{"localhost": "127.0.0.1,::1"}),
		Dialer:   &loopbackDialer{t: t},
	})
	for _, u := range []string{r.URL + "/hook", "http://localhost:" + r.port() + "/hook"} {
		res := s.Send(t.Context(), Request{URL: u, Body: []byte(`{}`)})
		if !res.Refused || !strings.Contains(res.Err.Error(), "loopback") {
			t.Errorf("%s: %+v", u, res)
		}
	}
	if c, h := r.conns.Load(), r.hits.Load(); c != 0 || h != 0 {
		t.Errorf("receiver saw %d connections, %d requests; want none", c, h)
	}
}

func TestDeliverySignedWithHeaders(t *testing.T) {
	secret, body := []byte("s3cret"), []byte(`{"event":"push","ref":"main"}`)
	seen := make(chan *http.Request, 1)
	seenBody := make(chan []byte, 1)
	r := newReceiver(t, func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		seen <- req
		seenBody <- b
		_, _ = io.WriteString(w, "ok")
	})
	r.Start()
	s := newTestSender(t, Options{Policy: loopbackPolicy, Resolver: newResolver(t, nil), Dialer: &loopbackDialer{t: t}, UserAgent: "hearth-test/1"})
	res := s.Send(t.Context(), Request{URL: r.URL + "/hook", Secret: secret, Event: "push", DeliveryID: "d-1", Body: body})
	if res.Err != nil || res.Refused || res.StatusCode != http.StatusOK || string(res.ResponseBody) != "ok" || res.Truncated {
		t.Fatalf("result %+v", res)
	}
	if res.Duration <= 0 {
		t.Errorf("duration %v", res.Duration)
	}
	req, got := <-seen, <-seenBody
	sig := req.Header.Get("X-Hearth-Signature")
	if !Verify(secret, got, sig) || string(got) != string(body) {
		t.Errorf("receiver could not verify body %q with signature %q", got, sig)
	}
	if Verify([]byte("other"), got, sig) {
		t.Error("signature verified under another secret")
	}
	for h, want := range map[string]string{
		"Content-Type":      "application/json",
		"User-Agent":        "hearth-test/1",
		"X-Hearth-Event":    "push",
		"X-Hearth-Delivery": "d-1",
	} {
		if v := req.Header.Get(h); v != want {
			t.Errorf("%s: %q; want %q", h, v, want)
		}
	}
	if req.Method != http.MethodPost || req.URL.Path != "/hook" {
		t.Errorf("%s %s", req.Method, req.URL.Path)
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	second := newReceiver(t, func(http.ResponseWriter, *http.Request) {})
	second.Start()
	first := newReceiver(t, func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, second.URL+"/elsewhere", http.StatusFound)
	})
	first.Start()
	s := newTestSender(t, Options{Policy: loopbackPolicy, Resolver: newResolver(t, nil), Dialer: &loopbackDialer{t: t}})
	res := s.Send(t.Context(), Request{URL: first.URL, Body: []byte(`{}`)})
	if res.StatusCode != http.StatusFound || res.Err == nil || !strings.Contains(res.Err.Error(), "302") || res.Refused {
		t.Errorf("result %+v; want a failure with status 302", res)
	}
	if c, h := second.conns.Load(), second.hits.Load(); c != 0 || h != 0 {
		t.Errorf("redirect target saw %d connections, %d requests", c, h)
	}
}

func TestServerErrorFails(t *testing.T) {
	ua := make(chan string, 1)
	r := newReceiver(t, func(w http.ResponseWriter, req *http.Request) {
		ua <- req.UserAgent()
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	r.Start()
	s := newTestSender(t, Options{Policy: loopbackPolicy, Resolver: newResolver(t, nil), Dialer: &loopbackDialer{t: t}})
	res := s.Send(t.Context(), Request{URL: r.URL, Body: []byte(`{}`)})
	if res.StatusCode != http.StatusInternalServerError || res.Err == nil || res.Refused || !strings.Contains(string(res.ResponseBody), "boom") {
		t.Errorf("result %+v", res)
	}
	select {
	case got := <-ua:
		if got != DefaultUserAgent {
			t.Errorf("User-Agent %q; want the default %q", got, DefaultUserAgent)
		}
	default:
		t.Error("the receiver got no request")
	}
}

func TestSlowReceiverTimesOut(t *testing.T) {
	for name, h := range map[string]http.HandlerFunc{
		"before headers": func(w http.ResponseWriter, req *http.Request) {
			waitGone(req)
		},
		"during body": func(w http.ResponseWriter, req *http.Request) {
			_, _ = io.WriteString(w, "partial")
			w.(http.Flusher).Flush()
			waitGone(req)
		},
	} {
		t.Run(name, func(t *testing.T) {
			r := newReceiver(t, h)
			r.Start()
			const timeout = 200 * time.Millisecond
			s := newTestSender(t, Options{Policy: loopbackPolicy, Resolver: newResolver(t, nil), Dialer: &loopbackDialer{t: t}, Timeout: timeout})
			res := s.Send(t.Context(), Request{URL: r.URL, Body: []byte(`{}`)})
			if !errors.Is(res.Err, context.DeadlineExceeded) || res.Refused {
				t.Errorf("result %+v; want a deadline error", res)
			}
			if res.Duration < timeout || res.Duration > 10*timeout {
				t.Errorf("took %v with a %v timeout", res.Duration, timeout)
			}
		})
	}
}

// waitGone blocks until the client hangs up (bounded, so a broken client
// cannot hang the test's server Close). The server notices a hang-up only
// once the request body has been read to its end.
func waitGone(req *http.Request) {
	_, _ = io.Copy(io.Discard, req.Body)
	select {
	case <-req.Context().Done():
	case <-time.After(10 * time.Second):
	}
}

func TestResponseBodyBounded(t *testing.T) {
	const limit = 1000
	for _, c := range []struct {
		size      int
		truncated bool
	}{{limit, false}, {limit + 1, true}, {64 << 20, true}} {
		written := make(chan int, 1)
		r := newReceiver(t, func(w http.ResponseWriter, _ *http.Request) {
			chunk := []byte(strings.Repeat("x", min(c.size, 32<<10)))
			n := 0
			for n < c.size {
				k, err := w.Write(chunk[:min(len(chunk), c.size-n)])
				n += k
				if err != nil {
					break
				}
			}
			written <- n
		})
		r.Start()
		s := newTestSender(t, Options{Policy: loopbackPolicy, Resolver: newResolver(t, nil), Dialer: &loopbackDialer{t: t}, MaxResponseBytes: limit})
		res := s.Send(t.Context(), Request{URL: r.URL, Body: []byte(`{}`)})
		if res.Err != nil || len(res.ResponseBody) != limit || res.Truncated != c.truncated {
			t.Errorf("%d-byte response: err %v, kept %d bytes, truncated %v", c.size, res.Err, len(res.ResponseBody), res.Truncated)
		}
		// The client hung up after limit+1 bytes: a receiver sending more
		// than the socket buffers hold cannot finish.
		if n := <-written; c.size > 32<<20 && n >= c.size {
			t.Errorf("receiver wrote all %d bytes: the response was read past the bound", n)
		}
	}
}

func TestTLSVerifiesTheURLHostName(t *testing.T) {
	// httptest's certificate is valid for example.com, 127.0.0.1 and ::1.
	// Both names resolve to the server; only the one the certificate names
	// may be delivered to, which proves the certificate is checked against
	// the URL's name and not the dialled IP.
	r := newReceiver(t, func(http.ResponseWriter, *http.Request) {})
	r.StartTLS()
	roots := x509.NewCertPool()
	roots.AddCert(r.Certificate())
	s := newTestSender(t, Options{
		Policy:   loopbackPolicy,
		Resolver: newResolver(t, map[string]string{"example.com": "127.0.0.1", "other.test": "127.0.0.1"}),
		Dialer:   &loopbackDialer{t: t},
		RootCAs:  roots,
	})
	res := s.Send(t.Context(), Request{URL: "https://example.com:" + r.port() + "/hook", Body: []byte(`{}`)})
	if res.Err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("example.com: %+v", res)
	}
	res = s.Send(t.Context(), Request{URL: "https://other.test:" + r.port() + "/hook", Body: []byte(`{}`)})
	var hostErr x509.HostnameError
	if !errors.As(res.Err, &hostErr) || res.Refused {
		t.Errorf("other.test: %+v; want a certificate name mismatch", res)
	}
	if h := r.hits.Load(); h != 1 {
		t.Errorf("receiver got %d requests; want only example.com's", h)
	}
}

func TestProxyEnvironmentIgnored(t *testing.T) {
	proxy := newReceiver(t, func(http.ResponseWriter, *http.Request) {})
	proxy.Start()
	target := newReceiver(t, func(http.ResponseWriter, *http.Request) {})
	target.Start()
	for _, v := range []string{"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"} {
		t.Setenv(v, proxy.URL)
	}
	t.Setenv("NO_PROXY", "")
	t.Setenv("no_proxy", "")
	// A name, not 127.0.0.1: proxies are never used for loopback literals
	// anyway, so only a name shows the environment is ignored.
	s := newTestSender(t, Options{
		Policy:   loopbackPolicy,
		Resolver: newResolver(t, map[string]string{"hooks.example.com": "127.0.0.1"}),
		Dialer:   &loopbackDialer{t: t},
	})
	res := s.Send(t.Context(), Request{URL: "http://hooks.example.com:" + target.port() + "/", Body: []byte(`{}`)})
	if res.Err != nil || target.hits.Load() != 1 || proxy.conns.Load() != 0 {
		t.Errorf("result %+v; target got %d requests, proxy %d connections", res, target.hits.Load(), proxy.conns.Load())
	}
	// net/http reads the proxy environment once per process, so the
	// delivery above only shows it being ignored when this test runs
	// first or alone; the transport's field shows it always.
	if s.transport.Proxy != nil {
		t.Error("the transport has a Proxy function")
	}
}

func TestSignVerify(t *testing.T) {
	// RFC 4231 test case 2.
	key, data := []byte("Jefe"), []byte("what do ya want for nothing?")
	const want = "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
	if got := Sign(key, data); got != want {
		t.Errorf("Sign = %s; want %s", got, want)
	}
	if !Verify(key, data, want) {
		t.Error("Verify refused its own signature")
	}
	for name, ok := range map[string]bool{
		"tampered body":  Verify(key, []byte("what do ya want for nothing!"), want),
		"wrong secret":   Verify([]byte("Jeff"), data, want),
		"empty secret":   Verify(nil, data, Sign(nil, data)),
		"no prefix":      Verify(key, data, strings.TrimPrefix(want, "sha256=")),
		"other algo":     Verify(key, data, "sha1="+strings.TrimPrefix(want, "sha256=")),
		"not hex":        Verify(key, data, "sha256=zz"),
		"truncated":      Verify(key, data, want[:len(want)-2]),
		"empty header":   Verify(key, data, ""),
		"prefix only":    Verify(key, data, "sha256="),
		"signature of ∅": Verify(key, data, Sign(key, nil)),
	} {
		if ok {
			t.Errorf("%s: verified", name)
		}
	}
}
