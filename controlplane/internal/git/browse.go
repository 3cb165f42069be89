package git

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/shared/gitref"
)

// Browsing limits.
const (
	// MaxBlobContent is the largest text blob returned inline by Blob.
	MaxBlobContent = 1 << 20
	// binarySniffLen is how much of a blob decides binary or text (as git).
	binarySniffLen = 8000
	// DefaultPageSize and MaxPageSize bound a page of commits.
	DefaultPageSize = 30
	MaxPageSize     = 100
	// MaxDiffBytes bounds the patch text of one diff, all files together.
	MaxDiffBytes = 1 << 20
	// MaxDiffFileLines bounds the patch text of one file.
	MaxDiffFileLines = 5000
	// MaxDiffFiles bounds the files listed in one diff.
	MaxDiffFiles = 3000
	// MaxCompareCommits bounds the commits listed by Compare.
	MaxCompareCommits = 250
	// browseTimeout bounds one git call made while browsing.
	browseTimeout = 30 * time.Second
	// maxRefLen and maxTreePathLen bound user input.
	maxRefLen      = 1024
	maxTreePathLen = 4096
)

// Browser answers browsing questions about bare repositories. Its methods
// take the repository directory (Storage.Path of the project); they never
// write to it, except the merge methods of merge.go (CheckMerge writes the
// merged tree's objects; Merge and DeleteBranch move refs).
type Browser struct {
	Storage Storage
	Git     Runner
}

// Signature is an author, committer or tagger.
type Signature struct {
	Name  string
	Email string
	When  time.Time
}

// Commit is one commit's metadata.
type Commit struct {
	SHA       string
	Parents   []string
	Author    Signature
	Committer Signature
	Title     string
	Message   string
}

// Branch is one refs/heads/ ref.
type Branch struct {
	Name    string
	SHA     string
	Default bool
	Commit  Commit // title only, no message body
}

// Tag is one refs/tags/ ref.
type Tag struct {
	Name      string
	CommitSHA string // peeled; "" when the tag does not point at a commit
	TagSHA    string // annotated tag object; "" for a lightweight tag
	Message   string
	Tagger    *Signature
}

// EntryType is what a tree entry points at.
type EntryType int

// Entry types.
const (
	EntryBlob EntryType = iota + 1
	EntryTree
	EntryCommit // a submodule
)

// TreeEntry is one directory entry.
type TreeEntry struct {
	Name string
	Path string
	Type EntryType
	Mode string
	Size int64 // blobs only
	SHA  string
}

// Tree is one directory at a commit.
type Tree struct {
	CommitSHA string
	Path      string
	SHA       string
	Entries   []TreeEntry
}

// Blob is one file at a commit; Content only for text ≤ MaxBlobContent.
type Blob struct {
	CommitSHA string
	Path      string
	SHA       string
	Mode      string
	Size      int64
	Binary    bool
	Content   []byte
	Truncated bool
}

// CommitPage is one page of history.
type CommitPage struct {
	Commits       []Commit
	NextPageToken string
}

// FileStatus is what a diff did to one file.
type FileStatus int

// File statuses.
const (
	FileAdded FileStatus = iota + 1
	FileModified
	FileDeleted
	FileRenamed
	FileTypeChanged
)

// FileDiff is one file's change.
type FileDiff struct {
	OldPath, NewPath string
	Status           FileStatus
	Additions        int
	Deletions        int
	Binary           bool
	OldMode, NewMode string
	Similarity       int
	Patch            string
	PatchTruncated   bool
}

// Diff is a set of file changes.
type Diff struct {
	Files     []FileDiff
	Additions int
	Deletions int
	Truncated bool
}

// Comparison is what head adds to base.
type Comparison struct {
	BaseSHA, HeadSHA string
	MergeBase        string
	Commits          []Commit
	TotalCommits     int
	CommitsTruncated bool
	Diff             Diff
}

