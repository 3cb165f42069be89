package spec

import (
	"path"
	"strings"
)

// Matches reports whether the event runs the job, by its when:
//   - events: the event's kind is listed (empty: every kind);
//   - branches and tags: a refs/heads/ ref must match a branches glob and a
//     refs/tags/ ref a tags glob. A job that sets only branches never runs
//     for tags, one that sets only tags never for branches, and one that
//     sets neither runs for both. Other refs match only when neither is set;
//   - paths: some changed path matches a glob; unknown changes (nil
//     ChangedPaths) match, no changes (empty) do not.
func (j Job) Matches(ev Event) bool {
	if len(j.When.Events) > 0 && !contains(j.When.Events, ev.Kind) {
		return false
	}
	if !j.When.matchesRef(ev.Ref) {
		return false
	}
	if len(j.When.Paths) == 0 || ev.ChangedPaths == nil {
		return true
	}
	for _, changed := range ev.ChangedPaths {
		if anyGlob(j.When.Paths, changed) {
			return true
		}
	}
	return false
}

func (w When) matchesRef(ref string) bool {
	if len(w.Branches) == 0 && len(w.Tags) == 0 {
		return true
	}
	if branch, ok := strings.CutPrefix(ref, "refs/heads/"); ok {
		return anyGlob(w.Branches, branch)
	}
	if tag, ok := strings.CutPrefix(ref, "refs/tags/"); ok {
		return anyGlob(w.Tags, tag)
	}
	return false
}

func anyGlob(patterns []string, name string) bool {
	for _, p := range patterns {
		if MatchGlob(p, name) {
			return true
		}
	}
	return false
}

// MatchGlob matches a slash-separated name against a pattern of the same
// shape, segment by segment: "*" matches any run of characters within a
// segment, "?" one character, "[a-z]" a class (as path.Match), and a
// segment that is exactly "**" matches zero or more whole segments. A
// pattern ending in "/" matches everything below that directory. A
// malformed pattern matches nothing (Parse refuses them).
func MatchGlob(pattern, name string) bool {
	if strings.HasSuffix(pattern, "/") {
		pattern += "**"
	}
	ps := strings.Split(pattern, "/")
	ns := strings.Split(name, "/")
	// ok[j] after processing pattern segment i (from the end) says whether
	// ps[i:] matches ns[j:]; a dynamic programme keeps "**" linear in the
	// number of segments instead of backtracking.
	next := make([]bool, len(ns)+1)
	cur := make([]bool, len(ns)+1)
	next[len(ns)] = true
	for i := len(ps) - 1; i >= 0; i-- {
		if ps[i] == "**" {
			cur[len(ns)] = next[len(ns)]
			for j := len(ns) - 1; j >= 0; j-- {
				cur[j] = next[j] || cur[j+1]
			}
		} else {
			cur[len(ns)] = false
			for j := len(ns) - 1; j >= 0; j-- {
				cur[j] = false
				if next[j+1] {
					m, err := path.Match(ps[i], ns[j])
					cur[j] = err == nil && m
				}
			}
		}
		next, cur = cur, next
	}
	return next[0]
}

// globProblem says what is wrong with a pattern, or "".
func globProblem(p string, kind globKind) string {
	switch {
	case p == "":
		return "is empty"
	case len(p) > MaxPatternBytes:
		return "is too long"
	case strings.HasPrefix(p, "/"):
		return "must be relative: drop the leading /"
	case kind == refGlob && (strings.HasPrefix(p, "refs/heads/") || strings.HasPrefix(p, "refs/tags/")):
		return "must be a branch or tag name: drop the refs/heads/ or refs/tags/"
	}
	for seg := range strings.SplitSeq(strings.TrimSuffix(p, "/"), "/") {
		switch {
		case seg == "":
			return "has an empty segment (//)"
		case seg == "**":
		case kind == artifactGlob && seg == "..":
			return "must stay inside the workspace: no .. segments"
		case strings.Contains(seg, "**"):
			return "uses ** inside a segment; ** must be a whole segment, like docs/** or **/*.md"
		default:
			if _, err := path.Match(seg, ""); err != nil {
				return "is not a valid glob (check [ ] and \\)"
			}
		}
	}
	return ""
}
