package auth

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/auth/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
)

// UserStatus answers, from the users table alone, whether a user may act.
// rbac asks it (is a delegator still active?) and auth's Service needs
// rbac, so the server builds this reader first and the cycle never forms.
type UserStatus struct{ q *db.Queries }

// NewUserStatus builds the reader on the database.
func NewUserStatus(d *store.DB) *UserStatus { return &UserStatus{q: db.New(d)} }

// Active reports whether the user exists and is not deactivated (rbac's
// UserStatus); an unknown user is (false, nil).
func (u *UserStatus) Active(ctx context.Context, userID uuid.UUID) (bool, error) {
	ok, err := u.q.UserActive(ctx, userID)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return ok, err
}
