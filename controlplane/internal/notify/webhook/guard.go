package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// Policy says which addresses a webhook may reach beyond the public
// Internet. The zero Policy reaches public addresses only.
type Policy struct {
	// Allow lists ranges reachable despite being private, loopback or
	// otherwise special (e.g. 10.0.0.0/8 for an internal CI receiver). An
	// address embedding an IPv4 address (IPv4-mapped, NAT64, 6to4...) is
	// allowed when either it or the IPv4 address it embeds is listed.
	Allow []netip.Prefix
}

// Resolver turns a host name into addresses; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Dialer opens connections; *net.Dialer is one. The guard only ever asks
// it for an "ip:port" it has already judged, never for a name.
type Dialer interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}

// RefusedError is a webhook target the policy does not allow, or a URL
// that is not a valid target. Retrying does not help until the URL or the
// policy changes (or, for a name, what it resolves to). It never holds the
// URL's path, query or credentials: receivers' URLs often carry tokens.
type RefusedError struct {
	Target string // what was judged: "scheme://host:port", a host or an address
	Reason string // why, as a clause following Target
}

func (e *RefusedError) Error() string {
	return "webhook target " + e.Target + " " + e.Reason
}

// allowHint ends the refusals an administrator can lift.
const allowHint = "; allow its range with --webhook-allow-cidr"

// specialRange is a range refused unless allowlisted.
type specialRange struct {
	prefix netip.Prefix
	what   string
}

