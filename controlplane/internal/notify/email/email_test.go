package email

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// --- an in-process SMTP server that records what it is told ---

// record is one SMTP session as the server saw it. go-smtp starts a new
// session after STARTTLS, so a STARTTLS connection yields two.
type record struct {
	TLS       bool
	From      string
	To        []string
	Data      []byte
	AuthUsers []string
	AuthPass  []string
}

type backend struct {
	user, pass string // AUTH PLAIN credentials; empty: no AUTH offered

	mu       sync.Mutex
	sessions []*record
}

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	r := &record{TLS: isTLS}
	b.mu.Lock()
	b.sessions = append(b.sessions, r)
	b.mu.Unlock()
	if b.user == "" {
		return &session{be: b, rec: r}, nil
	}
	return &authSession{session{be: b, rec: r}}, nil
}

// records returns a copy of every session so far.
func (b *backend) records() []record {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]record, len(b.sessions))
	for i, r := range b.sessions {
		out[i] = *r
		out[i].To = append([]string(nil), r.To...)
		out[i].AuthUsers = append([]string(nil), r.AuthUsers...)
		out[i].AuthPass = append([]string(nil), r.AuthPass...)
	}
	return out
}

// delivered returns the sessions that received a message.
func (b *backend) delivered() []record {
	var out []record
	for _, r := range b.records() {
		if r.Data != nil {
			out = append(out, r)
		}
	}
	return out
}

type session struct {
	be     *backend
	rec    *record
	authed bool
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.be.user != "" && !s.authed {
		return smtp.ErrAuthRequired
	}
	s.be.mu.Lock()
	defer s.be.mu.Unlock()
	s.rec.From = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if strings.HasPrefix(to, "reject") {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	s.be.mu.Lock()
	defer s.be.mu.Unlock()
	s.rec.To = append(s.rec.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.be.mu.Lock()
	defer s.be.mu.Unlock()
	s.rec.Data = b
	return nil
}

func (s *session) Reset()        {}
func (s *session) Logout() error { return nil }

// authSession offers AUTH PLAIN and checks the credentials.
type authSession struct{ session }

func (s *authSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *authSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		s.be.mu.Lock()
		s.rec.AuthUsers = append(s.rec.AuthUsers, username)
		s.rec.AuthPass = append(s.rec.AuthPass, password)
		s.be.mu.Unlock()
		if username != s.be.user || password != s.be.pass {
			return smtp.ErrAuthFailed
		}
		s.authed = true
		return nil
	}), nil
}

// countingListener counts accepted connections.
type countingListener struct {
	net.Listener
	accepted atomic.Int32
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.accepted.Add(1)
	}
	return c, err
}

type serverOptions struct {
	startTLS    *tls.Config // offered via STARTTLS when set
	implicitTLS *tls.Config // the listener speaks TLS when set
	user, pass  string
	plainAuth   bool // allow AUTH without TLS
}

type testServer struct {
	be   *backend
	ln   *countingListener
	port int
}

func startServer(t *testing.T, o serverOptions) *testServer {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &countingListener{Listener: inner}
	be := &backend{user: o.user, pass: o.pass}
	srv := smtp.NewServer(be)
	srv.Domain = "localhost"
	srv.TLSConfig = o.startTLS
	srv.AllowInsecureAuth = o.plainAuth
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)
	var serving net.Listener = ln
	if o.implicitTLS != nil {
		serving = tls.NewListener(ln, o.implicitTLS)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(serving)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return &testServer{be: be, ln: ln, port: inner.Addr().(*net.TCPAddr).Port}
}

// silentServer accepts connections and never says a word.
func silentServer(t *testing.T) (port int, accepted *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted = new(atomic.Int32)
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().(*net.TCPAddr).Port, accepted
}

// selfSigned returns a server certificate for 127.0.0.1 and a pool that
// trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "hearth test SMTP"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}

func serverTLS(cert tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
}

func testConfig(port int) Config {
	return Config{
		Host:    "127.0.0.1",
		Port:    port,
		TLS:     TLSNone,
		From:    "Hearth <hearth@example.com>",
		Timeout: 5 * time.Second,
	}
}

func newMailer(t *testing.T, cfg Config) *Mailer {
	t.Helper()
	m, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return m
}

