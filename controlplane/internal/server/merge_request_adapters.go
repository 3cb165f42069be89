package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/auth"
	"github.com/hearth-dev/hearth/controlplane/internal/git"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline"
	"github.com/hearth-dev/hearth/controlplane/internal/project"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
)

// mergeRequestGit gives merge requests what they need of repositories and
// of the git feature's branch rules.
type mergeRequestGit struct {
	browser git.Browser
	storage git.Storage
	rules   *git.PGStore
}

var _ project.MergeRepositories = mergeRequestGit{}

func (g mergeRequestGit) repo(projectID uuid.UUID) string { return g.storage.Path(projectID) }

func (g mergeRequestGit) BranchCommit(ctx context.Context, projectID uuid.UUID, branch string) (string, error) {
	return g.browser.Resolve(ctx, g.repo(projectID), "refs/heads/"+branch)
}

func (g mergeRequestGit) CheckMerge(ctx context.Context, projectID uuid.UUID, target, source string) (project.MergeCheck, error) {
	c, err := g.browser.CheckMerge(ctx, g.repo(projectID), target, source)
	if errors.Is(err, git.ErrUnrelatedHistories) {
		return project.MergeCheck{TargetCommit: target, SourceCommit: source, Unrelated: true}, nil
	}
	if err != nil {
		return project.MergeCheck{}, err
	}
	return project.MergeCheck{
		TargetCommit: c.TargetCommit, SourceCommit: c.SourceCommit, MergeBase: c.MergeBase, Clean: c.Clean,
		Conflicts: c.Conflicts, FastForward: c.FastForward, UpToDate: c.UpToDate,
	}, nil
}

var mergeMethods = map[project.MergeMethod]git.MergeMethod{
	project.MergeCommitMethod: git.MergeCommit,
	project.SquashMethod:      git.Squash,
	project.FastForwardMethod: git.FastForward,
}

func (g mergeRequestGit) Merge(ctx context.Context, projectID uuid.UUID, spec project.MergeSpec) (string, error) {
	method, ok := mergeMethods[spec.Method]
	if !ok {
		return "", apperr.Invalid("unknown merge method")
	}
	commit, err := g.browser.Merge(ctx, g.repo(projectID), git.MergeSpec{
		Method: method, TargetRef: "refs/heads/" + spec.TargetBranch, TargetCommit: spec.TargetCommit,
		SourceCommit: spec.SourceCommit, Message: spec.Message,
		Committer: git.Signature{Name: spec.CommitterName, Email: spec.CommitterEmail},
	})
	if errors.Is(err, git.ErrRefMoved) {
		return "", fmt.Errorf("%w: %w", project.ErrRefMoved, err)
	}
	return commit, err
}

func (g mergeRequestGit) DeleteBranch(ctx context.Context, projectID uuid.UUID, branch, expected string) error {
	err := g.browser.DeleteBranch(ctx, g.repo(projectID), branch, expected)
	if errors.Is(err, git.ErrRefMoved) {
		return fmt.Errorf("%w: %w", project.ErrRefMoved, err)
	}
	return err
}

func (g mergeRequestGit) IsAncestor(ctx context.Context, projectID uuid.UUID, ancestor, descendant string) (bool, error) {
	_, err := g.storage.Git.Git("merge-base", "--is-ancestor").Dir(g.repo(projectID)).UserArg(ancestor, descendant).Run(ctx)
	if err == nil {
		return true, nil
	}
	var ge *git.Error
	if errors.As(err, &ge) {
		switch ge.ExitCode {
		case 1:
			return false, nil
		case 128: // not a commit of this repository
			return false, apperr.NotFound("commit not found")
		}
	}
	return false, err
}

func (g mergeRequestGit) LineCount(ctx context.Context, projectID uuid.UUID, rev, filePath string) (int, error) {
	b, err := g.browser.Blob(ctx, g.repo(projectID), rev, filePath)
	if err != nil {
		return 0, err
	}
	if b.Binary || b.Truncated {
		return 0, apperr.Invalid("%s is binary or too large to comment on a line", filePath)
	}
	n := bytes.Count(b.Content, []byte{'\n'})
	if len(b.Content) > 0 && b.Content[len(b.Content)-1] != '\n' {
		n++ // a last line without a newline
	}
	return n, nil
}

