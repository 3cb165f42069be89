package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// Defaults for Options' zero values.
const (
	DefaultTimeout          = 10 * time.Second
	DefaultMaxResponseBytes = 64 << 10
	DefaultUserAgent        = "Hearth-Webhook"
)

const (
	// dialTimeout bounds one connection attempt, so an unanswering first
	// address leaves time for the next one within the delivery's Timeout.
	dialTimeout = 5 * time.Second
	// maxHeaderBytes bounds the response headers read (DESIGN: every
	// reader is bounded); no receiver needs more to say yes or no.
	maxHeaderBytes  = 64 << 10
	signaturePrefix = "sha256="
)

// Options configures a Sender. Zero values take the defaults.
type Options struct {
	Policy Policy
	// Resolver resolves receivers' host names; nil means net.DefaultResolver.
	Resolver Resolver
	// Dialer connects to checked addresses; nil means a net.Dialer with a
	// connect timeout.
	Dialer Dialer
	// Timeout bounds a whole delivery: resolution, connection, TLS, request
	// and reading the response. Default DefaultTimeout.
	Timeout time.Duration
	// MaxResponseBytes bounds the response body kept (and read).
	// Default DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// UserAgent is sent as User-Agent. Default DefaultUserAgent.
	UserAgent string
	// RootCAs verifies receivers' certificates; nil means the system's.
	// For internal receivers with a private CA.
	RootCAs *x509.CertPool
}

// Request is one delivery.
type Request struct {
	URL        string
	Secret     []byte // signs Body; empty means no X-Hearth-Signature
	Event      string // X-Hearth-Event
	DeliveryID string // X-Hearth-Delivery, the same on every retry so receivers can deduplicate
	Body       []byte // JSON
}

// Result is the outcome of one delivery. It succeeded when Err is nil: the
// receiver answered 2xx and its response was read.
type Result struct {
	StatusCode   int // 0 when no response arrived
	Duration     time.Duration
	ResponseBody []byte // at most MaxResponseBytes of it
	Truncated    bool   // the response body was longer than ResponseBody
	Err          error
	// Refused: Err is a *RefusedError; nothing was sent.
	Refused bool
}

// Sender delivers webhooks. It is safe for concurrent use and holds no
// connections between deliveries, so it needs no closing.
type Sender struct {
	transport *http.Transport
	timeout   time.Duration
	maxBody   int64
	userAgent string
	policy    Policy
}

// NewSender returns a Sender for opts.
func NewSender(opts Options) *Sender {
	g := &guard{policy: opts.Policy, resolver: opts.Resolver, dialer: opts.Dialer}
	if g.resolver == nil {
		g.resolver = net.DefaultResolver
	}
	if g.dialer == nil {
		g.dialer = &net.Dialer{Timeout: dialTimeout}
	}
	s := &Sender{
		transport: &http.Transport{
			// Environment proxies are ignored: a proxy would do its own
			// resolution and connect, out of the guard's sight.
			Proxy: nil,
			// The guard is the only way out. DialTLSContext stays nil so
			// the transport layers TLS over the guarded connection with
			// ServerName set to the URL's host: the certificate is
			// verified against the name, not the checked IP.
			DialContext:     g.DialContext,
			TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: opts.RootCAs},
			// Every delivery dials, so every delivery is checked at the
			// moment it connects, and no idle connection outlives a
			// Send to need closing.
			DisableKeepAlives: true,
			// The body kept is the bytes the receiver sent, bounded on
			// the wire rather than after decompression.
			DisableCompression:     true,
			MaxResponseHeaderBytes: maxHeaderBytes,
		},
		timeout:   opts.Timeout,
		maxBody:   opts.MaxResponseBytes,
		userAgent: opts.UserAgent,
		policy:    opts.Policy,
	}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxResponseBytes
	}
	if s.userAgent == "" {
		s.userAgent = DefaultUserAgent
	}
	return s
}

// Send POSTs req.Body to req.URL once. Redirects are not followed: a 3xx
// is a failed delivery reporting its status. Errors never quote the URL
// beyond its scheme and host, as paths often carry tokens.
func (s *Sender) Send(ctx context.Context, req Request) Result {
	start := time.Now()
	res := s.send(ctx, req)
	res.Duration = time.Since(start)
	var refused *RefusedError
	res.Refused = errors.As(res.Err, &refused)
	return res
}

func (s *Sender) send(ctx context.Context, req Request) Result {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, req.URL, bytes.NewReader(req.Body))
	if err != nil {
		return Result{Err: invalidURL(err)}
	}
	// The URL checked is the parsed URL the transport uses, not a second
	// parse of the string.
	if err := s.policy.checkURL(hreq.URL); err != nil {
		return Result{Err: err}
	}
	target := hreq.URL.Scheme + "://" + hreq.URL.Host
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("User-Agent", s.userAgent)
	hreq.Header.Set("X-Hearth-Event", req.Event)
	hreq.Header.Set("X-Hearth-Delivery", req.DeliveryID)
	if len(req.Secret) > 0 {
		hreq.Header.Set("X-Hearth-Signature", Sign(req.Secret, req.Body))
	}

	// RoundTrip, not an http.Client: it never follows redirects, and its
	// errors do not quote the URL.
	resp, err := s.transport.RoundTrip(hreq)
	if err != nil {
		return Result{Err: fmt.Errorf("deliver webhook to %s: %w", target, err)}
	}
	defer resp.Body.Close() //nolint:errcheck // a response body read as far as wanted; closing it only hangs up.
	res := Result{StatusCode: resp.StatusCode}
	body, err := io.ReadAll(io.LimitReader(resp.Body, s.maxBody+1))
	if int64(len(body)) > s.maxBody {
		body, res.Truncated = body[:s.maxBody], true
	}
	res.ResponseBody = body
	switch {
	case err != nil:
		res.Err = fmt.Errorf("read webhook response from %s: %w", target, err)
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		res.Err = fmt.Errorf("webhook receiver %s answered %s; redirects are not followed", target, resp.Status)
	case resp.StatusCode < 200 || resp.StatusCode >= 300:
		res.Err = fmt.Errorf("webhook receiver %s answered %s", target, resp.Status)
	}
	return res
}

// Sign returns the X-Hearth-Signature value for body: "sha256=" and the
// hex HMAC-SHA256 of body keyed with secret.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return signaturePrefix + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether header is body's X-Hearth-Signature under secret,
// comparing in constant time. An empty secret verifies nothing: anyone can
// compute an HMAC keyed with nothing.
func Verify(secret, body []byte, header string) bool {
	sig, ok := strings.CutPrefix(header, signaturePrefix)
	if !ok || len(secret) == 0 {
		return false
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return hmac.Equal(got, m.Sum(nil))
}
