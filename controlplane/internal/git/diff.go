package git

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Diff compares two commits (resolved SHAs); from "" diffs a root commit
// against the empty tree. Statistics are exact for every listed file (at
// most MaxDiffFiles); patch text is cut past MaxDiffFileLines lines per file
// and MaxDiffBytes in total, with PatchTruncated / Truncated set.
func (b Browser) Diff(ctx context.Context, repo, from, to string) (Diff, error) {
	revs := []string{from, to}
	root := from == ""
	if root {
		revs = []string{to}
	}
	diffCmd := func(args ...string) *Command {
		c := b.cmd(repo, "diff-tree", "-r", "--no-commit-id", "--find-renames").Arg(args...)
		if root {
			c.Arg("--root")
		}
		return c.UserArg(revs...)
	}
	out, err := diffCmd("-z", "--raw", "--numstat").Run(ctx)
	if err != nil {
		return Diff{}, err
	}
	files, err := parseRawNumstat(out)
	if err != nil {
		return Diff{}, err
	}
	var d Diff
	if len(files) > MaxDiffFiles {
		files, d.Truncated = files[:MaxDiffFiles], true
	}
	sections := 0
	for _, f := range files {
		sections += sectionsOf(f)
		d.Additions += f.Additions
		d.Deletions += f.Deletions
	}
	pc := &patchCollector{limit: MaxDiffBytes, lineLimit: MaxDiffFileLines, maxSections: sections}
	if sections > 0 {
		if _, err := diffCmd("-p", "--no-color").Stdout(pc).Run(ctx); err != nil && !pc.stopped {
			return Diff{}, err
		}
		pc.flush()
	}
	next := 0
	for i := range files {
		f := &files[i]
		n := sectionsOf(*f)
		if next+n > len(pc.sections) {
			f.PatchTruncated = true
		}
		var sb strings.Builder
		for ; n > 0 && next < len(pc.sections); n-- {
			s := pc.sections[next]
			sb.Write(s.text)
			f.PatchTruncated = f.PatchTruncated || s.truncated
			next++
		}
		f.Patch = sb.String()
		d.Truncated = d.Truncated || f.PatchTruncated
	}
	d.Files = files
	return d, nil
}

// sectionsOf is how many "diff --git" sections git prints for f: a type
// change is shown as a deletion and a creation.
func sectionsOf(f FileDiff) int {
	if f.Status == FileTypeChanged {
		return 2
	}
	return 1
}

// parseRawNumstat parses `diff-tree -z --raw --numstat` output: every
// file's raw entry, then every file's numstat entry in the same order.
func parseRawNumstat(out []byte) ([]FileDiff, error) {
	tok := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if len(tok) == 1 && tok[0] == "" {
		return nil, nil
	}
	var files []FileDiff
	i := 0
	for i < len(tok) && strings.HasPrefix(tok[i], ":") {
		f := strings.Fields(tok[i][1:])
		if len(f) != 5 || i+1 >= len(tok) {
			return nil, fmt.Errorf("diff-tree: unexpected raw entry %q", tok[i])
		}
		fd := FileDiff{OldMode: f[0], NewMode: f[1], OldPath: tok[i+1], NewPath: tok[i+1]}
		i += 2
		switch f[4][0] {
		case 'A':
			fd.Status, fd.OldPath, fd.OldMode = FileAdded, "", ""
		case 'D':
			fd.Status, fd.NewPath, fd.NewMode = FileDeleted, "", ""
		case 'T':
			fd.Status = FileTypeChanged
		case 'R', 'C':
			if i >= len(tok) {
				return nil, fmt.Errorf("diff-tree: rename without a new path")
			}
			fd.Status, fd.NewPath = FileRenamed, tok[i]
			fd.Similarity, _ = strconv.Atoi(f[4][1:])
			if f[4][0] == 'C' {
				fd.Status, fd.OldPath = FileAdded, ""
			}
			i++
		default: // M, and anything unexpected
			fd.Status = FileModified
		}
		files = append(files, fd)
	}
	for k := range files {
		if i >= len(tok) {
			return nil, fmt.Errorf("diff-tree: %d numstat entries for %d files", k, len(files))
		}
		parts := strings.SplitN(tok[i], "\t", 3)
		if len(parts) != 3 {
			return nil, fmt.Errorf("diff-tree: unexpected numstat entry %q", tok[i])
		}
		i++
		if parts[2] == "" { // a rename: the two paths follow
			i += 2
		}
		f := &files[k]
		if parts[0] == "-" && parts[1] == "-" {
			f.Binary = true
			continue
		}
		f.Additions, _ = strconv.Atoi(parts[0])
		f.Deletions, _ = strconv.Atoi(parts[1])
	}
	return files, nil
}

// patchSection is one "diff --git" section of a patch.
type patchSection struct {
	text      []byte
	lines     int
	truncated bool
}

// patchCollector splits streamed patch text into sections, keeping at most
// lineLimit lines per section and limit bytes in all; once the total limit
// or maxSections is passed it fails its Write, which stops git.
type patchCollector struct {
	limit, lineLimit, maxSections int
	total                         int
	sections                      []patchSection
	line                          []byte // a partial line
	stopped                       bool
}

func (p *patchCollector) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 && !p.stopped {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			p.line = append(p.line, b...)
			if len(p.line) > p.limit-p.total {
				p.cut()
			}
			break
		}
		p.line = append(p.line, b[:i+1]...)
		b = b[i+1:]
		p.addLine(p.line)
		p.line = p.line[:0]
	}
	if p.stopped {
		return n, errCapReached
	}
	return n, nil
}

// flush takes a last line without a newline.
func (p *patchCollector) flush() {
	if len(p.line) > 0 && !p.stopped {
		p.addLine(p.line)
	}
	p.line = nil
}

// cut marks the current section truncated and stops collecting.
func (p *patchCollector) cut() {
	if len(p.sections) > 0 {
		p.sections[len(p.sections)-1].truncated = true
	}
	p.stopped = true
}

func (p *patchCollector) addLine(line []byte) {
	if bytes.HasPrefix(line, []byte("diff --git ")) {
		if len(p.sections) == p.maxSections {
			p.stopped = true
			return
		}
		p.sections = append(p.sections, patchSection{})
	}
	if len(p.sections) == 0 {
		return
	}
	s := &p.sections[len(p.sections)-1]
	switch {
	case s.truncated:
	case s.lines >= p.lineLimit:
		s.truncated = true
	case p.total+len(line) > p.limit:
		p.cut()
	default:
		s.text = append(s.text, line...)
		s.lines++
		p.total += len(line)
	}
}
