package project

import (
	"context"
	"regexp"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
)

// maxUserMentions bounds the @mentions of one text that notify anyone.
const maxUserMentions = 20

// userMention is "@name" at the start of the text or after a character
// that cannot be part of an address or a path ("a@b.c" is an email, not a
// mention).
var userMention = regexp.MustCompile(`(?:^|[^A-Za-z0-9_.@/-])@([A-Za-z0-9][A-Za-z0-9_.-]{0,38})`)

// UserMentions returns the distinct usernames a text mentions as "@name",
// in order of first mention, at most maxUserMentions. Fenced and inline
// code are skipped.
func UserMentions(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range userMention.FindAllStringSubmatch(withoutCode(text), -1) {
		name := strings.TrimRight(m[1], ".-")
		if name == "" || seen[strings.ToLower(name)] {
			continue
		}
		seen[strings.ToLower(name)] = true
		out = append(out, name)
		if len(out) == maxUserMentions {
			break
		}
	}
	return out
}

// withoutCode blanks fenced code blocks and inline code spans.
func withoutCode(text string) string {
	var b strings.Builder
	fenced := false
	for line := range strings.SplitSeq(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			b.WriteString("\n")
			continue
		}
		if fenced {
			b.WriteString("\n")
			continue
		}
		parts := strings.Split(line, "`")
		for i, p := range parts {
			if i%2 == 0 {
				b.WriteString(p)
			}
			b.WriteString(" ")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// mentionedUsers resolves the users text mentions; unknown names are no
// one. It runs before the change's transaction (the user directory is
// another connection).
func (s *Service) mentionedUsers(ctx context.Context, text string) ([]uuid.UUID, error) {
	if s.users == nil {
		return nil, nil
	}
	var ids []uuid.UUID
	for _, name := range UserMentions(text) {
		id, _, err := s.users.UserByName(ctx, name)
		if apperr.KindOf(err) == apperr.KindNotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// publishMentions tells the users a text mentions, in the change's tx;
// whether they may read the project is decided when the event is fanned
// out.
func (s *Service) publishMentions(ctx context.Context, tx pgx.Tx, project uuid.UUID, subject string, users []uuid.UUID, detail map[string]any) error {
	if len(users) == 0 {
		return nil
	}
	return s.publish(ctx, tx, Event{Kind: EventMentioned, ProjectID: project, Subject: subject, Recipients: users, Detail: detail})
}
