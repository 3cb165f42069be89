package email

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Mailer sends Messages with one Config. It is safe for concurrent use:
// every Send opens its own connection. Connections are not pooled because
// notification mail is rare next to the cost of a handshake, and relays
// drop idle connections anyway.
type Mailer struct {
	cfg        Config
	addr       string // host:port
	from       *mail.Address
	fromDomain string // for Message-IDs
	tls        *tls.Config
	helo       string
	timeout    time.Duration
	// secrets are the strings an error must never carry: the password
	// and the AUTH PLAIN line that encodes it, in case a server echoes it.
	secrets []string
}

// New validates cfg and returns a Mailer. It does not connect: an SMTP
// server that is down at start should delay mail, not the control plane.
func New(cfg Config) (*Mailer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	from, err := parseFrom(cfg.From)
	if err != nil { // unreachable after Validate; kept so from is never nil
		return nil, fmt.Errorf("--smtp-from %w", err)
	}
	m := &Mailer{
		cfg:        cfg,
		addr:       net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.port())),
		from:       from,
		fromDomain: from.Address[strings.LastIndexByte(from.Address, '@')+1:],
		tls: &tls.Config{
			ServerName: cfg.Host,
			RootCAs:    cfg.RootCAs,
			MinVersion: tls.VersionTLS12,
			//nolint:gosec // G402: off unless a test sets it; documented on Config and never a flag.
			InsecureSkipVerify: cfg.InsecureSkipVerify,
		},
		helo:    heloName(),
		timeout: cfg.timeout(),
	}
	if cfg.Password != "" {
		plain := "\x00" + cfg.Username + "\x00" + cfg.Password
		m.secrets = []string{cfg.Password, base64.StdEncoding.EncodeToString([]byte(plain))}
	}
	return m, nil
}

// heloName is the name given in EHLO: this machine's host name when it is
// a syntactically valid one, since relays may reject anything else.
func heloName() string {
	h, err := os.Hostname()
	if err != nil || h == "" || len(h) > 253 {
		return "localhost"
	}
	for _, r := range h {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '-' && r != '.' {
			return "localhost"
		}
	}
	return h
}

// Send builds msg and delivers it in one SMTP transaction. The message is
// checked before any connection is made (errors wrap ErrInvalidMessage).
// Send returns when the server has accepted the message, or with an error
// naming the step that failed (dial, TLS, STARTTLS, EHLO, AUTH, MAIL,
// RCPT, DATA) once ctx is done or Config.Timeout has passed, whichever
// comes first.
func (m *Mailer) Send(ctx context.Context, msg Message) error {
	env, data, err := m.build(msg, time.Now())
	if err != nil {
		return err
	}
	return m.deliver(ctx, env, data)
}

// attempt is the state of one delivery, for turning failures into errors.
type attempt struct {
	m      *Mailer
	parent context.Context
	ctx    context.Context
	budget time.Duration
}

func (m *Mailer) deliver(parent context.Context, env envelope, data []byte) error {
	start := time.Now()
	limit := start.Add(m.timeout)
	if d, ok := parent.Deadline(); ok && d.Before(limit) {
		limit = d
	}
	ctx, cancel := context.WithDeadline(parent, limit)
	defer cancel()
	a := &attempt{m: m, parent: parent, ctx: ctx, budget: limit.Sub(start).Round(time.Millisecond)}

	var dialer net.Dialer
	raw, err := dialer.DialContext(ctx, "tcp", m.addr)
	if err != nil {
		return a.fail("dial", err)
	}
	// Closing the socket ends the session whatever state the client or
	// TLS is in; its error says nothing about whether the mail went out.
	defer func() { _ = raw.Close() }()
	// go-smtp sets its own per-command deadlines and clears them after
	// each command; deadlineConn keeps them within this Send's budget, and
	// closing the socket on cancellation unblocks whatever is waiting.
	conn := &deadlineConn{Conn: raw, limit: limit}
	stop := context.AfterFunc(ctx, func() { _ = raw.Close() })
	defer stop()
	if err := conn.SetDeadline(time.Time{}); err != nil {
		return a.fail("dial", err)
	}
	if m.cfg.Username != "" && m.cfg.TLS == TLSNone && !remoteIsLoopback(raw) {
		// Validate allows only loopback hosts here; this catches a name
		// like "localhost" resolving somewhere else.
		return a.fail("AUTH", fmt.Errorf("refusing to send the password in clear to %s, which is not a loopback address", raw.RemoteAddr()))
	}

	c, err := a.open(conn)
	if err != nil {
		return err
	}
	if err := a.transact(c, env, data); err != nil {
		return err
	}
	// The server has accepted the message: a failed QUIT changes nothing.
	_ = c.Quit()
	return nil
}

