package email

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strings"
	texttemplate "text/template"
)

// templateFS holds the notice templates; embedded, so the binary needs no
// files at run time.
//
//go:embed templates/*.tmpl
var templateFS embed.FS

// Template file names inside templateFS.
const (
	textTemplate = "templates/notice.txt.tmpl"
	htmlTemplate = "templates/notice.html.tmpl"
)

// maxSubjectRunes keeps subjects readable in a mailbox list; a longer
// title is cut with an ellipsis (the body keeps it whole).
const maxSubjectRunes = 200

// Notice is what a notification email says. Every field is plain text:
// the HTML part escapes it all.
type Notice struct {
	// Title is the subject and the heading, e.g. "Pipeline #42 failed on
	// main". Required.
	Title string
	// Summary is a sentence or short paragraph under the title.
	Summary string
	// Lines are short items listed under the summary: commits pushed,
	// failing jobs, changed fields.
	Lines []string
	// URL is the page to open: an absolute http or https URL, or empty.
	URL string
	// Reason says why this person got the mail, e.g. "You pushed this
	// commit." Required by good manners, not by Render.
	Reason string
	// Footer is the last line, e.g. where to change notification settings.
	Footer string
}

// Render turns n into a subject, a text body and an HTML body for Message.
// The subject is the title on one line (any line break in a title would
// otherwise make Send refuse the message as a header injection).
func Render(n Notice) (subject, text, html string, err error) {
	subject = oneLine(n.Title)
	if subject == "" {
		return "", "", "", errors.New("render notice: the title is empty")
	}
	if n.URL != "" {
		u, err := url.Parse(n.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", "", "", errors.New("render notice: the URL must be an absolute http or https URL")
		}
	}
	if r := []rune(subject); len(r) > maxSubjectRunes {
		subject = strings.TrimSpace(string(r[:maxSubjectRunes-1])) + "…"
	}

	// Parsed on every call rather than once into a package variable: the
	// conventions forbid package-level mutable state, and parsing two small
	// templates costs far less than the SMTP round trips that follow.
	tt, err := texttemplate.ParseFS(templateFS, textTemplate)
	if err != nil {
		return "", "", "", fmt.Errorf("parse text template: %w", err)
	}
	ht, err := htmltemplate.ParseFS(templateFS, htmlTemplate)
	if err != nil {
		return "", "", "", fmt.Errorf("parse HTML template: %w", err)
	}
	// The heading gets the title on one line too, whole.
	n.Title = oneLine(n.Title)
	var tb, hb bytes.Buffer
	if err := tt.Execute(&tb, n); err != nil {
		return "", "", "", fmt.Errorf("render text part: %w", err)
	}
	if err := ht.Execute(&hb, n); err != nil {
		return "", "", "", fmt.Errorf("render HTML part: %w", err)
	}
	return subject, tb.String(), hb.String(), nil
}

// oneLine collapses every run of whitespace, line breaks included, into
// one space.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
