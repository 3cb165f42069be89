package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/auth/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/names"
)

// User is an account (without its password hash).
type User struct {
	ID                 uuid.UUID
	Username           string
	Email              string
	DisplayName        string
	MustChangePassword bool
	CreatedAt          time.Time
	UpdatedAt          time.Time
	// DeactivatedAt is set once an admin deactivated the user.
	DeactivatedAt *time.Time
}

// Active reports whether the user may sign in.
func (u User) Active() bool { return u.DeactivatedAt == nil }

func userFrom(u db.User) User {
	return User{
		ID: u.ID, Username: u.Username, Email: u.Email, DisplayName: u.DisplayName,
		MustChangePassword: u.MustChangePassword, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
		DeactivatedAt: u.DeactivatedAt,
	}
}

// Input limits.
const (
	minPasswordChars   = 12
	maxPasswordBytes   = 1024
	maxDisplayName     = 200
	maxEmail           = 254
	defaultPageSize    = 50
	maxPageSize        = 500
	maxListQueryLength = 200
)

var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,38}$`)

// validateUsername checks the syntax and refuses names reserved for the
// server's own routes (usernames are the owners of project URLs).
func validateUsername(s string) error {
	if !usernamePattern.MatchString(s) {
		return apperr.Invalid("username must be 1 to 39 letters, digits, '_', '.' or '-', starting with a letter or digit")
	}
	return names.CheckOwner("username", s)
}

func validateEmail(s string) error {
	bad := apperr.Invalid("email must be a plain address like name@example.com")
	if len(s) < 3 || len(s) > maxEmail || !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsSpace) {
		return bad
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return bad
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") ||
		strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return bad
	}
	return nil
}

func validatePassword(s string) error {
	if len(s) > maxPasswordBytes {
		return apperr.Invalid("password must be at most %d bytes", maxPasswordBytes)
	}
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) < minPasswordChars {
		return apperr.Invalid("password must be at least %d characters", minPasswordChars)
	}
	return nil
}

func validateDisplayName(s string) error {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxDisplayName ||
		strings.ContainsFunc(s, unicode.IsControl) {
		return apperr.Invalid("display name must be at most %d printable characters", maxDisplayName)
	}
	return nil
}

// userConflict turns a unique violation into a message naming the field.
func userConflict(err error, username, email string) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.ConstraintName {
		case "users_username_key":
			return apperr.Conflict("username %q is already taken", username)
		case "users_email_key":
			return apperr.Conflict("email address %q is already in use", email)
		}
	}
	return err
}

// NewUser describes an account to create.
type NewUser struct {
	Username    string
	Email       string
	DisplayName string
	Password    string
	Admin       bool
}

// requireRoleAdmin refuses unless the caller may administer roles
// installation-wide: admin:users alone must not reach the admin role (by
// granting it, or by taking over an administrator's account).
func (s *Service) requireRoleAdmin(ctx context.Context, why string) error {
	have, err := s.roles.Effective(ctx, access.PrincipalFrom(ctx), uuid.Nil)
	if err != nil {
		return err
	}
	if !have.Has(access.AdminRoles) {
		return apperr.PermissionDenied("%s needs the admin:roles permission", why)
	}
	return nil
}

// guardAdminTarget applies requireRoleAdmin when the target is an
// administrator.
func (s *Service) guardAdminTarget(ctx context.Context, id uuid.UUID, why string) error {
	isAdmin, err := s.roles.IsAdmin(ctx, id)
	if err != nil || !isAdmin {
		return err
	}
	return s.requireRoleAdmin(ctx, why)
}

// CreateUser creates an account (the caller holds admin:users; admin:roles
// too to create an administrator).
func (s *Service) CreateUser(ctx context.Context, in NewUser) (User, error) {
	if in.Admin {
		if err := s.requireRoleAdmin(ctx, "creating an administrator"); err != nil {
			return User{}, err
		}
	}
	in.Email = strings.TrimSpace(in.Email)
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	if err := validateUsername(in.Username); err != nil {
		return User{}, err
	}
	if s.names != nil {
		// Checked before the insert, so a group created at the same moment
		// could still win the name: the group side checks users likewise.
		switch taken, err := s.names.NameTaken(ctx, in.Username); {
		case err != nil:
			return User{}, err
		case taken:
			return User{}, apperr.Conflict("username %q is already taken by a group", in.Username)
		}
	}
	if err := validateEmail(in.Email); err != nil {
		return User{}, err
	}
	if err := validateDisplayName(in.DisplayName); err != nil {
		return User{}, err
	}
	if err := validatePassword(in.Password); err != nil {
		return User{}, err
	}
	hash, err := s.hasher.Hash(in.Password)
	if err != nil {
		return User{}, err
	}
	var u db.User
	err = s.db.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		u, err = db.New(tx).CreateUser(ctx, db.CreateUserParams{
			Username: in.Username, Email: in.Email, DisplayName: in.DisplayName, PasswordHash: hash,
		})
		if err != nil {
			return userConflict(err, in.Username, in.Email)
		}
		if in.Admin {
			if err := s.roles.SetAdmin(ctx, tx, u.ID, true); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "user.create", Resource: userResource(u.ID),
			Detail: map[string]any{"username": u.Username, "email": u.Email, "admin": in.Admin},
		})
	})
	if err != nil {
		return User{}, err
	}
	if in.Admin {
		s.invalidate(ctx)
	}
	return userFrom(u), nil
}

// ListUsersOptions page through users.
type ListUsersOptions struct {
	PageSize  int
	PageToken string
	Query     string
}

// ListUsers returns a page of users by username and the next page's token
// ("" on the last page).
func (s *Service) ListUsers(ctx context.Context, o ListUsersOptions) ([]User, string, error) {
	size := o.PageSize
	switch {
	case size < 0:
		return nil, "", apperr.Invalid("page size must not be negative")
	case size == 0:
		size = defaultPageSize
	case size > maxPageSize:
		size = maxPageSize
	}
	after := ""
	if o.PageToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(o.PageToken)
		if err != nil || len(b) > 64 || !utf8.Valid(b) {
			return nil, "", apperr.Invalid("invalid page token")
		}
		after = string(b)
	}
	if len(o.Query) > maxListQueryLength || !utf8.ValidString(o.Query) {
		return nil, "", apperr.Invalid("query must be at most %d characters", maxListQueryLength)
	}
	rows, err := s.queries.ListUsers(ctx, db.ListUsersParams{
		After: after, Query: o.Query, PageSize: int32(size + 1),
	})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > size {
		rows = rows[:size]
		next = base64.RawURLEncoding.EncodeToString([]byte(strings.ToLower(rows[size-1].Username)))
	}
	out := make([]User, len(rows))
	for i, r := range rows {
		out[i] = userFrom(r)
	}
	return out, next, nil
}

// GetUser returns one user.
func (s *Service) GetUser(ctx context.Context, id uuid.UUID) (User, error) {
	u, err := s.queries.GetUser(ctx, id)
	if err != nil {
		return User{}, apperr.IfNotFound(err, "user not found")
	}
	return userFrom(u), nil
}

// Active reports whether the user exists and is not deactivated.
func (s *Service) Active(ctx context.Context, userID uuid.UUID) (bool, error) {
	return (&UserStatus{q: s.queries}).Active(ctx, userID)
}

// UserUpdate changes the fields that are not nil.
type UserUpdate struct {
	Email       *string
	DisplayName *string
	// Password sets a new password; the user must change it at next
	// sign-in and their sessions end.
	Password *string
	Admin    *bool
	// Active true reactivates; false is refused (use DeactivateUser).
	Active *bool
}

// UpdateUser changes a user (the caller holds admin:users; admin:roles too
// to grant or remove the admin role or to change an administrator).
func (s *Service) UpdateUser(ctx context.Context, id uuid.UUID, up UserUpdate) (User, error) {
	if up.Admin != nil {
		if err := s.requireRoleAdmin(ctx, "changing the admin role"); err != nil {
			return User{}, err
		}
	}
	if err := s.guardAdminTarget(ctx, id, "changing an administrator"); err != nil {
		return User{}, err
	}
	var params db.UpdateUserParams
	params.ID = id
	var fields []string
	if up.Email != nil {
		e := strings.TrimSpace(*up.Email)
		if err := validateEmail(e); err != nil {
			return User{}, err
		}
		params.Email = &e
		fields = append(fields, "email")
	}
	if up.DisplayName != nil {
		d := strings.TrimSpace(*up.DisplayName)
		if err := validateDisplayName(d); err != nil {
			return User{}, err
		}
		params.DisplayName = &d
		fields = append(fields, "display_name")
	}
	if up.Password != nil {
		if err := validatePassword(*up.Password); err != nil {
			return User{}, err
		}
		hash, err := s.hasher.Hash(*up.Password)
		if err != nil {
			return User{}, err
		}
		must := true
		params.PasswordHash, params.MustChangePassword = &hash, &must
		fields = append(fields, "password")
	}
	if up.Active != nil {
		if !*up.Active {
			return User{}, apperr.Invalid("use DeactivateUser to deactivate a user")
		}
		params.Reactivate = true
		fields = append(fields, "active")
	}
	caller := access.PrincipalFrom(ctx)
	if up.Admin != nil {
		if !*up.Admin && caller.UserID == id {
			return User{}, apperr.FailedPrecondition("you cannot remove your own admin role")
		}
		fields = append(fields, "admin")
	}
	var u db.User
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		q := db.New(tx)
		old, err := q.GetUserForUpdate(ctx, id)
		if err != nil {
			return apperr.IfNotFound(err, "user not found")
		}
		u, err = q.UpdateUser(ctx, params)
		if err != nil {
			email := ""
			if params.Email != nil {
				email = *params.Email
			}
			return userConflict(err, old.Username, email)
		}
		if up.Password != nil {
			if _, err := q.DeleteUserSessions(ctx, db.DeleteUserSessionsParams{UserID: id}); err != nil {
				return err
			}
		}
		if up.Admin != nil {
			if err := s.roles.SetAdmin(ctx, tx, id, *up.Admin); err != nil {
				return err
			}
		}
		detail := map[string]any{"fields": fields}
		if params.Email != nil {
			detail["email"] = *params.Email
		}
		if up.Admin != nil {
			detail["admin"] = *up.Admin
		}
		if params.Reactivate {
			detail["reactivated"] = old.DeactivatedAt != nil
		}
		return audit.Record(ctx, tx, audit.Event{Action: "user.update", Resource: userResource(id), Detail: detail})
	})
	if err != nil {
		return User{}, err
	}
	if up.Admin != nil || params.Reactivate {
		s.invalidate(ctx)
	}
	return userFrom(u), nil
}

// DeactivateUser refuses the user's further sign-ins and, in the same
// transaction, ends their sessions and revokes their tokens.
func (s *Service) DeactivateUser(ctx context.Context, id uuid.UUID) (User, error) {
	if access.PrincipalFrom(ctx).UserID == id {
		return User{}, apperr.FailedPrecondition("you cannot deactivate yourself")
	}
	if err := s.guardAdminTarget(ctx, id, "deactivating an administrator"); err != nil {
		return User{}, err
	}
	if err := s.roles.KeepAnActiveAdmin(ctx, id); err != nil {
		return User{}, err
	}
	now := s.now()
	var u db.User
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		q := db.New(tx)
		var err error
		u, err = q.DeactivateUser(ctx, db.DeactivateUserParams{ID: id, Now: now})
		if err != nil {
			return apperr.IfNotFound(err, "user not found")
		}
		sessions, err := q.DeleteUserSessions(ctx, db.DeleteUserSessionsParams{UserID: id})
		if err != nil {
			return err
		}
		tokens, err := q.RevokeUserTokens(ctx, db.RevokeUserTokensParams{UserID: id, Now: now})
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "user.deactivate", Resource: userResource(id),
			Detail: map[string]any{"username": u.Username, "sessions_ended": sessions, "tokens_revoked": tokens},
		})
	})
	if err != nil {
		return User{}, err
	}
	s.invalidate(ctx)
	return userFrom(u), nil
}

// ProfileUpdate changes the caller's fields that are not nil.
type ProfileUpdate struct {
	Email       *string
	DisplayName *string
}

// UpdateProfile changes the calling user's email or display name. Callers
// authorize first (the API's rule refuses API tokens).
func (s *Service) UpdateProfile(ctx context.Context, up ProfileUpdate) (User, error) {
	p := access.PrincipalFrom(ctx)
	if p.IsAnonymous() {
		return User{}, apperr.Unauthenticated("sign in first")
	}
	params := db.UpdateUserParams{ID: p.UserID}
	var fields []string
	if up.Email != nil {
		e := strings.TrimSpace(*up.Email)
		if err := validateEmail(e); err != nil {
			return User{}, err
		}
		params.Email = &e
		fields = append(fields, "email")
	}
	if up.DisplayName != nil {
		d := strings.TrimSpace(*up.DisplayName)
		if err := validateDisplayName(d); err != nil {
			return User{}, err
		}
		params.DisplayName = &d
		fields = append(fields, "display_name")
	}
	var u db.User
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		u, err = db.New(tx).UpdateUser(ctx, params)
		if err != nil {
			email := ""
			if params.Email != nil {
				email = *params.Email
			}
			return apperr.IfNotFound(userConflict(err, "", email), "user not found")
		}
		detail := map[string]any{"fields": fields}
		if params.Email != nil {
			detail["email"] = *params.Email
		}
		return audit.Record(ctx, tx, audit.Event{Action: "user.update_profile", Resource: userResource(p.UserID), Detail: detail})
	})
	if err != nil {
		return User{}, err
	}
	return userFrom(u), nil
}

// ChangePassword changes the calling user's password after checking the
// current one (throttled like a sign-in). Every other session of the user
// ends; keepSession (the caller's session secret, "" for none) survives.
// Callers authorize first (the API's rule refuses API tokens).
func (s *Service) ChangePassword(ctx context.Context, current, next, keepSession string, client audit.Client) error {
	p := access.PrincipalFrom(ctx)
	if p.IsAnonymous() {
		return apperr.Unauthenticated("sign in first")
	}
	if err := validatePassword(next); err != nil {
		return err
	}
	u, err := s.queries.GetUser(ctx, p.UserID)
	if err != nil {
		return apperr.IfNotFound(err, "user not found")
	}
	if _, err := s.checkPassword(ctx, u.Username, current, client.IP); err != nil {
		if ae, ok := apperr.As(err); ok && ae.Kind == apperr.KindUnauthenticated {
			return apperr.Invalid("the current password is wrong")
		}
		return err
	}
	hash, err := s.hasher.Hash(next)
	if err != nil {
		return err
	}
	var keep []byte
	if keepSession != "" {
		keep = hashSecret(keepSession)
	}
	must := false
	return s.db.InTx(ctx, func(tx pgx.Tx) error {
		q := db.New(tx)
		if _, err := q.UpdateUser(ctx, db.UpdateUserParams{ID: p.UserID, PasswordHash: &hash, MustChangePassword: &must}); err != nil {
			return apperr.IfNotFound(err, "user not found")
		}
		ended, err := q.DeleteUserSessions(ctx, db.DeleteUserSessionsParams{UserID: p.UserID, Keep: keep})
		if err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "user.change_password", Resource: userResource(p.UserID),
			Detail: map[string]any{"sessions_ended": ended},
		})
	})
}
