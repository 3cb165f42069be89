// Command authzmutants plants authorization mutants in a copy of the
// repository (never in the checkout itself), for scripts/authz-mutants.sh.
//
// Every mutant is compiled in at once, each behind a switch the test
// process flips at run time ("mutant schemata"), so the copy is built once
// and the authorization tables run once per mutant in one process. A
// mutant removes one authorization decision:
//
//   - rule: one RPC's declared rule, changed where the interceptor reads
//     it (made Public, its permission dropped, its project or group
//     extractor dropped, its per-request needs dropped); the table sees the
//     changed rule as the server does (server.MutateRule);
//   - check: one `if` of the interceptor (controlplane/internal/server/
//     authz.go) that refuses, made never to refuse;
//   - call: one call outside rbac to the authorizer or a check of the same
//     kind (Authorize, AuthorizeGroup, CheckGrant, CheckCSRF,
//     AuthErrorFrom, refuseTokenAccountChange, CheckCaller) made to pass,
//     and Effective made to return every permission;
//   - need: one per-request need (a function returning []access.Need)
//     dropped.
//
// It writes the switches (controlplane/internal/mutant) and the list of
// sites (controlplane/internal/server/zz_mutants.go) and prints the sites.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

const (
	module     = "github.com/hearth-dev/hearth/controlplane"
	mutantPkg  = module + "/internal/mutant"
	authzFile  = "controlplane/internal/server/authz.go"
	sitesFile  = "controlplane/internal/server/zz_mutants.go"
	switchFile = "controlplane/internal/mutant/mutant.go"
)

// passCalls are calls answering an error that refuse: a mutant makes them
// answer nil.
var passCalls = map[string]bool{
	"Authorize": true, "AuthorizeGroup": true, "CheckGrant": true, "CheckCSRF": true,
	"AuthErrorFrom": true, "refuseTokenAccountChange": true, "CheckCaller": true,
}

// interceptorSkip are functions of authz.go that decide nothing about a
// request: start-up checks of the declarations and plumbing. An if right
// after a call of one of them only passes its error on.
var interceptorSkip = map[string]bool{
	"proceduresOf": true, "checkDeclared": true, "checkRule": true, "newRequestMessage": true,
	"Receive": true, "sideEffectFree": true, "methodOf": true, "unauthenticated": true,
}

// equivalent are interceptor checks whose removal no request can observe,
// by function and "init; condition", with the reason. The test keeps the
// reasons it can check true (see checkEquivalentReasons).
var equivalent = map[[2]string]string{
	{"check", "!ok"}: "unreachable: the server refuses to start when a served RPC has no rule",
	{"check", "target, err = rule.Group(ctx, req); err != nil"}: "ignoring it, AuthorizeGroup answers the unknown group (uuid.Nil) as the extractor answers a missing one: NotFound, 401 when anonymous",
}

// equivalentCalls are calls whose result decides nothing, by enclosing
// function and call name.
var equivalentCalls = map[[2]string]string{
	{"GetMe", "Effective"}: "GetMe reports the caller's permissions; it decides nothing",
	// Credentials that fail to authenticate leave the request's principal
	// anonymous, which these handlers answer 401 (with the challenge) too.
	{"refusal", "AuthErrorFrom"}:      "a caller whose credentials failed is anonymous: anonymousNotFound answers it 401 as well",
	{"adminMetrics", "AuthErrorFrom"}: "a caller whose credentials failed is anonymous: Authorize answers it 401 as well",
}

// edit replaces [start, end) of a file's source.
type edit struct {
	start, end int
	text       string
}

type site struct {
	id          int
	where, what string
}

type mutator struct {
	root  string
	fset  *token.FileSet
	sites []site
}

func main() {
	root := flag.String("root", "", "the repository copy to mutate (never the checkout)")
	flag.Parse()
	if *root == "" {
		fmt.Fprintln(os.Stderr, "usage: authzmutants -root DIR")
		os.Exit(2)
	}
	if _, err := os.Stat(filepath.Join(*root, ".git")); err == nil {
		fmt.Fprintln(os.Stderr, "authzmutants: refusing to mutate a git checkout; give it a copy")
		os.Exit(2)
	}
	m := &mutator{root: *root, fset: token.NewFileSet()}
	if err := m.run(); err != nil {
		fmt.Fprintln(os.Stderr, "authzmutants:", err)
		os.Exit(1)
	}
}

