package webhook

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

// No test here may send a packet beyond loopback, not even by mistake: every
// Sender is built by newTestSender, which insists on an injected resolver
// and dialer. The fakes below answer from a map, record, and fail the test
// when asked for anything they were not told to expect.

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// newTestSender refuses to build a Sender that would use the real resolver
// or dialer: either could send packets anywhere.
func newTestSender(t *testing.T, o Options) *Sender {
	t.Helper()
	if o.Resolver == nil || o.Dialer == nil {
		t.Fatal("test Senders must inject a Resolver and a Dialer")
	}
	return NewSender(o)
}

// fakeResolver answers from names; any other name fails the test.
type fakeResolver struct {
	t     *testing.T
	names map[string][]netip.Addr

	mu      sync.Mutex
	lookups []string
}

func newResolver(t *testing.T, names map[string]string) *fakeResolver {
	r := &fakeResolver{t: t, names: map[string][]netip.Addr{}}
	for name, addrs := range names {
		for _, a := range strings.Split(addrs, ",") {
			r.names[name] = append(r.names[name], netip.MustParseAddr(a))
		}
	}
	return r
}

func (r *fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lookups = append(r.lookups, host)
	addrs, ok := r.names[host]
	if !ok {
		r.t.Errorf("unexpected lookup of %q", host)
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return addrs, nil
}

func (r *fakeResolver) Lookups() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.lookups)
}

// refusingDialer stands for targets that must be refused: being called at
// all fails the test.
type refusingDialer struct{ t *testing.T }

func (d refusingDialer) DialContext(_ context.Context, network, addr string) (net.Conn, error) {
	d.t.Errorf("dialled %s %s for a target that must be refused", network, addr)
	return nil, errors.New("refusingDialer must not be called")
}

var errNotDialled = errors.New("recordingDialer does not dial")

// recordingDialer records the addresses it is asked for and never dials:
// an address outside expect fails the test; an expected one gets
// errNotDialled (as does one listed in down), or, with serve, one end of a net.Pipe whose other end
// serve answers in-process.
type recordingDialer struct {
	t      *testing.T
	expect []string
	down   []string                      // expected, but answered errNotDialled even with serve
	serve  func(addr string, c net.Conn) // nil: answer errNotDialled

	mu     sync.Mutex
	dialed []string
}

func (d *recordingDialer) DialContext(_ context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.dialed = append(d.dialed, addr)
	d.mu.Unlock()
	if network != "tcp" || !slices.Contains(d.expect, addr) {
		d.t.Errorf("dialled %s %s; only %v expected", network, addr, d.expect)
		return nil, errors.New("recordingDialer: unexpected address")
	}
	if d.serve == nil || slices.Contains(d.down, addr) {
		return nil, errNotDialled
	}
	client, server := net.Pipe()
	go d.serve(addr, server)
	return client, nil
}

func (d *recordingDialer) Dialed() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.dialed)
}

// received is what an in-process receiver saw.
type received struct {
	host   string
	header http.Header
	body   []byte
}

// pipeReceiver answers one HTTP/1.1 request on c with status, reporting
// what it read on got (buffered by the caller).
func pipeReceiver(status int, got chan<- received) func(string, net.Conn) {
	return func(_ string, c net.Conn) {
		defer c.Close()
		req, err := http.ReadRequest(bufio.NewReader(c))
		if err != nil {
			return
		}
		body, _ := io.ReadAll(req.Body)
		got <- received{host: req.Host, header: req.Header, body: body}
		fmt.Fprintf(c, "HTTP/1.1 %d %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", status, http.StatusText(status))
	}
}

