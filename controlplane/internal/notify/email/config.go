package email

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strings"
	"time"
)

// TLSMode says how the connection to the SMTP server is protected.
type TLSMode string

// The TLS modes, as given to --smtp-tls.
const (
	// TLSNone is plain SMTP. AUTH is refused unless the server is a
	// loopback address, so a password never crosses a network in clear.
	TLSNone TLSMode = "none"
	// TLSStartTLS connects in plain and requires the STARTTLS upgrade
	// (usually port 587); a server that does not offer it is an error,
	// never a silent fallback to plain text.
	TLSStartTLS TLSMode = "starttls"
	// TLSImplicit speaks TLS from the first byte (SMTPS, usually port 465).
	TLSImplicit TLSMode = "tls"
)

// DefaultTimeout bounds a whole Send (connect, TLS, AUTH, transfer) when
// Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Config locates and authenticates to the SMTP server. It is built from
// flags in main and validated there (Validate), then handed to New.
type Config struct {
	// Host is the server's name or IP address, without a port.
	Host string
	// Port is the server's port; 0 picks the usual one for TLS: 25 for
	// none, 587 for starttls, 465 for tls.
	Port int
	TLS  TLSMode
	// Username and Password, when set, authenticate with AUTH PLAIN.
	Username string
	Password string
	// From is the sender, an RFC 5322 address such as
	// "Hearth <hearth@example.com>"; its address is also the envelope
	// sender (MAIL FROM).
	From string
	// Timeout bounds each Send from dialling to the server's answer to the
	// message; 0 means DefaultTimeout. A context deadline that comes
	// sooner wins.
	Timeout time.Duration
	// InsecureSkipVerify accepts any server certificate. It exists for
	// tests against throwaway servers only: with it, anyone on the path
	// can read the password and the mail. Not exposed as a flag.
	InsecureSkipVerify bool
	// RootCAs, when set, replaces the system roots for verifying the
	// server's certificate (a private CA, or a test's self-signed one).
	RootCAs *x509.CertPool
}

// Validate reports every bad setting, one line each, named after its flag.
// It never echoes the password.
func (c Config) Validate() error {
	var problems []error
	bad := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }

	if msg := hostProblem(c.Host); msg != "" {
		bad("--smtp-host %s", msg)
	}
	if c.Port < 0 || c.Port > 65535 {
		bad("--smtp-port %d: want 1-65535 (or 0 for the default of --smtp-tls)", c.Port)
	}
	switch c.TLS {
	case TLSNone, TLSStartTLS, TLSImplicit:
	default:
		bad("--smtp-tls %q: want none, starttls or tls", c.TLS)
	}
	if (c.Username == "") != (c.Password == "") {
		bad("--smtp-username and --smtp-password go together")
	}
	// NUL separates the fields of AUTH PLAIN; CR and LF end an SMTP line.
	if strings.ContainsAny(c.Username, "\x00\r\n") {
		bad("--smtp-username must not contain NUL, CR or LF")
	}
	if strings.ContainsAny(c.Password, "\x00\r\n") {
		bad("--smtp-password must not contain NUL, CR or LF")
	}
	if c.Username != "" && c.TLS == TLSNone && c.Host != "" && !isLoopbackHost(c.Host) {
		bad("--smtp-username needs --smtp-tls starttls or tls: with none the password would cross the network in clear (allowed only for a loopback --smtp-host)")
	}
	if _, err := parseFrom(c.From); err != nil {
		bad("--smtp-from %v", err)
	}
	if c.Timeout < 0 {
		bad("SMTP timeout %s must not be negative", c.Timeout)
	}
	return errors.Join(problems...)
}

// hostProblem describes what is wrong with host, or returns "".
func hostProblem(host string) string {
	switch {
	case host == "":
		return "is required"
	case strings.ContainsAny(host, " \t\r\n/@[]"):
		return fmt.Sprintf("%q: want a host name or IP address", host)
	case strings.Contains(host, ":") && net.ParseIP(host) == nil:
		return fmt.Sprintf("%q: want a host name or IP address without a port (use --smtp-port)", host)
	}
	return ""
}

// isLoopbackHost reports whether host names this machine by definition;
// the same rule is checked again on the connected address at Send time.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// parseFrom parses the sender with the same rules as recipients.
func parseFrom(from string) (*mail.Address, error) {
	if from == "" {
		return nil, errors.New("is required")
	}
	addr, err := parseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", from, err)
	}
	return addr, nil
}

// port returns the configured port or the usual one for the TLS mode.
func (c Config) port() int {
	if c.Port != 0 {
		return c.Port
	}
	switch c.TLS {
	case TLSImplicit:
		return 465
	case TLSStartTLS:
		return 587
	default:
		return 25
	}
}

// timeout returns the per-Send budget.
func (c Config) timeout() time.Duration {
	if c.Timeout == 0 {
		return DefaultTimeout
	}
	return c.Timeout
}