// open returns a client that has said EHLO over the configured transport.
func (a *attempt) open(conn net.Conn) (*smtp.Client, error) {
	switch a.m.cfg.TLS {
	case TLSImplicit:
		tc := tls.Client(conn, a.m.tls)
		if err := tc.HandshakeContext(a.ctx); err != nil {
			return nil, a.fail("TLS handshake", err)
		}
		c := smtp.NewClient(tc)
		a.setTimeouts(c)
		if err := c.Hello(a.m.helo); err != nil {
			return nil, a.fail("EHLO", err)
		}
		return c, nil
	case TLSStartTLS:
		// NewClientStartTLS greets, checks the server offers STARTTLS and
		// sends it; it fails rather than continue in plain text.
		c, err := smtp.NewClientStartTLS(conn, a.m.tls)
		if err != nil {
			return nil, a.fail("STARTTLS", err)
		}
		a.setTimeouts(c)
		// The handshake runs on the first write after STARTTLS, which is
		// this EHLO: a certificate problem surfaces here.
		if err := c.Hello(a.m.helo); err != nil {
			if st, ok := c.TLSConnectionState(); ok && st.HandshakeComplete {
				return nil, a.fail("EHLO", err)
			}
			return nil, a.fail("STARTTLS", err)
		}
		return c, nil
	default:
		c := smtp.NewClient(conn)
		a.setTimeouts(c)
		if err := c.Hello(a.m.helo); err != nil {
			return nil, a.fail("EHLO", err)
		}
		return c, nil
	}
}

func (a *attempt) setTimeouts(c *smtp.Client) {
	c.CommandTimeout = a.m.timeout
	c.SubmissionTimeout = a.m.timeout
}

// transact authenticates if configured and runs MAIL, RCPT and DATA.
func (a *attempt) transact(c *smtp.Client, env envelope, data []byte) error {
	if a.m.cfg.Username != "" {
		if !c.SupportsAuth(sasl.Plain) {
			return a.fail("AUTH", errors.New("the server does not offer AUTH PLAIN"))
		}
		if err := c.Auth(sasl.NewPlainClient("", a.m.cfg.Username, a.m.cfg.Password)); err != nil {
			return a.fail("AUTH", err)
		}
	}
	if err := c.Mail(env.from, &smtp.MailOptions{Size: int64(len(data))}); err != nil {
		return a.fail("MAIL", err)
	}
	for _, to := range env.to {
		if err := c.Rcpt(to, nil); err != nil {
			return a.fail("RCPT", fmt.Errorf("<%s>: %w", to, err))
		}
	}
	w, err := c.Data()
	if err != nil {
		return a.fail("DATA", err)
	}
	if _, err := w.Write(data); err != nil {
		return a.fail("DATA", err)
	}
	if err := w.Close(); err != nil {
		return a.fail("DATA", err)
	}
	return nil
}

// fail wraps err with the step and server. A failure caused by the
// caller's context reports that context's error; one caused by the budget
// running out wraps context.DeadlineExceeded, so both read the same way
// whichever deadline fired first.
func (a *attempt) fail(step string, err error) error {
	switch {
	case a.parent.Err() != nil:
		err = fmt.Errorf("%w (%w)", a.parent.Err(), err)
	case a.ctx.Err() != nil || errors.Is(err, os.ErrDeadlineExceeded):
		err = fmt.Errorf("no answer within %s: %w", a.budget, context.DeadlineExceeded)
	}
	e := &SendError{Step: step, Server: a.m.addr, err: err}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		e.Code = se.Code
	}
	msg := err.Error()
	for _, s := range a.m.secrets {
		if strings.Contains(msg, s) {
			// Keep the text, minus the secret, and drop the chain that
			// still holds it.
			for _, s := range a.m.secrets {
				msg = strings.ReplaceAll(msg, s, "[redacted]")
			}
			e.err = errors.New(msg)
			break
		}
	}
	return e
}

// SendError is a failed SMTP step. Its text never contains the password.
type SendError struct {
	// Step is dial, TLS handshake, STARTTLS, EHLO, AUTH, MAIL, RCPT or DATA.
	Step string
	// Server is host:port.
	Server string
	// Code is the server's SMTP reply code, or 0 when it did not answer.
	Code int
	err  error
}

func (e *SendError) Error() string {
	return "smtp " + e.Step + " (" + e.Server + "): " + e.err.Error()
}

func (e *SendError) Unwrap() error { return e.err }

// Permanent reports whether sending the same message again will fail the
// same way: the message was refused before connecting (ErrInvalidMessage),
// or the server rejected it with a 5xx reply to MAIL, RCPT or DATA. Dial,
// TLS and AUTH failures and 4xx replies are not permanent: they depend on
// the server or its configuration, which can be fixed while mail waits.
func Permanent(err error) bool {
	if errors.Is(err, ErrInvalidMessage) {
		return true
	}
	var se *SendError
	if !errors.As(err, &se) {
		return false
	}
	switch se.Step {
	case "MAIL", "RCPT", "DATA":
		return se.Code >= 500 && se.Code < 600
	}
	return false
}

// remoteIsLoopback reports whether conn's peer is this machine.
func remoteIsLoopback(conn net.Conn) bool {
	addr, ok := conn.RemoteAddr().(*net.TCPAddr)
	return ok && addr.IP.IsLoopback()
}

// deadlineConn clamps every deadline set on the connection to limit, so a
// library that sets (or clears) its own per-command deadlines cannot make
// a Send outlive its budget.
type deadlineConn struct {
	net.Conn
	limit time.Time
}

func (c *deadlineConn) clamp(t time.Time) time.Time {
	if t.IsZero() || t.After(c.limit) {
		return c.limit
	}
	return t
}

func (c *deadlineConn) SetDeadline(t time.Time) error { return c.Conn.SetDeadline(c.clamp(t)) }

func (c *deadlineConn) SetReadDeadline(t time.Time) error {
	return c.Conn.SetReadDeadline(c.clamp(t))
}

func (c *deadlineConn) SetWriteDeadline(t time.Time) error {
	return c.Conn.SetWriteDeadline(c.clamp(t))
}
