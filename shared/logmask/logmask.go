package logmask

import "slices"

// Mask is what replaces a secret in a log.
const Mask = "***"

// MinLen is the shortest value the secrets API accepts. Derived forms
// (lines, encodings, and values given to New) shorter than it are not
// masked: masking every short line or word of a secret would mangle
// ordinary log text.
const MinLen = 8

// Masker finds the patterns derived from a set of secret values (see New).
// Immutable, safe for concurrent use; a nil *Masker masks nothing.
type Masker struct {
	ac       *automaton // nil: no patterns
	patterns [][]byte
	omitted  int
}

// New returns a Masker for values: each value, each line of a multi-line
// value (also trimmed of surrounding white space), their base64 forms
// (standard and URL alphabets, padded and not, standalone and as the
// characters they alone decide inside a longer base64 stream at each of
// the three alignments) and their URL-encoded forms (query and path
// escaping). Forms shorter than MinLen are left out; forms longer than
// 511 bytes are matched in pieces; at most 512 KiB of patterns is kept
// (see Omitted). nil or empty values give a Masker that masks nothing.
//
// Matching is leftmost first and, among matches starting at the same byte,
// longest; matches do not overlap; each is replaced by Mask.
func New(values [][]byte) *Masker {
	patterns, omitted := derive(values)
	m := &Masker{patterns: patterns, omitted: omitted}
	if len(patterns) > 0 {
		m.ac = build(patterns)
	}
	return m
}

// Active reports whether m masks anything.
func (m *Masker) Active() bool { return m != nil && m.ac != nil }

// HoldBack is the longest pattern's length minus one (0 when inactive): at
// most what a Stream keeps back between calls.
func (m *Masker) HoldBack() int {
	if !m.Active() {
		return 0
	}
	return m.ac.maxLen - 1
}

// Omitted is how many derived forms were left out to bound the Masker's
// size (only values of hundreds of KiB in total cause it): those forms of
// the largest values are not masked.
func (m *Masker) Omitted() int {
	if m == nil {
		return 0
	}
	return m.omitted
}

// Patterns returns how many patterns m matches (for logs and metrics; the
// patterns themselves are secrets).
func (m *Masker) Patterns() int {
	if m == nil {
		return 0
	}
	return len(m.patterns)
}

// Stream returns the streaming state for one log.
func (m *Masker) Stream() *Stream { return &Stream{m: m} }

// Stream masks one log fed in pieces of any size: the output of a whole
// log does not depend on how it was cut. Not safe for concurrent use.
type Stream struct {
	m     *Masker
	state int32
	// carry: raw bytes read but not decided yet (they may still be part of
	// a match); at most HoldBack between calls. Positions below are
	// counted from carry[0], continuing into the bytes being written.
	carry []byte
	// cands: matches found that start at or after carry[0], in the order
	// their ends were read.
	cands []match
	fed   uint64
}

type match struct{ start, n int }

// Write feeds p (the log's next raw bytes) and returns the masked bytes
// that are final now. It keeps back only bytes that could still be part
// of a match, never more than HoldBack. The result is a new slice.
func (s *Stream) Write(p []byte) []byte {
	s.fed += uint64(len(p))
	if !s.m.Active() {
		return append([]byte(nil), p...)
	}
	a := s.m.ac
	st, base := s.state, len(s.carry)
	for i, c := range p {
		// next, inlined for the common case of a dense (shallow) state.
		if st < a.nDense {
			st = a.dense[int(st)<<a.shift|int(a.class[c])]
		} else {
			st = a.next(st, c)
		}
		if a.match[st] < 0 {
			continue
		}
		end := base + i + 1
		for t := a.match[st]; t >= 0; t = a.match[a.fail[t]] {
			s.cands = append(s.cands, match{start: end - int(a.depth[t]), n: int(a.depth[t])})
		}
	}
	s.state = st
	// Bytes before the frontier can no longer start a match that has not
	// ended yet: a.ext[st] is the longest suffix read that still could.
	return s.decide(p, base+len(p)-int(a.ext[st]))
}

// Flush ends the log: every byte still kept back is decided (a partial
// match at the end is not a secret) and returned, masked. The Stream may
// be fed again afterwards, as a new log starting at Consumed.
func (s *Stream) Flush() []byte {
	out := s.decide(nil, len(s.carry))
	s.state = 0
	return out
}

// Consumed is how many raw bytes the returned output stands for: a new
// Stream fed the log from this offset returns exactly what this one would
// still return.
func (s *Stream) Consumed() uint64 {
	return s.fed - uint64(len(s.carry))
}

// decide returns the output of the bytes before frontier (positions in
// carry followed by p), whose matches are all known, and keeps the rest
// in carry.
func (s *Stream) decide(p []byte, frontier int) []byte {
	lc := len(s.carry)
	out := make([]byte, 0, lc+len(p))
	text := func(from, to int) {
		if from < lc {
			out = append(out, s.carry[from:min(to, lc)]...)
		}
		if to > lc {
			out = append(out, p[max(from, lc)-lc:to-lc]...)
		}
	}
	// Leftmost first, then longest.
	slices.SortFunc(s.cands, func(x, y match) int {
		if x.start != y.start {
			return x.start - y.start
		}
		return y.n - x.n
	})
	head, kept := 0, 0
	for _, c := range s.cands {
		switch {
		case c.start >= frontier:
			s.cands[kept] = c // a longer match may still start there
			kept++
		case c.start >= head: // else inside a match already taken
			text(head, c.start)
			out = append(out, Mask...)
			head = c.start + c.n
		}
	}
	if head < frontier {
		text(head, frontier)
		head = frontier
	}
	// Rebase what stays on the new carry's start.
	cands := s.cands[:0]
	for _, c := range s.cands[:kept] {
		if c.start >= head {
			cands = append(cands, match{start: c.start - head, n: c.n})
		}
	}
	s.cands = cands
	if head < lc {
		n := copy(s.carry, s.carry[head:])
		s.carry = append(s.carry[:n], p...)
	} else {
		s.carry = append(s.carry[:0], p[head-lc:]...)
	}
	return out
}

// Overwrite masks chunk for a second pass over stored bytes without
// changing its length: it returns a copy of chunk in which every byte of
// every occurrence of a pattern is '*'. An occurrence may start in prev
// (the bytes stored just before chunk; only its last HoldBack bytes
// matter) and must end inside chunk: one running past chunk's end is left
// for the next call, whose prev includes this chunk.
func (m *Masker) Overwrite(prev, chunk []byte) []byte {
	out := append([]byte(nil), chunk...)
	if !m.Active() {
		return out
	}
	a := m.ac
	prev = prev[max(0, len(prev)-m.HoldBack()):]
	var st int32
	for _, c := range prev {
		st = a.next(st, c)
	}
	// [lo, hi): the last run of masked bytes. Matches are found in order
	// of their ends, so a new one either extends that run or starts a new
	// one; each byte is overwritten at most twice.
	lo, hi := 0, 0
	for i, c := range chunk {
		st = a.next(st, c)
		n := a.longest(st)
		if n == 0 {
			continue
		}
		end := i + 1
		start := max(0, end-n)
		if hi > 0 && start <= hi {
			fill(out[hi:end])
			if start < lo {
				fill(out[start:lo])
				lo = start
			}
		} else {
			fill(out[start:end])
			lo = start
		}
		hi = end
	}
	return out
}

func fill(b []byte) {
	for i := range b {
		b[i] = '*'
	}
}
