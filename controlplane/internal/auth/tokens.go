package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/auth/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
)

// Token describes a personal API token without its secret.
type Token struct {
	ID     uuid.UUID
	Name   string
	Scopes []string
	// ProjectID, when not uuid.Nil, is the only project the token works on.
	ProjectID  uuid.UUID
	Prefix     string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt *time.Time
}

func tokenFrom(t db.ApiToken) Token {
	out := Token{
		ID: t.ID, Name: t.Name, Scopes: t.Scopes, Prefix: t.Prefix,
		CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt,
	}
	if t.ProjectID != nil {
		out.ProjectID = *t.ProjectID
	}
	return out
}

// NewToken describes a token to create.
type NewToken struct {
	Name      string
	Scopes    []string
	ProjectID uuid.UUID
	// ExpiresAt is required, at most a year ahead.
	ExpiresAt time.Time
}

const (
	maxTokenName = 100
	maxScopes    = 16
	// maxTokenLifetime is a year, and a day of slack for clocks and leap years.
	maxTokenLifetime = 366 * 24 * time.Hour
)

// CreateToken creates a token for the calling user and returns it with its
// secret, which is never shown again. A caller authenticated by a token can
// only create narrower tokens.
func (s *Service) CreateToken(ctx context.Context, in NewToken) (Token, string, error) {
	p := access.PrincipalFrom(ctx)
	if p.IsAnonymous() {
		return Token{}, "", apperr.Unauthenticated("sign in first")
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || !utf8.ValidString(in.Name) || utf8.RuneCountInString(in.Name) > maxTokenName ||
		strings.ContainsFunc(in.Name, unicode.IsControl) {
		return Token{}, "", apperr.Invalid("token name must be 1 to %d printable characters", maxTokenName)
	}
	if len(in.Scopes) == 0 || len(in.Scopes) > maxScopes {
		return Token{}, "", apperr.Invalid("a token needs at least one scope (read-only, repo:read, repo:write, observe:read, observe:write, api or admin)")
	}
	scopes := slices.Clone(in.Scopes)
	slices.Sort(scopes)
	scopes = slices.Compact(scopes)
	perms, err := access.ScopePermissions(scopes)
	if err != nil {
		return Token{}, "", apperr.Invalid("%s", err.Error())
	}
	now := s.now()
	switch {
	case in.ExpiresAt.IsZero():
		return Token{}, "", apperr.Invalid("a token needs an expiry time")
	case !in.ExpiresAt.After(now):
		return Token{}, "", apperr.Invalid("the expiry time must be in the future")
	case in.ExpiresAt.Sub(now) > maxTokenLifetime:
		return Token{}, "", apperr.Invalid("a token expires within a year")
	}
	if p.TokenID != uuid.Nil {
		if !p.TokenLimit.Contains(perms) {
			return Token{}, "", apperr.PermissionDenied("a token can only create tokens with narrower scopes")
		}
		if p.TokenProject != uuid.Nil && in.ProjectID != p.TokenProject {
			return Token{}, "", apperr.PermissionDenied("a project token can only create tokens for its project")
		}
	}
	secret, err := newToken()
	if err != nil {
		return Token{}, "", err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Token{}, "", err
	}
	var project *uuid.UUID
	if in.ProjectID != uuid.Nil {
		project = &in.ProjectID
	}
	var row db.ApiToken
	err = s.db.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		row, err = db.New(tx).CreateToken(ctx, db.CreateTokenParams{
			ID: id, UserID: p.UserID, Name: in.Name, TokenHash: hashSecret(secret),
			Prefix: secret[len(TokenPrefix) : len(TokenPrefix)+displayPrefixLen], Scopes: scopes,
			ProjectID: project, CreatedAt: now, ExpiresAt: in.ExpiresAt,
		})
		if err != nil {
			return err
		}
		detail := map[string]any{"name": in.Name, "scopes": scopes, "expires_at": in.ExpiresAt.UTC().Format(time.RFC3339)}
		if project != nil {
			detail["project_id"] = project.String()
		}
		return audit.Record(ctx, tx, audit.Event{Action: "token.create", Resource: tokenResource(id), ProjectID: in.ProjectID, Detail: detail})
	})
	if err != nil {
		return Token{}, "", err
	}
	return tokenFrom(row), secret, nil
}

// ListTokens lists the calling user's tokens that still work.
func (s *Service) ListTokens(ctx context.Context) ([]Token, error) {
	p := access.PrincipalFrom(ctx)
	if p.IsAnonymous() {
		return nil, apperr.Unauthenticated("sign in first")
	}
	rows, err := s.queries.ListTokens(ctx, db.ListTokensParams{UserID: p.UserID, Now: s.now()})
	if err != nil {
		return nil, err
	}
	out := make([]Token, len(rows))
	for i, r := range rows {
		out[i] = tokenFrom(r)
	}
	return out, nil
}

// RevokeToken ends one of the calling user's tokens; another user's token
// is NotFound.
func (s *Service) RevokeToken(ctx context.Context, id uuid.UUID) error {
	p := access.PrincipalFrom(ctx)
	if p.IsAnonymous() {
		return apperr.Unauthenticated("sign in first")
	}
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		row, err := db.New(tx).RevokeToken(ctx, db.RevokeTokenParams{ID: id, UserID: p.UserID, Now: s.now()})
		if err != nil {
			return err
		}
		var project uuid.UUID
		if row.ProjectID != nil {
			project = *row.ProjectID
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "token.revoke", Resource: tokenResource(id), ProjectID: project,
			Detail: map[string]any{"name": row.Name},
		})
	})
	if errors.Is(err, store.ErrNotFound) {
		return apperr.NotFound("token not found")
	}
	return err
}

// tokenPrincipal authenticates an API token: it must exist, be neither
// expired nor revoked, and belong to an active user. last_used_at is
// refreshed at most once a minute.
func (s *Service) tokenPrincipal(ctx context.Context, secret string) (access.Principal, error) {
	invalid := apperr.Unauthenticated("invalid, expired or revoked API token")
	if !wellFormedToken(secret) {
		return access.Principal{}, apperr.Unauthenticated("malformed API token")
	}
	row, err := s.queries.GetTokenByHash(ctx, hashSecret(secret))
	if errors.Is(err, pgx.ErrNoRows) {
		return access.Principal{}, invalid
	}
	if err != nil {
		return access.Principal{}, err
	}
	now := s.now()
	if row.RevokedAt != nil || !now.Before(row.ExpiresAt) || row.DeactivatedAt != nil {
		return access.Principal{}, invalid
	}
	limit, err := access.ScopePermissions(row.Scopes)
	if err != nil {
		return access.Principal{}, fmt.Errorf("token %s: %w", row.ID, err)
	}
	if row.LastUsedAt == nil || now.Sub(*row.LastUsedAt) >= touchInterval {
		if err := s.queries.TouchToken(ctx, db.TouchTokenParams{ID: row.ID, Now: now}); err != nil {
			s.log.Warn().Err(err).Msg("could not record a token's use")
		}
	}
	p := access.Principal{Kind: access.User, UserID: row.UserID, Username: row.Username, TokenID: row.ID, TokenLimit: limit}
	if row.ProjectID != nil {
		p.TokenProject = *row.ProjectID
	}
	return p, nil
}