// errRefNotFound is the one answer for every ref that does not resolve to
// a commit (unknown, or any ref of an empty repository).
func errRefNotFound() error { return apperr.NotFound("ref not found") }

// ValidRef checks a user-chosen revision before git sees it (git also
// only ever sees it after --end-of-options). It allows branch and tag
// names, full refs, SHAs and ancestry suffixes ("main~2", "HEAD^2"), and
// refuses options, ranges, reflog and search syntax (":/text", "^{/re}",
// "@{...}") and control characters.
func ValidRef(ref string) error {
	switch {
	case ref == "":
		return nil
	case len(ref) > maxRefLen:
		return apperr.Invalid("ref is too long")
	case ref[0] == '-':
		return apperr.Invalid("ref may not start with '-'")
	case strings.Contains(ref, ".."), strings.Contains(ref, "@{"), strings.Contains(ref, "^{"):
		return apperr.Invalid("ref syntax not supported")
	}
	for _, r := range ref {
		if r < 0x20 || r == 0x7f || r == ' ' || r == ':' || r == '\\' {
			return apperr.Invalid("ref contains a forbidden character")
		}
	}
	return nil
}

// ValidTreePath checks and normalizes a path inside a repository: relative,
// '/'-separated, no "", "." or ".." segment, no NUL, bounded. A trailing
// '/' is dropped; "" is the root.
func ValidTreePath(p string) (string, error) {
	p = strings.TrimSuffix(p, "/")
	if p == "" {
		return "", nil
	}
	if len(p) > maxTreePathLen {
		return "", apperr.Invalid("path is too long")
	}
	if p[0] == '/' {
		return "", apperr.Invalid("path must be relative")
	}
	if strings.IndexByte(p, 0) >= 0 {
		return "", apperr.Invalid("path contains NUL")
	}
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", apperr.Invalid("path has an empty, '.' or '..' segment")
		}
	}
	return p, nil
}

// cmd starts a read-only git command in repo with the browsing timeout.
// Pathspecs are always literal, so a path can never be pathspec magic.
func (b Browser) cmd(repo, sub string, args ...string) *Command {
	return b.Git.Git(sub, args...).Dir(repo).Timeout(browseTimeout).Env("GIT_LITERAL_PATHSPECS=1")
}

// Resolve turns a user revision into a commit SHA ("" means HEAD).
func (b Browser) Resolve(ctx context.Context, repo, ref string) (string, error) {
	if err := ValidRef(ref); err != nil {
		return "", err
	}
	if ref == "" {
		ref = "HEAD"
	}
	out, err := b.cmd(repo, "rev-parse", "--verify", "--quiet").UserArg(ref + "^{commit}").Run(ctx)
	if err != nil {
		if ge := (*Error)(nil); errors.As(err, &ge) && ge.ExitCode == 1 {
			return "", errRefNotFound()
		}
		return "", err
	}
	sha := strings.TrimSpace(string(out))
	if !gitref.ValidObjectID(sha) {
		return "", fmt.Errorf("rev-parse answered %q", sha)
	}
	return sha, nil
}

// DefaultBranch is the branch HEAD names ("" when HEAD is detached).
func (b Browser) DefaultBranch(ctx context.Context, repo string) (string, error) {
	out, err := b.cmd(repo, "symbolic-ref", "--quiet", "HEAD").Run(ctx)
	if err != nil {
		if ge := (*Error)(nil); errors.As(err, &ge) && ge.ExitCode == 1 {
			return "", nil
		}
		return "", err
	}
	return strings.TrimPrefix(strings.TrimSpace(string(out)), "refs/heads/"), nil
}

