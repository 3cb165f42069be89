// Package webhook delivers one webhook HTTP request safely: a signed POST
// to a URL that someone other than the server's administrator chose, from
// inside the server's network. The durable queue, retries and delivery log
// are built on top of it; this package owns one attempt and the SSRF guard
// that decides which addresses an attempt may reach. It does not log: it
// returns a Result for the caller to record and log.
//
// # SSRF rules
//
// A target is refused (a *RefusedError, Result.Refused) before anything is
// sent unless its URL is http or https, has a host and no credentials, and
// every address it stands for is allowed. Addresses are allowed when public
// or inside one of Policy.Allow (the administrator's --webhook-allow-cidr).
// Refused otherwise: loopback, unspecified, "this network" 0.0.0.0/8,
// link-local (with the cloud metadata addresses 169.254.169.254 and
// fd00:ec2::254), private (10/8, 172.16/12, 192.168/16, fc00::/7), carrier-
// grade NAT 100.64/10, IETF protocol assignments 192.0.0.0/24, benchmarking,
// multicast, broadcast, reserved 240/4, Teredo and IPv6 outside 2000::/3.
// IPv6 forms that deliver to an IPv4 address (IPv4-mapped, IPv4-compatible,
// IPv4-translated, NAT64 64:ff9b::/96, 6to4 2002::/16) are judged as that
// IPv4 address. Documentation ranges are allowed: nothing routes them.
//
// Numeric host spellings: refused, not interpreted. A host that ends in a
// number (the WHATWG URL rule: its last label is digits or 0x-hex) must be
// a canonical dotted quad; 2130706433, 0177.0.0.1, 0x7f.0.0.1 and 127.1 are
// refused whatever address they would denote, because parsers disagree on
// that (inet_aton and browsers read them as IPv4, Go's resolver as names)
// and no receiver needs them. Hosts with an IPv6 zone or non-ASCII
// characters (which the transport would rewrite through IDNA after the
// check) are refused too.
//
// # Where the guard sits
//
// The guard is the HTTP transport's DialContext, so it runs on every
// connection the transport opens: it resolves the host once through the
// injected Resolver, refuses unless all addresses are allowed, and hands
// the injected Dialer the checked "ip:port", never the name. What was
// checked is what is dialled, so DNS rebinding between check and connect
// cannot happen; keep-alives are off, so no connection outlives the
// delivery it was checked for. TLS is layered over that connection by the
// transport with ServerName set to the URL's host, so certificates are
// verified against the name. Proxy environment variables are ignored and
// redirects are never followed.
package webhook