func (m *mutator) run() error {
	var files []string
	base := filepath.Join(m.root, "controlplane", "internal")
	err := filepath.WalkDir(base, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(m.root, path)
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir() && (strings.HasSuffix(rel, "/internal/db") || rel == "controlplane/internal/rbac" || rel == "controlplane/internal/access" || rel == "controlplane/internal/mutant"):
			// rbac is the authorizer itself and access its vocabulary
			// (NeedOn builds needs, it does not pick them); sqlc code
			// decides nothing.
			return filepath.SkipDir
		case d.IsDir(), !strings.HasSuffix(rel, ".go"), strings.HasSuffix(rel, "_test.go"):
			return nil
		}
		files = append(files, rel)
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(files)
	for _, f := range files {
		if err := m.file(f); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
	}
	if err := m.write(switchFile, switchSource); err != nil {
		return err
	}
	if err := m.write(sitesFile, m.sitesSource()); err != nil {
		return err
	}
	for _, s := range m.sites {
		fmt.Printf("%4d  %s  %s\n", s.id, s.where, s.what)
	}
	fmt.Printf("%d code sites mutated (rule mutants are enumerated by the test from the served rules)\n", len(m.sites))
	return nil
}

func (m *mutator) write(rel, src string) error {
	path := filepath.Join(m.root, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(src), 0o644) //nolint:gosec // G306: source in a scratch copy
}

func (m *mutator) add(at token.Pos, what string) int {
	pos := m.fset.Position(at)
	rel, _ := filepath.Rel(m.root, pos.Filename)
	id := len(m.sites) + 1
	m.sites = append(m.sites, site{id: id, where: fmt.Sprintf("%s:%d", filepath.ToSlash(rel), pos.Line), what: what})
	return id
}

// isReceiver reports whether e is fn's receiver.
func isReceiver(fn *ast.FuncDecl, e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	if !ok || fn.Recv == nil || len(fn.Recv.List) == 0 || len(fn.Recv.List[0].Names) == 0 {
		return false
	}
	return fn.Recv.List[0].Names[0].Name == id.Name
}

// file plants the mutants of one file.
func (m *mutator) file(rel string) error {
	path := filepath.Join(m.root, rel)
	src, err := os.ReadFile(path) //nolint:gosec // G304: a file of the copy the caller named
	if err != nil {
		return err
	}
	f, err := parser.ParseFile(m.fset, path, src, parser.ParseComments)
	if err != nil {
		return err
	}
	off := func(p token.Pos) int { return m.fset.Position(p).Offset }
	text := func(n ast.Node) string { return string(src[off(n.Pos()):off(n.End())]) }
	var edits []edit
	wrap := func(n ast.Node, before, after string) {
		edits = append(edits, edit{off(n.Pos()), off(n.Pos()), before}, edit{off(n.End()), off(n.End()), after})
	}
	interceptor := rel == authzFile

	var visit func(fn *ast.FuncDecl, body *ast.BlockStmt, needs bool)
	visit = func(fn *ast.FuncDecl, body *ast.BlockStmt, needs bool) {
		// passOn: ifs that only pass on the error of a plumbing call.
		passOn := map[*ast.IfStmt]bool{}
		ast.Inspect(body, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.BlockStmt:
				for i := 1; i < len(x.List); i++ {
					if as, ok := x.List[i-1].(*ast.AssignStmt); ok && len(as.Rhs) == 1 {
						if c, ok := as.Rhs[0].(*ast.CallExpr); ok && interceptorSkip[callName(c)] {
							if is, ok := x.List[i].(*ast.IfStmt); ok {
								passOn[is] = true
							}
						}
					}
				}
			case *ast.FuncLit:
				// A closure (say, a rule's Also) returns what its own
				// type says.
				visit(fn, x.Body, returnsNeeds(x.Type))
				return false
			case *ast.IfStmt:
				cond := oneLine(text(x.Cond))
				key := cond
				if x.Init != nil {
					key = oneLine(text(x.Init)) + "; " + cond
				}
				if !interceptor || interceptorSkip[fn.Name.Name] || passOn[x] || !refuses(fn, x.Body) {
					break
				}
				if why, ok := equivalent[[2]string{fn.Name.Name, key}]; ok {
					fmt.Printf("skip  %s:%d  if %s: %s\n", rel, m.fset.Position(x.Pos()).Line, key, why)
					break
				}
				id := m.add(x.Pos(), "check: if "+cond+" (never refuses)")
				wrap(x.Cond, fmt.Sprintf("!mutant.On(%d) && (", id), ")")
			case *ast.SelectorExpr:
				if interceptor && x.Sel.Name == "rules" && isReceiver(fn, x.X) {
					wrap(x, "mutateRules(", ")")
				}
			case *ast.CallExpr:
				name := callName(x)
				why, skip := equivalentCalls[[2]string{fn.Name.Name, name}]
				switch {
				case interceptor:
				case skip && (passCalls[name] || name == "Effective"):
					fmt.Printf("skip  %s:%d  %s: %s\n", rel, m.fset.Position(x.Pos()).Line, oneLine(text(x)), why)
				case passCalls[name]:
					id := m.add(x.Pos(), "call: "+oneLine(text(x))+" (passes)")
					wrap(x, fmt.Sprintf("mutant.Err(%d, ", id), ")")
				case name == "Effective":
					id := m.add(x.Pos(), "call: "+oneLine(text(x))+" (holds every permission)")
					wrap(x, fmt.Sprintf("mutant.Widen(%d, access.All)(", id), ")")
				}
			case *ast.ReturnStmt:
				if needs && len(x.Results) == 2 && !isNil(x.Results[0]) {
					id := m.add(x.Pos(), "need: return "+oneLine(text(x.Results[0]))+" (dropped)")
					wrap(x.Results[0], fmt.Sprintf("mutant.Drop(%d, ", id), ")")
				}
			}
			return true
		})
	}
	for _, decl := range f.Decls {
		if fn, ok := decl.(*ast.FuncDecl); ok && fn.Body != nil {
			visit(fn, fn.Body, returnsNeeds(fn.Type))
		}
	}
	if len(edits) == 0 {
		return nil
	}
	edits = append(edits, importEdit(f, off))
	sort.SliceStable(edits, func(i, j int) bool { return edits[i].start > edits[j].start })
	out := src
	for _, e := range edits {
		out = append(out[:e.start:e.start], append([]byte(e.text), out[e.end:]...)...)
	}
	return os.WriteFile(path, out, 0o644) //nolint:gosec // G306: source in a scratch copy
}

