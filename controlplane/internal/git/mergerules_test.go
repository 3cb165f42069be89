package git_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/git"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
)

// insertProject creates a project row for the store's foreign keys.
func insertProject(t *testing.T, d *store.DB, name string) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	if err := d.Pool.QueryRow(t.Context(), `INSERT INTO projects (owner_id, owner_name, name, visibility) VALUES ($1, 'alice', $2, 'private') RETURNING id`,
		uuid.New(), name).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestMergeRulesStrictestOfMatchingBranchRules: MergeRules combines the
// branch rules whose glob matches the branch (max approvals, any pipeline),
// ignores tag rules, other branches and other projects, and the fields
// round-trip through ProtectedRefs and upserts.
func TestMergeRulesStrictestOfMatchingBranchRules(t *testing.T) {
	d := testsvc.NewDatabase(t)
	s := git.NewPGStore(d)
	ctx := t.Context()
	proj, other := insertProject(t, d, "rules"), insertProject(t, d, "other")
	rules := []git.ProtectedRef{
		{Kind: git.BranchRef, Pattern: "main", RequiredApprovals: 1},
		{Kind: git.BranchRef, Pattern: "*", RequirePipeline: true},
		{Kind: git.BranchRef, Pattern: "release/*", RequiredApprovals: 3},
		{Kind: git.BranchRef, Pattern: "release/1.*", RequiredApprovals: 2, RequirePipeline: true},
		{Kind: git.TagRef, Pattern: "*"},
	}
	for _, r := range rules {
		if err := s.SetProtectedRef(ctx, proj, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetProtectedRef(ctx, other, git.ProtectedRef{Kind: git.BranchRef, Pattern: "*", RequiredApprovals: 50, RequirePipeline: true}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		branch    string
		approvals int
		pipeline  bool
	}{
		{"main", 1, true},           // "main" and "*"
		{"dev", 0, true},            // "*" only
		{"release/1.0", 3, true},    // "release/*" and "release/1.*"
		{"release/2.0", 3, false},   // "release/*" only ("*" stays in one segment)
		{"feature/x", 0, false},     // nothing
		{"release/1.0/x", 0, false}, // '*' never crosses '/'
	} {
		approvals, pipeline, err := s.MergeRules(ctx, proj, tc.branch)
		if err != nil || approvals != tc.approvals || pipeline != tc.pipeline {
			t.Errorf("MergeRules(%s) = %d, %v, %v; want %d, %v", tc.branch, approvals, pipeline, err, tc.approvals, tc.pipeline)
		}
	}
	if approvals, pipeline, err := s.MergeRules(ctx, uuid.New(), "main"); err != nil || approvals != 0 || pipeline {
		t.Errorf("unknown project: %d %v %v", approvals, pipeline, err)
	}

	// The fields round-trip; an upsert replaces them.
	if err := s.SetProtectedRef(ctx, proj, git.ProtectedRef{Kind: git.BranchRef, Pattern: "release/*", RequiredApprovals: 5, RequirePipeline: true}); err != nil {
		t.Fatal(err)
	}
	stored, err := s.ProtectedRefs(ctx, proj)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, r := range stored {
		switch {
		case r.Kind == git.BranchRef && r.Pattern == "release/*":
			found++
			if r.RequiredApprovals != 5 || !r.RequirePipeline {
				t.Errorf("release/* after upsert: %+v", r)
			}
		case r.Kind == git.BranchRef && r.Pattern == "release/1.*":
			found++
			if r.RequiredApprovals != 2 || !r.RequirePipeline {
				t.Errorf("release/1.*: %+v", r)
			}
		}
	}
	if found != 2 {
		t.Fatalf("rules listed: %+v", stored)
	}
	if approvals, pipeline, _ := s.MergeRules(ctx, proj, "release/2.0"); approvals != 5 || !pipeline {
		t.Errorf("after upsert: %d %v", approvals, pipeline)
	}
}

// TestMergeRulesValidation: out-of-range approvals and merge rules on tag
// rules are refused by Validate, and by the table's CHECKs for rows written
// around the store.
func TestMergeRulesValidation(t *testing.T) {
	d := testsvc.NewDatabase(t)
	s := git.NewPGStore(d)
	ctx := t.Context()
	proj := insertProject(t, d, "checks")
	for name, r := range map[string]git.ProtectedRef{
		"negative approvals": {Kind: git.BranchRef, Pattern: "main", RequiredApprovals: -1},
		"51 approvals":       {Kind: git.BranchRef, Pattern: "main", RequiredApprovals: 51},
		"tag approvals":      {Kind: git.TagRef, Pattern: "v*", RequiredApprovals: 1},
		"tag pipeline":       {Kind: git.TagRef, Pattern: "v*", RequirePipeline: true},
	} {
		if err := r.Validate(); err == nil {
			t.Errorf("%s: Validate accepted %+v", name, r)
		}
		if err := s.SetProtectedRef(ctx, proj, r); err == nil {
			t.Errorf("%s: stored", name)
		}
	}
	if err := (git.ProtectedRef{Kind: git.BranchRef, Pattern: "main", RequiredApprovals: git.MaxRequiredApprovals, RequirePipeline: true}).Validate(); err != nil {
		t.Errorf("50 approvals: %v", err)
	}
	for name, q := range map[string]string{
		"tag approvals":  `INSERT INTO git_protected_refs (project_id, kind, pattern, required_approvals) VALUES ($1, 'tag', 'v*', 1)`,
		"tag pipeline":   `INSERT INTO git_protected_refs (project_id, kind, pattern, require_pipeline) VALUES ($1, 'tag', 'v*', true)`,
		"51 approvals":   `INSERT INTO git_protected_refs (project_id, kind, pattern, required_approvals) VALUES ($1, 'branch', 'x', 51)`,
		"neg. approvals": `INSERT INTO git_protected_refs (project_id, kind, pattern, required_approvals) VALUES ($1, 'branch', 'y', -1)`,
	} {
		if _, err := d.Pool.Exec(ctx, q, proj); err == nil {
			t.Errorf("%s: the table accepted it", name)
		}
	}
	var approvals int
	var pipeline bool
	if err := d.Pool.QueryRow(ctx, `INSERT INTO git_protected_refs (project_id, kind, pattern) VALUES ($1, 'branch', 'z') RETURNING required_approvals, require_pipeline`,
		proj).Scan(&approvals, &pipeline); err != nil || approvals != 0 || pipeline {
		t.Errorf("defaults: %d %v %v", approvals, pipeline, err)
	}
}

type oneProject uuid.UUID

func (p oneProject) ResolveProject(context.Context, string, string) (uuid.UUID, error) {
	return uuid.UUID(p), nil
}

// TestMergeRulesThroughRefRuleAPI: the proto fields reach the store and
// come back; bad values are Invalid.
func TestMergeRulesThroughRefRuleAPI(t *testing.T) {
	d := testsvc.NewDatabase(t)
	s := git.NewPGStore(d)
	proj := insertProject(t, d, "api")
	api := git.NewRefRuleAPI(s, oneProject(proj))
	ctx := access.WithPrincipal(t.Context(), access.Principal{Kind: access.User, UserID: uuid.New(), Username: "alice"})
	res, err := api.SetProtectedRef(ctx, &hearthv1.SetProtectedRefRequest{Owner: "alice", Name: "api", Rule: &hearthv1.ProtectedRef{
		Kind: "branch", Pattern: "main", RequiredApprovals: 2, RequirePipeline: true,
	}})
	if err != nil || res.GetRule().GetRequiredApprovals() != 2 || !res.GetRule().GetRequirePipeline() {
		t.Fatalf("set: %v %v", res, err)
	}
	list, err := api.ListProtectedRefs(ctx, &hearthv1.ListProtectedRefsRequest{Owner: "alice", Name: "api"})
	if err != nil || len(list.GetRules()) != 1 || list.GetRules()[0].GetRequiredApprovals() != 2 || !list.GetRules()[0].GetRequirePipeline() {
		t.Fatalf("list: %v %v", list, err)
	}
	for _, bad := range []*hearthv1.ProtectedRef{
		{Kind: "branch", Pattern: "main", RequiredApprovals: 51},
		{Kind: "branch", Pattern: "main", RequiredApprovals: -3},
		{Kind: "tag", Pattern: "v*", RequirePipeline: true},
	} {
		_, err := api.SetProtectedRef(ctx, &hearthv1.SetProtectedRefRequest{Owner: "alice", Name: "api", Rule: bad})
		if e, ok := apperr.As(err); !ok || e.Kind != apperr.KindInvalid {
			t.Errorf("%v: %v, want Invalid", bad, err)
		}
	}
	if approvals, pipeline, err := s.MergeRules(ctx, proj, "main"); err != nil || approvals != 2 || !pipeline {
		t.Fatalf("MergeRules after the API: %d %v %v", approvals, pipeline, err)
	}
}
