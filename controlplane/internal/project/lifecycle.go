package project

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/names"
	"github.com/hearth-dev/hearth/controlplane/internal/project/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
)

// requireWritable refuses changes to an archived (read-only) project, and
// to a deleted or unknown one. Every mutation of a project's content
// (issues, comments, labels, merge requests) calls it first.
//
// The check does not lock the project row, so a change racing an archive
// may still land just after it (as a push racing it may); archiving is a
// guard against mistakes, not a barrier.
func (s *Service) requireWritable(ctx context.Context, projectID uuid.UUID) error {
	archived, err := s.q.ProjectArchived(ctx, projectID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return apperr.NotFound("project not found")
		}
		return err
	}
	if archived {
		return apperr.FailedPrecondition("project is archived; unarchive it first")
	}
	return nil
}

// owner is a namespace a project can live in.
type owner struct {
	id   uuid.UUID
	name string
	kind OwnerKind
}

// errNoGroups answers group features when the server wired no memberships.
var errNoGroups = apperr.FailedPrecondition("groups are not available on this server")

// namespace resolves where caller wants a project: "" or the caller's own
// username is the caller; anything else must be a group (the API's rule
// asked project:admin on it first: needs_api.go).
//
// An owner whose name is reserved (names.CheckOwner; one taken before the
// list reserved it) holds no new projects: they would sit in the server's
// own route space.
func (s *Service) namespace(ctx context.Context, caller access.Principal, name string) (owner, error) {
	if name == "" || strings.EqualFold(name, caller.Username) {
		if err := names.CheckOwner("namespace", caller.Username); err != nil {
			return owner{}, err
		}
		return owner{id: caller.UserID, name: caller.Username, kind: OwnedByUser}, nil
	}
	if s.member == nil {
		return owner{}, errNoGroups
	}
	g, err := s.GroupByName(ctx, name)
	if err != nil {
		if apperr.KindOf(err) == apperr.KindNotFound {
			return owner{}, apperr.NotFound("namespace %q not found (a group you maintain or your own username)", truncate(name))
		}
		return owner{}, err
	}
	if err := names.CheckOwner("namespace", g.Name); err != nil {
		return owner{}, err
	}
	return owner{id: g.ID, name: g.Name, kind: OwnedByGroup}, nil
}

// invalidate drops cached permission decisions after a committed change of
// a project's group (or membership).
func (s *Service) invalidate(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.roles.Invalidate(ctx); err != nil {
		s.log.Error().Err(err).Msg("project: could not invalidate the permission cache; decisions may be stale until they expire")
	}
}

// changeRow runs change on the project's locked row in a transaction,
// mapping a missing (or deleted) project and name conflicts.
func (s *Service) changeRow(ctx context.Context, id uuid.UUID, change func(q *db.Queries, tx pgx.Tx, cur db.Project) (db.Project, error)) (Project, error) {
	var out Project
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		cur, err := q.GetProjectForUpdate(ctx, id)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return apperr.NotFound("project not found")
			}
			return err
		}
		row, err := change(q, tx, cur)
		if err != nil {
			return err
		}
		out = fromRow(row)
		return nil
	})
	return out, err
}

// Rename gives the project a new name under the same owner. The
// repository is stored by id, so it does not move; the old URL stops
// resolving (no redirect). Callers authorize project:admin first.
func (s *Service) Rename(ctx context.Context, id uuid.UUID, newName string) (Project, error) {
	if !ValidName(newName) {
		return Project{}, invalidName(newName)
	}
	if err := names.CheckProject(newName); err != nil {
		return Project{}, err
	}
	return s.changeRow(ctx, id, func(q *db.Queries, tx pgx.Tx, cur db.Project) (db.Project, error) {
		row, err := q.RenameProject(ctx, db.RenameProjectParams{ID: id, Name: newName})
		if err != nil {
			if errors.Is(err, store.ErrConflict) {
				return row, apperr.Conflict("%s already has a project named %q", cur.OwnerName, newName)
			}
			return row, err
		}
		return row, audit.Record(ctx, tx, audit.Event{
			Action: "project.rename", Resource: "project/" + id.String(), ProjectID: id,
			Detail: map[string]any{"from": cur.Name, "to": newName},
		})
	})
}

