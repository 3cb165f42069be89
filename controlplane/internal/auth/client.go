package auth

import (
	"context"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies are the peers (TLS-terminating load balancers, ingress
// controllers) whose X-Forwarded-For and X-Forwarded-Proto are believed.
// Anyone else can write those headers, so from any other peer they are
// ignored.
type Proxies []netip.Prefix

func (ps Proxies) trusts(a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ClientIP is the address of the client a request came from: the TCP peer,
// or, when the peer is a trusted proxy, the nearest address in
// X-Forwarded-For that is not itself a trusted proxy. The header is walked
// right to left because each proxy appends the address it saw: entries
// left of the first untrusted one were written by the client and prove
// nothing. An unreadable entry stops the walk at the last hop a trusted
// proxy vouched for.
func (ps Proxies) ClientIP(r *http.Request) netip.Addr {
	peer := RemoteIP(r)
	if !peer.IsValid() || !ps.trusts(peer) {
		return peer
	}
	hops := forwardedFor(r.Header)
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a := parseAddr(hops[i])
		if !a.IsValid() {
			return client
		}
		client = a
		if !ps.trusts(a) {
			return a
		}
	}
	return client
}

// forwardedFor lists X-Forwarded-For's entries, every header line in order.
func forwardedFor(h http.Header) []string {
	var out []string
	for _, line := range h.Values("X-Forwarded-For") {
		for item := range strings.SplitSeq(line, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}

// HTTPS reports whether the client spoke https to us: the request arrived
// over TLS, or a trusted proxy says (X-Forwarded-Proto: https) that it did
// so to the proxy. Of a list of values the last is the peer's own.
func (ps Proxies) HTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	peer := RemoteIP(r)
	if !peer.IsValid() || !ps.trusts(peer) {
		return false
	}
	values := r.Header.Values("X-Forwarded-Proto")
	if len(values) == 0 {
		return false
	}
	last := values[len(values)-1]
	if i := strings.LastIndexByte(last, ','); i >= 0 {
		last = last[i+1:]
	}
	return strings.EqualFold(strings.TrimSpace(last), "https")
}

type secureKey struct{}

// WithSecureCookies records whether this request's cookies must be Secure
// (the client speaks https: see Proxies.HTTPS, or the public URL is https).
// The server's middleware decides once per request.
func WithSecureCookies(ctx context.Context, secure bool) context.Context {
	return context.WithValue(ctx, secureKey{}, secure)
}

// SecureCookies reports what WithSecureCookies recorded (false when
// nothing was).
func SecureCookies(ctx context.Context) bool {
	v, _ := ctx.Value(secureKey{}).(bool)
	return v
}