// importEdit adds the mutant package to the file's imports.
func importEdit(f *ast.File, off func(token.Pos) int) edit {
	spec := "mutant \"" + mutantPkg + "\"\n"
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.IMPORT {
			if g.Lparen.IsValid() {
				return edit{off(g.Lparen) + 1, off(g.Lparen) + 1, "\n\t" + spec}
			}
			return edit{off(g.Pos()), off(g.Pos()), "import " + spec}
		}
	}
	return edit{off(f.Name.End()), off(f.Name.End()), "\n\nimport " + spec}
}

// refuses reports whether body returns an error directly: its last result
// is neither nil nor a call going on with the request (a method of fn's
// receiver, or next): an if choosing a branch is not a check.
func refuses(fn *ast.FuncDecl, body *ast.BlockStmt) bool {
	for _, s := range body.List {
		r, ok := s.(*ast.ReturnStmt)
		if !ok || len(r.Results) == 0 {
			continue
		}
		last := r.Results[len(r.Results)-1]
		if isNil(last) {
			continue
		}
		if c, ok := last.(*ast.CallExpr); ok {
			if sel, ok := c.Fun.(*ast.SelectorExpr); ok && isReceiver(fn, sel.X) {
				continue
			}
			if id, ok := c.Fun.(*ast.Ident); ok && id.Name == "next" {
				continue
			}
		}
		return true
	}
	return false
}

// returnsNeeds reports whether a function of type ft returns
// ([]access.Need, error) or ([]Need, error): what a request needs.
func returnsNeeds(ft *ast.FuncType) bool {
	res := ft.Results
	if res == nil || len(res.List) != 2 {
		return false
	}
	arr, ok := res.List[0].Type.(*ast.ArrayType)
	if !ok {
		return false
	}
	switch t := arr.Elt.(type) {
	case *ast.SelectorExpr:
		return t.Sel.Name == "Need"
	case *ast.Ident:
		return t.Name == "Need"
	}
	return false
}

func callName(c *ast.CallExpr) string {
	switch f := c.Fun.(type) {
	case *ast.SelectorExpr:
		return f.Sel.Name
	case *ast.Ident:
		return f.Name
	}
	return ""
}

