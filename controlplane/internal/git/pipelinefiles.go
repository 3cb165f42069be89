package git

import (
	"bytes"
	"context"
	"strings"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/repository"
	"github.com/hearth-dev/hearth/shared/gitref"
)

// What the pipeline feature reads from a repository: which commit a ref
// names, one file at a commit, the paths a push changed.

// ErrFileTooLarge is ReadFileAt's answer for a file larger than its limit.
var ErrFileTooLarge = repository.ErrFileTooLarge

// ResolveFullRef turns a branch or tag name, or a full ref, into the full
// ref and its commit; a branch wins over a tag of the same name.
func (b Browser) ResolveFullRef(ctx context.Context, repo, ref string) (string, string, error) {
	candidates := []string{"refs/heads/" + ref, "refs/tags/" + ref}
	if strings.HasPrefix(ref, "refs/") {
		candidates = []string{ref}
	}
	for _, full := range candidates {
		if !gitref.ValidRefName(full) {
			continue
		}
		sha, err := b.Resolve(ctx, repo, full)
		if err == nil {
			return full, sha, nil
		}
		if e, ok := apperr.As(err); !ok || e.Kind != apperr.KindNotFound {
			return "", "", err
		}
	}
	return "", "", apperr.NotFound("ref %q not found", ref)
}

// ReadFileAt returns the file at path in commit (NotFound when absent);
// ErrFileTooLarge when it is larger than limit bytes.
func (b Browser) ReadFileAt(ctx context.Context, repo, commit, path string, limit int64) ([]byte, error) {
	_, e, err := b.BlobEntry(ctx, repo, commit, path)
	if err != nil {
		return nil, err
	}
	if e.Size > limit {
		return nil, ErrFileTooLarge
	}
	var buf bytes.Buffer
	buf.Grow(int(e.Size))
	if err := b.WriteBlob(ctx, repo, e.SHA, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ChangedPaths lists the paths that differ between two commits (renames
// count as a deletion and an addition).
func (b Browser) ChangedPaths(ctx context.Context, repo, from, to string) ([]string, error) {
	if !gitref.ValidObjectID(from) || !gitref.ValidObjectID(to) {
		return nil, apperr.Invalid("commit ids expected")
	}
	out, err := b.cmd(repo, "diff", "--name-only", "-z", "--no-renames").UserArg(from, to).Run(ctx)
	if err != nil {
		return nil, err
	}
	var paths []string
	for p := range strings.SplitSeq(strings.TrimRight(string(out), "\x00"), "\x00") {
		if p != "" {
			paths = append(paths, p)
		}
	}
	return paths, nil
}
