package runner

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// WriteArtifacts archives what patterns match in workspace as a tar.gz at
// dst (written to dst+".tmp", synced, then renamed). Patterns are
// slash-separated globs relative to the workspace (path.Match syntax per
// segment, plus "**" for any number of segments); a matching directory is
// archived with everything below it.
//
// Nothing outside the workspace is ever read: absolute patterns and ".."
// segments are refused, every file is opened through an os.Root of the
// workspace (which refuses symlinks that leave it), and a symlink is
// archived as a link only if it resolves inside the workspace.
//
// Refused or unmatched patterns and skipped files are not errors: they come
// back as warnings for the job's log. entries is how many entries the
// archive holds; with none, no archive is left at dst. err is for I/O
// failures and for ctx ending (then errors.Is(err, ctx.Err()) and no
// archive is left): the job's deadline and Cancel bound archiving too, so
// a huge workspace or a hostile pattern cannot hold a job slot forever.
//
// Matching is linear in the pattern's and the path's segment counts
// (matchSegments), whatever the number of "**".
func WriteArtifacts(ctx context.Context, workspace string, patterns []string, dst string) (entries int, warnings []string, err error) {
	root, err := os.OpenRoot(workspace)
	if err != nil {
		return 0, nil, fmt.Errorf("artifacts: open workspace: %w", err)
	}
	defer func() { _ = root.Close() }()

	tmp := dst + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600) //nolint:gosec // G304: dst is in the job directory the agent owns
	if err != nil {
		return 0, nil, fmt.Errorf("artifacts: %w", err)
	}
	a := &archiver{ctx: ctx, root: root, gz: gzip.NewWriter(f), seen: map[string]bool{}}
	a.tw = tar.NewWriter(a.gz)
	for _, p := range patterns {
		if err := a.addPattern(p); err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
			return 0, nil, fmt.Errorf("artifacts: %w", err)
		}
	}
	err = a.tw.Close()
	if err == nil {
		err = a.gz.Close()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && a.entries == 0 {
		err = os.Remove(tmp)
		return 0, append(a.warnings, "artifacts: nothing matched, no archive created"), err
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return 0, a.warnings, fmt.Errorf("artifacts: %w", err)
	}
	return a.entries, a.warnings, nil
}

type archiver struct {
	ctx      context.Context
	root     *os.Root
	gz       *gzip.Writer
	tw       *tar.Writer
	seen     map[string]bool
	entries  int
	warnings []string
}

func (a *archiver) warn(format string, args ...any) {
	a.warnings = append(a.warnings, "artifacts: "+fmt.Sprintf(format, args...))
}

// addPattern archives one pattern's matches; only I/O errors on the
// archive itself and ctx's end are returned, everything about the pattern
// is a warning.
func (a *archiver) addPattern(pattern string) error {
	clean, reason := checkPattern(pattern)
	if reason != "" {
		a.warn("path %q refused: %s", pattern, reason)
		return nil
	}
	segs := strings.Split(clean, "/")
	// Walk from the longest literal prefix: most patterns are plain paths.
	lit := 0
	for lit < len(segs) && !hasMeta(segs[lit]) {
		lit++
	}
	start := "."
	if lit > 0 {
		start = path.Join(segs[:lit]...)
	}
	matched := false
	if lit == len(segs) {
		// A plain path: no walk of the whole workspace needed.
		if _, err := a.root.Lstat(start); err != nil {
			a.missing(pattern, err)
			return nil
		}
		return a.addTree(start)
	}
	fsys := a.root.FS()
	if _, err := fs.Stat(fsys, start); err != nil {
		a.missing(pattern, err)
		return nil
	}
	var walkErr error
	err := fs.WalkDir(fsys, start, func(name string, d fs.DirEntry, err error) error {
		if walkErr = a.ctx.Err(); walkErr != nil {
			return fs.SkipAll
		}
		if err != nil {
			a.warn("%s skipped: %v", name, err)
			return nil
		}
		if name == "." || !matchSegments(segs, strings.Split(name, "/")) {
			return nil
		}
		matched = true
		if err := a.addTree(name); err != nil {
			walkErr = err
			return fs.SkipAll
		}
		if d.IsDir() {
			return fs.SkipDir // addTree archived all of it
		}
		return nil
	})
	if walkErr != nil {
		return walkErr
	}
	if err != nil {
		a.warn("path %q: %v", pattern, err)
	}
	if !matched {
		a.warn("no file matches %q", pattern)
	}
	return nil
}

func (a *archiver) missing(pattern string, err error) {
	if errors.Is(err, fs.ErrNotExist) {
		a.warn("no file matches %q", pattern)
		return
	}
	a.warn("path %q skipped: %v", pattern, unwrapPath(err))
}