func (g mergeRequestGit) MergeRules(ctx context.Context, projectID uuid.UUID, branch string) (int, bool, error) {
	return g.rules.MergeRules(ctx, projectID, branch)
}

// BranchUpdateAllowed decides the update with the git feature's own push
// policy (git.DecideRefUpdate): the project's rules and its default branch
// (the repository's HEAD, protected even without a rule). A merge only
// moves its target forward, so a fast-forward-only verdict allows it.
func (g mergeRequestGit) BranchUpdateAllowed(ctx context.Context, projectID uuid.UUID, branch string, deleting bool, can func(access.Permission) bool) (bool, string, error) {
	rules, err := g.rules.ProtectedRefs(ctx, projectID)
	if err != nil {
		return false, "", err
	}
	def, err := g.browser.DefaultBranch(ctx, g.repo(projectID))
	if err != nil {
		return false, "", err
	}
	// Only whether old and new are zero matters to the decision.
	const some, none = "1111111111111111111111111111111111111111", "0000000000000000000000000000000000000000"
	c := git.RefCommand{Ref: "refs/heads/" + branch, Old: some, New: some}
	if deleting {
		c.New = none
	}
	d := git.DecideRefUpdate(rules, def, can, c)
	return d.Allowed, d.Reason, nil
}

// mergeRequestChanges shows a merge request's commits and diff with the
// repository API's own comparison.
type mergeRequestChanges struct {
	repos    *git.RepositoryAPI
	projects *project.Service
}

func (c mergeRequestChanges) Compare(ctx context.Context, projectID uuid.UUID, base, head string) (*hearthv1.CompareResponse, error) {
	p, err := c.projects.ByID(ctx, projectID)
	if err != nil {
		return nil, err
	}
	return c.repos.Compare(ctx, &hearthv1.CompareRequest{Owner: p.Owner, Name: p.Name, Base: base, Head: head})
}

// mergeRequestPipelines is the pipeline feature for merge requests.
type mergeRequestPipelines struct{ svc *pipeline.Service }

func (p mergeRequestPipelines) TriggerMergeRequest(ctx context.Context, e project.MergeRequestPipeline) error {
	return p.svc.TriggerMergeRequest(ctx, pipeline.MergeRequestEvent{
		ProjectID: e.ProjectID, Number: e.Number, SourceBranch: e.SourceBranch, TargetBranch: e.TargetBranch,
		Commit: e.Commit, TriggeredBy: e.TriggeredBy,
	})
}

func (p mergeRequestPipelines) LatestStatus(ctx context.Context, projectID uuid.UUID, commit string) (project.PipelineStatus, error) {
	id, state, err := p.svc.LatestStatus(ctx, projectID, commit)
	return project.PipelineStatus{ID: id, State: state}, err
}

// committers finds who a merge commits as: the user's display name, or
// their username when the display name is not a name git accepts (empty,
// with '<' or '>', over 256 bytes...), and email; and whether a user is
// active.
type committers struct{ auth *auth.Service }

func (c committers) Committer(ctx context.Context, userID uuid.UUID) (string, string, error) {
	u, err := c.auth.GetUser(ctx, userID)
	if err != nil {
		return "", "", err
	}
	name := strings.TrimSpace(u.DisplayName)
	if git.ValidSignature(git.Signature{Name: name, Email: u.Email}) != nil {
		name = u.Username
	}
	return name, u.Email, nil
}

func (c committers) Active(ctx context.Context, userID uuid.UUID) (bool, error) {
	return c.auth.Active(ctx, userID)
}

// RecordPush records refs a merge moved as a push, in the push outbox:
// the push worker makes their push pipelines and other merge requests'
// refresh, as for a git push.
func (p *pushTrigger) RecordPush(ctx context.Context, projectID, pusherID uuid.UUID, refs []project.RefUpdate) error {
	e := git.PushEvent{ProjectID: projectID, PusherID: pusherID, Refs: make([]git.RefUpdate, len(refs))}
	for i, r := range refs {
		e.Refs[i] = git.RefUpdate{Ref: r.Ref, Old: r.Old, New: r.New}
	}
	return p.Trigger(ctx, e)
}