// Branches lists the branches by name and the default branch's name.
func (b Browser) Branches(ctx context.Context, repo string) ([]Branch, string, error) {
	def, err := b.DefaultBranch(ctx, repo)
	if err != nil {
		return nil, "", err
	}
	const nf = 10
	out, err := b.cmd(repo, "for-each-ref", "--sort=refname",
		"--format=%(refname)%00%(objectname)%00%(parent)%00%(authorname)%00%(authoremail)%00%(authordate:iso-strict)%00"+
			"%(committername)%00%(committeremail)%00%(committerdate:iso-strict)%00%(contents:subject)%00",
		"refs/heads/").Run(ctx)
	if err != nil {
		return nil, "", err
	}
	var branches []Branch
	for f := range nulRecords(out, nf) {
		name := strings.TrimPrefix(f[0], "refs/heads/")
		br := Branch{Name: name, SHA: f[1], Default: name == def, Commit: Commit{
			SHA: f[1], Parents: strings.Fields(f[2]),
			Author:    parseSignature(f[3], f[4], f[5]),
			Committer: parseSignature(f[6], f[7], f[8]),
			Title:     f[9],
		}}
		branches = append(branches, br)
	}
	return branches, def, nil
}

// Tags lists the tags by name.
func (b Browser) Tags(ctx context.Context, repo string) ([]Tag, error) {
	const nf = 9
	out, err := b.cmd(repo, "for-each-ref", "--sort=refname",
		"--format=%(refname)%00%(objecttype)%00%(objectname)%00%(*objecttype)%00%(*objectname)%00"+
			"%(taggername)%00%(taggeremail)%00%(taggerdate:iso-strict)%00%(contents)%00",
		"refs/tags/").Run(ctx)
	if err != nil {
		return nil, err
	}
	var tags []Tag
	for f := range nulRecords(out, nf) {
		t := Tag{Name: strings.TrimPrefix(f[0], "refs/tags/")}
		switch f[1] {
		case "commit":
			t.CommitSHA = f[2]
		case "tag":
			t.TagSHA = f[2]
			if f[3] == "commit" {
				t.CommitSHA = f[4]
			}
			t.Message = f[8]
			if f[5] != "" {
				s := parseSignature(f[5], f[6], f[7])
				t.Tagger = &s
			}
		}
		tags = append(tags, t)
	}
	return tags, nil
}

// records splits output made of NUL-terminated fields, n per record
// (records separated by the newline git adds), into records.
func nulRecords(out []byte, n int) func(yield func([]string) bool) {
	return func(yield func([]string) bool) {
		fields := strings.Split(string(out), "\x00")
		for i := 0; i+n <= len(fields); i += n {
			rec := fields[i : i+n]
			rec[0] = strings.TrimLeft(rec[0], "\n")
			if !yield(rec) {
				return
			}
		}
	}
}

func parseSignature(name, email, when string) Signature {
	s := Signature{Name: name, Email: strings.TrimSuffix(strings.TrimPrefix(email, "<"), ">")}
	if t, err := time.Parse(time.RFC3339, when); err == nil {
		s.When = t.UTC()
	}
	return s
}

// entryAt is the tree entry at path in commit; NotFound when absent.
func (b Browser) entryAt(ctx context.Context, repo, commit, path string) (TreeEntry, error) {
	out, err := b.cmd(repo, "ls-tree", "-z", "--long", "--full-tree").UserArg(commit).Path(path).Run(ctx)
	if err != nil {
		return TreeEntry{}, err
	}
	entries, err := parseLsTree(out, "")
	if err != nil {
		return TreeEntry{}, err
	}
	for _, e := range entries {
		if e.Name == path {
			e.Path, e.Name = path, path[strings.LastIndexByte(path, '/')+1:]
			return e, nil
		}
	}
	return TreeEntry{}, apperr.NotFound("path not found")
}