func simpleMessage() Message {
	return Message{To: []string{"ada@example.com"}, Subject: "Hello", Text: "Hi.\n", HTML: "<p>Hi.</p>"}
}

// parsed is a received message taken apart.
type parsed struct {
	header    mail.Header
	subject   string
	text      string
	html      string
	textTypes string
	htmlTypes string
}

// parseMessage parses raw with net/mail and mime/multipart, decoding each
// part's quoted-printable body by hand so the encoding is checked too.
func parseMessage(t *testing.T, raw []byte) parsed {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("read message: %v", err)
	}
	var p parsed
	p.header = msg.Header
	p.subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("decode subject: %v", err)
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("next part: %v", err)
		}
		if cte := part.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
			t.Fatalf("part Content-Transfer-Encoding %q", cte)
		}
		body, err := io.ReadAll(quotedprintable.NewReader(part))
		if err != nil {
			t.Fatalf("decode part: %v", err)
		}
		ct := part.Header.Get("Content-Type")
		switch {
		case strings.HasPrefix(ct, "text/plain"):
			p.text, p.textTypes = string(body), ct
		case strings.HasPrefix(ct, "text/html"):
			p.html, p.htmlTypes = string(body), ct
		default:
			t.Fatalf("unexpected part %q", ct)
		}
	}
	return p
}

func crlfToLF(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

// --- tests ---

func TestSendDeliversMultipartMessage(t *testing.T) {
	srv := startServer(t, serverOptions{})
	m := newMailer(t, testConfig(srv.port))

	subject := "Pipeline #42 failed on main — ünïcödé ✗ " + strings.Repeat("long subject words ", 6)
	text := "Two jobs failed.\n\n  - build\n.a line starting with a dot\ntrailing space \n" +
		strings.Repeat("0123456789", 20) + "\nnon-ASCII: Grüße, 日本語\n"
	html := "<p>Two jobs failed: <b>build</b> &amp; 日本語</p>\n"
	err := m.Send(context.Background(), Message{
		To:      []string{"Ada Lovelace <ada@example.com>", "bob@example.com", "ada@example.com"},
		Subject: subject,
		Text:    text,
		HTML:    html,
	})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}

	got := srv.be.delivered()
	if len(got) != 1 {
		t.Fatalf("%d messages delivered, want 1", len(got))
	}
	r := got[0]
	if r.From != "hearth@example.com" {
		t.Errorf("MAIL FROM %q", r.From)
	}
	if strings.Join(r.To, ",") != "ada@example.com,bob@example.com" {
		t.Errorf("RCPT TO %q, want ada and bob once each", r.To)
	}
	for i, line := range strings.SplitAfter(string(r.Data), "\n") {
		if line == "" {
			continue
		}
		if !strings.HasSuffix(line, "\r\n") {
			t.Fatalf("line %d does not end in CRLF: %q", i+1, line)
		}
		// 998 is RFC 5322's hard limit. Headers fold near 78 where their
		// words allow (an encoded-word may be 75 on its own) and
		// quoted-printable keeps body lines at 76.
		if len(line) > 998+2 {
			t.Errorf("line %d is %d bytes: %q", i+1, len(line)-2, line)
		}
	}
	if !regexp.MustCompile(`\r\nSubject: [^\r]+\r\n [^\r]+\r\n `).Match(r.Data) {
		t.Errorf("the long subject was not folded:\n%s", r.Data)
	}

	p := parseMessage(t, r.Data)
	if p.subject != subject {
		t.Errorf("subject %q, want %q", p.subject, subject)
	}
	if from := p.header.Get("From"); from != `"Hearth" <hearth@example.com>` {
		t.Errorf("From %q", from)
	}
	to, err := p.header.AddressList("To")
	if err != nil || len(to) != 3 || to[0].Name != "Ada Lovelace" || to[1].Address != "bob@example.com" {
		t.Errorf("To %v (%v)", to, err)
	}
	if d, err := p.header.Date(); err != nil || time.Since(d) > time.Minute {
		t.Errorf("Date %q (%v)", p.header.Get("Date"), err)
	}
	if id := p.header.Get("Message-ID"); !regexp.MustCompile(`^<[A-Z2-7]{16,}@example\.com>$`).MatchString(id) {
		t.Errorf("Message-ID %q", id)
	}
	if v := p.header.Get("MIME-Version"); v != "1.0" {
		t.Errorf("MIME-Version %q", v)
	}
	if v := p.header.Get("Auto-Submitted"); v != "auto-generated" {
		t.Errorf("Auto-Submitted %q", v)
	}
	if p.textTypes != "text/plain; charset=utf-8" || p.htmlTypes != "text/html; charset=utf-8" {
		t.Errorf("part types %q, %q", p.textTypes, p.htmlTypes)
	}
	if crlfToLF(p.text) != text {
		t.Errorf("text part\n%q\nwant\n%q", p.text, text)
	}
	if crlfToLF(p.html) != html {
		t.Errorf("HTML part\n%q\nwant\n%q", p.html, html)
	}
}

