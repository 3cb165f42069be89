package rbac_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/rbac"
)

// model is the reference resolver: the rules of Effective written the
// simplest way, over plain maps.
type model struct {
	roles       map[uuid.UUID]access.Set
	system      map[uuid.UUID]bool
	adminRole   uuid.UUID
	bindings    map[bindingKey]uuid.UUID // → binding id
	delegations map[uuid.UUID]*modelDelegation
	inactive    map[uuid.UUID]bool
}

type bindingKey struct{ role, user, project uuid.UUID }

type modelDelegation struct {
	delegator, delegate, project uuid.UUID
	perms                        access.Set
	expires                      time.Time
	revoked                      bool
}

func (m *model) bindingSet(u, p uuid.UUID) access.Set {
	var s access.Set
	for k := range m.bindings {
		if k.user == u && (k.project == uuid.Nil || k.project == p) {
			s |= m.roles[k.role]
		}
	}
	return s
}

func (m *model) effective(u, p uuid.UUID, now time.Time) access.Set {
	s := m.bindingSet(u, p)
	for _, d := range m.delegations {
		if d.delegate != u || d.revoked || !d.expires.After(now) || m.inactive[d.delegator] {
			continue
		}
		if d.project == uuid.Nil || d.project == p {
			s |= d.perms & m.bindingSet(d.delegator, d.project)
		}
	}
	return s
}

// activeAdminsBesides counts active users other than leaving with the
// admin role installation-wide (deactivated admins cannot sign in).
func (m *model) activeAdminsBesides(leaving uuid.UUID) int {
	n := 0
	for k := range m.bindings {
		if k.role == m.adminRole && k.project == uuid.Nil && k.user != leaving && !m.inactive[k.user] {
			n++
		}
	}
	return n
}

func randomSet(r *rand.Rand) access.Set {
	var s access.Set
	for _, p := range access.AllPermissions() {
		if r.IntN(4) == 0 {
			s |= access.SetOf(p)
		}
	}
	return s
}

func randomSubset(r *rand.Rand, of access.Set) access.Set {
	var s access.Set
	for _, p := range of.Permissions() {
		if r.IntN(2) == 0 {
			s |= access.SetOf(p)
		}
	}
	return s
}

func pick[K comparable, V any](r *rand.Rand, m map[K]V) (K, V, bool) {
	var (
		k  K
		v  V
		ok bool
	)
	if len(m) == 0 {
		return k, v, false
	}
	// Map order is random but not seeded: walk a sorted view for
	// reproducibility.
	keys := make([]string, 0, len(m))
	byKey := make(map[string]K, len(m))
	for key := range m {
		s := fmt.Sprint(key)
		keys = append(keys, s)
		byKey[s] = key
	}
	sortStrings(keys)
	k = byKey[keys[r.IntN(len(keys))]]
	v, ok = m[k]
	return k, v, ok
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// TestResolverAgainstModel applies random sequences of grants, revocations,
// role changes, delegations, deactivations and expiries through one replica
// and compares every (user, project) decision of another replica (with its
// cache) against the reference model after each step.
// RBAC_RESOLVER_SEED=n replays one seed.
func TestResolverAgainstModel(t *testing.T) {
	seeds := []uint64{1, 2, 3}
	if v := os.Getenv("RBAC_RESOLVER_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		seeds = []uint64{n}
	}
	steps := 250
	if testing.Short() {
		steps = 60
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			t.Parallel()
			runResolverModel(t, seed, steps)
		})
	}
}

