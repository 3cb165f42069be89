package secret

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/secret/envelope"
	"github.com/hearth-dev/hearth/controlplane/internal/secret/internal/db"
)

// Resolved is a secret's current value, for dispatch only.
type Resolved struct {
	Name      string
	Value     []byte
	Protected bool
	SecretID  uuid.UUID
	Version   int32
	Scope     Scope
}

// Resolve returns the current values of the named secrets a project's
// job may receive for environment and usage: the most specific of each
// name (project over group over installation; within a scope, the
// environment's own over the one for every environment). Names no secret
// answers are left out; the caller decides what a missing one means.
// Nothing is audited here: the caller records the resolution in the
// transaction that hands the values out.
func (s *Service) Resolve(ctx context.Context, projectID uuid.UUID, environment string, usage Usage, names []string) ([]Resolved, error) {
	if len(names) == 0 {
		return nil, nil
	}
	group, err := s.projects.GroupOf(ctx, projectID)
	if err != nil {
		return nil, err
	}
	rows, err := s.q.ResolveCandidates(ctx, db.ResolveCandidatesParams{
		ProjectID: &projectID, GroupID: ptr(group), Environment: environment, Usage: string(usage), Names: names,
	})
	if err != nil {
		return nil, err
	}
	best := map[string]db.ResolveCandidatesRow{}
	for _, r := range rows {
		if cur, ok := best[r.Name]; !ok || rank(r) > rank(cur) {
			best[r.Name] = r
		}
	}
	deks := map[uuid.UUID][]byte{}
	out := make([]Resolved, 0, len(best))
	for _, name := range names {
		r, ok := best[name]
		if !ok {
			continue
		}
		sc := scopeOf(r.ProjectID, r.GroupID)
		dek, ok := deks[r.KeyID]
		if !ok {
			if dek, err = s.unwrap(r.KeyID, sc, r.Wrapped, r.RootKeyID); err != nil {
				return nil, err
			}
			deks[r.KeyID] = dek
		}
		value, err := envelope.Open(dek, r.Ciphertext, valueAD(r.ID, sc, r.Version))
		if err != nil {
			return nil, fmt.Errorf("secret %s (version %d): %w", r.Name, r.Version, err)
		}
		out = append(out, Resolved{Name: r.Name, Value: value, Protected: r.Protected, SecretID: r.ID, Version: r.Version, Scope: sc})
		delete(best, name) // a name asked for twice resolves once
	}
	return out, nil
}

// rank orders candidates of one name by specificity.
func rank(r db.ResolveCandidatesRow) int {
	n := 0
	switch {
	case r.ProjectID != nil:
		n = 4
	case r.GroupID != nil:
		n = 2
	}
	if r.Environment != "" {
		n++
	}
	return n
}