// TestBuildWritesCRLF checks the bytes the Mailer builds, before the SMTP
// client's dot-writer (which would fix bare LFs) ever sees them.
func TestBuildWritesCRLF(t *testing.T) {
	m := newMailer(t, testConfig(25))
	for _, html := range []string{"", "<p>one\ntwo</p>"} {
		_, data, err := m.build(Message{To: []string{"a@example.com"}, Subject: "s", Text: "one\ntwo\r\nthree\n", HTML: html}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(bytes.ReplaceAll(data, []byte("\r\n"), nil), []byte("\n")) {
			t.Errorf("bare LF in message (HTML %q):\n%q", html, data)
		}
		if bytes.Contains(bytes.ReplaceAll(data, []byte("\r\n"), nil), []byte("\r")) {
			t.Errorf("bare CR in message (HTML %q):\n%q", html, data)
		}
	}
}

func TestSendTextOnly(t *testing.T) {
	srv := startServer(t, serverOptions{})
	m := newMailer(t, testConfig(srv.port))
	if err := m.Send(context.Background(), Message{To: []string{"ada@example.com"}, Subject: "Hi", Text: "Just text, ü.\n"}); err != nil {
		t.Fatal(err)
	}
	got := srv.be.delivered()
	if len(got) != 1 {
		t.Fatalf("%d delivered", len(got))
	}
	msg, err := mail.ReadMessage(bytes.NewReader(got[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	if ct := msg.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil || crlfToLF(string(body)) != "Just text, ü.\n" {
		t.Errorf("body %q (%v)", body, err)
	}
}

func TestSendRenderedNotice(t *testing.T) {
	srv := startServer(t, serverOptions{})
	m := newMailer(t, testConfig(srv.port))
	subject, text, html, err := Render(Notice{
		Title:   "Pipeline #7 passed",
		Summary: "All 3 jobs passed.",
		URL:     "https://hearth.example.com/acme/web/-/pipelines/7",
		Reason:  "You pushed this commit.",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Send(context.Background(), Message{To: []string{"ada@example.com"}, Subject: subject, Text: text, HTML: html}); err != nil {
		t.Fatal(err)
	}
	got := srv.be.delivered()
	if len(got) != 1 {
		t.Fatalf("%d delivered", len(got))
	}
	p := parseMessage(t, got[0].Data)
	if p.subject != "Pipeline #7 passed" || crlfToLF(p.text) != text || crlfToLF(p.html) != html {
		t.Errorf("rendered notice did not round-trip: subject %q\ntext %q\nhtml %q", p.subject, p.text, p.html)
	}
}

func TestAuthPlain(t *testing.T) {
	const user, pass = "hearth", "s3cret-Pa55word"
	srv := startServer(t, serverOptions{user: user, pass: pass, plainAuth: true})

	cfg := testConfig(srv.port)
	cfg.Username, cfg.Password = user, pass
	if err := newMailer(t, cfg).Send(context.Background(), simpleMessage()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.be.delivered()
	if len(got) != 1 {
		t.Fatalf("%d delivered", len(got))
	}
	if len(got[0].AuthUsers) != 1 || got[0].AuthUsers[0] != user || got[0].AuthPass[0] != pass {
		t.Errorf("server saw AUTH %q / %q", got[0].AuthUsers, got[0].AuthPass)
	}

	const wrong = "wrong-Pa55word-123"
	cfg.Password = wrong
	err := newMailer(t, cfg).Send(context.Background(), simpleMessage())
	if err == nil {
		t.Fatal("Send with a wrong password succeeded")
	}
	if !strings.Contains(err.Error(), "AUTH") {
		t.Errorf("error %q does not mention AUTH", err)
	}
	if strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), pass) {
		t.Errorf("error %q contains the password", err)
	}
	var se *SendError
	if !errors.As(err, &se) || se.Step != "AUTH" || se.Code != 535 {
		t.Errorf("error %#v, want a SendError for AUTH with code 535", err)
	}
	if Permanent(err) {
		t.Errorf("an AUTH failure is reported permanent; fixing the password should let mail through")
	}
	if n := len(srv.be.delivered()); n != 1 {
		t.Errorf("%d delivered after the failed AUTH, want still 1", n)
	}
}

// TestAuthNotOffered: a server that offers no AUTH at all makes
// Send fail at AUTH rather than send mail unauthenticated.
func TestAuthNotOffered(t *testing.T) {
	srv := startServer(t, serverOptions{})
	cfg := testConfig(srv.port)
	cfg.Username, cfg.Password = "hearth", "pw-not-offered"
	err := newMailer(t, cfg).Send(context.Background(), simpleMessage())
	if err == nil || !strings.Contains(err.Error(), "AUTH") {
		t.Fatalf("err = %v, want an AUTH error", err)
	}
	if n := len(srv.be.delivered()); n != 0 {
		t.Errorf("%d delivered", n)
	}
}

func TestErrorRedactsEchoedPassword(t *testing.T) {
	m := newMailer(t, Config{Host: "127.0.0.1", TLS: TLSNone, Username: "u", Password: "hunter2-long", From: "a@example.com"})
	a := &attempt{m: m, parent: context.Background(), ctx: context.Background()}
	echoed := &smtp.SMTPError{Code: 501, Message: "bad line AUTH PLAIN " + m.secrets[1] + " for hunter2-long"}
	err := a.fail("AUTH", echoed)
	if strings.Contains(err.Error(), "hunter2-long") || strings.Contains(err.Error(), m.secrets[1]) {
		t.Fatalf("error %q carries the password", err)
	}
	if errors.As(err, new(*smtp.SMTPError)) {
		t.Error("the redacted error still wraps the original, which holds the password")
	}
	if !strings.Contains(err.Error(), "[redacted]") || !strings.Contains(err.Error(), "AUTH") {
		t.Errorf("error %q", err)
	}
}

func TestStartTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	const user, pass = "hearth", "tls-Pa55word"
	// No plain AUTH: the server only offers AUTH once the session is TLS.
	srv := startServer(t, serverOptions{startTLS: serverTLS(cert), user: user, pass: pass})

	cfg := testConfig(srv.port)
	cfg.TLS = TLSStartTLS
	cfg.RootCAs = pool
	cfg.Username, cfg.Password = user, pass
	if err := newMailer(t, cfg).Send(context.Background(), simpleMessage()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.be.delivered()
	if len(got) != 1 {
		t.Fatalf("%d delivered", len(got))
	}
	if !got[0].TLS {
		t.Error("the message arrived over a session that is not TLS")
	}
	if len(got[0].AuthUsers) != 1 || got[0].AuthUsers[0] != user {
		t.Errorf("AUTH users %q", got[0].AuthUsers)
	}
	for _, r := range srv.be.records() {
		if !r.TLS && (len(r.AuthUsers) > 0 || r.From != "") {
			t.Errorf("a plain session saw AUTH or MAIL: %+v", r)
		}
	}
}

func TestStartTLSNotOffered(t *testing.T) {
	srv := startServer(t, serverOptions{})
	cfg := testConfig(srv.port)
	cfg.TLS = TLSStartTLS
	err := newMailer(t, cfg).Send(context.Background(), simpleMessage())
	if err == nil {
		t.Fatal("Send succeeded against a server without STARTTLS")
	}
	if !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("error %q does not mention STARTTLS", err)
	}
	for _, r := range srv.be.records() {
		if r.From != "" || r.Data != nil {
			t.Errorf("mail went out in plain text: %+v", r)
		}
	}
}

func TestStartTLSUntrustedCertificate(t *testing.T) {
	cert, _ := selfSigned(t)
	_, otherPool := selfSigned(t)
	srv := startServer(t, serverOptions{startTLS: serverTLS(cert), user: "hearth", pass: "untrusted-pw"})

	cfg := testConfig(srv.port)
	cfg.TLS = TLSStartTLS
	cfg.RootCAs = otherPool
	cfg.Username, cfg.Password = "hearth", "untrusted-pw"
	err := newMailer(t, cfg).Send(context.Background(), simpleMessage())
	if err == nil {
		t.Fatal("Send trusted a certificate outside RootCAs")
	}
	if !strings.Contains(err.Error(), "STARTTLS") || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("error %q should name STARTTLS and the certificate", err)
	}
	for _, r := range srv.be.records() {
		if len(r.AuthUsers) > 0 {
			t.Errorf("credentials reached a server whose certificate failed: %+v", r)
		}
	}
}

func TestImplicitTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	srv := startServer(t, serverOptions{implicitTLS: serverTLS(cert), user: "hearth", pass: "smtps-Pa55"})

	cfg := testConfig(srv.port)
	cfg.TLS = TLSImplicit
	cfg.RootCAs = pool
	cfg.Username, cfg.Password = "hearth", "smtps-Pa55"
	if err := newMailer(t, cfg).Send(context.Background(), simpleMessage()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.be.delivered()
	if len(got) != 1 || !got[0].TLS {
		t.Fatalf("delivered %+v, want one message over TLS", got)
	}

	// The same server with verification against the wrong roots fails at
	// the handshake.
	_, otherPool := selfSigned(t)
	cfg.RootCAs = otherPool
	err := newMailer(t, cfg).Send(context.Background(), simpleMessage())
	if err == nil || !strings.Contains(err.Error(), "TLS handshake") {
		t.Errorf("err = %v, want a TLS handshake error", err)
	}
}

func TestHeaderInjectionRefusedBeforeConnecting(t *testing.T) {
	srv := startServer(t, serverOptions{})
	m := newMailer(t, testConfig(srv.port))
	cases := map[string]Message{
		"subject CRLF":    {To: []string{"ada@example.com"}, Subject: "Hi\r\nBcc: eve@example.com", Text: "x"},
		"subject LF":      {To: []string{"ada@example.com"}, Subject: "Hi\nBcc: eve@example.com", Text: "x"},
		"subject CR":      {To: []string{"ada@example.com"}, Subject: "Hi\rX-Evil: 1", Text: "x"},
		"to CRLF":         {To: []string{"ada@example.com\r\nBcc: eve@example.com"}, Subject: "Hi", Text: "x"},
		"to LF in name":   {To: []string{"Ada\n Bcc: eve@example.com <ada@example.com>"}, Subject: "Hi", Text: "x"},
		"second to":       {To: []string{"ada@example.com", "bob@example.com\nX-Evil: 1"}, Subject: "Hi", Text: "x"},
		"not an address":  {To: []string{"not an address"}, Subject: "Hi", Text: "x"},
		"no recipients":   {Subject: "Hi", Text: "x"},
		"empty subject":   {To: []string{"ada@example.com"}, Subject: " ", Text: "x"},
		"empty text":      {To: []string{"ada@example.com"}, Subject: "Hi", HTML: "<p>x</p>"},
		"unicode address": {To: []string{"adä@example.com"}, Subject: "Hi", Text: "x"},
	}
	for name, msg := range cases {
		t.Run(name, func(t *testing.T) {
			err := m.Send(context.Background(), msg)
			if !errors.Is(err, ErrInvalidMessage) {
				t.Fatalf("err = %v, want ErrInvalidMessage", err)
			}
			if !Permanent(err) {
				t.Error("an invalid message is not reported permanent")
			}
		})
	}
	if n := srv.ln.accepted.Load(); n != 0 {
		t.Errorf("%d connections made for refused messages, want 0", n)
	}
}

func TestRejectedRecipientIsPermanent(t *testing.T) {
	srv := startServer(t, serverOptions{})
	m := newMailer(t, testConfig(srv.port))
	err := m.Send(context.Background(), Message{To: []string{"reject@example.com"}, Subject: "Hi", Text: "x"})
	var se *SendError
	if !errors.As(err, &se) || se.Step != "RCPT" || se.Code != 550 {
		t.Fatalf("err = %v, want a RCPT SendError with code 550", err)
	}
	if !strings.Contains(err.Error(), "reject@example.com") {
		t.Errorf("error %q does not name the recipient", err)
	}
	if !Permanent(err) {
		t.Error("a 550 to RCPT is not reported permanent")
	}
}

func TestSendGivesUpOnSilentServer(t *testing.T) {
	t.Run("config timeout", func(t *testing.T) {
		port, accepted := silentServer(t)
		cfg := testConfig(port)
		cfg.Timeout = 300 * time.Millisecond
		start := time.Now()
		err := newMailer(t, cfg).Send(context.Background(), simpleMessage())
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("Send took %s with a 300ms timeout", took)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want context.DeadlineExceeded", err)
		}
		if Permanent(err) {
			t.Error("a timeout is reported permanent")
		}
		if accepted.Load() != 1 {
			t.Errorf("%d connections, want 1", accepted.Load())
		}
	})
	t.Run("context deadline", func(t *testing.T) {
		port, _ := silentServer(t)
		cfg := testConfig(port)
		cfg.Timeout = time.Minute
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := newMailer(t, cfg).Send(ctx, simpleMessage())
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("Send took %s with a 300ms context deadline", took)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want context.DeadlineExceeded", err)
		}
	})
	t.Run("context cancelled", func(t *testing.T) {
		port, _ := silentServer(t)
		cfg := testConfig(port)
		cfg.Timeout = time.Minute
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(200*time.Millisecond, cancel)
		start := time.Now()
		err := newMailer(t, cfg).Send(ctx, simpleMessage())
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("Send took %s after cancellation", took)
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
	t.Run("implicit TLS handshake", func(t *testing.T) {
		port, _ := silentServer(t)
		cfg := testConfig(port)
		cfg.TLS = TLSImplicit
		cfg.Timeout = 300 * time.Millisecond
		err := newMailer(t, cfg).Send(context.Background(), simpleMessage())
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "TLS handshake") {
			t.Errorf("err = %v, want a TLS handshake timeout", err)
		}
	})
}

func TestRenderEscapesHTMLAndLinks(t *testing.T) {
	const url = "https://hearth.example.com/acme/web/-/pipelines/42?tab=jobs&job=7"
	subject, text, html, err := Render(Notice{
		Title:   "<script>alert(1)</script> failed\non main",
		Summary: `Job "build" & 1 other failed.`,
		Lines:   []string{"build <b>exit 2</b>", "test"},
		URL:     url,
		Reason:  "You pushed this commit.",
		Footer:  "Hearth <notifications>",
	})
	if err != nil {
		t.Fatal(err)
	}
	if subject != "<script>alert(1)</script> failed on main" {
		t.Errorf("subject %q: want the title on one line", subject)
	}
	if strings.Contains(html, "<script>") || strings.Contains(html, "<b>exit") || strings.Contains(html, "<notifications>") {
		t.Errorf("HTML part has unescaped input:\n%s", html)
	}
	for _, want := range []string{
		"&lt;script&gt;alert(1)&lt;/script&gt; failed on main",
		"build &lt;b&gt;exit 2&lt;/b&gt;",
		"Job &#34;build&#34; &amp; 1 other failed.",
		`href="https://hearth.example.com/acme/web/-/pipelines/42?tab=jobs&amp;job=7"`,
		"You pushed this commit.",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML part lacks %q:\n%s", want, html)
		}
	}
	for _, want := range []string{url, "<script>alert(1)</script> failed on main", "  - build <b>exit 2</b>", "You pushed this commit.", "Hearth <notifications>"} {
		if !strings.Contains(text, want) {
			t.Errorf("text part lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(html, "http://") || strings.Contains(html, "src=") {
		t.Errorf("HTML part loads something external:\n%s", html)
	}
}

func TestRenderRejects(t *testing.T) {
	cases := map[string]Notice{
		"empty title":     {Title: " \n "},
		"javascript URL":  {Title: "x", URL: "javascript:alert(1)"},
		"relative URL":    {Title: "x", URL: "/acme/web"},
		"URL has no host": {Title: "x", URL: "https:///path"},
	}
	for name, n := range cases {
		if _, _, _, err := Render(n); err == nil {
			t.Errorf("%s: Render accepted %+v", name, n)
		}
	}
	subject, _, _, err := Render(Notice{Title: strings.Repeat("é", 300)})
	if err != nil || len([]rune(subject)) != maxSubjectRunes || !strings.HasSuffix(subject, "…") {
		t.Errorf("long title gave subject of %d runes (%v)", len([]rune(subject)), err)
	}
}

func TestConfigValidate(t *testing.T) {
	valid := Config{Host: "smtp.example.com", TLS: TLSStartTLS, Username: "u", Password: "p", From: "Hearth <hearth@example.com>"}
	cases := []struct {
		name  string
		edit  func(*Config)
		wants []string // substrings of the error; none: valid
	}{
		{"valid", func(*Config) {}, nil},
		{"valid implicit TLS with port", func(c *Config) { c.TLS, c.Port = TLSImplicit, 465 }, nil},
		{"valid plain without AUTH", func(c *Config) { c.TLS, c.Username, c.Password = TLSNone, "", "" }, nil},
		{"valid plain AUTH to loopback IP", func(c *Config) { c.TLS, c.Host = TLSNone, "127.0.0.1" }, nil},
		{"valid plain AUTH to localhost", func(c *Config) { c.TLS, c.Host = TLSNone, "localhost" }, nil},
		{"valid IPv6 host", func(c *Config) { c.Host = "::1" }, nil},
		{"valid bare from", func(c *Config) { c.From = "hearth@example.com" }, nil},
		{"no host", func(c *Config) { c.Host = "" }, []string{"--smtp-host is required"}},
		{"host with port", func(c *Config) { c.Host = "smtp.example.com:25" }, []string{"--smtp-host", "--smtp-port"}},
		{"host URL", func(c *Config) { c.Host = "smtp://smtp.example.com" }, []string{"--smtp-host"}},
		{"bracketed host", func(c *Config) { c.Host = "[::1]" }, []string{"--smtp-host"}},
		{"negative port", func(c *Config) { c.Port = -1 }, []string{"--smtp-port"}},
		{"port too big", func(c *Config) { c.Port = 65536 }, []string{"--smtp-port"}},
		{"empty TLS mode", func(c *Config) { c.TLS = "" }, []string{"--smtp-tls", "none, starttls or tls"}},
		{"bad TLS mode", func(c *Config) { c.TLS = "ssl" }, []string{`--smtp-tls "ssl"`}},
		{"username without password", func(c *Config) { c.Password = "" }, []string{"--smtp-username and --smtp-password go together"}},
		{"password without username", func(c *Config) { c.Username = "" }, []string{"go together"}},
		{"NUL in password", func(c *Config) { c.Password = "a\x00b" }, []string{"--smtp-password must not contain"}},
		{"LF in username", func(c *Config) { c.Username = "a\nb" }, []string{"--smtp-username must not contain"}},
		{"plain AUTH over the network", func(c *Config) { c.TLS = TLSNone }, []string{"--smtp-username needs --smtp-tls starttls or tls"}},
		{"no from", func(c *Config) { c.From = "" }, []string{"--smtp-from is required"}},
		{"bad from", func(c *Config) { c.From = "Hearth" }, []string{"--smtp-from", "not an email address"}},
		{"from with CRLF", func(c *Config) { c.From = "hearth@example.com\r\nBcc: eve@example.com" }, []string{"--smtp-from", "CR or LF"}},
		{"negative timeout", func(c *Config) { c.Timeout = -time.Second }, []string{"timeout"}},
		{"several problems", func(c *Config) { c.Host, c.TLS = "", "x" }, []string{"--smtp-host", "--smtp-tls"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := valid
			tc.edit(&cfg)
			err := cfg.Validate()
			if len(tc.wants) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				if _, err := New(cfg); err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate accepted %+v", cfg)
			}
			for _, want := range tc.wants {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if cfg.Password != "" && strings.Contains(line, cfg.Password) && len(cfg.Password) > 1 {
					t.Errorf("error line %q contains the password", line)
				}
			}
			if _, err := New(cfg); err == nil {
				t.Error("New accepted an invalid config")
			}
		})
	}
}

func TestDefaultPorts(t *testing.T) {
	for mode, want := range map[TLSMode]int{TLSNone: 25, TLSStartTLS: 587, TLSImplicit: 465} {
		if got := (Config{TLS: mode}).port(); got != want {
			t.Errorf("%s: port %d, want %d", mode, got, want)
		}
	}
}