// Transfer moves the project to namespace (a group where caller holds
// project:admin, or the caller's own username). Its repository and id stay;
// the group owning it, if any, changes, and with it who reaches it through
// group roles. Direct project members keep their roles. Callers authorize
// project:admin on the project, on the group it goes to, and for a group's
// project on that group (its maintainers) first (the API's rule);
// Transfer then also requires
//   - that caller hold every permission of the maintainer role on the
//     project through their own role bindings (rbac CheckGrant): the move
//     makes them its maintainer (their namespace) or hands it to a group
//     they maintain, so a delegation or a narrower role must not turn into
//     a lasting maintainer role that way.
func (s *Service) Transfer(ctx context.Context, caller access.Principal, id uuid.UUID, namespace string) (Project, error) {
	if caller.IsAnonymous() || caller.Username == "" {
		return Project{}, apperr.Unauthenticated("sign in first")
	}
	if namespace == "" {
		return Project{}, apperr.Invalid("namespace: a group name or your username is required")
	}
	if s.member == nil {
		return Project{}, errNoGroups
	}
	ns, err := s.namespace(ctx, caller, namespace)
	if err != nil {
		return Project{}, err
	}
	out, err := s.changeRow(ctx, id, func(q *db.Queries, tx pgx.Tx, cur db.Project) (db.Project, error) {
		if cur.OwnerID == ns.id {
			return cur, apperr.Invalid("the project is already in %s", ns.name)
		}
		if err := s.member.CheckGrant(ctx, caller, OwnerRole, id, uuid.Nil); err != nil {
			if e, ok := apperr.As(err); ok && e.Kind == apperr.KindPermissionDenied {
				return cur, apperr.PermissionDenied("transferring a project makes you or your group its maintainer: %s", e.Message)
			}
			return cur, err
		}
		row, err := q.SetProjectOwner(ctx, db.SetProjectOwnerParams{ID: id, OwnerID: ns.id, OwnerName: ns.name, OwnerKind: string(ns.kind)})
		if err != nil {
			if errors.Is(err, store.ErrConflict) {
				return row, apperr.Conflict("%s already has a project named %q", ns.name, cur.Name)
			}
			return row, err
		}
		if err := audit.Record(ctx, tx, audit.Event{
			Action: "project.transfer", Resource: "project/" + id.String(), ProjectID: id,
			Detail: map[string]any{"from": cur.OwnerName, "from_kind": cur.OwnerKind, "to": ns.name, "to_kind": string(ns.kind)},
		}); err != nil || ns.kind != OwnedByUser {
			return row, err
		}
		// Into the caller's own namespace: the caller owns it, as in GitLab,
		// even when they administered it only through the old group (a
		// maintainer already is one). In the same transaction, so the move
		// never commits without its owner.
		if _, err := s.roles.CreateBindingTx(ctx, tx, OwnerRole, caller.UserID, id); err != nil {
			if e, ok := apperr.As(err); !ok || e.Kind != apperr.KindConflict {
				return row, fmt.Errorf("making the new owner maintainer: %w", err)
			}
		}
		return row, nil
	})
	if err != nil {
		return Project{}, err
	}
	s.invalidate(ctx)
	return out, nil
}

// SetArchived archives (read-only: no pushes, no issue, comment, label or
// merge request changes) or unarchives the project. Settings, members,
// rename, transfer and delete stay possible, as in GitLab. Callers
// authorize project:admin first.
func (s *Service) SetArchived(ctx context.Context, id uuid.UUID, archived bool) (Project, error) {
	return s.changeRow(ctx, id, func(q *db.Queries, tx pgx.Tx, cur db.Project) (db.Project, error) {
		row, err := q.SetProjectArchived(ctx, db.SetProjectArchivedParams{ID: id, Archived: archived})
		if err != nil || (cur.ArchivedAt != nil) == archived {
			return row, err // unchanged: nothing to record
		}
		action := "project.unarchive"
		if archived {
			action = "project.archive"
		}
		return row, audit.Record(ctx, tx, audit.Event{Action: action, Resource: "project/" + id.String(), ProjectID: id})
	})
}

// Delete soft-deletes the project: every lookup (API, git, rbac) stops
// finding it at once and its name is free again. Its rows and its
// repository (under the project's id) stay; nothing purges them yet.
// Callers authorize project:admin first and, for a group's project,
// project:admin on the group (its maintainers; the API's rule).
func (s *Service) Delete(ctx context.Context, id uuid.UUID) error {
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		// Locked, so a transfer under way finishes first.
		if _, err := q.GetProjectForUpdate(ctx, id); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return apperr.NotFound("project not found")
			}
			return err
		}
		n, err := q.SoftDeleteProject(ctx, id)
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.NotFound("project not found")
		}
		return audit.Record(ctx, tx, audit.Event{Action: "project.delete", Resource: "project/" + id.String(), ProjectID: id})
	})
	if err != nil {
		return err
	}
	s.invalidate(ctx)
	return nil
}

func invalidName(name string) error {
	return apperr.Invalid("project name %q: use 1-100 letters, digits, '.', '_' or '-', not starting with '.' or '-', without '..' or a .git suffix", truncate(name))
}
