package git

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/repository"
	"github.com/hearth-dev/hearth/shared/gitref"
)

// Merges are computed and written without a worktree or an index:
// `git merge-tree --write-tree` (git >= 2.38) merges two commits into a new
// tree in the object database, `git commit-tree` makes the commit, and
// `git update-ref <ref> <new> <old>` moves the target only if it still holds
// the commit the merge was computed from. These are the only Browser methods
// that write to a repository.

// Merge limits.
const (
	// MaxMergeMessage bounds a merge or squash commit message.
	MaxMergeMessage = 64 << 10
	// maxSignatureField bounds a committer's name or email.
	maxSignatureField = 256
	// maxConflictsNamed is how many conflicting paths an error names.
	maxConflictsNamed = 5
	// mergeTimeout bounds merge-tree (a whole-tree merge); the other calls
	// use the browsing timeout.
	mergeTimeout = DefaultTimeout
	// refLockTimeout is how long update-ref waits for a ref another update
	// holds locked (git's core.filesRefLockTimeout, in ms; git's default is
	// 100), so concurrent merges queue instead of failing on the lock.
	refLockTimeout = "10000"
)

// ErrRefMoved is wrapped by the error of a ref update that found the ref no
// longer at the commit the caller saw: recompute and retry.
// It is the sentinel the consumers of Repositories test for.
var ErrRefMoved = repository.ErrRefMoved

// ErrUnrelatedHistories is wrapped by the FailedPrecondition of CheckMerge
// and Merge when the two commits share no history.
var ErrUnrelatedHistories = errors.New("git: the commits share no history")

// MergeCheck is what a merge of source into target would do.
type MergeCheck struct {
	TargetCommit, SourceCommit, MergeBase string
	Clean                                 bool     // no conflicts
	Conflicts                             []string // conflicting paths, sorted, deduplicated (empty when Clean)
	FastForward                           bool     // target is an ancestor of source (or equal)
	UpToDate                              bool     // source is already contained in target (nothing to merge)
	Tree                                  string   // the merged tree when Clean
}

// MergeSpec says what to merge and as whom.
type MergeSpec struct {
	Method       repository.MergeMethod
	TargetRef    string // full ref, "refs/heads/main"
	TargetCommit string // the value the caller saw; the ref moves only if it still holds it
	SourceCommit string
	Committer    Signature // the merging user (Name, Email; When zero: now): author and committer of the new commit
	Message      string    // commit message (merge commit / squash); ignored for FastForward
}

// errRefMoved is an apperr (Conflict, so a caller that passes it on tells
// its client to retry) wrapping ErrRefMoved.
func errRefMoved(ref string) error {
	e := apperr.Conflict("branch %s changed since it was read; reload and try again", strings.TrimPrefix(ref, "refs/heads/"))
	e.Cause = ErrRefMoved
	return e
}

// validCommitID checks a caller-given commit id (full lowercase hex).
func validCommitID(what, id string) error {
	if !gitref.ValidObjectID(id) {
		return apperr.Invalid("%s must be a full commit id (40 or 64 lowercase hex digits)", what)
	}
	return nil
}

// validBranchRef checks a full branch ref.
func validBranchRef(ref string) error {
	if !strings.HasPrefix(ref, "refs/heads/") || !gitref.ValidRefName(ref) {
		return apperr.Invalid("target ref must be a valid branch ref (refs/heads/<name>)")
	}
	return nil
}

// mergeCmd is a git command in repo with the browsing timeout.
func (b Browser) mergeCmd(repo, sub string, args ...string) *Command {
	return b.Git.Git(sub, args...).Dir(repo).Timeout(browseTimeout)
}

