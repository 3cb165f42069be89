package charts

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The files that define the binaries' flags. The charts' module cannot
// import them (they are internal to their modules, and linking the
// control plane would bring PostgreSQL and Raft into this test), so the
// test reads their source.
var (
	hearthFlagsFile = filepath.Join("..", "controlplane", "internal", "config", "config.go")
	agentFlagsFile  = filepath.Join("..", "nodeagent", "internal", "agentcli", "config.go")
)

var flagName = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// hearthFlags are the flags `hearth server` defines: the name argument of
// every fs.<Type>Var / fs.<Type> call in config.Parse.
func hearthFlags(t *testing.T) map[string]bool {
	t.Helper()
	flags := map[string]bool{}
	ast.Inspect(parseFile(t, hearthFlagsFile), func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if x, ok := sel.X.(*ast.Ident); !ok || x.Name != "fs" {
			return true
		}
		for _, arg := range call.Args {
			if s, ok := stringLit(arg); ok {
				if flagName.MatchString(s) {
					flags[s] = true
				}
				break
			}
		}
		return true
	})
	if len(flags) < 30 || !flags["database-url"] {
		t.Fatalf("found only %d flags in %s: has config.Parse changed shape?", len(flags), hearthFlagsFile)
	}
	return flags
}

// agentFlags are the names in agentcli's settings table.
func agentFlags(t *testing.T) map[string]bool {
	t.Helper()
	flags := map[string]bool{}
	ast.Inspect(parseFile(t, agentFlagsFile), func(n ast.Node) bool {
		spec, ok := n.(*ast.ValueSpec)
		if !ok || len(spec.Names) != 1 || spec.Names[0].Name != "settings" || len(spec.Values) != 1 {
			return true
		}
		table, ok := spec.Values[0].(*ast.CompositeLit)
		if !ok {
			return true
		}
		for _, elt := range table.Elts {
			if row, ok := elt.(*ast.CompositeLit); ok && len(row.Elts) > 0 {
				if s, ok := stringLit(row.Elts[0]); ok {
					flags[s] = true
				}
			}
		}
		return false
	})
	if len(flags) < 10 || !flags["kube-helper-image"] {
		t.Fatalf("found only %d flags in %s: has the settings table changed shape?", len(flags), agentFlagsFile)
	}
	return flags
}

func parseFile(t *testing.T, path string) *ast.File {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// TestFlagsAreReal: every HEARTH_* variable the hearth chart sets, and
// every HEARTH_AGENT_* variable and --flag of the agent chart, names a
// flag the binary defines, with every option on.
func TestFlagsAreReal(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			prefix, known := "HEARTH_", hearthFlags(t)
			if c.chart == agentChart {
				prefix, known = "HEARTH_AGENT_", agentFlags(t)
			}
			objs := mustRender(t, c.chart, values(t, c.values))
			workloads := append(ofKind(objs, "StatefulSet"), ofKind(objs, "Deployment")...)
			if len(workloads) != 1 {
				t.Fatalf("%d workloads rendered, want 1", len(workloads))
			}
			ctr := containerOf(t, workloads[0])
			var used []string
			for _, e := range ctr.Env {
				if !strings.HasPrefix(e.Name, "HEARTH_") {
					continue
				}
				name, ok := strings.CutPrefix(e.Name, prefix)
				if !ok {
					t.Errorf("%s: the binary reads %s* variables only", e.Name, prefix)
					continue
				}
				used = append(used, strings.ReplaceAll(strings.ToLower(name), "_", "-"))
			}
			for _, a := range ctr.Args {
				if name, ok := strings.CutPrefix(a, "--"); ok {
					used = append(used, strings.SplitN(name, "=", 2)[0])
				}
			}
			for _, f := range used {
				if !known[f] {
					t.Errorf("--%s is not a flag of %s (known: %v)", f, c.chart, sortedKeys(known))
				}
			}
			if len(used) < 5 {
				t.Errorf("only %v set", used)
			}
		})
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
