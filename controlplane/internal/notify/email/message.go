package email

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrInvalidMessage wraps every refusal of a Message (or of an address)
// made before connecting: sending it again cannot succeed.
var ErrInvalidMessage = errors.New("invalid email message")

// MaxRecipients is the most addresses one Message may have: RFC 5321
// only obliges a server to accept 100 RCPTs per transaction.
const MaxRecipients = 100

// Message is one email. Every address in To sees the others in the To
// header: send one Message per person to keep addresses private.
type Message struct {
	// To holds addresses, bare ("ada@example.com") or with a display name
	// ("Ada Lovelace <ada@example.com>").
	To      []string
	Subject string
	// Text is the plain-text body; it is required.
	Text string
	// HTML is the HTML body; when empty the message is text/plain only.
	HTML string
}

// maxHeaderLine is RFC 5322's hard limit on a line, CRLF excluded.
const maxHeaderLine = 998

// foldAt is RFC 5322's recommended line length, where headers are folded.
const foldAt = 78

// envelope is what the SMTP transaction needs besides the bytes.
type envelope struct {
	from string
	to   []string
}

// build validates msg and renders it as an RFC 5322 message with CRLF line
// endings. Nothing in it depends on the connection, so a bad message is
// refused before dialling.
func (m *Mailer) build(msg Message, now time.Time) (envelope, []byte, error) {
	to, rcpts, err := parseRecipients(msg.To)
	if err != nil {
		return envelope{}, nil, err
	}
	if strings.ContainsAny(msg.Subject, "\r\n") {
		return envelope{}, nil, fmt.Errorf("%w: the subject contains CR or LF (header injection)", ErrInvalidMessage)
	}
	if strings.TrimSpace(msg.Subject) == "" {
		return envelope{}, nil, fmt.Errorf("%w: the subject is empty", ErrInvalidMessage)
	}
	if msg.Text == "" {
		return envelope{}, nil, fmt.Errorf("%w: the text part is empty", ErrInvalidMessage)
	}

	var b bytes.Buffer
	// The body declares charset=utf-8; invalid bytes would make that a lie
	// some clients punish by showing nothing.
	subject := mime.QEncoding.Encode("utf-8", strings.ToValidUTF8(msg.Subject, "\uFFFD"))
	headers := [][2]string{
		{"Date", now.Format(time.RFC1123Z)},
		{"From", m.from.String()},
		{"To", strings.Join(to, ", ")},
		{"Subject", subject},
		{"Message-ID", "<" + rand.Text() + "@" + m.fromDomain + ">"},
		{"MIME-Version", "1.0"},
		// RFC 3834: tells vacation responders and ticket systems not to
		// answer, so notifications never start a mail loop.
		{"Auto-Submitted", "auto-generated"},
	}
	for _, h := range headers {
		if err := writeHeader(&b, h[0], h[1]); err != nil {
			return envelope{}, nil, err
		}
	}
	if err := writeBody(&b, msg); err != nil {
		return envelope{}, nil, err
	}
	return envelope{from: m.from.Address, to: rcpts}, b.Bytes(), nil
}

// parseRecipients returns the To header's addresses and the envelope
// recipients (deduplicated, so nobody gets the same mail twice).
func parseRecipients(list []string) (header, rcpts []string, err error) {
	if len(list) == 0 {
		return nil, nil, fmt.Errorf("%w: no recipients", ErrInvalidMessage)
	}
	if len(list) > MaxRecipients {
		return nil, nil, fmt.Errorf("%w: %d recipients, at most %d", ErrInvalidMessage, len(list), MaxRecipients)
	}
	seen := make(map[string]bool, len(list))
	for i, raw := range list {
		a, err := parseAddress(raw)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: recipient %d %q: %w", ErrInvalidMessage, i+1, raw, err)
		}
		header = append(header, a.String())
		if !seen[a.Address] {
			seen[a.Address] = true
			rcpts = append(rcpts, a.Address)
		}
	}
	return header, rcpts, nil
}

