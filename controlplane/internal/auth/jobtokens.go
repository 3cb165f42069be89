package auth

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/auth/internal/db"
)

// JobTokenScopes are a pipeline job's token's scopes: it may clone the
// job's project and send telemetry to it (its node agent gives it to the
// job's OpenTelemetry exporters), nothing else.
var jobTokenScopes = []string{string(access.ScopeRepoRead), string(access.ScopeObserveWrite)}

// JobTokenScopes returns the scopes of a job's token.
func JobTokenScopes() []string { return slices.Clone(jobTokenScopes) }

// IssueJobToken creates a short-lived token for a pipeline job: it acts
// for userID (who triggered the pipeline; their rights still apply), only
// reads repositories and sends telemetry, only of projectID, and expires
// at expires. Not
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
		Prefix: secret[len(TokenPrefix) : len(TokenPrefix)+displayPrefixLen], Scopes: JobTokenScopes(),
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