func TestRefusedTargets(t *testing.T) {
	resolver := newResolver(t, map[string]string{
		"loopback.test":  "127.0.0.1",
		"loopback6.test": "::1",
		"mixed.test":     "203.0.113.10,10.0.0.1",
		"metadata.test":  "169.254.169.254",
	})
	s := newTestSender(t, Options{Resolver: resolver, Dialer: refusingDialer{t}})
	for _, c := range []struct{ url, want string }{
		{"http://127.0.0.1/hooks/TOKEN", "127.0.0.1 is a loopback address (127.0.0.0/8)"},
		{"http://[::1]/", "::1 is a loopback address"},
		{"http://169.254.169.254/latest/meta-data", "169.254.169.254 is the cloud metadata address"},
		{"http://10.0.0.1/", "10.0.0.1 is a private address (10.0.0.0/8)"},
		{"http://[::ffff:127.0.0.1]/", "an IPv4-mapped address of 127.0.0.1, a loopback address"},
		{"http://[::ffff:10.0.0.1]/", "an IPv4-mapped address of 10.0.0.1, a private address"},
		{"http://[::ffff:7f00:1]/", "an IPv4-mapped address of 127.0.0.1, a loopback address"},
		{"http://[::127.0.0.1]/", "an IPv4-compatible address of 127.0.0.1"},
		{"http://[64:ff9b::a9fe:a9fe]/", "a NAT64 address of 169.254.169.254, the cloud metadata address"},
		{"http://[2002:7f00:1::1]/", "a 6to4 address of 127.0.0.1"},
		{"http://[fd00:ec2::254]/", "the cloud metadata address"},
		{"http://[fe80::1%25eth0]/", "has an IPv6 zone"},
		{"http://[fe80::1]/", "a link-local address (fe80::/10)"},
		{"http://0.0.0.0/", "the unspecified address"},
		{"http://[::]/", "the unspecified address"},
		{"http://0.1.2.3/", `a "this network" address`},
		{"http://100.64.0.1/", "carrier-grade NAT"},
		{"http://172.16.0.1/", "private"},
		{"http://192.168.1.1/", "private"},
		{"http://[fc00::1]/", "unique local"},
		{"http://198.18.0.1/", "benchmarking"},
		{"http://224.0.0.1/", "multicast"},
		{"http://[ff02::1]/", "multicast"},
		{"http://255.255.255.255/", "broadcast"},
		{"http://240.0.0.1/", "reserved"},
		// Numeric spellings: refused as spellings, never resolved (the
		// resolver would fail the test).
		{"http://2130706433/", "not a canonical dotted-quad"},
		{"http://0177.0.0.1/", "not a canonical dotted-quad"},
		{"http://0x7f000001/", "not a canonical dotted-quad"},
		{"http://0x7f.0.0.1/", "not a canonical dotted-quad"},
		{"http://127.1/", "not a canonical dotted-quad"},
		{"http://127.0.0.1./", "not a canonical dotted-quad"},
		{"http://0x7f.1:8080/", "not a canonical dotted-quad"},
		{"http://hooks.0x7f/", "not a canonical dotted-quad"},
		{"http://127.0.0.①/", "is not ASCII"},
		// Names: judged by everything they resolve to.
		{"http://loopback.test/hooks/TOKEN", "loopback.test resolves to 127.0.0.1, a loopback address"},
		{"https://loopback6.test:8443/", "loopback6.test resolves to ::1, a loopback address"},
		{"http://mixed.test/", "mixed.test resolves to 10.0.0.1, a private address"},
		{"http://metadata.test/", "resolves to 169.254.169.254, the cloud metadata address"},
		// The URL itself.
		{"ftp://example.com/", `has scheme "ftp"`},
		{"file:///etc/passwd", `has scheme "file"`},
		{"javascript:alert(1)", `has scheme "javascript"`},
		{"http:opaque", "is not a hierarchical URL"},
		{"http:///hooks", "has no host"},
		{"http://user:hunter2@example.com/", "has credentials in the URL"},
		{"http://example.com:99999/", "has an invalid port"},
		{"http://exa mple.com/TOKEN", "is not valid"},
	} {
		t.Run(c.url, func(t *testing.T) {
			res := s.Send(t.Context(), Request{URL: c.url, Secret: []byte("s3cret"), Event: "push", DeliveryID: "d-1", Body: []byte(`{}`)})
			var refused *RefusedError
			if !res.Refused || !errors.As(res.Err, &refused) {
				t.Fatalf("not refused: %+v", res)
			}
			msg := res.Err.Error()
			if !strings.Contains(msg, c.want) {
				t.Errorf("error %q does not say %q", msg, c.want)
			}
			if strings.Contains(msg, "TOKEN") || strings.Contains(msg, "hunter2") {
				t.Errorf("error %q quotes the URL's path or credentials", msg)
			}
			if res.StatusCode != 0 {
				t.Errorf("status %d for a refused target", res.StatusCode)
			}
		})
	}
}

