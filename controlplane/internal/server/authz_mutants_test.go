//go:build authzmutants

// Built only in the scratch copy scripts/authz-mutants.sh makes, where
// scripts/authzmutants has planted the mutants (controlplane/internal/mutant
// and server/zz_mutants.go exist nowhere else).

package server_test

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hearth-dev/hearth/controlplane/internal/mutant"
	"github.com/hearth-dev/hearth/controlplane/internal/rbac"
	"github.com/hearth-dev/hearth/controlplane/internal/server"
)

// TestAuthorizationMutants switches each mutant on in turn and runs the
// authorization tables against it (only the mutated RPC's rows for a rule
// mutant; both tables, up to the first wrong answer, for a code mutant).
// A mutant no row notices survives; the test fails if any does, and
// writes the survivors' code sites to $AUTHZ_SURVIVORS for the script,
// which runs the few tests of other packages that cover them.
func TestAuthorizationMutants(t *testing.T) {
	start := time.Now()
	ruleView = func(proc string, r rbac.Rule) rbac.Rule {
		if p, kind := mutant.Rule(); p == proc {
			return server.MutateRule(kind, r)
		}
		return r
	}
	w := seedWorld(t)
	checkEquivalentReasons(t, w)

	// The tables must pass without mutants, or no kill means anything.
	cases, problems := w.buildCases(t, nil)
	failures, _ := w.runCases(t, cases, true)
	httpFailures, _ := w.runHTTPCases(t, w.httpCases(), true)
	for _, f := range append(append(problems, failures...), httpFailures...) {
		t.Fatalf("the tables fail without mutants: %s", f)
	}

	type result struct {
		name, how string
		killed    bool
		// declOnly: only the declaration check noticed (no call did).
		declOnly bool
	}
	var results []result
	// codeSurvivors are the code sites no table row noticed (the script
	// runs the other packages' tests that cover some of them).
	var codeSurvivors []string
	reseed := func(why string) {
		t.Logf("reseeding the world: %s", why)
		w.srv.Stop()
		w = seedWorld(t)
	}
	// Code mutants: both tables, up to the first wrong answer (the HTTP
	// one first for the plain HTTP handlers). Sites the script covers with
	// their own package's test (AUTHZ_ELSEWHERE: files) are left to it.
	elsewhere := strings.Fields(os.Getenv("AUTHZ_ELSEWHERE"))
	left := 0
	phase := time.Now()
	for _, s := range server.MutantSites {
		site := fmt.Sprintf("%d\t%s\t%s", s.ID, s.Where, s.What)
		if slices.ContainsFunc(elsewhere, func(file string) bool { return strings.HasPrefix(s.Where, file+":") }) {
			codeSurvivors = append(codeSurvivors, site)
			left++
			t.Logf("left to its package's test: #%d %s %s", s.ID, s.Where, s.What)
			continue
		}
		mutant.Set(s.ID)
		f, killed := w.kill(t, nil, httpFirst(s.Where))
		mutant.Set(0)
		results = append(results, result{name: fmt.Sprintf("#%d %s %s", s.ID, s.Where, s.What), how: f.String(), killed: killed})
		if !killed {
			codeSurvivors = append(codeSurvivors, site)
		}
		if f.changed {
			reseed(f.String())
		}
	}
	codeTime, phase := time.Since(phase), time.Now()
	// Rule mutants: the mutated RPC's rows.
	procs := make([]string, 0, len(w.srv.Rules))
	for p := range w.srv.Rules {
		if strings.HasPrefix(p, "/hearth.v1.") {
			procs = append(procs, p)
		}
	}
	sort.Strings(procs)
	rules, ruleSurvivors := 0, 0
	for _, proc := range procs {
		for _, kind := range server.RuleMutations(w.srv.Rules[proc]) {
			rules++
			mutant.SetRule(proc, kind)
			f, killed := w.kill(t, func(p string) bool { return p == proc }, false)
			mutant.SetRule("", "")
			declOnly := !killed && f.structural
			results = append(results, result{name: "rule " + proc + ": " + kind, how: f.String(), killed: killed || declOnly, declOnly: declOnly})
			if !killed && !declOnly {
				ruleSurvivors++
			}
			if f.changed {
				reseed(f.String())
			}
		}
	}

	killed, declOnly := 0, 0
	for _, r := range results {
		if r.killed {
			killed++
			t.Logf("killed   %s\n           by %s", r.name, firstLine(r.how))
		}
		if r.declOnly {
			declOnly++
		}
	}
	for _, r := range results {
		if !r.killed {
			t.Logf("SURVIVED %s", r.name)
		}
	}
	if path := os.Getenv("AUTHZ_SURVIVORS"); path != "" {
		if err := os.WriteFile(path, []byte(strings.Join(codeSurvivors, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d mutants: %d code sites (%d left to their package's tests), %d rule mutations; the tables killed %d of the %d they ran (%d by the declaration check alone), %d survived; %v (code %v, rules %v)",
		len(server.MutantSites)+rules, len(server.MutantSites), left, rules, killed, len(results), declOnly, len(results)-killed,
		time.Since(start).Round(time.Second), codeTime.Round(time.Second), time.Since(phase).Round(time.Second))
	// Code survivors go to the script, which runs the tests of other
	// packages covering some; rule survivors have no such excuse.
	if ruleSurvivors > 0 {
		t.Errorf("%d rule mutants survived the authorization tables", ruleSurvivors)
	}
	if len(codeSurvivors) > 0 && os.Getenv("AUTHZ_SURVIVORS") == "" {
		t.Errorf("%d code mutants survived the authorization tables", len(codeSurvivors))
	}
}

// kill runs the tables (only proc's rows when only is set; the HTTP
// table too, first when httpFirst, for a code mutant) with the active
// mutant and returns the first wrong answer.
func (w *world) kill(t *testing.T, only func(string) bool, httpFirst bool) (failure, bool) {
	t.Helper()
	cases, problems := w.buildCases(t, only)
	connectTable := func() []failure { f, _ := w.runCases(t, cases, true); return f }
	httpTable := func() []failure {
		if only != nil {
			return nil
		}
		f, _ := w.runHTTPCases(t, w.httpCases(), true)
		return f
	}
	tables := []func() []failure{connectTable, httpTable}
	if httpFirst {
		tables[0], tables[1] = tables[1], tables[0]
	}
	for _, table := range tables {
		if f := table(); len(f) > 0 {
			return f[0], true
		}
	}
	// No call noticed; a declaration check may have (counted apart).
	for _, p := range problems {
		return failure{structural: true, msg: "only the declaration check noticed: " + p.msg}, false
	}
	return failure{}, false
}

// httpFirst: a code site in a plain HTTP handler.
func httpFirst(where string) bool {
	for _, prefix := range []string{"controlplane/internal/git/", "controlplane/internal/pipeline/downloads.go", "controlplane/internal/server/metrics.go"} {
		if strings.HasPrefix(where, prefix) {
			return true
		}
	}
	return false
}

// checkEquivalentReasons keeps the reasons for the interceptor checks the
// mutator leaves alone true.
func checkEquivalentReasons(t *testing.T, w *world) {
	t.Helper()
	for _, md := range publicMethods(t) {
		if md.IsStreamingClient() || md.IsStreamingServer() {
			r := w.srv.Rules[procedureOf(md)]
			if !r.Public && r.Project == nil && r.Group == nil && r.Also == nil {
				t.Errorf("%s streams and is decided before its first message: the mutants do not cover that path", procedureOf(md))
			}
		}
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
