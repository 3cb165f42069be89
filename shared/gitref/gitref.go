// Package gitref is the one validator of the git names Hearth accepts from
// outside: object ids (commit SHAs), fully qualified ref names and branch
// names. The control plane checks what users and pushes send; the node agent
// checks what the control plane asks it to check out.
package gitref

import (
	"strings"
	"unicode/utf8"
)

// maxRefName bounds a ref's full name.
const maxRefName = 255

// ValidObjectID reports whether s is a full object id: 40 (SHA-1) or 64
// (SHA-256) lowercase hexadecimal digits. Abbreviations are refused.
func ValidObjectID(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// ValidRefName reports whether name is a fully qualified ref a push may
// write: git's check-ref-format rules (no "..", no control characters,
// space, '~', '^', ':', '?', '*', '[' or '\', no component starting with '.'
// or ending with ".lock", no "@{", no empty component, no trailing '.' or
// '/'), plus Hearth's: under refs/heads/ or refs/tags/, no component starting
// with '-', no branch named HEAD, valid UTF-8, at most 255 bytes.
func ValidRefName(name string) bool {
	if len(name) > maxRefName || !utf8.ValidString(name) {
		return false
	}
	rest, ok := strings.CutPrefix(name, "refs/heads/")
	if !ok {
		rest, ok = strings.CutPrefix(name, "refs/tags/")
	}
	if !ok || rest == "" || rest == "HEAD" || strings.Contains(name, "..") || strings.Contains(name, "@{") ||
		strings.HasSuffix(name, ".") {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c < 0x20 || c == 0x7f {
			return false
		}
		switch c {
		case ' ', '~', '^', ':', '?', '*', '[', '\\':
			return false
		}
	}
	for _, comp := range strings.Split(rest, "/") {
		if comp == "" || comp[0] == '.' || comp[0] == '-' || strings.HasSuffix(comp, ".lock") {
			return false
		}
	}
	return true
}

// ValidBranchName reports whether branch (a short name: "main",
// "release/1.0") names a branch a push may create: ValidRefName of
// refs/heads/<branch>.
func ValidBranchName(branch string) bool {
	return !strings.HasPrefix(branch, "refs/") && ValidRefName("refs/heads/"+branch)
}