func runResolverModel(t *testing.T, seed uint64, steps int) {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	e := newEnv(t)
	replicas := []*rbac.Service{e.replica(t), e.replica(t)}
	us := []uuid.UUID{uuid.New(), uuid.New(), uuid.New(), uuid.New()}
	ps := []uuid.UUID{uuid.Nil, e.projects.Add(access.Private), e.projects.Add(access.Private)}
	ctx := adminCtx(t, us[0])

	m := &model{
		roles: map[uuid.UUID]access.Set{}, system: map[uuid.UUID]bool{},
		bindings: map[bindingKey]uuid.UUID{}, delegations: map[uuid.UUID]*modelDelegation{},
		inactive: map[uuid.UUID]bool{},
	}
	roles, err := replicas[0].ListRoles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range roles {
		m.roles[role.ID], m.system[role.ID] = role.Permissions, true
		if role.Name == "admin" {
			m.adminRole = role.ID
		}
	}
	b := mustBind(t, ctx, replicas[0], "admin", us[0], uuid.Nil)
	m.bindings[bindingKey{m.adminRole, us[0], uuid.Nil}] = b.ID

	check := func(step int, op string) {
		t.Helper()
		reader := replicas[r.IntN(len(replicas))]
		now := e.clock.Now()
		for _, u := range us {
			for _, p := range ps {
				got, err := reader.Effective(context.Background(), user(u), p)
				if err != nil {
					t.Fatalf("seed %d step %d (%s): %v", seed, step, op, err)
				}
				if want := m.effective(u, p, now); got != want {
					t.Fatalf("seed %d step %d (%s): user %d project %s: got %v, want %v",
						seed, step, op, indexOf(us, u), p, got, want)
				}
			}
		}
	}
	check(0, "start")

	for step := 1; step <= steps; step++ {
		writer := replicas[r.IntN(len(replicas))]
		var op string
		switch r.IntN(10) {
		case 0, 1: // grant
			roleID, _, _ := pick(r, m.roles)
			u, p := us[r.IntN(len(us))], ps[r.IntN(len(ps))]
			op = "bind"
			b, err := writer.CreateBinding(ctx, roleID.String(), u, p)
			k := bindingKey{roleID, u, p}
			if _, exists := m.bindings[k]; exists {
				if kindOf(err) != apperr.KindConflict {
					t.Fatalf("step %d: duplicate binding: %v", step, err)
				}
			} else {
				if err != nil {
					t.Fatalf("step %d: bind: %v", step, err)
				}
				m.bindings[k] = b.ID
			}
		case 2: // revoke a binding
			k, id, ok := pick(r, m.bindings)
			if !ok {
				continue
			}
			op = "unbind"
			err := writer.DeleteBinding(ctx, id)
			if k.role == m.adminRole && k.project == uuid.Nil && m.activeAdminsBesides(k.user) == 0 {
				if kindOf(err) != apperr.KindFailedPrecondition {
					t.Fatalf("step %d: removing the last admin: %v", step, err)
				}
			} else {
				if err != nil {
					t.Fatalf("step %d: unbind: %v", step, err)
				}
				delete(m.bindings, k)
			}
		case 3: // create a custom role
			perms := randomSet(r)
			if perms == 0 {
				perms = access.SetOf(access.RepoRead)
			}
			op = "create role"
			role, err := writer.CreateRole(ctx, fmt.Sprintf("role-%d", step), "", perms)
			if err != nil {
				t.Fatalf("step %d: create role: %v", step, err)
			}
			m.roles[role.ID] = perms
		case 4: // change or delete a custom role
			id, _, _ := pick(r, m.roles)
			if m.system[id] {
				continue
			}
			if r.IntN(3) == 0 {
				op = "delete role"
				if err := writer.DeleteRole(ctx, id); err != nil {
					t.Fatalf("step %d: delete role: %v", step, err)
				}
				delete(m.roles, id)
				for k := range m.bindings {
					if k.role == id {
						delete(m.bindings, k)
					}
				}
			} else {
				perms := randomSet(r)
				op = "update role"
				if _, err := writer.UpdateRole(ctx, id, nil, perms); err != nil {
					t.Fatalf("step %d: update role: %v", step, err)
				}
				if perms != 0 {
					m.roles[id] = perms
				}
			}
		case 5, 6: // delegate
			from, to := us[r.IntN(len(us))], us[r.IntN(len(us))]
			if from == to {
				continue
			}
			p := ps[r.IntN(len(ps))]
			held := m.bindingSet(from, p)
			perms := randomSubset(r, held)
			if r.IntN(4) == 0 || perms == 0 {
				perms = randomSet(r)
			}
			if perms == 0 {
				continue
			}
			expires := e.clock.Now().Add(time.Duration(1+r.IntN(72)) * time.Hour)
			op = "delegate"
			d, err := writer.CreateDelegation(ctx, user(from), to, p, perms, "", expires)
			switch {
			case perms.Intersect(access.SetOf(access.AdminUsers, access.AdminRoles, access.AdminAudit)) != 0:
				// Installation administration is never lent.
				if kindOf(err) != apperr.KindInvalid {
					t.Fatalf("step %d: delegating admin permissions %v: %v", step, perms, err)
				}
			case held.Contains(perms):
				if err != nil {
					t.Fatalf("step %d: delegate: %v", step, err)
				}
				m.delegations[d.ID] = &modelDelegation{delegator: from, delegate: to, project: p, perms: perms, expires: expires}
			case kindOf(err) != apperr.KindPermissionDenied:
				t.Fatalf("step %d: delegating %v while holding %v: %v", step, perms, held, err)
			}
		case 7: // revoke a delegation
			id, d, ok := pick(r, m.delegations)
			if !ok {
				continue
			}
			op = "revoke delegation"
			if err := writer.RevokeDelegation(ctx, user(d.delegator), id); err != nil {
				t.Fatalf("step %d: revoke: %v", step, err)
			}
			d.revoked = true
		case 8: // time passes
			op = "advance"
			e.clock.Advance(time.Duration(r.IntN(24*60)) * time.Minute)
		case 9: // (de)activate a user; auth invalidates after it
			u := us[r.IntN(len(us))]
			active := r.IntN(2) == 0
			op = "activate"
			e.users.Set(u, active)
			m.inactive[u] = !active
			if err := writer.Invalidate(ctx); err != nil {
				t.Fatal(err)
			}
		}
		check(step, op)
	}
}

func indexOf(us []uuid.UUID, u uuid.UUID) int {
	for i, x := range us {
		if x == u {
			return i
		}
	}
	return -1
}