func TestCheckAddr(t *testing.T) {
	allow := func(prefixes ...string) Policy {
		var p Policy
		for _, s := range prefixes {
			p.Allow = append(p.Allow, netip.MustParsePrefix(s))
		}
		return p
	}
	for _, c := range []struct {
		policy  Policy
		addr    string
		allowed bool
	}{
		{Policy{}, "203.0.113.10", true},
		{Policy{}, "8.8.8.8", true},
		{Policy{}, "11.0.0.1", true},
		{Policy{}, "172.32.0.1", true},      // just past 172.16.0.0/12
		{Policy{}, "100.128.0.1", true},     // just past 100.64.0.0/10
		{Policy{}, "169.253.255.255", true}, // just before 169.254.0.0/16
		{Policy{}, "2001:db8::10", true},
		{Policy{}, "2606:4700::1111", true},
		{Policy{}, "::ffff:8.8.8.8", true},
		{Policy{}, "64:ff9b::808:808", true},
		{Policy{}, "2002:808:808::1", true},
		{Policy{}, "127.255.255.254", false},
		{Policy{}, "168.63.129.16", false},
		{Policy{}, "192.0.0.192", false},
		{Policy{}, "fe80::1%eth0", false},
		{Policy{}, "::ffff:0:7f00:1", false}, // IPv4-translated 127.0.0.1
		{Policy{}, "2001::1", false},         // Teredo
		{Policy{}, "4000::1", false},         // outside 2000::/3
		{Policy{}, "64:ff9b:1::1", false},
		{allow("10.0.0.0/8"), "10.0.0.1", true},
		{allow("10.0.0.0/8"), "::ffff:10.0.0.1", true},
		{allow("10.0.0.0/8"), "64:ff9b::a00:1", true},
		{allow("10.0.0.0/8"), "192.168.0.1", false},
		{allow("10.0.0.0/8"), "127.0.0.1", false},
		{allow("127.0.0.0/8"), "::ffff:127.0.0.1", true},
		{allow("127.0.0.0/8"), "::1", false}, // IPv6 loopback is its own range
		{allow("fe80::/10"), "fe80::1%eth0", true},
	} {
		err := c.policy.CheckAddr(netip.MustParseAddr(c.addr))
		var refused *RefusedError
		switch {
		case c.allowed && err != nil:
			t.Errorf("%s under %v: refused: %v", c.addr, c.policy.Allow, err)
		case !c.allowed && !errors.As(err, &refused):
			t.Errorf("%s under %v: not refused (%v)", c.addr, c.policy.Allow, err)
		case !c.allowed && !strings.HasSuffix(err.Error(), "--webhook-allow-cidr"):
			t.Errorf("%s: refusal %q does not say how to allow it", c.addr, err)
		}
	}
}

