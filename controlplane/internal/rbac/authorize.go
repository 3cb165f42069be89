package rbac

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/rbac/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
)

// cacheWarnEvery rate-limits the warning logged while Redis is unreachable.
const cacheWarnEvery = 10 * time.Second

// Authorize returns nil when p may use perm on project (uuid.Nil:
// installation-wide), and otherwise a user-safe error: Unauthenticated for
// an anonymous caller, NotFound when the project is unknown or the caller
// cannot read it (a private project's existence is never revealed),
// PermissionDenied naming the missing permission otherwise.
//
// Read permissions on a Public project are allowed for anyone, and on an
// Internal project for any signed-in principal (within its token's limits).
// project:participate on a Public or Internal project is allowed for any
// signed-in user within its token's limits (so a read-only token never
// takes part): anyone may open issues and comment on a public project.
func (s *Service) Authorize(ctx context.Context, p access.Principal, perm access.Permission, project uuid.UUID) error {
	if !perm.Known() {
		return errors.New("rbac: Authorize with an unknown permission")
	}
	vis, known := access.Private, false
	if project != uuid.Nil {
		v, err := s.visibility(ctx, project)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return err
		default:
			vis, known = v, true
		}
		if known && visibleTo(p, vis, perm, project) {
			return nil
		}
	}
	if p.IsAnonymous() {
		return apperr.Unauthenticated("sign in first")
	}
	if project != uuid.Nil && !known {
		return apperr.NotFound("project not found")
	}
	eff, err := s.Effective(ctx, p, project)
	if err != nil {
		return err
	}
	if eff.Has(perm) {
		return nil
	}
	if project != uuid.Nil && !eff.Has(access.ProjectRead) && !visibleTo(p, vis, access.ProjectRead, project) {
		return apperr.NotFound("project not found")
	}
	return apperr.PermissionDenied("permission %s is required", perm)
}

// visibleTo reports whether the project's visibility alone lets p use perm
// on it: a read permission (anyone on Public, signed-in principals on
// Internal) or project:participate (signed-in users on Public and
// Internal). A token must hold perm and, if limited to a project, name
// this one, except for reads of a Public project, which anyone may make.
func visibleTo(p access.Principal, vis access.Visibility, perm access.Permission, project uuid.UUID) bool {
	participate := perm == access.ProjectParticipate
	if !participate && !access.ReadPermissions().Has(perm) {
		return false
	}
	switch vis {
	case access.Public:
		if !participate {
			return true
		}
	case access.Internal:
	default:
		return false
	}
	if p.IsAnonymous() || participate && (p.Kind != access.User || p.UserID == uuid.Nil) {
		return false
	}
	if p.TokenID == uuid.Nil {
		return true
	}
	return p.TokenLimit.Has(perm) && (p.TokenProject == uuid.Nil || p.TokenProject == project)
}

// Effective returns what p holds on project (uuid.Nil: installation-wide
// only): the permissions of the user's role bindings (installation-wide and
// on project), plus each valid delegation to the user on that scope
// narrowed to what its delegator holds through bindings now; then bounded
// by the token's limit and project. Anonymous and agent-session principals
// hold nothing here (public reads are Authorize's business).
func (s *Service) Effective(ctx context.Context, p access.Principal, project uuid.UUID) (access.Set, error) {
	if p.Kind != access.User || p.UserID == uuid.Nil {
		return 0, nil
	}
	if p.TokenID != uuid.Nil && p.TokenProject != uuid.Nil && project != p.TokenProject {
		return 0, nil
	}
	set, err := s.base(ctx, p.UserID, project)
	if err != nil {
		return 0, err
	}
	if p.TokenID != uuid.Nil {
		set &= p.TokenLimit
	}
	return set, nil
}

// Invalidate makes every replica's next decision ignore what is cached: it
// bumps the generation every cached entry records.
func (s *Service) Invalidate(ctx context.Context) error {
	if s.cache == nil {
		return nil
	}
	gen, err := s.cache.Incr(ctx, s.genKey())
	if err != nil {
		return err
	}
	if gen == 1 {
		// The generation had vanished (flushed or evicted): entries of an
		// earlier generation 1 may survive, so move to a never-used value.
		return s.cache.Set(ctx, s.genKey(), []byte(strconv.FormatInt(randomGeneration(), 10)), 0)
	}
	return nil
}

func (s *Service) genKey() string { return s.prefix + "gen" }

func (s *Service) entryKey(user, project uuid.UUID) string {
	return s.prefix + "eff:" + user.String() + ":" + project.String()
}