// specialRanges is a read-only table, first match wins: single addresses
// come before the ranges that hold them so the message names the most
// specific thing.
var specialRanges = [...]specialRange{
	{netip.MustParsePrefix("169.254.169.254/32"), "the cloud metadata address"},
	{netip.MustParsePrefix("168.63.129.16/32"), "the Azure platform (WireServer) address"},
	{netip.MustParsePrefix("0.0.0.0/32"), "the unspecified address"},
	{netip.MustParsePrefix("255.255.255.255/32"), "the broadcast address"},
	{netip.MustParsePrefix("0.0.0.0/8"), `a "this network" address`},
	{netip.MustParsePrefix("10.0.0.0/8"), "a private address"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a carrier-grade NAT address"},
	{netip.MustParsePrefix("127.0.0.0/8"), "a loopback address"},
	{netip.MustParsePrefix("169.254.0.0/16"), "a link-local address"},
	{netip.MustParsePrefix("172.16.0.0/12"), "a private address"},
	// Holds DS-Lite and Oracle Cloud's metadata address 192.0.0.192.
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol assignment address"},
	{netip.MustParsePrefix("192.168.0.0/16"), "a private address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
	{netip.MustParsePrefix("224.0.0.0/4"), "a multicast address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved address"},

	{netip.MustParsePrefix("::/128"), "the unspecified address"},
	{netip.MustParsePrefix("::1/128"), "a loopback address"},
	{netip.MustParsePrefix("fd00:ec2::254/128"), "the cloud metadata address"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "a local-use NAT64 address"},
	{netip.MustParsePrefix("100::/64"), "a discard-only address"},
	// Teredo hides the IPv4 addresses it embeds (XORed), so it cannot be
	// judged by them; no webhook receiver needs it.
	{netip.MustParsePrefix("2001::/32"), "a Teredo address"},
	{netip.MustParsePrefix("2001:2::/48"), "a benchmarking address"},
	{netip.MustParsePrefix("fc00::/7"), "a private (unique local) address"},
	{netip.MustParsePrefix("fe80::/10"), "a link-local address"},
	{netip.MustParsePrefix("fec0::/10"), "a site-local address"},
	{netip.MustParsePrefix("ff00::/8"), "a multicast address"},
}

// globalUnicast6 is where every routable IPv6 address lives; the rest of
// the IPv6 space is reserved or special (the embedded-IPv4 forms below it
// are judged by the IPv4 address before this applies).
var globalUnicast6 = netip.MustParsePrefix("2000::/3")

// IPv6 ranges that embed an IPv4 address (read-only).
var (
	nat64          = netip.MustParsePrefix("64:ff9b::/96")
	ipv4Translated = netip.MustParsePrefix("::ffff:0:0:0/96")
	sixToFour      = netip.MustParsePrefix("2002::/16")
)

// CheckAddr returns a *RefusedError when the policy does not allow a.
// Documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
// 2001:db8::/32) are allowed: nothing routes them, so they are safe stand-ins
// for public receivers in tests.
func (p Policy) CheckAddr(a netip.Addr) error {
	if r := p.refusal(a); r != "" {
		return &RefusedError{Target: a.String(), Reason: "is " + r + allowHint}
	}
	return nil
}

// refusal says what a is when the policy refuses it, or "" when allowed.
func (p Policy) refusal(a netip.Addr) string {
	// A zoned address never matches a prefix (netip.Prefix.Contains), so
	// the zone is dropped for judging; it says which interface, not where.
	a = a.WithZone("")
	if p.allowed(a) {
		return ""
	}
	if v4, kind, ok := embeddedIPv4(a); ok {
		if p.allowed(v4) {
			return ""
		}
		if r := special(v4); r != "" {
			return kind + " of " + v4.String() + ", " + r
		}
		return ""
	}
	return special(a)
}

func (p Policy) allowed(a netip.Addr) bool {
	for _, pr := range p.Allow {
		if pr.Contains(a) {
			return true
		}
	}
	return false
}

// special says which special range holds a, or "" when it is public.
func special(a netip.Addr) string {
	for _, r := range specialRanges {
		if r.prefix.Contains(a) {
			if r.prefix.IsSingleIP() {
				return r.what
			}
			return r.what + " (" + r.prefix.String() + ")"
		}
	}
	if a.Is6() && !globalUnicast6.Contains(a) {
		return "outside IPv6 global unicast space (" + globalUnicast6.String() + ")"
	}
	return ""
}

// embeddedIPv4 returns the IPv4 address an IPv6 address stands for, in the
// forms where packets end up at that IPv4 address (the kernel, a NAT64 or a
// 6to4 relay translates them), so it is judged as that address.
func embeddedIPv4(a netip.Addr) (v4 netip.Addr, kind string, ok bool) {
	if !a.Is6() || a == netip.IPv6Unspecified() || a == netip.IPv6Loopback() {
		return netip.Addr{}, "", false
	}
	b := a.As16()
	last4 := netip.AddrFrom4([4]byte(b[12:16]))
	switch {
	case a.Is4In6():
		return last4, "an IPv4-mapped address", true
	case allZero(b[:12]): // ::a.b.c.d, deprecated but still parsed and routed by some stacks
		return last4, "an IPv4-compatible address", true
	case nat64.Contains(a):
		return last4, "a NAT64 address", true
	case ipv4Translated.Contains(a):
		return last4, "an IPv4-translated address", true
	case sixToFour.Contains(a): // 2002:AABB:CCDD::/48 is AA.BB.CC.DD's
		return netip.AddrFrom4([4]byte(b[2:6])), "a 6to4 address", true
	}
	return netip.Addr{}, "", false
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// CheckURL validates a webhook URL without resolving it: scheme http or
// https, no credentials, a host spelled unambiguously, and a literal
// address the policy allows. For saving a webhook's settings; delivery
// checks again, resolving names, on every connection.
func (p Policy) CheckURL(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return invalidURL(err)
	}
	return p.checkURL(u)
}

// invalidURL turns a url.Parse error into a refusal without quoting the
// URL, which may carry a token.
func invalidURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &RefusedError{Target: "URL", Reason: "is not valid: " + err.Error()}
}

func (p Policy) checkURL(u *url.URL) error {
	target := u.Scheme + "://" + u.Host
	switch {
	case u.Scheme != "http" && u.Scheme != "https": // url.Parse lowercases the scheme
		return &RefusedError{Target: target, Reason: fmt.Sprintf("has scheme %q; only http and https are allowed", u.Scheme)}
	case u.Opaque != "":
		return &RefusedError{Target: target, Reason: "is not a hierarchical URL (scheme:opaque)"}
	case u.User != nil:
		return &RefusedError{Target: target, Reason: "has credentials in the URL; put them in the webhook secret instead"}
	}
	if port := u.Port(); port != "" {
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return &RefusedError{Target: target, Reason: "has an invalid port"}
		}
	}
	host := u.Hostname()
	if err := checkHostSpelling(host); err != nil {
		return err
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return p.CheckAddr(a)
	}
	return nil
}

