//go:build authzmutants

// Built only in the scratch copy scripts/authz-mutants.sh makes, where
// scripts/authzmutants has planted the mutants (controlplane/internal/mutant
// and server/zz_mutants.go exist nowhere else).

package server_test

import (
	"fmt"
	"os"
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
	}
	var results []result
	var survivorSites []string
	reseed := func(why string) {
		t.Logf("reseeding the world: %s", why)
		w.srv.Stop()
		w = seedWorld(t)
	}
	// Code mutants: both tables, up to the first wrong answer.
	for _, s := range server.MutantSites {
		mutant.Set(s.ID)
		f, killed := w.kill(t, nil)
		mutant.Set(0)
		results = append(results, result{name: fmt.Sprintf("#%d %s %s", s.ID, s.Where, s.What), how: f.String(), killed: killed})
		if !killed {
			survivorSites = append(survivorSites, fmt.Sprintf("%d\t%s\t%s", s.ID, s.Where, s.What))
		}
		if f.changed {
			reseed(f.String())
		}
	}
	// Rule mutants: the mutated RPC's rows.
	procs := make([]string, 0, len(w.srv.Rules))
	for p := range w.srv.Rules {
		if strings.HasPrefix(p, "/hearth.v1.") {
			procs = append(procs, p)
		}
	}
	sort.Strings(procs)
	for _, proc := range procs {
		for _, kind := range server.RuleMutations(w.srv.Rules[proc]) {
			mutant.SetRule(proc, kind)
			f, killed := w.kill(t, func(p string) bool { return p == proc })
			mutant.SetRule("", "")
			results = append(results, result{name: "rule " + proc + ": " + kind, how: f.String(), killed: killed})
			if f.changed {
				reseed(f.String())
			}
		}
	}

	killed := 0
	for _, r := range results {
		if r.killed {
			killed++
			t.Logf("killed   %s\n           by %s", r.name, firstLine(r.how))
		}
	}
	for _, r := range results {
		if !r.killed {
			t.Logf("SURVIVED %s", r.name)
		}
	}
	if path := os.Getenv("AUTHZ_SURVIVORS"); path != "" {
		if err := os.WriteFile(path, []byte(strings.Join(survivorSites, "\n")), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d mutants (%d code, %d rule): %d killed, %d survived, in %v",
		len(results), len(server.MutantSites), len(results)-len(server.MutantSites), killed, len(results)-killed, time.Since(start).Round(time.Second))
	// Code survivors go to the script, which runs the tests of other
	// packages covering them; rule survivors have no such excuse.
	if ruleSurvivors := len(results) - killed - len(survivorSites); ruleSurvivors > 0 {
		t.Errorf("%d rule mutants survived the authorization tables", ruleSurvivors)
	}
	if len(survivorSites) > 0 && os.Getenv("AUTHZ_SURVIVORS") == "" {
		t.Errorf("%d code mutants survived the authorization tables", len(survivorSites))
	}
}

// kill runs the tables (only proc's rows when only is set) with the
// active mutant and returns the first wrong answer.
func (w *world) kill(t *testing.T, only func(string) bool) (failure, bool) {
	t.Helper()
	cases, problems := w.buildCases(t, only)
	if f, _ := w.runCases(t, cases, true); len(f) > 0 {
		return f[0], true
	}
	if only == nil {
		if f, _ := w.runHTTPCases(t, w.httpCases(), true); len(f) > 0 {
			return f[0], true
		}
	}
	// No call noticed; a declaration check may have (reported apart: the
	// calls must notice every mutant).
	for _, p := range problems {
		return failure{msg: "only the declaration check noticed: " + p.msg}, false
	}
	return failure{}, false
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
