package git

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/hearth-dev/hearth/shared/gitref"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
)

// RefKind says whether a protection rule is about branches or tags.
type RefKind string

// Ref kinds.
const (
	BranchRef RefKind = "branch"
	TagRef    RefKind = "tag"
)

// ProtectedRef protects the branches or tags whose short name (without
// refs/heads/ or refs/tags/) matches Pattern (path.Match syntax: '*'
// matches within one path segment, so "release/*" matches "release/1.0").
//
// A protected branch may be pushed only by principals holding
// PushPermission, is never deleted unless AllowDeletion, and only moves
// forward unless AllowForcePush. A protected tag, once created, is never
// moved or deleted (creating it needs PushPermission).
//
// The project's default branch is protected even without a rule
// (RepoWrite, no force push, no deletion); a rule naming it replaces that.
type ProtectedRef struct {
	Kind           RefKind
	Pattern        string
	AllowForcePush bool
	AllowDeletion  bool
	// PushPermission is access.RepoWrite (the default) or access.ProjectAdmin.
	PushPermission access.Permission

	// Merge rules, branch rules only (a tag rule keeps 0 and false): the
	// approvals a merge request into a matching branch needs
	// (0..MaxRequiredApprovals) and whether its source commit needs a green
	// pipeline. When several rules match, the strictest applies
	// (PGStore.MergeRules). They do not restrict pushes.
	RequiredApprovals int
	RequirePipeline   bool
}

// MaxRequiredApprovals bounds ProtectedRef.RequiredApprovals.
const MaxRequiredApprovals = 50

// Validate checks a rule before it is stored.
func (p ProtectedRef) Validate() error {
	if p.Kind != BranchRef && p.Kind != TagRef {
		return fmt.Errorf("kind must be %q or %q", BranchRef, TagRef)
	}
	if p.Pattern == "" || len(p.Pattern) > 255 || strings.ContainsAny(p.Pattern, " \t\n\x00") {
		return fmt.Errorf("pattern %q: 1-255 characters without spaces", p.Pattern)
	}
	if _, err := path.Match(p.Pattern, ""); err != nil {
		return fmt.Errorf("pattern %q: %w", p.Pattern, err)
	}
	if p.PushPermission != access.RepoWrite && p.PushPermission != access.ProjectAdmin && p.PushPermission != 0 {
		return fmt.Errorf("push permission must be %s or %s", access.RepoWrite, access.ProjectAdmin)
	}
	if p.RequiredApprovals < 0 || p.RequiredApprovals > MaxRequiredApprovals {
		return fmt.Errorf("required approvals must be between 0 and %d", MaxRequiredApprovals)
	}
	if p.Kind == TagRef && (p.RequiredApprovals != 0 || p.RequirePipeline) {
		return errors.New("required approvals and require pipeline apply to branch rules only")
	}
	return nil
}

// RefCommand is one ref update a push asks for (old or new all zeros:
// creation or deletion).
type RefCommand struct {
	Old, New, Ref string
}

func isZeroID(id string) bool { return strings.Trim(id, "0") == "" }

// refPolicy decides for one pusher: rules are the project's, can answers
// whether the pusher holds a permission on the project.
type refPolicy struct {
	rules         []ProtectedRef
	defaultBranch string
	can           func(access.Permission) bool
}

// matching combines every rule of kind that matches short into one, the
// most restrictive; ok is false when none matches.
func (p refPolicy) matching(kind RefKind, short string) (ProtectedRef, bool) {
	out := ProtectedRef{Kind: kind, AllowForcePush: true, AllowDeletion: true, PushPermission: access.RepoWrite}
	found := false
	for _, r := range p.rules {
		if r.Kind != kind {
			continue
		}
		if !patternMatches(r.Pattern, short) {
			continue
		}
		found = true
		out.AllowForcePush = out.AllowForcePush && r.AllowForcePush
		out.AllowDeletion = out.AllowDeletion && r.AllowDeletion
		if r.PushPermission == access.ProjectAdmin {
			out.PushPermission = access.ProjectAdmin
		}
	}
	if !found && kind == BranchRef && short == p.defaultBranch {
		return ProtectedRef{Kind: BranchRef, Pattern: short, PushPermission: access.RepoWrite}, true
	}
	return out, found
}

// patternMatches reports whether a rule's pattern matches a short ref name
// (path.Match; a malformed pattern matches nothing).
func patternMatches(pattern, short string) bool {
	ok, err := path.Match(pattern, short)
	return err == nil && ok
}

// decide returns the verdict for one command.
func (p refPolicy) decide(c RefCommand) verdict {
	return p.decideRef(c.Ref, isZeroID(c.Old), isZeroID(c.New))
}

// decideRef returns the verdict for creating, deleting or (neither)
// moving ref: only which of the three it is matters to the rules.
func (p refPolicy) decideRef(ref string, creating, deleting bool) verdict {
	deny := func(format string, args ...any) verdict {
		return verdict{mode: "deny", reason: fmt.Sprintf(format, args...)}
	}
	if !gitref.ValidRefName(ref) {
		if !strings.HasPrefix(ref, "refs/heads/") && !strings.HasPrefix(ref, "refs/tags/") {
			return deny("%s: only branches (refs/heads/*) and tags (refs/tags/*) may be pushed", ref)
		}
		return deny("%s: not a valid ref name", ref)
	}
	if short, ok := strings.CutPrefix(ref, "refs/tags/"); ok {
		rule, protected := p.matching(TagRef, short)
		switch {
		case !protected:
			return verdict{mode: "allow"}
		case !creating:
			return deny("tag %s is protected: it cannot be moved or deleted", short)
		case !p.can(rule.PushPermission):
			return deny("tag %s is protected: creating it needs %s", short, rule.PushPermission)
		}
		return verdict{mode: "allow"}
	}
	short := strings.TrimPrefix(ref, "refs/heads/")
	rule, protected := p.matching(BranchRef, short)
	switch {
	case !protected:
		return verdict{mode: "allow"}
	case !p.can(rule.PushPermission):
		return deny("branch %s is protected: pushing to it needs %s", short, rule.PushPermission)
	case deleting && !rule.AllowDeletion:
		return deny("branch %s is protected: it cannot be deleted", short)
	case !creating && !deleting && !rule.AllowForcePush:
		return verdict{mode: "ff", reason: fmt.Sprintf("branch %s is protected: force push is not allowed (fetch and merge or rebase first)", short)}
	}
	return verdict{mode: "allow"}
}

// RefProtected reports whether ref (refs/heads/… or refs/tags/…) is a
// protected branch or tag of a project with these rules and default
// branch: the refs whose pipelines receive protected secrets, as only
// principals the rules allow can make a pipeline run there.
func RefProtected(rules []ProtectedRef, defaultBranch, ref string) bool {
	p := refPolicy{rules: rules, defaultBranch: defaultBranch}
	if short, ok := strings.CutPrefix(ref, "refs/tags/"); ok {
		_, protected := p.matching(TagRef, short)
		return protected
	}
	if short, ok := strings.CutPrefix(ref, "refs/heads/"); ok {
		_, protected := p.matching(BranchRef, short)
		return protected
	}
	return false
}