// checkHostSpelling refuses hosts whose meaning depends on who reads them.
// A host that "ends in a number" (WHATWG URL: its last label is all digits
// or 0x-hex) is an IPv4 address to browsers and inet_aton, which read
// 2130706433, 0177.0.0.1, 0x7f.1 and 127.1 as 127.0.0.1, while Go's
// resolver would send it to DNS. Only the canonical dotted quad means the
// same to everyone, so every other numeric spelling is refused whatever
// address it would denote. Non-ASCII hosts are refused because the HTTP
// transport maps them through IDNA (where "127.0.0.①" becomes 127.0.0.1)
// after this check has seen them.
func checkHostSpelling(host string) error {
	switch {
	case host == "":
		return &RefusedError{Target: "URL", Reason: "has no host"}
	case strings.Contains(host, "%"):
		return &RefusedError{Target: host, Reason: "has an IPv6 zone; zones are refused"}
	}
	for i := 0; i < len(host); i++ {
		if host[i] >= 0x80 {
			return &RefusedError{Target: strconv.QuoteToASCII(host), Reason: "is not ASCII; write the name in its ASCII (xn--) form"}
		}
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return nil // canonical: dotted-quad IPv4 (no leading zeros) or IPv6
	}
	if endsInNumber(host) {
		return &RefusedError{Target: host, Reason: "is not a canonical dotted-quad IPv4 address; " +
			"decimal, octal, hex and short forms are refused because resolvers read them differently"}
	}
	return nil
}

// endsInNumber is WHATWG URL's "ends in a number": the last label (after
// one trailing dot) is all ASCII digits or "0x" followed by hex digits.
func endsInNumber(host string) bool {
	host = strings.TrimSuffix(host, ".")
	last := host[strings.LastIndexByte(host, '.')+1:]
	if last == "" {
		return false
	}
	if strings.HasPrefix(last, "0x") || strings.HasPrefix(last, "0X") {
		return strings.Trim(last[2:], "0123456789abcdefABCDEF") == ""
	}
	return strings.Trim(last, "0123456789") == ""
}

// guard is the dialer the HTTP transport uses: every connection it opens
// is to an address it has just judged, found by one resolution, so what was
// checked is what gets dialled (DNS rebinding cannot slip in between).
type guard struct {
	policy   Policy
	resolver Resolver
	dialer   Dialer
}

// DialContext resolves address's host once, refuses unless every address
// is allowed, then dials those addresses (never the name) in order until
// one answers. It judges the host on its own, not trusting that the URL
// was checked, since the transport may rewrite the host it hands over.
func (g *guard) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, portText, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("webhook dial: %w", err)
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return nil, &RefusedError{Target: host, Reason: "has an invalid port"}
	}
	addrs, err := g.resolve(ctx, network, host)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, a := range addrs {
		conn, err := g.dialer.DialContext(ctx, network, netip.AddrPortFrom(a, uint16(port)).String())
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

// resolve returns the addresses host stands for, all of them allowed.
func (g *guard) resolve(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if err := checkHostSpelling(host); err != nil {
		return nil, err
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if err := g.policy.CheckAddr(a); err != nil {
			return nil, err
		}
		return []netip.Addr{a}, nil
	}
	addrs, err := g.resolver.LookupNetIP(ctx, ipNetwork(network), host)
	if err != nil {
		return nil, fmt.Errorf("resolve webhook host %s: %w", host, err)
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("resolve webhook host %s: no addresses", host)
	}
	// One refused address refuses the name: otherwise which one gets
	// dialled would decide, and an attacker's DNS chooses the order.
	for _, a := range addrs {
		if r := g.policy.refusal(a); r != "" {
			return nil, &RefusedError{Target: host, Reason: "resolves to " + a.String() + ", " + r + allowHint}
		}
	}
	return addrs, nil
}

// ipNetwork is the lookup network matching a dial network.
func ipNetwork(network string) string {
	switch network {
	case "tcp4":
		return "ip4"
	case "tcp6":
		return "ip6"
	}
	return "ip"
}
