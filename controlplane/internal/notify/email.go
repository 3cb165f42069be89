package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/notify/email"
	"github.com/hearth-dev/hearth/controlplane/internal/notify/internal/db"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// emailUsersBatch bounds the users one pass emails.
const emailUsersBatch = 100

// retryEmailAfter spaces attempts after a failure the server may recover
// from.
const retryEmailAfter = time.Minute

// sendEmails emails every user with due notifications; it returns how
// many emails it sent.
func (s *Service) sendEmails(ctx context.Context) (int, error) {
	if s.d.Mailer == nil {
		return 0, nil
	}
	now := s.now()
	users, err := s.q.DueEmailUsers(ctx, db.DueEmailUsersParams{Now: &now, MaxRows: emailUsersBatch})
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, u := range users {
		ok, err := s.emailUser(ctx, u)
		if err != nil {
			return sent, err
		}
		if ok {
			sent++
		}
	}
	return sent, nil
}

// emailUser sends a user's pending notifications as one email, under a
// lock on the user's row of notify_email_sent so two replicas never both
// send it. A user emailed less than MinInterval ago waits: their pending
// notifications are postponed to the end of the interval, when they go
// out together.
func (s *Service) emailUser(ctx context.Context, user uuid.UUID) (bool, error) {
	sent := false
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		last, err := q.LockUserEmail(ctx, user)
		if err != nil {
			return err
		}
		pending, err := q.PendingEmails(ctx, db.PendingEmailsParams{UserID: user, MaxRows: int32(s.d.Email.MaxPerEmail)}) //nolint:gosec // G115: a small policy number.
		if err != nil || len(pending) == 0 {
			return err
		}
		ids := make([]uuid.UUID, len(pending))
		for i, n := range pending {
			ids[i] = n.ID
		}
		now := s.now()
		if next := last.Add(s.d.Email.MinInterval); next.After(now) {
			return q.PostponeEmails(ctx, db.PostponeEmailsParams{Ids: ids, EmailDue: &next})
		}
		contact, err := s.d.Users.Contact(ctx, user)
		if err != nil {
			return err
		}
		if !contact.Active || contact.Email == "" {
			return q.SetEmailState(ctx, db.SetEmailStateParams{Ids: ids, EmailState: "none"})
		}
		msg, err := s.composeEmail(contact, pending)
		if err != nil {
			return err
		}
		if err := s.d.Mailer.Send(ctx, msg); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			s.log.Warn().Err(err).Str(logfield.UserID, user.String()).Msg("sending a notification email failed")
			if email.Permanent(err) {
				return q.SetEmailState(ctx, db.SetEmailStateParams{Ids: ids, EmailState: "failed"})
			}
			retry := now.Add(retryEmailAfter)
			return q.PostponeEmails(ctx, db.PostponeEmailsParams{Ids: ids, EmailDue: &retry})
		}
		sent = true
		if err := q.SetEmailState(ctx, db.SetEmailStateParams{Ids: ids, EmailState: "sent"}); err != nil {
			return err
		}
		return q.RecordEmailSent(ctx, db.RecordEmailSentParams{UserID: user, SentAt: now})
	})
	return sent, err
}

// composeEmail is one email for a user's notifications: the notice
// itself for one, a digest listing them for several.
func (s *Service) composeEmail(to Contact, ns []db.Notification) (email.Message, error) {
	if len(ns) == 0 {
		return email.Message{}, errors.New("notify: an email of nothing")
	}
	first := ns[0]
	notice := email.Notice{Title: first.Title, URL: s.link(first.Path), Reason: reasonText(first.Reason)}
	if first.ActorName != "" {
		notice.Summary = "By " + first.ActorName + "."
	}
	if len(ns) > 1 {
		notice = email.Notice{Title: fmt.Sprintf("%d notifications", len(ns)), URL: s.link("/-/notifications"), Reason: "you receive these as a member, watcher or participant"}
		for _, n := range ns {
			line := n.Title
			if n.Path != "" {
				line += " — " + s.link(n.Path)
			}
			notice.Lines = append(notice.Lines, line)
		}
	}
	notice.Footer = "Change what you receive at " + s.link("/-/notifications/settings")
	subject, text, html, err := email.Render(notice)
	if err != nil {
		return email.Message{}, err
	}
	return email.Message{To: []string{to.Email}, Subject: subject, Text: text, HTML: html}, nil
}

func (s *Service) link(path string) string {
	if path == "" {
		return s.d.PublicURL
	}
	return s.d.PublicURL + path
}

func reasonText(reason string) string {
	switch reason {
	case reasonRecipient:
		return "you are one of the people this is for"
	case reasonParticipating:
		return "you take part in this thread"
	case reasonWatching:
		return "you watch this project"
	}
	return "of your notification settings"
}