// parseLsTree parses `ls-tree -z --long` output; names are joined to dir.
func parseLsTree(out []byte, dir string) ([]TreeEntry, error) {
	var entries []TreeEntry
	for rec := range strings.SplitSeq(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		if rec == "" {
			continue
		}
		meta, name, ok := strings.Cut(rec, "\t")
		f := strings.Fields(meta)
		if !ok || len(f) != 4 {
			return nil, fmt.Errorf("ls-tree: unexpected line %q", rec)
		}
		e := TreeEntry{Name: name, Path: name, Mode: f[0], SHA: f[2]}
		if dir != "" {
			e.Path = dir + "/" + name
		}
		switch f[1] {
		case "blob":
			e.Type = EntryBlob
			e.Size, _ = strconv.ParseInt(f[3], 10, 64)
		case "tree":
			e.Type = EntryTree
		case "commit":
			e.Type = EntryCommit
		default:
			return nil, fmt.Errorf("ls-tree: unexpected type %q", f[1])
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// Tree lists the directory at path in ref: directories first, then by name.
func (b Browser) Tree(ctx context.Context, repo, ref, path string) (Tree, error) {
	path, err := ValidTreePath(path)
	if err != nil {
		return Tree{}, err
	}
	commit, err := b.Resolve(ctx, repo, ref)
	if err != nil {
		return Tree{}, err
	}
	t := Tree{CommitSHA: commit, Path: path}
	if path == "" {
		out, err := b.cmd(repo, "rev-parse", "--verify").UserArg(commit + "^{tree}").Run(ctx)
		if err != nil {
			return Tree{}, err
		}
		t.SHA = strings.TrimSpace(string(out))
	} else {
		e, err := b.entryAt(ctx, repo, commit, path)
		if err != nil {
			return Tree{}, err
		}
		if e.Type != EntryTree {
			return Tree{}, apperr.Invalid("path is not a directory")
		}
		t.SHA = e.SHA
	}
	out, err := b.cmd(repo, "ls-tree", "-z", "--long").UserArg(t.SHA).Run(ctx)
	if err != nil {
		return Tree{}, err
	}
	if t.Entries, err = parseLsTree(out, path); err != nil {
		return Tree{}, err
	}
	slices.SortStableFunc(t.Entries, func(a, b TreeEntry) int {
		if (a.Type == EntryTree) != (b.Type == EntryTree) {
			if a.Type == EntryTree {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return t, nil
}

// BlobEntry resolves ref and path to a blob entry (NotFound when absent,
// Invalid when path is a directory or submodule).
func (b Browser) BlobEntry(ctx context.Context, repo, ref, path string) (commit string, e TreeEntry, err error) {
	path, err = ValidTreePath(path)
	if err != nil {
		return "", TreeEntry{}, err
	}
	if path == "" {
		return "", TreeEntry{}, apperr.Invalid("path is required")
	}
	if commit, err = b.Resolve(ctx, repo, ref); err != nil {
		return "", TreeEntry{}, err
	}
	if e, err = b.entryAt(ctx, repo, commit, path); err != nil {
		return "", TreeEntry{}, err
	}
	if e.Type != EntryBlob {
		return "", TreeEntry{}, apperr.Invalid("path is not a file")
	}
	return commit, e, nil
}

// Blob returns the file at path in ref; content only for text up to
// MaxBlobContent.
func (b Browser) Blob(ctx context.Context, repo, ref, path string) (Blob, error) {
	commit, e, err := b.BlobEntry(ctx, repo, ref, path)
	if err != nil {
		return Blob{}, err
	}
	bl := Blob{CommitSHA: commit, Path: e.Path, SHA: e.SHA, Mode: e.Mode, Size: e.Size}
	limit := int(min(e.Size, MaxBlobContent))
	if e.Size > MaxBlobContent {
		limit = binarySniffLen
	}
	w := &capWriter{limit: limit}
	if err := b.WriteBlob(ctx, repo, e.SHA, w); err != nil && !w.full {
		return Blob{}, err
	}
	head := w.buf[:min(len(w.buf), binarySniffLen)]
	bl.Binary = bytes.IndexByte(head, 0) >= 0
	switch {
	case bl.Binary:
	case e.Size > MaxBlobContent:
		bl.Truncated = true
	default:
		bl.Content = w.buf
	}
	return bl, nil
}

// WriteBlob streams the blob sha (a SHA this package resolved) to w.
func (b Browser) WriteBlob(ctx context.Context, repo, sha string, w io.Writer) error {
	_, err := b.cmd(repo, "cat-file", "blob").UserArg(sha).Stdout(w).Timeout(10 * time.Minute).Run(ctx)
	return err
}

// Archive streams an archive of commit (a resolved SHA) to w; format is
// "tar.gz", "tar" or "zip", and every entry sits under prefix.
func (b Browser) Archive(ctx context.Context, repo, commit, format, prefix string, w io.Writer) error {
	switch format {
	case "tar.gz", "tar", "zip":
	default:
		return apperr.Invalid("format must be tar.gz, tar or zip")
	}
	_, err := b.Git.Git("archive", "--format="+format, "--prefix="+prefix).Dir(repo).
		Timeout(10 * time.Minute).UserArg(commit).Stdout(w).Run(ctx)
	return err
}

// errCapReached stops a git process whose output is no longer needed.
var errCapReached = errors.New("output limit reached")

// capWriter keeps the first limit bytes, then stops the writer (git then
// exits on a broken pipe).
type capWriter struct {
	buf   []byte
	limit int
	full  bool
}

func (c *capWriter) Write(p []byte) (int, error) {
	room := c.limit - len(c.buf)
	if len(p) >= room {
		c.buf = append(c.buf, p[:room]...)
		c.full = true
		return room, errCapReached
	}
	c.buf = append(c.buf, p...)
	return len(p), nil
}

// logFormat prints a commit as 9 NUL-terminated fields (commit messages
// cannot hold NUL); see parseCommits.
const logFormat = "--format=%H%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B%x00"

func parseCommits(out []byte) []Commit {
	var commits []Commit
	for f := range nulRecords(out, 9) {
		msg := strings.TrimRight(f[8], "\n")
		title, _, _ := strings.Cut(msg, "\n")
		commits = append(commits, Commit{
			SHA: f[0], Parents: strings.Fields(f[1]),
			Author:    parseSignature(f[2], f[3], f[4]),
			Committer: parseSignature(f[5], f[6], f[7]),
			Title:     title, Message: msg,
		})
	}
	return commits
}

// Log pages through history from ref (or the token's pinned commit),
// optionally only commits touching path. An empty repository answers an
// empty page when ref is empty.
func (b Browser) Log(ctx context.Context, repo, ref, path string, pageSize int, pageToken string) (CommitPage, error) {
	path, err := ValidTreePath(path)
	if err != nil {
		return CommitPage{}, err
	}
	switch {
	case pageSize < 0 || pageSize > MaxPageSize:
		return CommitPage{}, apperr.Invalid("page_size must be between 1 and %d", MaxPageSize)
	case pageSize == 0:
		pageSize = DefaultPageSize
	}
	var start string
	offset := 0
	if pageToken != "" {
		if start, offset, err = decodeLogToken(pageToken); err != nil {
			return CommitPage{}, err
		}
		ref = start
	}
	commit, err := b.Resolve(ctx, repo, ref)
	if err != nil {
		if ref == "" && isBrowseNotFound(err) {
			return CommitPage{}, nil // empty repository
		}
		return CommitPage{}, err
	}
	c := b.cmd(repo, "log", logFormat, "-n", strconv.Itoa(pageSize+1), "--skip="+strconv.Itoa(offset)).UserArg(commit)
	if path != "" {
		c.Path(path)
	}
	out, err := c.Run(ctx)
	if err != nil {
		return CommitPage{}, err
	}
	page := CommitPage{Commits: parseCommits(out)}
	if len(page.Commits) > pageSize {
		page.Commits = page.Commits[:pageSize]
		page.NextPageToken = encodeLogToken(commit, offset+pageSize)
	}
	return page, nil
}

func isBrowseNotFound(err error) bool {
	e, ok := apperr.As(err)
	return ok && e.Kind == apperr.KindNotFound
}

func encodeLogToken(sha string, offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("c1:" + sha + ":" + strconv.Itoa(offset)))
}

func decodeLogToken(tok string) (string, int, error) {
	bad := apperr.Invalid("invalid page_token")
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return "", 0, bad
	}
	parts := strings.Split(string(raw), ":")
	if len(parts) != 3 || parts[0] != "c1" || !gitref.ValidObjectID(parts[1]) {
		return "", 0, bad
	}
	n, err := strconv.Atoi(parts[2])
	if err != nil || n < 0 || n > 1<<30 {
		return "", 0, bad
	}
	return parts[1], n, nil
}

// commitInfo reads one commit's metadata (sha resolved).
func (b Browser) commitInfo(ctx context.Context, repo, sha string) (Commit, error) {
	out, err := b.cmd(repo, "log", logFormat, "-n", "1").UserArg(sha).Run(ctx)
	if err != nil {
		return Commit{}, err
	}
	cs := parseCommits(out)
	if len(cs) != 1 {
		return Commit{}, errRefNotFound()
	}
	return cs[0], nil
}

// Commit returns one commit and its diff against its first parent.
func (b Browser) Commit(ctx context.Context, repo, rev string) (Commit, Diff, error) {
	sha, err := b.Resolve(ctx, repo, rev)
	if err != nil {
		return Commit{}, Diff{}, err
	}
	c, err := b.commitInfo(ctx, repo, sha)
	if err != nil {
		return Commit{}, Diff{}, err
	}
	from := ""
	if len(c.Parents) > 0 {
		from = c.Parents[0]
	}
	d, err := b.Diff(ctx, repo, from, sha)
	return c, d, err
}

// Compare answers what head adds to base.
func (b Browser) Compare(ctx context.Context, repo, base, head string) (Comparison, error) {
	if base == "" || head == "" {
		return Comparison{}, apperr.Invalid("base and head are required")
	}
	var cmp Comparison
	var err error
	if cmp.BaseSHA, err = b.Resolve(ctx, repo, base); err != nil {
		return Comparison{}, err
	}
	if cmp.HeadSHA, err = b.Resolve(ctx, repo, head); err != nil {
		return Comparison{}, err
	}
	out, err := b.cmd(repo, "merge-base").UserArg(cmp.BaseSHA, cmp.HeadSHA).Run(ctx)
	if ge := (*Error)(nil); err != nil && (!errors.As(err, &ge) || ge.ExitCode != 1) {
		return Comparison{}, err
	}
	cmp.MergeBase = strings.TrimSpace(string(out))
	if cmp.MergeBase != "" && !gitref.ValidObjectID(cmp.MergeBase) {
		return Comparison{}, fmt.Errorf("merge-base answered %q", cmp.MergeBase)
	}
	out, err = b.cmd(repo, "rev-list", "--count").UserArg(cmp.HeadSHA, "^"+cmp.BaseSHA).Run(ctx)
	if err != nil {
		return Comparison{}, err
	}
	if cmp.TotalCommits, err = strconv.Atoi(strings.TrimSpace(string(out))); err != nil {
		return Comparison{}, fmt.Errorf("rev-list --count: %w", err)
	}
	out, err = b.cmd(repo, "log", logFormat, "-n", strconv.Itoa(MaxCompareCommits)).
		UserArg(cmp.HeadSHA, "^"+cmp.BaseSHA).Run(ctx)
	if err != nil {
		return Comparison{}, err
	}
	cmp.Commits = parseCommits(out)
	cmp.CommitsTruncated = cmp.TotalCommits > len(cmp.Commits)
	from := cmp.MergeBase
	if from == "" {
		from = cmp.BaseSHA
	}
	cmp.Diff, err = b.Diff(ctx, repo, from, cmp.HeadSHA)
	return cmp, err
}
