package project

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
)

// participants checks that names (assignees, reviewers) are users who may
// read project and returns their usernames as stored, without duplicates.
// Naming someone who cannot see the project would tell them nothing and
// leak the project's activity to nobody useful, so it is refused; an
// unknown user is refused rather than kept as a dangling name.
func (s *Service) participants(ctx context.Context, project uuid.UUID, role string, names []string) ([]string, error) {
	out, _, err := s.participantIDs(ctx, project, role, names)
	return out, err
}

// participantIDs is participants with the users' ids (uuid.Nil without a
// user directory), for the events that concern them.
func (s *Service) participantIDs(ctx context.Context, project uuid.UUID, role string, names []string) ([]string, []uuid.UUID, error) {
	out := make([]string, 0, len(names))
	ids := make([]uuid.UUID, 0, len(names))
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if !validUsername.MatchString(n) {
			return nil, nil, apperr.Invalid("%s %q is not a username", role, truncate(n))
		}
		if seen[strings.ToLower(n)] {
			continue
		}
		seen[strings.ToLower(n)] = true
		if s.users == nil {
			out = append(out, n) // no user directory wired (unit benchmarks): syntax only
			ids = append(ids, uuid.Nil)
			continue
		}
		id, stored, err := s.users.UserByName(ctx, n)
		if err != nil {
			if apperr.KindOf(err) == apperr.KindNotFound {
				return nil, nil, apperr.Invalid("%s %q: no such user", role, truncate(n))
			}
			return nil, nil, err
		}
		who := access.Principal{Kind: access.User, UserID: id, Username: stored}
		if err := s.roles.Authorize(ctx, who, access.ProjectRead, project); err != nil {
			if _, ok := apperr.As(err); ok {
				return nil, nil, apperr.Invalid("%s %q cannot read this project", role, stored)
			}
			return nil, nil, err
		}
		out = append(out, stored)
		ids = append(ids, id)
	}
	return out, ids, nil
}