// addTree archives name and, for a directory, everything below it.
func (a *archiver) addTree(name string) error {
	var werr error
	err := fs.WalkDir(a.root.FS(), name, func(p string, _ fs.DirEntry, err error) error {
		if werr = a.ctx.Err(); werr != nil {
			return fs.SkipAll
		}
		if err != nil {
			a.warn("%s skipped: %v", p, unwrapPath(err))
			return nil
		}
		if werr = a.addEntry(p); werr != nil {
			return fs.SkipAll
		}
		return nil
	})
	if werr != nil {
		return werr
	}
	if err != nil {
		a.warn("%s skipped: %v", name, unwrapPath(err))
	}
	return nil
}

// addEntry archives one file, directory or symlink (not what is below it).
func (a *archiver) addEntry(name string) error {
	if name == "." || a.seen[name] {
		return nil
	}
	a.seen[name] = true
	info, err := a.root.Lstat(name)
	if err != nil {
		a.warn("%s skipped: %v", name, unwrapPath(err))
		return nil
	}
	hdr := &tar.Header{Name: name, ModTime: info.ModTime(), Mode: int64(info.Mode().Perm()), Format: tar.FormatPAX}
	switch {
	case info.Mode().IsRegular():
		hdr.Typeflag = tar.TypeReg
		hdr.Size = info.Size()
	case info.IsDir():
		hdr.Typeflag = tar.TypeDir
		hdr.Name += "/"
	case info.Mode()&fs.ModeSymlink != 0:
		target, err := a.root.Readlink(name)
		if err != nil {
			a.warn("%s skipped: %v", name, unwrapPath(err))
			return nil
		}
		// Stat through the root follows the link and fails if it leaves
		// the workspace (or dangles): such a link is not archived.
		if _, err := a.root.Stat(name); err != nil {
			a.warn("%s skipped: symlink to %q does not resolve inside the workspace", name, target)
			return nil
		}
		hdr.Typeflag = tar.TypeSymlink
		hdr.Linkname = target
	default:
		a.warn("%s skipped: not a regular file, directory or symlink", name)
		return nil
	}
	if hdr.Typeflag != tar.TypeReg {
		a.entries++
		return a.tw.WriteHeader(hdr)
	}
	// Non-blocking: a file the job swapped for a FIFO since the Lstat
	// must not block the open (and with it the job slot) forever. What was
	// opened must still be the regular file that was looked at.
	f, err := a.root.OpenFile(name, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		a.warn("%s skipped: %v", name, unwrapPath(err))
		return nil
	}
	defer func() { _ = f.Close() }()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() || !os.SameFile(st, info) {
		a.warn("%s skipped: it changed while being archived", name)
		return nil
	}
	if err := a.tw.WriteHeader(hdr); err != nil {
		return err
	}
	a.entries++
	n, err := io.CopyN(a.tw, ctxReader{ctx: a.ctx, r: f}, hdr.Size)
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if n < hdr.Size {
		// The file shrank while being read; pad so the archive stays valid.
		a.warn("%s changed while being archived", name)
		_, err = io.CopyN(a.tw, zeroReader{}, hdr.Size-n)
		return err
	}
	return nil
}

type zeroReader struct{}

// ctxReader stops reading once ctx ended, so copying a huge file does not
// outlive the job's deadline or Cancel.
type ctxReader struct {
	ctx context.Context //nolint:containedctx // a reader bound to one archiving run
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// checkPattern cleans a pattern; a non-empty reason refuses it.
func checkPattern(p string) (clean, reason string) {
	if strings.TrimSpace(p) == "" {
		return "", "empty path"
	}
	if strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\`) {
		return "", "absolute paths are not allowed"
	}
	for _, s := range strings.Split(p, "/") {
		if s == ".." {
			return "", `".." is not allowed`
		}
	}
	clean = path.Clean(p)
	for _, s := range strings.Split(clean, "/") {
		if _, err := path.Match(s, ""); err != nil {
			return "", "bad glob syntax"
		}
	}
	return clean, ""
}

func hasMeta(seg string) bool { return strings.ContainsAny(seg, `*?[\`) }

// matchSegments matches path segments against pattern segments, "**"
// standing for zero or more whole segments. Dynamic programming over the
// segments (reach[j]: the pattern so far matches name[:j]) keeps it at
// len(pat)*len(name) segment matches: a recursive matcher backtracks
// exponentially on patterns like "**/**/**/…/x".
func matchSegments(pat, name []string) bool {
	reach := make([]bool, len(name)+1)
	next := make([]bool, len(name)+1)
	reach[0] = true
	for _, p := range pat {
		if p == "**" {
			seen := false
			for j, ok := range reach {
				seen = seen || ok
				next[j] = seen
			}
		} else {
			next[0] = false
			for j := 1; j <= len(name); j++ {
				next[j] = false
				if reach[j-1] {
					next[j], _ = path.Match(p, name[j-1])
				}
			}
		}
		reach, next = next, reach
	}
	return reach[len(name)]
}

// unwrapPath drops the *PathError wrapper, whose path is the whole
// workspace's and only lengthens the log line.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
