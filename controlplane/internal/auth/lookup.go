package auth

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
)

// UserByName returns the id and stored username of the user named name
// (any case). Unlike sign-in it never matches an email. It does not
// authorize: the project feature names group and project members by
// username and keeps group names apart from usernames.
func (s *Service) UserByName(ctx context.Context, name string) (uuid.UUID, string, error) {
	if !usernamePattern.MatchString(name) {
		return uuid.Nil, "", apperr.NotFound("user not found")
	}
	u, err := s.queries.GetUserByLogin(ctx, name)
	if err != nil {
		return uuid.Nil, "", apperr.IfNotFound(err, "user not found")
	}
	if !strings.EqualFold(u.Username, name) {
		return uuid.Nil, "", apperr.NotFound("user not found") // matched an email
	}
	return u.ID, u.Username, nil
}

// UserName returns the username of the user with id.
func (s *Service) UserName(ctx context.Context, id uuid.UUID) (string, error) {
	u, err := s.GetUser(ctx, id)
	return u.Username, err
}

// UserNames returns the usernames of the users with ids, in one query; ids
// of users auth does not know are absent from the map.
func (s *Service) UserNames(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]string, error) {
	out := make(map[uuid.UUID]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.queries.UserNames(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ID] = r.Username
	}
	return out, nil
}
