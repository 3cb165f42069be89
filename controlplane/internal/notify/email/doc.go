// Package email owns sending notification emails over SMTP: the server
// settings (Config, validated once, later the --smtp-* flags), building a
// MIME message (multipart/alternative with a UTF-8 text part and an HTML
// part, encoded headers, CRLF line endings), delivering it over one SMTP
// connection per Send (plain, STARTTLS or implicit TLS, AUTH PLAIN), and
// the plain templates that turn a Notice into a subject, a text body and
// an HTML body.
//
// It does not decide who is told what, when, or how often: events,
// subscriptions, rate limits and the delivery queue belong to the notify
// feature built on top. For that queue the package says which failures
// are worth retrying (Permanent) and never puts the SMTP password in an
// error. It does not log: Send returns an error that names the SMTP step
// that failed, and the caller logs it with its own injected logger.
package email
