package auth

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/auth/internal/db"
)

// JobTokenScope is the only scope of a pipeline job's token: it may clone
// the job's project and nothing else.
const JobTokenScope = "repo:read"

// IssueJobToken creates a short-lived token for a pipeline job: it acts
// for userID (who triggered the pipeline; their rights still apply), only
// reads repositories, only of projectID, and expires at expires. Not
// audited one by one: the pipeline's own rows say which job ran for whom.
// A pipeline nobody triggered (userID uuid.Nil) gets no token: its job
// clones anonymously, which reaches only a public project's repository.
func (s *Service) IssueJobToken(ctx context.Context, userID, projectID uuid.UUID, expires time.Time) (string, uuid.UUID, error) {
	if userID == uuid.Nil {
		return "", uuid.Nil, nil
	}
	secret, err := newToken()
	if err != nil {
		return "", uuid.Nil, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return "", uuid.Nil, err
	}
	_, err = s.queries.CreateToken(ctx, db.CreateTokenParams{
		ID: id, UserID: userID, Name: "pipeline job", TokenHash: hashSecret(secret),
		Prefix: secret[len(TokenPrefix) : len(TokenPrefix)+displayPrefixLen], Scopes: []string{JobTokenScope},
		ProjectID: &projectID, CreatedAt: s.now(), ExpiresAt: expires,
	})
	if err != nil {
		return "", uuid.Nil, err
	}
	return secret, id, nil
}

// RevokeJobToken ends a job token (revoking one already ended is no error).
func (s *Service) RevokeJobToken(ctx context.Context, id uuid.UUID) error {
	_, err := s.queries.RevokeTokenByID(ctx, db.RevokeTokenByIDParams{ID: id, Now: s.now()})
	return err
}