func TestCheckURL(t *testing.T) {
	loopback := Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	for _, c := range []struct {
		policy Policy
		url    string
		ok     bool
	}{
		{Policy{}, "https://hooks.example.com/x?token=1", true}, // names are not resolved here
		{Policy{}, "http://203.0.113.10:8080/", true},
		{Policy{}, "http://127.0.0.1/", false},
		{loopback, "http://127.0.0.1/", true},
		// A spelling is refused whatever it denotes and whatever is allowed.
		{loopback, "http://2130706433/", false},
		{Policy{}, "gopher://hooks.example.com/", false},
	} {
		err := c.policy.CheckURL(c.url)
		var refused *RefusedError
		if c.ok != (err == nil) || (err != nil && !errors.As(err, &refused)) {
			t.Errorf("CheckURL(%q) under %v = %v", c.url, c.policy.Allow, err)
		}
	}
}

func TestAllowedTargetsDialTheCheckedAddress(t *testing.T) {
	internal := Policy{Allow: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	names := map[string]string{
		"hooks.example.com":  "203.0.113.10",
		"hooks.example.com.": "203.0.113.10",
		"v6.example.com":     "2001:db8::10",
		"ci.internal.test":   "10.1.2.3",
	}
	for _, c := range []struct {
		policy  Policy
		url     string
		dial    string
		lookups []string
	}{
		{Policy{}, "https://hooks.example.com/x", "203.0.113.10:443", []string{"hooks.example.com"}},
		{Policy{}, "http://hooks.example.com:8080/x", "203.0.113.10:8080", []string{"hooks.example.com"}},
		{Policy{}, "http://hooks.example.com./x", "203.0.113.10:80", []string{"hooks.example.com."}},
		{Policy{}, "http://203.0.113.10:9000/", "203.0.113.10:9000", nil},
		{Policy{}, "http://[2001:db8::10]/", "[2001:db8::10]:80", nil},
		{Policy{}, "https://v6.example.com/", "[2001:db8::10]:443", []string{"v6.example.com"}},
		{internal, "http://10.0.0.1/", "10.0.0.1:80", nil},
		{internal, "http://ci.internal.test:8080/", "10.1.2.3:8080", []string{"ci.internal.test"}},
	} {
		t.Run(c.url, func(t *testing.T) {
			resolver := newResolver(t, names)
			dialer := &recordingDialer{t: t, expect: []string{c.dial}}
			s := newTestSender(t, Options{Policy: c.policy, Resolver: resolver, Dialer: dialer})
			res := s.Send(t.Context(), Request{URL: c.url, Body: []byte(`{}`)})
			if res.Refused || !errors.Is(res.Err, errNotDialled) {
				t.Errorf("result %+v; want the recording dialer's error", res)
			}
			if got := dialer.Dialed(); !slices.Equal(got, []string{c.dial}) {
				t.Errorf("dialled %v; want [%s]", got, c.dial)
			}
			if got := resolver.Lookups(); !slices.Equal(got, c.lookups) {
				t.Errorf("looked up %v; want %v", got, c.lookups)
			}
		})
	}
}

func TestDeliveryOverTheCheckedConnection(t *testing.T) {
	got := make(chan received, 1)
	dialer := &recordingDialer{t: t, expect: []string{"203.0.113.10:80"}, serve: pipeReceiver(http.StatusNoContent, got)}
	s := newTestSender(t, Options{Resolver: newResolver(t, map[string]string{"hooks.example.com": "203.0.113.10"}), Dialer: dialer})
	secret, body := []byte("s3cret"), []byte(`{"ref":"main"}`)
	res := s.Send(t.Context(), Request{URL: "http://hooks.example.com/hook", Secret: secret, Event: "push", DeliveryID: "d-1", Body: body})
	if res.Err != nil || res.StatusCode != http.StatusNoContent {
		t.Fatalf("result %+v", res)
	}
	r := <-got
	if r.host != "hooks.example.com" {
		t.Errorf("Host %q; want the URL's name, not the dialled address", r.host)
	}
	if !Verify(secret, r.body, r.header.Get("X-Hearth-Signature")) || string(r.body) != string(body) {
		t.Errorf("body %q, signature %q", r.body, r.header.Get("X-Hearth-Signature"))
	}
}

func TestDNSRebindingCannotReachTheSecondAnswer(t *testing.T) {
	// The first lookup answers a public address, every later one loopback:
	// a connection must go where its one lookup said, and the next
	// delivery's lookup is judged afresh.
	var mu sync.Mutex
	lookups := 0
	resolver := resolverFunc(func(_ context.Context, _, host string) ([]netip.Addr, error) {
		mu.Lock()
		defer mu.Unlock()
		lookups++
		if lookups == 1 {
			return []netip.Addr{netip.MustParseAddr("203.0.113.10")}, nil
		}
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	})
	got := make(chan received, 1)
	dialer := &recordingDialer{t: t, expect: []string{"203.0.113.10:80"}, serve: pipeReceiver(http.StatusOK, got)}
	s := newTestSender(t, Options{Resolver: resolver, Dialer: dialer})

	res := s.Send(t.Context(), Request{URL: "http://rebind.example.com/", Body: []byte(`{}`)})
	mu.Lock()
	n := lookups
	mu.Unlock()
	if res.Err != nil || n != 1 || !slices.Equal(dialer.Dialed(), []string{"203.0.113.10:80"}) {
		t.Fatalf("first delivery: %+v after %d lookups, dialled %v", res, n, dialer.Dialed())
	}
	<-got

	res = s.Send(t.Context(), Request{URL: "http://rebind.example.com/", Body: []byte(`{}`)})
	if !res.Refused || !strings.Contains(res.Err.Error(), "resolves to 127.0.0.1") {
		t.Errorf("second delivery after rebinding: %+v", res)
	}
	if got := dialer.Dialed(); len(got) != 1 {
		t.Errorf("dialled %v; the rebound address must never be dialled", got)
	}
}

type resolverFunc func(ctx context.Context, network, host string) ([]netip.Addr, error)

func (f resolverFunc) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	return f(ctx, network, host)
}

