package git

import (
	"bytes"
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/repository"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
)

// BranchRules is what Repositories reads of a project's ref rules
// (PGStore).
type BranchRules interface {
	ProtectedRefs(ctx context.Context, projectID uuid.UUID) ([]ProtectedRef, error)
	MergeRules(ctx context.Context, projectID uuid.UUID, branch string) (requiredApprovals int, requirePipeline bool, err error)
}

// Repositories is the git feature as the other features see it: every
// question about a project's repository, keyed by project id, so that no
// one outside git knows where a repository lives. It implements the
// project feature's Repositories and MergeRepositories, the merge request
// changes view's Compare, and the pipeline feature's Repositories. A
// branch is a short name ("main").
type Repositories struct {
	browser Browser
	rules   BranchRules
}

// NewRepositories answers with b's repositories and the rules' branch
// protection.
func NewRepositories(b Browser, rules BranchRules) (*Repositories, error) {
	if rules == nil {
		return nil, errors.New("git: Repositories needs the branch rules")
	}
	return &Repositories{browser: b, rules: rules}, nil
}

func (r *Repositories) path(projectID uuid.UUID) string { return r.browser.Storage.Path(projectID) }

// Create makes a project's empty repository whose HEAD names
// defaultBranch.
func (r *Repositories) Create(ctx context.Context, projectID uuid.UUID, defaultBranch string) error {
	return r.browser.Storage.Create(ctx, projectID, defaultBranch)
}

// Remove deletes a project's repository (a missing one is not an error).
func (r *Repositories) Remove(ctx context.Context, projectID uuid.UUID) error {
	return r.browser.Storage.Remove(ctx, projectID)
}

// SetDefaultBranch points the repository's HEAD at branch.
func (r *Repositories) SetDefaultBranch(ctx context.Context, projectID uuid.UUID, branch string) error {
	return r.browser.Storage.SetDefaultBranch(ctx, projectID, branch)
}

// ResolveRef turns a branch or tag name, or a full ref, into the full ref
// and its commit (a branch wins over a tag of the same name).
func (r *Repositories) ResolveRef(ctx context.Context, projectID uuid.UUID, ref string) (fullRef, commit string, err error) {
	return r.browser.ResolveFullRef(ctx, r.path(projectID), ref)
}

// ReadFile reads path at commit: NotFound when absent,
// repository.ErrFileTooLarge when larger than limit bytes.
func (r *Repositories) ReadFile(ctx context.Context, projectID uuid.UUID, commit, path string, limit int64) ([]byte, error) {
	return r.browser.ReadFileAt(ctx, r.path(projectID), commit, path, limit)
}

// ChangedPaths lists the paths that differ between two commits.
func (r *Repositories) ChangedPaths(ctx context.Context, projectID uuid.UUID, from, to string) ([]string, error) {
	return r.browser.ChangedPaths(ctx, r.path(projectID), from, to)
}

// BranchCommit returns the commit branch points at; NotFound when there is
// no such branch.
func (r *Repositories) BranchCommit(ctx context.Context, projectID uuid.UUID, branch string) (string, error) {
	return r.browser.Resolve(ctx, r.path(projectID), "refs/heads/"+branch)
}

// DefaultBranch is the branch the repository's HEAD names ("" when HEAD is
// detached).
func (r *Repositories) DefaultBranch(ctx context.Context, projectID uuid.UUID) (string, error) {
	return r.browser.DefaultBranch(ctx, r.path(projectID))
}

// CheckMerge computes what merging source into target would do; commits
// without shared history are a check with Unrelated set, not an error.
func (r *Repositories) CheckMerge(ctx context.Context, projectID uuid.UUID, target, source string) (repository.MergeCheck, error) {
	c, err := r.browser.CheckMerge(ctx, r.path(projectID), target, source)
	if errors.Is(err, ErrUnrelatedHistories) {
		return repository.MergeCheck{TargetCommit: target, SourceCommit: source, Unrelated: true}, nil
	}
	if err != nil {
		return repository.MergeCheck{}, err
	}
	return repository.MergeCheck{
		TargetCommit: c.TargetCommit, SourceCommit: c.SourceCommit, MergeBase: c.MergeBase, Clean: c.Clean,
		Conflicts: c.Conflicts, FastForward: c.FastForward, UpToDate: c.UpToDate,
	}, nil
}

