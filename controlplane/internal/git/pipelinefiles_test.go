package git

import (
	"errors"
	"slices"
	"testing"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
)

// TestPipelineFileAccess: what the pipeline reads — full refs, one file at
// a commit with a size limit, the paths between two commits.
func TestPipelineFileAccess(t *testing.T) {
	f := newBrowseFixture(t)
	ctx := t.Context()

	for ref, want := range map[string]string{"main": "refs/heads/main", "v1": "refs/tags/v1", "refs/heads/feature": "refs/heads/feature"} {
		full, sha, err := f.b.ResolveFullRef(ctx, f.repo, ref)
		if err != nil || full != want || len(sha) != 40 {
			t.Fatalf("ResolveFullRef(%q) = %q %q %v, want %q", ref, full, sha, err, want)
		}
	}
	for _, bad := range []string{"nope", "refs/heads/nope", "../x", "-x"} {
		if _, _, err := f.b.ResolveFullRef(ctx, f.repo, bad); err == nil {
			t.Fatalf("ResolveFullRef(%q) succeeded", bad)
		}
	}

	got, err := f.b.ReadFileAt(ctx, f.repo, f.commits[0], "src/main.go", 100)
	if err != nil || string(got) != "package main\n" {
		t.Fatalf("ReadFileAt = %q %v", got, err)
	}
	if _, err := f.b.ReadFileAt(ctx, f.repo, f.commits[0], "src/main.go", 5); !errors.Is(err, ErrFileTooLarge) {
		t.Fatalf("over the limit: %v", err)
	}
	_, err = f.b.ReadFileAt(ctx, f.repo, f.commits[0], "absent.yml", 100)
	wantKind(t, err, apperr.KindNotFound)

	paths, err := f.b.ChangedPaths(ctx, f.repo, f.commits[0], f.commits[1])
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"README.md", "bin.dat", "del.txt", "moved.txt", "mv.txt", "new.txt"}
	if !slices.Equal(paths, want) {
		t.Fatalf("ChangedPaths = %v, want %v", paths, want)
	}
	if _, err := f.b.ChangedPaths(ctx, f.repo, "--output=/tmp/x", f.commits[1]); err == nil {
		t.Fatal("an option was taken for a commit")
	}
}
