package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Parse parses and validates a .hearth.yml. Its error is always an
// *ErrorList naming the line and column of each problem (see Error).
func Parse(data []byte) (*Pipeline, error) {
	if len(data) > MaxFileBytes {
		// Checked before anything reads the content, so a huge file is cheap
		// to refuse.
		return nil, single(0, 0, "the file is %d bytes; .hearth.yml may be at most 1 MiB (%d bytes)", len(data), MaxFileBytes)
	}
	if err := checkText(data); err != nil {
		return nil, err
	}
	root, err := readYAML(data)
	if err != nil {
		return nil, err
	}
	d := &decoder{}
	p := d.pipeline(root)
	if err := d.errs.list(); err != nil {
		return nil, err
	}
	return p, nil
}

// checkText refuses what YAML cannot hold before the YAML parser sees it,
// because the parser reports these without a position: other encodings,
// invalid UTF-8 and control characters (YAML's printable set, spec 5.1).
func checkText(data []byte) error {
	if bytes.HasPrefix(data, []byte{0xFE, 0xFF}) || bytes.HasPrefix(data, []byte{0xFF, 0xFE}) {
		return single(1, 1, "the file is UTF-16; save it as UTF-8")
	}
	line, col := 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return single(line, col, "the file is not valid UTF-8 (byte 0x%02X); save it as UTF-8", data[i])
		case r == '\n':
			line, col = line+1, 0
		case !printable(r):
			return single(line, col, "control character %U is not allowed in YAML; write it as an escape in a double-quoted string", r)
		}
		i += size
		col++
	}
	return nil
}

func printable(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r' || r == 0x85:
		return true
	case r >= 0x20 && r <= 0x7E:
		return true
	case r >= 0xA0 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
		return true
	}
	return false
}

// readYAML returns the document's root node: exactly one document.
func readYAML(data []byte) (root *yaml.Node, err error) {
	defer func() {
		// The YAML library is third-party code fed untrusted input; a panic
		// in it must become a refused file, not a crashed request.
		if r := recover(); r != nil {
			root, err = nil, single(1, 0, "invalid YAML: the parser failed (%v)", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, single(1, 1, `the file is empty: it needs a "jobs:" mapping`)
		}
		return nil, yamlError(err, data)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, yamlError(err, data)
	default:
		return nil, single(extra.Line, extra.Column, `the file holds more than one YAML document ("---"); put everything in one`)
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		return doc.Content[0], nil
	}
	return &doc, nil
}

var (
	yamlLineError = regexp.MustCompile(`(?s)^yaml: line (\d+): (.*)$`)
	unknownAnchor = regexp.MustCompile(`^yaml: unknown anchor '(.*)' referenced$`)
)

// yamlError turns a syntax error of the YAML library ("yaml: line 3: ...")
// into an Error, recovering the position where the library gives none.
func yamlError(err error, data []byte) error {
	msg := err.Error()
	if m := yamlLineError.FindStringSubmatch(msg); m != nil {
		line, convErr := strconv.Atoi(m[1])
		if parserProblem(m[2]) {
			// The library prints the scanner's lines 1-based but the
			// parser's 0-based (yaml.v3's parser.fail adds 1 only for
			// scanner errors).
			line++
		}
		if convErr != nil || line < 1 {
			line = 1
		}
		aboutTab := strings.Contains(m[2], "tab")
		if aboutTab || m[2] == "found character that cannot start any token" {
			if tl, col := tabNear(data, line, aboutTab); col > 0 {
				return single(tl, col, "invalid YAML: a tab indents this line; YAML allows only spaces for indentation")
			}
		}
		return single(line, 0, "invalid YAML: %s%s", m[2], syntaxHint(m[2]))
	}
	if m := unknownAnchor.FindStringSubmatch(msg); m != nil {
		line, col := position(data, bytes.Index(data, []byte("*"+m[1])))
		return single(line, col, "invalid YAML: alias *%s refers to no anchor (define &%s before using it)", m[1], m[1])
	}
	// The library reports a few problems (nesting too deep) without a line.
	return single(1, 0, "invalid YAML: %s", strings.TrimPrefix(msg, "yaml: "))
}

// parserProblem reports whether msg is one of the YAML parser's (rather
// than its scanner's) problems, whose line the library prints 0-based.
func parserProblem(msg string) bool {
	switch msg {
	case "did not find expected <stream-start>",
		"did not find expected <document start>",
		"found undefined tag handle",
		"did not find expected node content",
		"did not find expected '-' indicator",
		"did not find expected key",
		"did not find expected ',' or ']'",
		"did not find expected ',' or '}'",
		"found duplicate %YAML directive",
		"found incompatible YAML document",
		"found duplicate %TAG directive":
		return true
	}
	return false
}

// syntaxHint suggests the usual cause of a YAML syntax error.
func syntaxHint(msg string) string {
	switch {
	case parserProblem(msg):
		return " (check the indentation and brackets around here)"
	case msg == "mapping values are not allowed in this context":
		return ` (quote a value that contains ": ", or check the indentation)`
	case msg == "found character that cannot start any token":
		return " (quote a value that starts with @, ` or a tab)"
	}
	return ""
}

// tabNear finds a tab in the indentation of line or the next one (where the
// library's line tends to point for tab problems), or, when the message is
// about a tab, of any later line. col is 0 when there is none.
func tabNear(data []byte, line int, anyLater bool) (tabLine, col int) {
	last := line + 1
	if anyLater {
		last = bytes.Count(data, []byte("\n")) + 1
	}
	for l := line; l <= last; l++ {
		if c := leadingTab(data, l); c > 0 {
			return l, c
		}
	}
	return 0, 0
}

// leadingTab returns the 1-based column of a tab in line's indentation, or 0.
func leadingTab(data []byte, line int) int {
	lines := bytes.Split(data, []byte("\n"))
	if line > len(lines) {
		return 0
	}
	for i, c := range lines[line-1] {
		switch c {
		case ' ':
		case '\t':
			return i + 1
		default:
			return 0
		}
	}
	return 0
}

// position converts a byte offset into a 1-based line and column (in
// characters, as the YAML library counts). A negative offset is line 1.
func position(data []byte, off int) (line, col int) {
	if off < 0 || off > len(data) {
		return 1, 0
	}
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	start := bytes.LastIndexByte(before, '\n') + 1
	return line, utf8.RuneCount(before[start:]) + 1
}

// quote quotes a user-supplied string for a message, cut to a readable length.
func quote(s string) string {
	const maxRunes = 64
	if utf8.RuneCountInString(s) > maxRunes {
		s = string([]rune(s)[:maxRunes]) + "…"
	}
	return strconv.Quote(s)
}

func prefix(ctx string) string {
	if ctx == "" {
		return ""
	}
	return ctx + ": "
}

func humanBytes(n int) string {
	if n%(1<<10) == 0 {
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
