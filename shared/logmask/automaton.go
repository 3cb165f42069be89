package logmask

import (
	"bytes"
	"slices"
)

// The shallowest states, where a log's bytes spend most of their time,
// get a full transition row (one entry per byte class): those of depth at
// most denseDepth, at most denseStates of them. Deeper states keep only
// their children and fall back along failure links. Rows for every state
// would cost hundreds of bytes per pattern byte; these cost a few KiB for
// a job with one secret and about 130 KiB for a hundred (a control plane
// caches thousands of maskers).
const (
	denseDepth  = 2
	denseStates = 1024
)

// automaton is an Aho–Corasick automaton over a set of byte patterns.
// States are numbered in breadth-first order, so a state's failure target
// and every state shallower than it have smaller numbers; 0 is the root.
// The children of a state are consecutive states, in increasing byte order.
// Immutable once built.
type automaton struct {
	key    []byte  // the byte leading from the state's parent to it
	first  []int32 // the state's first child (meaningless when nchild is 0)
	nchild []int32
	fail   []int32 // the longest proper suffix of the state's string that is a state
	depth  []int32 // the length of the state's string
	// match: the deepest state of the failure chain (the state included)
	// whose string is a pattern, or -1. The patterns ending at a position
	// are match[s], match[fail[match[s]]], … while ≥ 0.
	match []int32
	// ext: the depth of the deepest state of the failure chain (the state
	// included) that has children: the longest suffix of the text read so
	// far that a later byte could still extend into a pattern.
	ext []int32
	// class: bytes that occur in no pattern share class 0 (they lead every
	// state back to the root); each other byte has its own.
	class [256]uint16
	shift uint    // a row holds 1<<shift ≥ classes entries
	dense []int32 // dense[s<<shift|class[c]]: the transition of state s < nDense on c
	// nDense: states below it have a row in dense.
	nDense int32
	maxLen int
}

// build returns the automaton of patterns (non-empty; duplicates allowed).
func build(patterns [][]byte) *automaton {
	tKey, tFirst, tSib, tTerm := trie(patterns)
	n := len(tKey)
	// Renumber breadth-first (so the children of a state are consecutive).
	order := make([]int32, 1, n)
	a := &automaton{
		key: make([]byte, n), first: make([]int32, n), nchild: make([]int32, n),
		fail: make([]int32, n), depth: make([]int32, n), match: make([]int32, n),
		ext: make([]int32, n),
	}
	term := make([]bool, n)
	for i := 0; i < len(order); i++ {
		old := order[i]
		a.key[i], term[i] = tKey[old], tTerm[old]
		a.first[i] = int32(len(order)) //nolint:gosec // G115: states are bounded by maxPatternBytes
		for c := tFirst[old]; c >= 0; c = tSib[c] {
			a.depth[len(order)] = a.depth[i] + 1
			order = append(order, c)
		}
		a.nchild[i] = int32(len(order)) - a.first[i] //nolint:gosec // G115: as above
		a.maxLen = max(a.maxLen, int(a.depth[i]))
	}
	classes := 1
	for _, p := range patterns {
		for _, c := range p {
			if a.class[c] == 0 {
				a.class[c] = uint16(classes)
				classes++
			}
		}
	}
	for 1<<a.shift < classes {
		a.shift++
	}
	for a.nDense < int32(min(n, denseStates)) && a.depth[a.nDense] <= denseDepth {
		a.nDense++
	}
	width := 1 << a.shift
	a.dense = make([]int32, int(a.nDense)<<a.shift)
	for s := range int32(n) { //nolint:gosec // G115: as above
		if s < a.nDense {
			// The failure target is shallower, so its row is complete.
			row := a.dense[int(s)<<a.shift:][:width]
			if s != 0 {
				copy(row, a.dense[int(a.fail[s])<<a.shift:][:width])
			}
			for c := a.first[s]; c < a.first[s]+a.nchild[s]; c++ {
				row[a.class[a.key[c]]] = c
			}
		}
		for c := a.first[s]; c < a.first[s]+a.nchild[s]; c++ {
			if s != 0 {
				a.fail[c] = a.next(a.fail[s], a.key[c])
			}
		}
		a.match[s], a.ext[s] = -1, 0
		if s != 0 {
			a.match[s], a.ext[s] = a.match[a.fail[s]], a.ext[a.fail[s]]
		}
		if term[s] {
			a.match[s] = s
		}
		if a.nchild[s] > 0 {
			a.ext[s] = a.depth[s]
		}
	}
	return a
}

// trie builds the trie of patterns in creation order (root 0): its nodes'
// byte, first child, next sibling (-1: none) and whether a pattern ends
// there. Patterns are inserted sorted, so each shares the path of the
// previous one up to their common prefix and a node's children are created
// in increasing byte order, without a lookup structure.
func trie(patterns [][]byte) (key []byte, first, sib []int32, term []bool) {
	sorted := slices.Clone(patterns)
	slices.SortFunc(sorted, bytes.Compare)
	key, first, sib, term = []byte{0}, []int32{-1}, []int32{-1}, []bool{false}
	last := []int32{-1} // each node's last child
	path := []int32{0}  // the nodes of the previous pattern, by depth
	var prev []byte
	for _, p := range sorted {
		common := 0
		for common < len(prev) && common < len(p) && prev[common] == p[common] {
			common++
		}
		path = path[:common+1]
		for _, c := range p[common:] {
			parent := path[len(path)-1]
			id := int32(len(key)) //nolint:gosec // G115: bounded by maxPatternBytes
			key, first, sib, term, last = append(key, c), append(first, -1), append(sib, -1), append(term, false), append(last, -1)
			if first[parent] < 0 {
				first[parent] = id
			} else {
				sib[last[parent]] = id
			}
			last[parent] = id
			path = append(path, id)
		}
		term[path[len(p)]] = true
		prev = p
	}
	return key, first, sib, term
}

// next is the transition from state s on byte c.
func (a *automaton) next(s int32, c byte) int32 {
	for s >= a.nDense {
		for k := a.first[s]; k < a.first[s]+a.nchild[s]; k++ {
			if a.key[k] == c {
				return k
			}
		}
		s = a.fail[s]
	}
	return a.dense[int(s)<<a.shift|int(a.class[c])]
}

// longest is the length of the longest pattern ending in state s (0: none).
func (a *automaton) longest(s int32) int {
	if m := a.match[s]; m >= 0 {
		return int(a.depth[m])
	}
	return 0
}
