package git

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
)

// browseFixture is a hosted repository built with the real git binary:
//
//	c1: README.md, src/main.go, src/pkg/util.go, docs/a.txt, mv.txt,
//	    del.txt, sub (submodule entry); tag v1 (lightweight)
//	c2: README.md modified, del.txt deleted, mv.txt -> moved.txt (+1 line),
//	    bin.dat added (binary), new.txt added; tag v2 (annotated)
//	c3..c7: README.md appended (history for paging)
//	feature: c2 + f1 (feature.txt)
type browseFixture struct {
	b       Browser
	id      uuid.UUID
	repo    string
	work    string
	env     []string
	commits []string // c1..c7
	feature string
	subSHA  string
	n       int // commits made, for dates
}

func gitEnv(t *testing.T) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null", "LC_ALL=C", "GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=Ada Lovelace", "GIT_AUTHOR_EMAIL=ada@example.com",
		"GIT_COMMITTER_NAME=Charles Babbage", "GIT_COMMITTER_EMAIL=charles@example.com",
	}
}

func (f *browseFixture) git(t *testing.T, args ...string) string {
	t.Helper()
	date := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC).Add(time.Duration(f.n) * time.Hour).Format(time.RFC3339)
	cmd := exec.Command("git", args...)
	cmd.Dir = f.work
	cmd.Env = append(slices.Clone(f.env), "GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %v: %v: %s", args, err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

func (f *browseFixture) write(t *testing.T, name, content string) {
	t.Helper()
	p := filepath.Join(f.work, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (f *browseFixture) commit(t *testing.T, msg string) string {
	t.Helper()
	f.n++
	f.git(t, "add", "-A", "--", ".", ":(exclude)sub")
	f.git(t, "commit", "-q", "-m", msg)
	return f.git(t, "rev-parse", "HEAD")
}

// newEmptyFixture makes a hosted (bare) repository and a work tree.
func newEmptyFixture(t *testing.T) *browseFixture {
	t.Helper()
	root := t.TempDir()
	f := &browseFixture{
		b:    Browser{Storage: Storage{Root: filepath.Join(root, "repositories")}},
		id:   uuid.New(),
		work: filepath.Join(root, "work"),
		env:  gitEnv(t),
	}
	if err := f.b.Storage.Create(context.Background(), f.id, "main"); err != nil {
		t.Fatal(err)
	}
	f.repo = f.b.Storage.Path(f.id)
	if err := os.MkdirAll(f.work, 0o750); err != nil {
		t.Fatal(err)
	}
	f.git(t, "init", "-q", "-b", "main")
	return f
}

func (f *browseFixture) push(t *testing.T) {
	t.Helper()
	f.git(t, "push", "-q", "--tags", f.repo, "refs/heads/*:refs/heads/*")
}

func newBrowseFixture(t *testing.T) *browseFixture {
	t.Helper()
	f := newEmptyFixture(t)
	f.write(t, "README.md", "# Hello\n")
	f.write(t, "src/main.go", "package main\n")
	f.write(t, "src/pkg/util.go", "package pkg\n")
	f.write(t, "docs/a.txt", "a\n")
	f.write(t, "mv.txt", strings.Repeat("line\n", 20))
	f.write(t, "del.txt", "bye\n")
	f.subSHA = strings.Repeat("ab", 20)
	f.git(t, "update-index", "--add", "--cacheinfo", "160000,"+f.subSHA+",sub")
	f.commits = append(f.commits, f.commit(t, "first\n\nThe body."))
	f.git(t, "tag", "v1")

	f.write(t, "README.md", "# Hello\n\nMore.\n")
	if err := os.Remove(filepath.Join(f.work, "del.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(f.work, "mv.txt"), filepath.Join(f.work, "moved.txt")); err != nil {
		t.Fatal(err)
	}
	f.write(t, "moved.txt", strings.Repeat("line\n", 20)+"one more\n")
	f.write(t, "bin.dat", "\x00\x01\x02binary")
	f.write(t, "new.txt", "new\n")
	f.commits = append(f.commits, f.commit(t, "second"))
	f.n++
	f.git(t, "tag", "-a", "-m", "Version two", "v2")
	for i := 3; i <= 7; i++ {
		f.write(t, "README.md", "# Hello\n\nMore.\n"+strings.Repeat("x\n", i))
		f.commits = append(f.commits, f.commit(t, fmt.Sprintf("readme %d", i)))
	}
	f.git(t, "checkout", "-q", "-b", "feature", f.commits[1])
	f.write(t, "feature.txt", "feature\n")
	f.feature = f.commit(t, "feature work")
	f.git(t, "checkout", "-q", "main")
	f.push(t)
	return f
}

func wantKind(t *testing.T, err error, kind apperr.Kind) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Kind != kind {
		t.Fatalf("error %v, want kind %d", err, kind)
	}
}

func TestBrowseBranchesTags(t *testing.T) {
	f := newBrowseFixture(t)
	ctx := context.Background()
	branches, def, err := f.b.Branches(ctx, f.repo)
	if err != nil {
		t.Fatal(err)
	}
	if def != "main" || len(branches) != 2 {
		t.Fatalf("default %q, branches %+v", def, branches)
	}
	if b := branches[0]; b.Name != "feature" || b.SHA != f.feature || b.Default || b.Commit.Title != "feature work" {
		t.Errorf("feature: %+v", b)
	}
	main := branches[1]
	if main.Name != "main" || main.SHA != f.commits[6] || !main.Default || main.Commit.Author.Email != "ada@example.com" ||
		main.Commit.Committer.Name != "Charles Babbage" || len(main.Commit.Parents) != 1 {
		t.Errorf("main: %+v", main)
	}
	if want := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC).Add(8 * time.Hour); !main.Commit.Author.When.Equal(want) {
		t.Errorf("main author time %v, want %v", main.Commit.Author.When, want)
	}

	tags, err := f.b.Tags(ctx, f.repo)
	if err != nil {
		t.Fatal(err)
	}
	if len(tags) != 2 {
		t.Fatalf("tags %+v", tags)
	}
	if v1 := tags[0]; v1.Name != "v1" || v1.CommitSHA != f.commits[0] || v1.TagSHA != "" || v1.Message != "" || v1.Tagger != nil {
		t.Errorf("v1: %+v", v1)
	}
	if v2 := tags[1]; v2.Name != "v2" || v2.CommitSHA != f.commits[1] || v2.TagSHA == "" || v2.TagSHA == f.commits[1] ||
		strings.TrimSpace(v2.Message) != "Version two" || v2.Tagger == nil || v2.Tagger.Name != "Charles Babbage" {
		t.Errorf("v2: %+v (tagger %+v)", v2, v2.Tagger)
	}
}

func TestBrowseTree(t *testing.T) {
	f := newBrowseFixture(t)
	ctx := context.Background()
	root, err := f.b.Tree(ctx, f.repo, "", "")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range root.Entries {
		names = append(names, e.Name)
	}
	// Directories first, then files and the submodule, by name.
	if want := []string{"docs", "src", "README.md", "bin.dat", "moved.txt", "new.txt", "sub"}; !slices.Equal(names, want) {
		t.Errorf("root entries %v, want %v", names, want)
	}
	if root.CommitSHA != f.commits[6] || root.SHA == "" {
		t.Errorf("root %+v", root)
	}
	for _, e := range root.Entries {
		switch e.Name {
		case "sub":
			if e.Type != EntryCommit || e.Mode != "160000" || e.SHA != f.subSHA {
				t.Errorf("submodule entry %+v", e)
			}
		case "bin.dat":
			if e.Type != EntryBlob || e.Size != 9 || e.Mode != "100644" {
				t.Errorf("bin.dat entry %+v", e)
			}
		case "src":
			if e.Type != EntryTree || e.Mode != "040000" {
				t.Errorf("src entry %+v", e)
			}
		}
	}

	// Nested, at an older ref, with a trailing slash.
	tr, err := f.b.Tree(ctx, f.repo, "v1", "src/")
	if err != nil {
		t.Fatal(err)
	}
	if tr.Path != "src" || len(tr.Entries) != 2 || tr.Entries[0].Path != "src/pkg" || tr.Entries[0].Type != EntryTree ||
		tr.Entries[1].Path != "src/main.go" {
		t.Errorf("src tree %+v", tr)
	}
	deep, err := f.b.Tree(ctx, f.repo, f.commits[0][:10], "src/pkg")
	if err != nil {
		t.Fatal(err)
	}
	if len(deep.Entries) != 1 || deep.Entries[0].Path != "src/pkg/util.go" || deep.Entries[0].Size != int64(len("package pkg\n")) {
		t.Errorf("src/pkg tree %+v", deep)
	}
	// The old tree still has mv.txt and del.txt; the new one does not.
	old, err := f.b.Tree(ctx, f.repo, "refs/tags/v1", "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(old.Entries, func(e TreeEntry) bool { return e.Name == "del.txt" }) {
		t.Errorf("v1 root lacks del.txt: %+v", old.Entries)
	}

	_, err = f.b.Tree(ctx, f.repo, "", "nope")
	wantKind(t, err, apperr.KindNotFound)
	_, err = f.b.Tree(ctx, f.repo, "", "src/nope/deeper")
	wantKind(t, err, apperr.KindNotFound)
	_, err = f.b.Tree(ctx, f.repo, "", "README.md")
	wantKind(t, err, apperr.KindInvalid)
	_, err = f.b.Tree(ctx, f.repo, "no-such-branch", "")
	wantKind(t, err, apperr.KindNotFound)
	// A pattern is not a pattern.
	_, err = f.b.Tree(ctx, f.repo, "", "sr*")
	wantKind(t, err, apperr.KindNotFound)
}

func TestBrowseBlob(t *testing.T) {
	f := newBrowseFixture(t)
	ctx := context.Background()
	b, err := f.b.Blob(ctx, f.repo, "main", "src/pkg/util.go")
	if err != nil {
		t.Fatal(err)
	}
	if string(b.Content) != "package pkg\n" || b.Binary || b.Truncated || b.Size != 12 || b.Path != "src/pkg/util.go" {
		t.Errorf("text blob %+v", b)
	}
	b, err = f.b.Blob(ctx, f.repo, "", "bin.dat")
	if err != nil {
		t.Fatal(err)
	}
	if !b.Binary || b.Content != nil || b.Size != 9 {
		t.Errorf("binary blob %+v", b)
	}
	_, err = f.b.Blob(ctx, f.repo, "v1", "bin.dat")
	wantKind(t, err, apperr.KindNotFound)
	_, err = f.b.Blob(ctx, f.repo, "", "src")
	wantKind(t, err, apperr.KindInvalid)
	_, err = f.b.Blob(ctx, f.repo, "", "sub")
	wantKind(t, err, apperr.KindInvalid)
	_, err = f.b.Blob(ctx, f.repo, "", "")
	wantKind(t, err, apperr.KindInvalid)

	// Oversized text: no content, truncated; oversized binary: binary.
	f.write(t, "big.txt", strings.Repeat("0123456789abcdef\n", MaxBlobContent/17+100))
	f.write(t, "big.bin", strings.Repeat("x", 100)+"\x00"+strings.Repeat("y", MaxBlobContent))
	f.commit(t, "big files")
	f.push(t)
	b, err = f.b.Blob(ctx, f.repo, "", "big.txt")
	if err != nil {
		t.Fatal(err)
	}
	if b.Binary || !b.Truncated || b.Content != nil || b.Size <= MaxBlobContent {
		t.Errorf("big text blob: binary %v truncated %v content %d size %d", b.Binary, b.Truncated, len(b.Content), b.Size)
	}
	b, err = f.b.Blob(ctx, f.repo, "", "big.bin")
	if err != nil {
		t.Fatal(err)
	}
	if !b.Binary || b.Truncated || b.Content != nil {
		t.Errorf("big binary blob: binary %v truncated %v content %d", b.Binary, b.Truncated, len(b.Content))
	}
}

func TestBrowseCommitsLogPaging(t *testing.T) {
	f := newBrowseFixture(t)
	ctx := context.Background()
	var got []string
	tok := ""
	pages := 0
	for {
		page, err := f.b.Log(ctx, f.repo, "main", "", 3, tok)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, c := range page.Commits {
			got = append(got, c.SHA)
		}
		if tok = page.NextPageToken; tok == "" {
			break
		}
		if pages == 1 {
			// The branch moves on; the token pins the start.
			f.write(t, "later.txt", "later\n")
			f.commit(t, "later")
			f.push(t)
		}
	}
	want := slices.Clone(f.commits)
	slices.Reverse(want)
	if !slices.Equal(got, want) || pages != 3 {
		t.Fatalf("paged %d pages: %v, want %v", pages, got, want)
	}

	// Path filter: README.md changed in every main commit; moved.txt in c2.
	page, err := f.b.Log(ctx, f.repo, f.commits[6], "moved.txt", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Commits) != 1 || page.Commits[0].SHA != f.commits[1] || page.Commits[0].Title != "second" {
		t.Errorf("moved.txt history %+v", page.Commits)
	}
	page, err = f.b.Log(ctx, f.repo, "v2", "src", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Commits) != 1 || page.Commits[0].SHA != f.commits[0] || page.Commits[0].Message != "first\n\nThe body." ||
		page.Commits[0].Title != "first" || len(page.Commits[0].Parents) != 0 {
		t.Errorf("src history %+v", page.Commits)
	}

	_, err = f.b.Log(ctx, f.repo, "", "", MaxPageSize+1, "")
	wantKind(t, err, apperr.KindInvalid)
	for _, tok := range []string{"garbage", encodeLogToken("not-a-sha", 1), "YzE6Li4vLi4vOjE"} {
		_, err = f.b.Log(ctx, f.repo, "", "", 0, tok)
		wantKind(t, err, apperr.KindInvalid)
	}
}

func fileByPath(d Diff, p string) *FileDiff {
	for i, f := range d.Files {
		if f.NewPath == p || (f.NewPath == "" && f.OldPath == p) {
			return &d.Files[i]
		}
	}
	return nil
}

func TestBrowseCommitDiff(t *testing.T) {
	f := newBrowseFixture(t)
	ctx := context.Background()
	c, d, err := f.b.Commit(ctx, f.repo, f.commits[1])
	if err != nil {
		t.Fatal(err)
	}
	if c.SHA != f.commits[1] || c.Title != "second" || len(c.Parents) != 1 || c.Parents[0] != f.commits[0] {
		t.Errorf("commit %+v", c)
	}
	if len(d.Files) != 5 || d.Truncated {
		t.Fatalf("diff files %+v", d.Files)
	}
	cases := []struct {
		path       string
		status     FileStatus
		add, del   int
		binary     bool
		patchHas   string
		oldPath    string
		similarity bool
	}{
		{"README.md", FileModified, 2, 0, false, "+More.", "README.md", false},
		{"del.txt", FileDeleted, 0, 1, false, "-bye", "del.txt", false},
		{"moved.txt", FileRenamed, 1, 0, false, "rename from mv.txt", "mv.txt", true},
		{"bin.dat", FileAdded, 0, 0, true, "Binary files", "", false},
		{"new.txt", FileAdded, 1, 0, false, "+new", "", false},
	}
	for _, tc := range cases {
		fd := fileByPath(d, tc.path)
		if fd == nil {
			t.Errorf("%s missing from %+v", tc.path, d.Files)
			continue
		}
		if fd.Status != tc.status || fd.Additions != tc.add || fd.Deletions != tc.del || fd.Binary != tc.binary ||
			!strings.Contains(fd.Patch, tc.patchHas) || !strings.HasPrefix(fd.Patch, "diff --git ") ||
			fd.OldPath != tc.oldPath || (fd.Similarity > 0) != tc.similarity || fd.PatchTruncated {
			t.Errorf("%s: %+v", tc.path, *fd)
		}
	}
	if d.Additions != 4 || d.Deletions != 1 {
		t.Errorf("totals +%d -%d", d.Additions, d.Deletions)
	}

	// A root commit diffs against the empty tree (the submodule included).
	_, d, err = f.b.Commit(ctx, f.repo, "v1")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Files) != 7 {
		t.Errorf("root diff files %d: %+v", len(d.Files), d.Files)
	}
	for _, fd := range d.Files {
		if fd.Status != FileAdded || fd.Patch == "" {
			t.Errorf("root diff %+v", fd)
		}
	}

	// A type change prints two sections; both belong to the one file.
	if err := os.Remove(filepath.Join(f.work, "new.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("README.md", filepath.Join(f.work, "new.txt")); err != nil {
		t.Fatal(err)
	}
	f.write(t, "after.txt", "after\n")
	sha := f.commit(t, "typechange")
	f.push(t)
	_, d, err = f.b.Commit(ctx, f.repo, sha)
	if err != nil {
		t.Fatal(err)
	}
	tc, after := fileByPath(d, "new.txt"), fileByPath(d, "after.txt")
	if tc == nil || after == nil || tc.Status != FileTypeChanged || strings.Count(tc.Patch, "diff --git") != 2 ||
		tc.NewMode != "120000" || !strings.Contains(after.Patch, "+after") || strings.Contains(after.Patch, "new.txt") {
		t.Errorf("typechange diff %+v", d.Files)
	}

	_, _, err = f.b.Commit(ctx, f.repo, strings.Repeat("0", 40))
	wantKind(t, err, apperr.KindNotFound)
}

func TestDiffTruncation(t *testing.T) {
	f := newBrowseFixture(t)
	ctx := context.Background()
	// One file past the per-file line limit, then files past the total.
	f.write(t, "a-long.txt", strings.Repeat("long line\n", MaxDiffFileLines+500))
	for i := range 30 {
		f.write(t, fmt.Sprintf("b-wide-%02d.txt", i), strings.Repeat(strings.Repeat("w", 99)+"\n", 500))
	}
	f.write(t, "z-last.txt", "last\n")
	sha := f.commit(t, "huge")
	f.push(t)
	_, d, err := f.b.Commit(ctx, f.repo, sha)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Truncated || len(d.Files) != 32 {
		t.Fatalf("truncated %v, %d files", d.Truncated, len(d.Files))
	}
	long := fileByPath(d, "a-long.txt")
	if !long.PatchTruncated || long.Additions != MaxDiffFileLines+500 ||
		strings.Count(long.Patch, "\n") != MaxDiffFileLines {
		t.Errorf("long file: truncated %v, +%d, %d lines", long.PatchTruncated, long.Additions, strings.Count(long.Patch, "\n"))
	}
	last := fileByPath(d, "z-last.txt")
	if !last.PatchTruncated || last.Patch != "" || last.Additions != 1 {
		t.Errorf("last file %+v", *last)
	}
	total := 0
	for _, fd := range d.Files {
		total += len(fd.Patch)
	}
	if total > MaxDiffBytes {
		t.Errorf("kept %d bytes of patch, limit %d", total, MaxDiffBytes)
	}
	if fileByPath(d, "b-wide-00.txt").PatchTruncated {
		t.Error("first wide file truncated, want whole")
	}
}

func TestBrowseCompare(t *testing.T) {
	f := newBrowseFixture(t)
	ctx := context.Background()
	cmp, err := f.b.Compare(ctx, f.repo, "main", "feature")
	if err != nil {
		t.Fatal(err)
	}
	if cmp.MergeBase != f.commits[1] || cmp.BaseSHA != f.commits[6] || cmp.HeadSHA != f.feature ||
		cmp.TotalCommits != 1 || len(cmp.Commits) != 1 || cmp.Commits[0].SHA != f.feature || cmp.CommitsTruncated {
		t.Errorf("compare %+v", cmp)
	}
	// The diff is from the merge base: main's README changes are not in it.
	if len(cmp.Diff.Files) != 1 || cmp.Diff.Files[0].NewPath != "feature.txt" {
		t.Errorf("compare diff %+v", cmp.Diff.Files)
	}
	cmp, err = f.b.Compare(ctx, f.repo, "feature", "main")
	if err != nil {
		t.Fatal(err)
	}
	if cmp.TotalCommits != 5 || len(cmp.Commits) != 5 || cmp.Commits[0].SHA != f.commits[6] {
		t.Errorf("reverse compare: %d commits", cmp.TotalCommits)
	}
	_, err = f.b.Compare(ctx, f.repo, "main", "")
	wantKind(t, err, apperr.KindInvalid)
	_, err = f.b.Compare(ctx, f.repo, "main", "nope")
	wantKind(t, err, apperr.KindNotFound)
}

func TestBrowseEmptyRepository(t *testing.T) {
	f := newEmptyFixture(t)
	ctx := context.Background()
	branches, def, err := f.b.Branches(ctx, f.repo)
	if err != nil || len(branches) != 0 || def != "main" {
		t.Errorf("branches %v %q %v", branches, def, err)
	}
	tags, err := f.b.Tags(ctx, f.repo)
	if err != nil || len(tags) != 0 {
		t.Errorf("tags %v %v", tags, err)
	}
	page, err := f.b.Log(ctx, f.repo, "", "", 0, "")
	if err != nil || len(page.Commits) != 0 || page.NextPageToken != "" {
		t.Errorf("log %+v %v", page, err)
	}
	_, err = f.b.Log(ctx, f.repo, "main", "", 0, "")
	wantKind(t, err, apperr.KindNotFound)
	_, err = f.b.Tree(ctx, f.repo, "", "")
	wantKind(t, err, apperr.KindNotFound)
	_, err = f.b.Blob(ctx, f.repo, "", "README.md")
	wantKind(t, err, apperr.KindNotFound)
	_, _, err = f.b.Commit(ctx, f.repo, "")
	wantKind(t, err, apperr.KindNotFound)
}

func TestBrowseHostileInput(t *testing.T) {
	f := newBrowseFixture(t)
	ctx := context.Background()
	outside := t.TempDir()
	target := filepath.Join(outside, "x")
	refs := []string{
		"-", "-h", "--output=" + target, "--upload-pack=touch " + target, "-o" + target,
		"main..feature", "main@{0}", ":/first", "main^{/first}", "ma\x00in", "main\n", "a b", "a:b",
		strings.Repeat("a", maxRefLen+1),
	}
	for _, ref := range refs {
		_, err := f.b.Tree(ctx, f.repo, ref, "")
		wantKind(t, err, apperr.KindInvalid)
		_, err = f.b.Blob(ctx, f.repo, ref, "README.md")
		wantKind(t, err, apperr.KindInvalid)
		_, err = f.b.Log(ctx, f.repo, ref, "", 0, "")
		wantKind(t, err, apperr.KindInvalid)
		_, _, err = f.b.Commit(ctx, f.repo, ref)
		wantKind(t, err, apperr.KindInvalid)
		_, err = f.b.Compare(ctx, f.repo, "main", ref)
		wantKind(t, err, apperr.KindInvalid)
	}
	// Even past the validator, git sees user refs only after --end-of-options.
	for _, ref := range []string{"--output=" + target, "-h"} {
		_, err := f.b.cmd(f.repo, "rev-parse", "--verify", "--quiet").UserArg(ref + "^{commit}").Run(ctx)
		if err == nil {
			t.Errorf("rev-parse %q succeeded", ref)
		}
		_, err = f.b.cmd(f.repo, "log", "-n1").UserArg(ref).Run(ctx)
		if err == nil {
			t.Errorf("log %q succeeded", ref)
		}
	}
	paths := []string{"/etc/passwd", "../x", "src/../../x", "src/./main.go", "src//main.go", "a\x00b", "..", ".", "./README.md",
		strings.Repeat("a/", maxTreePathLen)}
	for _, p := range paths {
		_, err := f.b.Tree(ctx, f.repo, "", p)
		wantKind(t, err, apperr.KindInvalid)
		_, err = f.b.Blob(ctx, f.repo, "", p)
		wantKind(t, err, apperr.KindInvalid)
		_, err = f.b.Log(ctx, f.repo, "", p, 0, "")
		wantKind(t, err, apperr.KindInvalid)
	}
	// A path that looks like pathspec magic is a (missing) literal path.
	_, err := f.b.Blob(ctx, f.repo, "", ":(glob)**/*.go")
	wantKind(t, err, apperr.KindNotFound)
	page, err := f.b.Log(ctx, f.repo, "", ":(glob)**", 0, "")
	if err != nil || len(page.Commits) != 0 {
		t.Errorf("magic pathspec log: %d commits, %v", len(page.Commits), err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("files written outside the repository: %v", entries)
	}
	if _, err := os.Stat(target); err == nil {
		t.Errorf("%s was written", target)
	}
}

func TestValidTreePath(t *testing.T) {
	for in, want := range map[string]string{"": "", "/": "", "a": "a", "a/b/": "a/b", "a.b/.c/..d": "a.b/.c/..d", "a b\n": "a b\n"} {
		got, err := ValidTreePath(in)
		if err != nil || got != want {
			t.Errorf("ValidTreePath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func FuzzValidTreePath(f *testing.F) {
	for _, s := range []string{"", "a", "a/b", "../x", "/abs", "a/../b", "a\x00b", "a//b", "./a", "a/.", "a/b/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		clean, err := ValidTreePath(p)
		if err != nil {
			return
		}
		if clean == "" {
			return
		}
		if !filepath.IsLocal(clean) || strings.IndexByte(clean, 0) >= 0 || strings.HasPrefix(clean, "/") ||
			len(clean) > maxTreePathLen {
			t.Fatalf("ValidTreePath(%q) accepted %q", p, clean)
		}
		for _, seg := range strings.Split(clean, "/") {
			if seg == "" || seg == "." || seg == ".." {
				t.Fatalf("ValidTreePath(%q) accepted segment %q", p, seg)
			}
		}
		if again, err := ValidTreePath(clean); err != nil || again != clean {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", p, clean, again, err)
		}
	})
}

func FuzzValidBrowseRef(f *testing.F) {
	for _, s := range []string{"main", "-x", "--output=/tmp/x", "a..b", "HEAD~2", "v1^{}", ":/x", "a\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		if ValidRef(ref) != nil || ref == "" {
			return
		}
		if ref[0] == '-' || strings.ContainsAny(ref, "\x00\n: \\") || strings.Contains(ref, "..") {
			t.Fatalf("ValidRef accepted %q", ref)
		}
	})
}