// Merge merges as spec says and moves the target branch (Browser.Merge):
// an error wrapping repository.ErrRefMoved when the target moved.
func (r *Repositories) Merge(ctx context.Context, projectID uuid.UUID, spec repository.MergeSpec) (string, error) {
	return r.browser.Merge(ctx, r.path(projectID), MergeSpec{
		Method: spec.Method, TargetRef: "refs/heads/" + spec.TargetBranch, TargetCommit: spec.TargetCommit,
		SourceCommit: spec.SourceCommit, Message: spec.Message,
		Committer: Signature{Name: spec.CommitterName, Email: spec.CommitterEmail},
	})
}

// DeleteBranch deletes branch if it is still at expected (an error
// wrapping repository.ErrRefMoved when it moved).
func (r *Repositories) DeleteBranch(ctx context.Context, projectID uuid.UUID, branch, expected string) error {
	return r.browser.DeleteBranch(ctx, r.path(projectID), branch, expected)
}

// IsAncestor reports whether ancestor is descendant or one of its
// ancestors; NotFound when either is not a commit of the repository.
func (r *Repositories) IsAncestor(ctx context.Context, projectID uuid.UUID, ancestor, descendant string) (bool, error) {
	_, err := r.browser.mergeCmd(r.path(projectID), "merge-base", "--is-ancestor").UserArg(ancestor, descendant).Run(ctx)
	if err == nil {
		return true, nil
	}
	var ge *Error
	if errors.As(err, &ge) {
		switch ge.ExitCode {
		case 1: // not an ancestor
			return false, nil
		case 128: // not a commit of this repository
			return false, apperr.NotFound("commit not found")
		}
	}
	return false, err
}

// LineCount counts the lines of path at rev (a commit, or commit^ for its
// first parent), a last line without a newline included; NotFound when
// there is no such file, Invalid when it is binary or too large to show.
func (r *Repositories) LineCount(ctx context.Context, projectID uuid.UUID, rev, path string) (int, error) {
	b, err := r.browser.Blob(ctx, r.path(projectID), rev, path)
	if err != nil {
		return 0, err
	}
	if b.Binary || b.Truncated {
		return 0, apperr.Invalid("%s is binary or too large to comment on a line", path)
	}
	n := bytes.Count(b.Content, []byte{'\n'})
	if len(b.Content) > 0 && b.Content[len(b.Content)-1] != '\n' {
		n++
	}
	return n, nil
}

// MergeRules are branch's protection requirements for merge requests.
func (r *Repositories) MergeRules(ctx context.Context, projectID uuid.UUID, branch string) (requiredApprovals int, requirePipeline bool, err error) {
	return r.rules.MergeRules(ctx, projectID, branch)
}

// BranchUpdateAllowed decides with the push policy (DecideBranchUpdate)
// whether a principal holding the permissions can answers may move branch
// forward (deleting false: a merge only ever fast-forwards its target, so
// a fast-forward-only verdict allows it) or delete it; reason says why
// not. The project's default branch is the repository's HEAD.
func (r *Repositories) BranchUpdateAllowed(ctx context.Context, projectID uuid.UUID, branch string, deleting bool, can func(access.Permission) bool) (allowed bool, reason string, err error) {
	rules, err := r.rules.ProtectedRefs(ctx, projectID)
	if err != nil {
		return false, "", err
	}
	def, err := r.DefaultBranch(ctx, projectID)
	if err != nil {
		return false, "", err
	}
	d := DecideBranchUpdate(rules, def, can, branch, deleting)
	return d.Allowed, d.Reason, nil
}

// Compare answers what head adds to base, as the repository API's Compare
// does.
func (r *Repositories) Compare(ctx context.Context, projectID uuid.UUID, base, head string) (*hearthv1.CompareResponse, error) {
	c, err := r.browser.Compare(ctx, r.path(projectID), base, head)
	if err != nil {
		return nil, err
	}
	return comparisonToProto(c), nil
}