// base is the user's set before token limits: from the cache when its entry
// is of the current generation and still valid, else from PostgreSQL.
//
// One round trip reads the generation and the entry together (the entry
// records the generation it was computed under). The generation is read
// before computing, so an entry stored after a concurrent Invalidate
// carries the old generation and is never used.
func (s *Service) base(ctx context.Context, user, project uuid.UUID) (access.Set, error) {
	if s.cache == nil {
		set, _, err := s.compute(ctx, user, project)
		return set, err
	}
	key := s.entryKey(user, project)
	vals, err := s.cache.MGet(ctx, s.genKey(), key)
	if err != nil || len(vals) != 2 {
		s.warnCache(err)
		set, _, err := s.compute(ctx, user, project)
		return set, err
	}
	now := s.now()
	gen, genOK := parseGeneration(vals[0])
	if genOK {
		if e, ok := decodeEntry(vals[1]); ok && e.gen == gen && now.Before(e.validUntil) {
			return e.set, nil
		}
	}
	set, validUntil, err := s.compute(ctx, user, project)
	if err != nil {
		return 0, err
	}
	if !genOK {
		// No generation yet (or it vanished): start a never-used one rather
		// than trust entries left from before.
		if err := s.cache.Set(ctx, s.genKey(), []byte(strconv.FormatInt(randomGeneration(), 10)), 0); err != nil {
			s.warnCache(err)
		}
		return set, nil
	}
	if ttl := validUntil.Sub(now); ttl > time.Millisecond {
		if err := s.cache.Set(ctx, key, encodeEntry(entry{gen: gen, validUntil: validUntil, set: set}), ttl); err != nil {
			s.warnCache(err)
		}
	}
	return set, nil
}

// compute resolves the user's set from PostgreSQL and says until when it
// holds at most (the cache TTL, or sooner when a delegation expires).
func (s *Service) compute(ctx context.Context, user, project uuid.UUID) (access.Set, time.Time, error) {
	now := s.now()
	validUntil := now.Add(s.ttl)
	group, err := s.projectGroup(ctx, project)
	if err != nil {
		return 0, validUntil, err
	}
	set, err := bindingSet(ctx, s.q, user, project, group)
	if err != nil {
		return 0, validUntil, err
	}
	rows, err := s.q.ActiveDelegationsTo(ctx, db.ActiveDelegationsToParams{
		DelegateID: user, Now: ts(now), ProjectID: optUUID(project), GroupID: optUUID(group),
	})
	if err != nil {
		return 0, validUntil, err
	}
	active := map[uuid.UUID]bool{}
	for _, d := range rows {
		if d.ExpiresAt.Time.Before(validUntil) {
			validUntil = d.ExpiresAt.Time
		}
		ok, seen := active[d.DelegatorID]
		if !seen {
			if ok, err = s.userActive(ctx, d.DelegatorID); err != nil {
				return 0, validUntil, err
			}
			active[d.DelegatorID] = ok
		}
		if ok {
			// admin:* is never lent (CreateDelegation refuses it); masking
			// here too keeps any stored row from granting it.
			set |= parseKnown(d.Permissions) & parseKnown(d.DelegatorPermissions) &^ access.AdminPermissions()
		}
	}
	return set, validUntil, nil
}

// bindingSet is what the user's role bindings grant, installation-wide,
// on project and on group, the group owning it (uuid.Nil: none).
func bindingSet(ctx context.Context, q *db.Queries, user, project, group uuid.UUID) (access.Set, error) {
	names, err := q.BindingPermissions(ctx, db.BindingPermissionsParams{UserID: user, ProjectID: optUUID(project), GroupID: optUUID(group)})
	if err != nil {
		return 0, err
	}
	return parseKnown(names), nil
}

func (s *Service) userActive(ctx context.Context, id uuid.UUID) (bool, error) {
	if s.users == nil {
		return true, nil
	}
	ok, err := s.users.Active(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return ok, err
}

func (s *Service) warnCache(err error) {
	if err == nil {
		return
	}
	now := time.Now().UnixNano()
	last := s.lastCacheWarn.Load()
	if now-last < int64(cacheWarnEvery) || !s.lastCacheWarn.CompareAndSwap(last, now) {
		return
	}
	s.log.Warn().Err(err).Msg("rbac: permission cache unavailable; deciding from PostgreSQL")
}

// entry is a cached set: "<generation>:<valid until, unix ms>:<set>".
type entry struct {
	gen        int64
	validUntil time.Time
	set        access.Set
}

func encodeEntry(e entry) []byte {
	b := make([]byte, 0, 64)
	b = strconv.AppendInt(b, e.gen, 10)
	b = append(b, ':')
	b = strconv.AppendInt(b, e.validUntil.UnixMilli(), 10)
	b = append(b, ':')
	b = strconv.AppendUint(b, uint64(e.set), 10)
	return b
}

func decodeEntry(b []byte) (entry, bool) {
	if b == nil {
		return entry{}, false
	}
	genS, rest, ok1 := strings.Cut(string(b), ":")
	untilS, setS, ok2 := strings.Cut(rest, ":")
	if !ok1 || !ok2 {
		return entry{}, false
	}
	gen, err1 := strconv.ParseInt(genS, 10, 64)
	until, err2 := strconv.ParseInt(untilS, 10, 64)
	set, err3 := strconv.ParseUint(setS, 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return entry{}, false
	}
	return entry{gen: gen, validUntil: time.UnixMilli(until), set: access.Set(set) & access.All}, true
}

func parseGeneration(b []byte) (int64, bool) {
	if b == nil {
		return 0, false
	}
	g, err := strconv.ParseInt(string(b), 10, 64)
	return g, err == nil
}

// randomGeneration is a fresh generation no earlier one is likely to equal,
// leaving room for increments.
func randomGeneration() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return int64(binary.BigEndian.Uint64(b[:])>>2) + 2
}
