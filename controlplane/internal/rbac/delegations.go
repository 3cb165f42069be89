package rbac

// Delegations: permissions lent by one user to another for a while.

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/rbac/internal/db"
)

// MaxDelegation is the longest a delegation may last.
const MaxDelegation = 90 * 24 * time.Hour

// Delegation lends permissions from a delegator to a delegate.
type Delegation struct {
	ID          uuid.UUID
	DelegatorID uuid.UUID
	DelegateID  uuid.UUID
	// ProjectID is uuid.Nil for an installation-wide delegation.
	ProjectID   uuid.UUID
	Permissions access.Set
	Reason      string
	CreatedAt   time.Time
	ExpiresAt   time.Time
	// RevokedAt is zero while not revoked.
	RevokedAt time.Time
}

// CreateDelegation lends perms on project (uuid.Nil: installation-wide) from
// the delegator to delegate until expires. The delegator must hold every
// permission now through its own role bindings (what was lent to it cannot
// be passed on), and a token may only lend what its scopes cover.
func (s *Service) CreateDelegation(ctx context.Context, delegator access.Principal, delegate, project uuid.UUID, perms access.Set, reason string, expires time.Time) (Delegation, error) {
	switch {
	case delegator.IsAnonymous():
		return Delegation{}, apperr.Unauthenticated("sign in first")
	case delegator.Kind != access.User || delegator.UserID == uuid.Nil:
		return Delegation{}, apperr.PermissionDenied("only users can delegate")
	case delegate == uuid.Nil:
		return Delegation{}, apperr.Invalid("delegate_id is required")
	case delegate == delegator.UserID:
		return Delegation{}, apperr.Invalid("you cannot delegate to yourself")
	case perms == 0 || perms&^access.All != 0:
		return Delegation{}, apperr.Invalid("a delegation needs at least one known permission")
	case perms&access.AdminPermissions() != 0:
		// A delegate holding admin:* could bind itself a role and outlive the
		// delegation: installation administration is never lent.
		return Delegation{}, apperr.Invalid("admin permissions (%s) cannot be delegated", access.AdminPermissions().Intersect(perms))
	}
	if err := checkText("reason", reason); err != nil {
		return Delegation{}, err
	}
	now := s.now()
	if !expires.After(now) {
		return Delegation{}, apperr.Invalid("the expiry must be in the future")
	}
	if expires.Sub(now) > MaxDelegation {
		return Delegation{}, apperr.Invalid("a delegation lasts at most 90 days")
	}
	if delegator.TokenID != uuid.Nil {
		if !delegator.TokenLimit.Contains(perms) {
			return Delegation{}, apperr.PermissionDenied("this token's scopes do not cover %s", (perms &^ delegator.TokenLimit).String())
		}
		if delegator.TokenProject != uuid.Nil && delegator.TokenProject != project {
			return Delegation{}, apperr.PermissionDenied("this token is limited to one project")
		}
	}
	if project != uuid.Nil {
		if _, err := s.visibility(ctx, project); err != nil {
			return Delegation{}, apperr.IfNotFound(err, "project not found")
		}
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Delegation{}, err
	}
	group, err := s.projectGroup(ctx, project)
	if err != nil {
		return Delegation{}, err
	}
	var out Delegation
	err = s.mutate(ctx, func(q *db.Queries, tx pgx.Tx) error {
		held, err := bindingSet(ctx, q, delegator.UserID, project, group)
		if err != nil {
			return err
		}
		if !held.Contains(perms) {
			return apperr.PermissionDenied("you can only delegate permissions you hold (missing %s)", (perms &^ held).String())
		}
		d, err := q.CreateDelegation(ctx, db.CreateDelegationParams{
			ID: id, DelegatorID: delegator.UserID, DelegateID: delegate, ProjectID: optUUID(project),
			Permissions: perms.Names(), Reason: reason, CreatedAt: ts(now), ExpiresAt: ts(expires),
		})
		if err != nil {
			return err
		}
		out = delegation(d)
		return audit.Record(ctx, tx, audit.Event{
			Action: "delegation.create", Resource: "delegation/" + id.String(), ProjectID: project,
			Detail: map[string]any{
				"delegate_id": delegate.String(), "permissions": perms.Names(),
				"expires_at": expires.UTC().Format(time.RFC3339), "reason": reason,
			},
		})
	})
	return out, err
}

// ListDelegations lists the delegations the caller granted or received (an
// installation-wide admin:roles holder: all of them), newest first, at most
// 1000; only active ones unless includeInactive.
func (s *Service) ListDelegations(ctx context.Context, caller access.Principal, includeInactive bool) ([]Delegation, error) {
	if caller.IsAnonymous() {
		return nil, apperr.Unauthenticated("sign in first")
	}
	everyone, err := s.isRoleAdmin(ctx, caller)
	if err != nil {
		return nil, err
	}
	rows, err := s.q.ListDelegations(ctx, db.ListDelegationsParams{
		Everyone: everyone, UserID: caller.UserID, IncludeInactive: includeInactive, Now: ts(s.now()),
	})
	if err != nil {
		return nil, err
	}
	out := make([]Delegation, len(rows))
	for i, r := range rows {
		out[i] = delegation(r)
	}
	return out, nil
}

// RevokeDelegation ends a delegation. Callers authorize first: its
// delegator or an installation-wide admin:roles holder may (the API's
// rule). Revoking a revoked delegation succeeds and changes nothing.
func (s *Service) RevokeDelegation(ctx context.Context, caller access.Principal, id uuid.UUID) error {
	if caller.IsAnonymous() {
		return apperr.Unauthenticated("sign in first")
	}
	d, err := s.q.GetDelegation(ctx, id)
	if err != nil {
		return apperr.IfNotFound(err, "delegation not found")
	}
	revoked := false
	err = s.db.InTx(ctx, func(tx pgx.Tx) error {
		n, err := db.New(tx).RevokeDelegation(ctx, db.RevokeDelegationParams{ID: id, Now: ts(s.now())})
		if err != nil || n == 0 {
			return err
		}
		revoked = true
		return audit.Record(ctx, tx, audit.Event{
			Action: "delegation.revoke", Resource: "delegation/" + id.String(), ProjectID: fromUUID(d.ProjectID),
			Detail: map[string]any{"delegator_id": d.DelegatorID.String(), "delegate_id": d.DelegateID.String()},
		})
	})
	if err != nil {
		return err
	}
	if revoked {
		s.invalidateAfterCommit(ctx)
	}
	return nil
}

func delegation(d db.Delegation) Delegation {
	return Delegation{
		ID: d.ID, DelegatorID: d.DelegatorID, DelegateID: d.DelegateID, ProjectID: fromUUID(d.ProjectID),
		Permissions: parseKnown(d.Permissions), Reason: d.Reason, CreatedAt: d.CreatedAt.Time,
		ExpiresAt: d.ExpiresAt.Time, RevokedAt: d.RevokedAt.Time,
	}
}
