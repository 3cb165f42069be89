package logmask

import (
	"bytes"
	"encoding/base64"
	"net/url"
	"slices"
)

// Limits on the patterns one Masker holds. A job may carry up to 100
// files of 1 MiB: matching every form of every such value whole would
// cost gigabytes of automaton and hold back megabytes of log.
const (
	// segmentLen: a form longer than 2*segmentLen-1 bytes is matched as
	// consecutive pieces of segmentLen bytes (the last one takes the
	// remainder, so every piece is segmentLen to 2*segmentLen-1 long). An
	// occurrence of the whole form is then masked piece by piece, and
	// HoldBack stays below 2*segmentLen.
	segmentLen = 256
	// maxPatternBytes bounds the bytes of all patterns of a Masker: the
	// automaton costs up to about 25 bytes per pattern byte, so a Masker
	// stays under about 13 MiB. Forms beyond it are left out, least
	// important first (see derive), and counted by Masker.Omitted. A
	// hundred ordinary secrets (tokens, keys, passwords) need about 40 KiB.
	maxPatternBytes = 512 << 10
)

// form tiers, most important first: when the budget runs out, the
// encodings of the largest values go first, their raw bytes last.
const (
	tierRaw = iota
	tierBase64
	tierURL
	tiers
)

// derive returns the patterns to mask for values (deduplicated, each at
// least MinLen and at most 2*segmentLen-1 bytes long) and how many forms
// did not fit in maxPatternBytes.
func derive(values [][]byte) (patterns [][]byte, omitted int) {
	order := slices.Clone(values)
	// Small values first within a tier, so one huge file cannot crowd out
	// every other secret's encodings.
	slices.SortStableFunc(order, func(a, b []byte) int { return len(a) - len(b) })
	seen := map[string]bool{}
	budget := maxPatternBytes
	for tier := range tiers {
		for _, v := range order {
			if len(v) < MinLen {
				continue
			}
			var fresh [][]byte
			mine := map[string]bool{}
			size := 0
			for _, f := range forms(v, tier) {
				for _, p := range segments(f) {
					if len(p) < MinLen || seen[string(p)] || mine[string(p)] {
						continue
					}
					mine[string(p)] = true
					fresh = append(fresh, p)
					size += len(p)
				}
			}
			if size > budget {
				omitted += len(fresh)
				continue
			}
			budget -= size
			for p := range mine {
				seen[p] = true
			}
			patterns = append(patterns, fresh...)
		}
	}
	return patterns, omitted
}

// forms returns the forms of v of one tier (possibly short or repeated:
// derive filters them).
func forms(v []byte, tier int) [][]byte {
	lines := splitLines(v)
	switch tier {
	case tierRaw:
		out := [][]byte{v}
		for _, l := range lines {
			out = append(out, l, bytes.TrimSpace(l))
		}
		return out
	case tierBase64:
		var out [][]byte
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
			padded := []byte(enc.EncodeToString(v))
			out = append(out, padded, bytes.TrimRight(padded, "="))
			for offset := range 3 {
				out = append(out, embedded(enc.WithPadding(base64.NoPadding), v, offset))
			}
		}
		return out
	case tierURL:
		var out [][]byte
		for _, s := range append([][]byte{v}, lines...) {
			for _, e := range []string{url.QueryEscape(string(s)), url.PathEscape(string(s))} {
				if e != string(s) {
					out = append(out, []byte(e))
				}
			}
		}
		return out
	}
	return nil
}

// splitLines returns the lines of a multi-line value (a trailing \r
// stripped), or nil for a single line.
func splitLines(v []byte) [][]byte {
	if !bytes.ContainsRune(v, '\n') {
		return nil
	}
	lines := bytes.Split(v, []byte{'\n'})
	for i, l := range lines {
		lines[i] = bytes.TrimSuffix(l, []byte{'\r'})
	}
	return lines
}

// embedded returns the characters of base64 that v's bytes alone decide
// when v sits offset bytes (0-2) past a 3-byte boundary of a longer
// encoded stream: base64 of a file holding the secret, or of
// "$SECRET\n". Character k stands for bits [6k, 6k+6) of the stream; v
// holds bits [8*offset, 8*(offset+len(v))), so the characters wholly
// inside are k = ceil(8*offset/6) … floor(8*(offset+len(v))/6)-1. The
// filler bytes are arbitrary: those characters do not depend on them.
func embedded(enc *base64.Encoding, v []byte, offset int) []byte {
	buf := make([]byte, offset+len(v))
	copy(buf[offset:], v)
	s := enc.EncodeToString(buf)
	first := (8*offset + 5) / 6
	end := 8 * (offset + len(v)) / 6
	if first >= end {
		return nil
	}
	return []byte(s[first:end])
}

// segments splits a form longer than 2*segmentLen-1 into pieces of
// segmentLen bytes, the last one taking the remainder.
func segments(f []byte) [][]byte {
	if len(f) < 2*segmentLen {
		return [][]byte{f}
	}
	var out [][]byte
	for len(f) >= 2*segmentLen {
		out = append(out, f[:segmentLen])
		f = f[segmentLen:]
	}
	return append(out, f)
}