func isNil(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == "nil"
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 100 {
		s = s[:97] + "..."
	}
	return s
}

func (m *mutator) sitesSource() string {
	var b bytes.Buffer
	b.WriteString(`// Code generated by scripts/authzmutants in a scratch copy; DO NOT EDIT.

package server

import (
	"maps"

	"github.com/hearth-dev/hearth/controlplane/internal/mutant"
	"github.com/hearth-dev/hearth/controlplane/internal/access"
)

// MutantSite is one code mutant: mutant.Set(ID) switches it on.
type MutantSite struct {
	ID          int
	Where, What string
}

// MutantSites are the code mutants planted in this copy.
var MutantSites = []MutantSite{
`)
	for _, s := range m.sites {
		fmt.Fprintf(&b, "\t{ID: %d, Where: %q, What: %q},\n", s.id, s.where, s.what)
	}
	b.WriteString(`}

// Rule mutations.
const (
	RulePublic        = "made Public"
	RuleNoPermission  = "permission dropped (Authenticated)"
	RuleNoTarget      = "project or group extractor dropped"
	RuleNoNeeds       = "per-request needs (Also) dropped"
	RuleNoNotFound    = "NotFound message dropped"
)

// RuleMutations lists the mutations that change r.
func RuleMutations(r access.Rule) []string {
	var out []string
	if !r.Public {
		out = append(out, RulePublic)
	}
	if r.Permission != 0 {
		out = append(out, RuleNoPermission)
	}
	if r.Project != nil || r.Group != nil {
		out = append(out, RuleNoTarget)
	}
	if r.Also != nil {
		out = append(out, RuleNoNeeds)
	}
	if r.NotFound != "" {
		out = append(out, RuleNoNotFound)
	}
	return out
}

// MutateRule applies one rule mutation.
func MutateRule(kind string, r access.Rule) access.Rule {
	switch kind {
	case RulePublic:
		return access.Rule{Public: true}
	case RuleNoPermission:
		return access.Rule{Authenticated: true, Also: r.Also}
	case RuleNoTarget:
		r.Project, r.Group = nil, nil
	case RuleNoNeeds:
		r.Also = nil
	case RuleNoNotFound:
		r.NotFound = ""
	}
	return r
}

// mutateRules is the interceptor's view of the rules: the declared ones,
// with the active rule mutant applied.
func mutateRules(rules access.Rules) access.Rules {
	proc, kind := mutant.Rule()
	r, ok := rules[proc]
	if !ok {
		return rules
	}
	out := maps.Clone(rules)
	out[proc] = MutateRule(kind, r)
	return out
}
`)
	return b.String()
}

const switchSource = `// Code generated by scripts/authzmutants in a scratch copy; DO NOT EDIT.

// Package mutant holds the switches of the authorization mutants planted
// in this copy: at most one is on at a time.
package mutant

import (
	"os"
	"strconv"
	"sync/atomic"
)

// HEARTH_AUTHZ_MUTANT switches a code mutant on for a whole process (tests
// of other packages, run by scripts/authz-mutants.sh).
func init() {
	if id, err := strconv.Atoi(os.Getenv("HEARTH_AUTHZ_MUTANT")); err == nil {
		Set(id)
	}
}

var (
	active atomic.Int64
	rule   atomic.Pointer[[2]string]
)

// Set switches code mutant id on (0: none).
func Set(id int) { active.Store(int64(id)) }

// On reports whether code mutant id is on.
func On(id int) bool { return active.Load() == int64(id) }

// Err is err, or nil while mutant id is on.
func Err(id int, err error) error {
	if On(id) {
		return nil
	}
	return err
}

// Drop is v, or nothing while mutant id is on.
func Drop[T any](id int, v []T) []T {
	if On(id) {
		return nil
	}
	return v
}

// Widen returns all (and no error) while mutant id is on.
func Widen[T any](id int, all T) func(T, error) (T, error) {
	return func(v T, err error) (T, error) {
		if On(id) {
			return all, nil
		}
		return v, err
	}
}

// SetRule switches on the rule mutant kind of proc ("": none).
func SetRule(proc, kind string) {
	if proc == "" {
		rule.Store(nil)
		return
	}
	rule.Store(&[2]string{proc, kind})
}

// Rule is the active rule mutant.
func Rule() (proc, kind string) {
	r := rule.Load()
	if r == nil {
		return "", ""
	}
	return r[0], r[1]
}
`
