package spec

import (
	"fmt"
	"sort"
	"strings"
)

// Error is one problem in a .hearth.yml. Line and Column are 1-based; Column
// is 0 when only the line is known (some YAML syntax errors), and both are 0
// only for problems with the file as a whole (its size).
type Error struct {
	Line, Column int
	Msg          string
}

func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	default:
		return e.Msg
	}
}

// ErrorList is the error Parse returns: at least one *Error, sorted by
// position, at most MaxErrors of them; Omitted counts the ones left out.
// errors.As(err, &e) with e an *Error finds the first.
type ErrorList struct {
	Errors  []*Error
	Omitted int
}

// Error is every problem, one per line.
func (l *ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l.Errors {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	if l.Omitted > 0 {
		fmt.Fprintf(&b, "\n(and %d more %s)", l.Omitted, plural(l.Omitted, "problem", "problems"))
	}
	return b.String()
}

// Unwrap lets errors.As reach the individual errors.
func (l *ErrorList) Unwrap() []error {
	out := make([]error, len(l.Errors))
	for i, e := range l.Errors {
		out[i] = e
	}
	return out
}

// collector gathers problems while the document is walked. Identical
// problems (the same anchor merged twice reports the same line twice) are
// kept once.
type collector struct {
	errs []*Error
	seen map[Error]bool
	more int // problems past maxDistinct, counted without deduplication
}

// stored bounds the memory of a file with very many problems; only the
// first MaxErrors by position are shown anyway, so sorting a larger sample
// loses little.
const stored = 10 * MaxErrors

// maxDistinct bounds the deduplication set: aliases can repeat one problem
// in many jobs, and past this many the count matters, not the detail.
const maxDistinct = 1000

func (c *collector) add(line, col int, format string, args ...any) {
	e := Error{Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
	if c.seen == nil {
		c.seen = make(map[Error]bool)
	}
	if len(c.seen) >= maxDistinct {
		c.more++
		return
	}
	if c.seen[e] {
		return
	}
	c.seen[e] = true
	if len(c.errs) < stored {
		c.errs = append(c.errs, &e)
	}
}

func (c *collector) count() int { return len(c.seen) + c.more }

// list returns nil when there were no problems.
func (c *collector) list() error {
	if c.count() == 0 {
		return nil
	}
	sort.SliceStable(c.errs, func(i, j int) bool {
		a, b := c.errs[i], c.errs[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	shown := c.errs
	if len(shown) > MaxErrors {
		shown = shown[:MaxErrors]
	}
	return &ErrorList{Errors: shown, Omitted: c.count() - len(shown)}
}

// single is an ErrorList of one problem, for those that stop parsing.
func single(line, col int, format string, args ...any) error {
	return &ErrorList{Errors: []*Error{{Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}}}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// suggest returns ` (did you mean "x"?)` for the closest of candidates to
// word, or "" when none is close enough to be a plausible typo.
func suggest(word string, candidates []string) string {
	hint, _ := suggestion(word, candidates)
	return hint
}

// suggestion is suggest also returning the candidate.
func suggestion(word string, candidates []string) (hint, best string) {
	bestDist := 1 << 30
	n := len([]rune(word))
	limit := 2
	if n <= 3 {
		limit = 1
	}
	if limit >= n { // one letter off a two-letter word is not a typo
		limit = n - 1
	}
	lw := strings.ToLower(word)
	for _, c := range candidates {
		d := distance(lw, strings.ToLower(c))
		if d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" || bestDist > limit {
		// A longer or shorter form of a key ("expires" for "expire_in")
		// is too far by edits but plainly meant.
		best = ""
		for _, c := range candidates {
			if commonPrefix(lw, strings.ToLower(c)) >= 5 {
				best = c
				break
			}
		}
		if best == "" {
			return "", ""
		}
	}
	return fmt.Sprintf(" (did you mean %q?)", best), best
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// distance is the optimal string alignment distance (Levenshtein plus
// adjacent transpositions, the commonest typo), over runes. Inputs are
// short keys and job names; long inputs are cut so this stays cheap.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 {
		ra = ra[:64]
	}
	if len(rb) > 64 {
		rb = rb[:64]
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