// requireCommits answers NotFound unless every id names a commit in repo.
func (b Browser) requireCommits(ctx context.Context, repo string, ids ...string) error {
	var in strings.Builder
	for _, id := range ids {
		in.WriteString(id + "\n")
	}
	out, err := b.mergeCmd(repo, "cat-file", "--batch-check=%(objectname) %(objecttype)").
		Stdin(strings.NewReader(in.String())).Run(ctx)
	if err != nil {
		return err
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(ids) {
		return fmt.Errorf("cat-file --batch-check answered %q", out)
	}
	for i, l := range lines {
		if l != ids[i]+" commit" {
			return apperr.NotFound("commit %s not found", ids[i])
		}
	}
	return nil
}

// refValue is the commit ref holds ("" when it does not exist).
func (b Browser) refValue(ctx context.Context, repo, ref string) (string, error) {
	out, err := b.mergeCmd(repo, "rev-parse", "--verify", "--quiet").UserArg(ref).Run(ctx)
	if err != nil {
		if ge := (*Error)(nil); errors.As(err, &ge) && ge.ExitCode == 1 {
			return "", nil
		}
		return "", err
	}
	sha := strings.TrimSpace(string(out))
	if !gitref.ValidObjectID(sha) {
		return "", fmt.Errorf("rev-parse answered %q", sha)
	}
	return sha, nil
}

// CheckMerge computes what merging sourceCommit into targetCommit would do
// with `git merge-tree --write-tree` (no worktree, no index; the merged
// tree's objects are written to the repository). Both are full commit ids.
// Commits without a common ancestor are FailedPrecondition.
func (b Browser) CheckMerge(ctx context.Context, repo, targetCommit, sourceCommit string) (MergeCheck, error) {
	if err := validCommitID("target commit", targetCommit); err != nil {
		return MergeCheck{}, err
	}
	if err := validCommitID("source commit", sourceCommit); err != nil {
		return MergeCheck{}, err
	}
	if err := b.requireCommits(ctx, repo, targetCommit, sourceCommit); err != nil {
		return MergeCheck{}, err
	}
	return b.checkMerge(ctx, repo, targetCommit, sourceCommit)
}

// checkMerge is CheckMerge of two valid, existing commits.
func (b Browser) checkMerge(ctx context.Context, repo, targetCommit, sourceCommit string) (MergeCheck, error) {
	mc := MergeCheck{TargetCommit: targetCommit, SourceCommit: sourceCommit}
	out, err := b.mergeCmd(repo, "merge-base").UserArg(targetCommit, sourceCommit).Run(ctx)
	if err != nil {
		if ge := (*Error)(nil); errors.As(err, &ge) && ge.ExitCode == 1 {
			e := apperr.FailedPrecondition("the source and the target have no common history")
			e.Cause = ErrUnrelatedHistories
			return MergeCheck{}, e
		}
		return MergeCheck{}, err
	}
	if mc.MergeBase = strings.TrimSpace(string(out)); !gitref.ValidObjectID(mc.MergeBase) {
		return MergeCheck{}, fmt.Errorf("merge-base answered %q", mc.MergeBase)
	}
	// A unique best common ancestor equal to one side means that side is
	// an ancestor of the other.
	mc.FastForward = mc.MergeBase == targetCommit
	mc.UpToDate = mc.MergeBase == sourceCommit

	// Output is wanted on exit status 1 (conflicts) too, so it is streamed.
	var mt bytes.Buffer
	_, err = b.Git.Git("merge-tree", "--write-tree", "-z", "--name-only", "--no-messages").Dir(repo).
		Timeout(mergeTimeout).UserArg(targetCommit, sourceCommit).Stdout(&mt).Run(ctx)
	out = mt.Bytes()
	ge := (*Error)(nil)
	switch {
	case err == nil:
		mc.Clean = true
	case errors.As(err, &ge) && ge.ExitCode == 1: // conflicts
	case errors.As(err, &ge) && ge.ExitCode == 129:
		return MergeCheck{}, fmt.Errorf("merges need git >= 2.38 (merge-tree --write-tree): %w", err)
	default:
		return MergeCheck{}, err
	}
	fields := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	tree := fields[0]
	if !gitref.ValidObjectID(tree) {
		return MergeCheck{}, fmt.Errorf("merge-tree answered %q", out)
	}
	if mc.Clean {
		mc.Tree = tree
		return mc, nil
	}
	for _, p := range fields[1:] {
		if p != "" {
			mc.Conflicts = append(mc.Conflicts, p)
		}
	}
	slices.Sort(mc.Conflicts)
	mc.Conflicts = slices.Compact(mc.Conflicts)
	return mc, nil
}

// conflictError names the first few conflicting paths.
func conflictError(paths []string) error {
	named := paths[:min(len(paths), maxConflictsNamed)]
	more := ""
	if n := len(paths) - len(named); n > 0 {
		more = fmt.Sprintf(" and %d more", n)
	}
	return apperr.FailedPrecondition("the merge has conflicts in %s%s; resolve them in the source branch first",
		strings.Join(named, ", "), more)
}

// ValidSignature reports (an apperr Invalid) why git would refuse s as a
// commit's author or committer (name and email; When is not checked): an
// empty name, or one made only of characters git strips from an identity
// (spaces and control characters, quotes, backslashes, dots, commas,
// colons, semicolons), a field over 256 bytes, or angle brackets, a
// newline or NUL in either.
func ValidSignature(s Signature) error { return validSignature(s) }

// CommitterName is the name a user's merges commit as: their display name
// (trimmed), or their username when git would not accept the display name
// (empty, only punctuation, with '<' or '>', over 256 bytes...).
func CommitterName(displayName, username, email string) string {
	name := strings.TrimSpace(displayName)
	if validSignature(Signature{Name: name, Email: email}) != nil {
		return username
	}
	return name
}

// gitCrud reports whether git strips c from the ends of an identity
// (ident.c's crud()).
func gitCrud(c rune) bool {
	return c <= ' ' || strings.ContainsRune(".,:;<>\"\\'", c)
}

// validSignature checks the merging user's identity (it reaches git
// through the environment, never argv).
func validSignature(s Signature) error {
	if strings.TrimFunc(s.Name, gitCrud) == "" {
		return apperr.Invalid("committer name is required (and must not consist only of punctuation and spaces)")
	}
	for _, f := range []string{s.Name, s.Email} {
		if len(f) > maxSignatureField {
			return apperr.Invalid("committer name and email are limited to %d bytes", maxSignatureField)
		}
		if strings.ContainsAny(f, "<>\n\r\x00") {
			return apperr.Invalid("committer name and email may not contain '<', '>', newlines or NUL")
		}
	}
	return nil
}

// gitDate is t in git's internal date format.
func gitDate(t time.Time) string {
	return strconv.FormatInt(t.Unix(), 10) + " " + t.Format("-0700")
}

// Merge lands spec.SourceCommit on spec.TargetRef: it creates the commit
// (commit-tree; none for FastForward) and moves TargetRef from
// TargetCommit to it atomically (`git update-ref <ref> <new> <old>`), so a
// concurrent update of the target is never lost: it makes Merge fail with
// an error wrapping ErrRefMoved. Returns the new target commit.
//
// Errors: Invalid for malformed input, NotFound for unknown commits,
// FailedPrecondition for conflicts, an impossible fast-forward or nothing
// to merge (the source is already in the target), ErrRefMoved (an
// apperr Conflict) when TargetRef no longer holds TargetCommit.
//
// Merge bypasses the pre-receive checks of a push: the caller authorizes
// and checks the branch's rules, and reports the ref update.
func (b Browser) Merge(ctx context.Context, repo string, spec MergeSpec) (string, error) {
	switch spec.Method {
	case repository.MergeCommit, repository.Squash, repository.FastForward:
	default:
		return "", apperr.Invalid("unknown merge method")
	}
	if err := validBranchRef(spec.TargetRef); err != nil {
		return "", err
	}
	if err := validCommitID("target commit", spec.TargetCommit); err != nil {
		return "", err
	}
	if err := validCommitID("source commit", spec.SourceCommit); err != nil {
		return "", err
	}
	if spec.Method != repository.FastForward {
		if err := validSignature(spec.Committer); err != nil {
			return "", err
		}
		switch {
		case len(spec.Message) > MaxMergeMessage:
			return "", apperr.Invalid("commit message is limited to %d bytes", MaxMergeMessage)
		case strings.IndexByte(spec.Message, 0) >= 0:
			return "", apperr.Invalid("commit message may not contain NUL")
		case strings.TrimSpace(spec.Message) == "":
			return "", apperr.Invalid("commit message is required")
		}
	}
	if err := b.requireCommits(ctx, repo, spec.TargetCommit, spec.SourceCommit); err != nil {
		return "", err
	}
	// Fail early (and cheaply) if the target already moved; update-ref
	// checks again atomically.
	cur, err := b.refValue(ctx, repo, spec.TargetRef)
	if err != nil {
		return "", err
	}
	if cur != spec.TargetCommit {
		return "", errRefMoved(spec.TargetRef)
	}
	mc, err := b.checkMerge(ctx, repo, spec.TargetCommit, spec.SourceCommit)
	if err != nil {
		return "", err
	}
	short := strings.TrimPrefix(spec.TargetRef, "refs/heads/")
	switch {
	case mc.UpToDate:
		return "", apperr.FailedPrecondition("nothing to merge: %s already contains the source", short)
	case spec.Method == repository.FastForward && !mc.FastForward:
		return "", apperr.FailedPrecondition("fast-forward is impossible: %s has commits that are not in the source; "+
			"rebase the source or choose another merge method", short)
	case !mc.Clean:
		return "", conflictError(mc.Conflicts)
	}
	next := spec.SourceCommit
	if spec.Method != repository.FastForward {
		if next, err = b.commitTree(ctx, repo, mc, spec); err != nil {
			return "", err
		}
	}
	if err := b.updateRef(ctx, repo, spec.TargetRef, next, spec.TargetCommit); err != nil {
		return "", err
	}
	return next, nil
}

// commitTree writes the merge or squash commit of a clean check.
func (b Browser) commitTree(ctx context.Context, repo string, mc MergeCheck, spec MergeSpec) (string, error) {
	when := spec.Committer.When
	if when.IsZero() {
		when = time.Now()
	}
	date := gitDate(when)
	msg := spec.Message
	if !strings.HasSuffix(msg, "\n") {
		msg += "\n"
	}
	c := b.mergeCmd(repo, "commit-tree", "-p", mc.TargetCommit)
	if spec.Method == repository.MergeCommit {
		c.Arg("-p", mc.SourceCommit)
	}
	out, err := c.Arg("-F", "-").UserArg(mc.Tree).Stdin(strings.NewReader(msg)).Env(
		"GIT_AUTHOR_NAME="+spec.Committer.Name, "GIT_AUTHOR_EMAIL="+spec.Committer.Email, "GIT_AUTHOR_DATE="+date,
		"GIT_COMMITTER_NAME="+spec.Committer.Name, "GIT_COMMITTER_EMAIL="+spec.Committer.Email, "GIT_COMMITTER_DATE="+date,
	).Run(ctx)
	if err != nil {
		return "", err
	}
	sha := strings.TrimSpace(string(out))
	if !gitref.ValidObjectID(sha) {
		return "", fmt.Errorf("commit-tree answered %q", sha)
	}
	return sha, nil
}

// updateRef moves ref from old to next (next "" deletes it) only if it
// still holds old; a ref that holds something else is ErrRefMoved.
func (b Browser) updateRef(ctx context.Context, repo, ref, next, old string) error {
	c := b.mergeCmd(repo, "update-ref").Config("core.filesRefLockTimeout", refLockTimeout)
	if next == "" {
		c.Arg("-d").UserArg(ref, old)
	} else {
		c.UserArg(ref, next, old)
	}
	_, err := c.Run(ctx)
	if err == nil {
		return nil
	}
	// Whatever update-ref said, the ref's value now decides.
	cur, rerr := b.refValue(ctx, repo, ref)
	switch {
	case rerr != nil:
		return errors.Join(err, rerr)
	case cur != old:
		return errRefMoved(ref)
	}
	return err
}

// DeleteBranch deletes refs/heads/<branch> only if it still points at
// expected (`update-ref -d <ref> <old>`). A branch that moved is an error
// wrapping ErrRefMoved; a missing branch is NotFound; the branch HEAD names
// (the default branch) is never deleted (FailedPrecondition).
func (b Browser) DeleteBranch(ctx context.Context, repo, branch, expected string) error {
	ref := "refs/heads/" + branch
	if !gitref.ValidRefName(ref) {
		return apperr.Invalid("invalid branch name")
	}
	if err := validCommitID("expected commit", expected); err != nil {
		return err
	}
	def, err := b.DefaultBranch(ctx, repo)
	if err != nil {
		return err
	}
	if def == branch {
		return apperr.FailedPrecondition("the default branch cannot be deleted")
	}
	cur, err := b.refValue(ctx, repo, ref)
	switch {
	case err != nil:
		return err
	case cur == "":
		return apperr.NotFound("branch not found")
	case cur != expected:
		return errRefMoved(ref)
	}
	err = b.updateRef(ctx, repo, ref, "", expected)
	if errors.Is(err, ErrRefMoved) {
		if cur, rerr := b.refValue(ctx, repo, ref); rerr == nil && cur == "" {
			return apperr.NotFound("branch not found")
		}
	}
	return err
}

// RefDecision is what a project's ref rules say of one ref update.
type RefDecision struct {
	Allowed bool
	// FastForwardOnly: allowed only when the update is a fast-forward
	// (a protected branch without force push).
	FastForwardOnly bool
	// Reason says why the update is refused or limited.
	Reason string
}

// DecideRefUpdate decides c exactly as a push of it is decided: rules are
// the project's, defaultBranch its default branch (protected even without a
// rule), can answers whether the principal holds a permission on the
// project. Ref updates Hearth makes itself on a user's behalf (a merge
// moving its target, the deletion of a merged source branch) go through it,
// so they are never allowed more than the user's own push would be.
func DecideRefUpdate(rules []ProtectedRef, defaultBranch string, can func(access.Permission) bool, c RefCommand) RefDecision {
	return refPolicy{rules: rules, defaultBranch: defaultBranch, can: can}.decide(c).decision()
}

// DecideBranchUpdate decides, with the same policy as DecideRefUpdate,
// whether an existing branch may be moved (deleting false) or deleted
// by a principal holding the permissions can answers. Hearth's own
// updates of a branch on a user's behalf go through it: a merge moves its
// target forward (so a fast-forward-only verdict allows it), and a
// merged source branch is deleted.
func DecideBranchUpdate(rules []ProtectedRef, defaultBranch string, can func(access.Permission) bool, branch string, deleting bool) RefDecision {
	p := refPolicy{rules: rules, defaultBranch: defaultBranch, can: can}
	return p.decideRef("refs/heads/"+branch, false, deleting).decision()
}

// decision is the verdict as a RefDecision.
func (v verdict) decision() RefDecision {
	switch v.mode {
	case "allow":
		return RefDecision{Allowed: true}
	case "ff":
		return RefDecision{Allowed: true, FastForwardOnly: true, Reason: v.reason}
	}
	return RefDecision{Reason: v.reason}
}