// parseAddress parses one RFC 5322 address. CR and LF are refused first
// and explicitly: net/mail accepts folding whitespace inside an address,
// and a line break smuggled into a header is how headers get injected.
func parseAddress(raw string) (*mail.Address, error) {
	if strings.ContainsAny(raw, "\r\n") {
		return nil, errors.New("contains CR or LF (header injection)")
	}
	a, err := mail.ParseAddress(raw)
	if err != nil {
		return nil, errors.New("not an email address")
	}
	// Non-ASCII addresses need SMTPUTF8 end to end, which the relays this
	// is pointed at cannot be assumed to have; IDN domains work as punycode.
	for i := 0; i < len(a.Address); i++ {
		if a.Address[i] >= utf8.RuneSelf {
			return nil, errors.New("internationalized addresses are not supported (write the domain in punycode)")
		}
	}
	return a, nil
}

// writeHeader writes "Name: value" folded at spaces to stay near 78
// columns. Folding is CRLF before an existing space, which unfolding
// removes again, so the value is unchanged.
func writeHeader(b *bytes.Buffer, name, value string) error {
	line := name + ":"
	for _, word := range strings.Split(value, " ") {
		if len(line) > len(name)+1 && len(line)+1+len(word) > foldAt {
			if len(line) > maxHeaderLine {
				return fmt.Errorf("%w: the %s header has a word longer than %d bytes", ErrInvalidMessage, name, maxHeaderLine)
			}
			b.WriteString(line)
			b.WriteString("\r\n")
			line = ""
		}
		line += " " + word
	}
	if len(line) > maxHeaderLine {
		return fmt.Errorf("%w: the %s header has a word longer than %d bytes", ErrInvalidMessage, name, maxHeaderLine)
	}
	b.WriteString(line)
	b.WriteString("\r\n")
	return nil
}

// writeBody writes the Content-Type headers, the blank line and the body:
// one quoted-printable text/plain part, or multipart/alternative with the
// text first and the HTML last (the last part is the preferred one).
// Quoted-printable keeps the mail readable as source and its lines short
// whatever the input, and turns every line ending into CRLF.
func writeBody(b *bytes.Buffer, msg Message) error {
	text := strings.ToValidUTF8(msg.Text, "\uFFFD")
	if msg.HTML == "" {
		for _, h := range partHeader("text/plain") {
			if err := writeHeader(b, h[0], h[1]); err != nil {
				return err
			}
		}
		b.WriteString("\r\n")
		return writeQP(b, text)
	}

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	ct := mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()})
	if err := writeHeader(b, "Content-Type", ct); err != nil {
		return err
	}
	b.WriteString("\r\n")
	parts := []struct{ mediaType, content string }{
		{"text/plain", text},
		{"text/html", strings.ToValidUTF8(msg.HTML, "\uFFFD")},
	}
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		for _, kv := range partHeader(p.mediaType) {
			h.Set(kv[0], kv[1])
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			return fmt.Errorf("build %s part: %w", p.mediaType, err)
		}
		if err := writeQP(w, p.content); err != nil {
			return err
		}
	}
	if err := mw.Close(); err != nil {
		return fmt.Errorf("build multipart body: %w", err)
	}
	b.Write(body.Bytes())
	return nil
}

func partHeader(mediaType string) [][2]string {
	return [][2]string{
		{"Content-Type", mediaType + "; charset=utf-8"},
		{"Content-Transfer-Encoding", "quoted-printable"},
	}
}

// writeQP writes s quoted-printable encoded. No line break is added: in a
// multipart body the CRLF before the next boundary belongs to the boundary,
// and the SMTP client ends the data with CRLF itself.
func writeQP(w io.Writer, s string) error {
	qp := quotedprintable.NewWriter(w)
	if _, err := qp.Write([]byte(s)); err != nil {
		return fmt.Errorf("encode body: %w", err)
	}
	if err := qp.Close(); err != nil {
		return fmt.Errorf("encode body: %w", err)
	}
	return nil
}
