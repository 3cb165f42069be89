package logfield_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// fieldMethods are zerolog's Event and Context methods whose first
// argument is a field name.
var fieldMethods = map[string]bool{
	"Str": true, "Strs": true, "Stringer": true, "Int": true, "Ints": true, "Int8": true, "Int16": true, "Int32": true,
	"Int64": true, "Uint": true, "Uint8": true, "Uint16": true, "Uint32": true, "Uint64": true, "Float32": true,
	"Float64": true, "Bool": true, "Bools": true, "Dur": true, "Time": true, "TimeDiff": true, "Any": true,
	"Interface": true, "Bytes": true, "Hex": true, "RawJSON": true, "Dict": true, "AnErr": true, "IPAddr": true,
	"Object": true, "Array": true, "Errs": true, "Type": true,
}

// chainEnds are the calls that end a zerolog event or context chain; a
// chain without one is not a log call (flag.FlagSet.Bool, for instance).
var chainEnds = map[string]bool{"Msg": true, "Msgf": true, "MsgFunc": true, "Send": true, "Logger": true}

// TestNoLiteralLogKeys: every structured log field is named by a logfield
// constant, in every non-test, non-generated file of the repository, so
// the same thing is logged under the same key everywhere.
func TestNoLiteralLogKeys(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "gen", "node_modules", ".git", ".tools", ".worktrees", "testdata":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		files++
		for _, v := range literalKeys(t, path) {
			rel, _ := filepath.Rel(root, path)
			t.Errorf("%s:%s: log field named by a literal; add or use a logfield constant", rel, v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("walked only %d Go files from %s; the check would prove nothing", files, root)
	}
}

// literalKeys returns the positions of log calls whose field name is a
// string literal.
func literalKeys(t *testing.T, path string) []string {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || !endsLogChain(call) {
			return true
		}
		// Walk down the chain: a.B(x).C(y).Msg(z).
		for e := ast.Expr(call); ; {
			c, ok := e.(*ast.CallExpr)
			if !ok {
				break
			}
			sel, ok := c.Fun.(*ast.SelectorExpr)
			if !ok {
				break
			}
			if fieldMethods[sel.Sel.Name] && len(c.Args) > 0 {
				if lit, ok := c.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					found = append(found, fset.Position(lit.Pos()).String()[len(path)+1:])
				}
			}
			e = sel.X
		}
		return false // the chain's inner calls were just visited
	})
	return found
}

func endsLogChain(call *ast.CallExpr) bool {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	return ok && chainEnds[sel.Sel.Name]
}