func TestDialTriesCheckedAddressesInOrder(t *testing.T) {
	got := make(chan received, 1)
	dialer := &recordingDialer{
		t:      t,
		expect: []string{"203.0.113.10:80", "203.0.113.11:80"},
		down:   []string{"203.0.113.10:80"},
		serve:  pipeReceiver(http.StatusOK, got),
	}
	resolver := newResolver(t, map[string]string{"multi.example.com": "203.0.113.10,203.0.113.11"})
	s := newTestSender(t, Options{Resolver: resolver, Dialer: dialer})
	res := s.Send(t.Context(), Request{URL: "http://multi.example.com/", Body: []byte(`{}`)})
	if res.Err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("result %+v", res)
	}
	<-got
	if d, l := dialer.Dialed(), resolver.Lookups(); !slices.Equal(d, []string{"203.0.113.10:80", "203.0.113.11:80"}) || len(l) != 1 {
		t.Errorf("dialled %v after lookups %v", d, l)
	}
}

func TestDialGuardJudgesEveryDialOnItsOwn(t *testing.T) {
	// The transport hands the dialer a host:port it derived from the URL
	// (after IDNA, with default ports); the guard must not rely on the URL
	// check having seen the same host.
	g := &guard{
		resolver: newResolver(t, map[string]string{"loopback.test": "127.0.0.1"}),
		dialer:   refusingDialer{t},
	}
	for _, addr := range []string{
		"127.0.0.1:80", "[::1]:443", "[::ffff:127.0.0.1]:80", "[fe80::1%eth0]:80",
		"2130706433:80", "0x7f.1:80", "127.0.0.1.:80", "127.0.0.①:80", "loopback.test:80",
		"203.0.113.10:notaport",
	} {
		conn, err := g.DialContext(t.Context(), "tcp", addr)
		var refused *RefusedError
		if conn != nil || !errors.As(err, &refused) {
			t.Errorf("DialContext(%q) = %v, %v; want a refusal", addr, conn, err)
		}
	}
}
