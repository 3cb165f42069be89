package server_test

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/uuid"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
)

// The authorization table: every RPC of hearth.v1 (walked from the
// descriptors, streaming ones included), called by every principal of the
// seeded world on real targets, each answer held to what the RPC's rule
// and the principal's rights say it must be. See authz_specs_test.go for
// how each RPC is called and authz_model_test.go for who holds what.

// tcase is one call of the table.
type tcase struct {
	proc    string
	md      protoreflect.MethodDescriptor
	spec    spec
	variant variant
	// where: "priv", "pub", "inner", "group", "install" (+ " ghost").
	where  string
	target target
	caller *principal
	rule   access.Rule
	want   outcome
}

func (c *tcase) String() string {
	v := ""
	if c.variant.name != "" {
		v = " (" + c.variant.name + ")"
	}
	return fmt.Sprintf("%s%s on %s as %s", strings.TrimPrefix(c.proc, "/hearth.v1."), v, c.where, c.caller.name)
}

// mutation reports whether the RPC may change something (no
// NO_SIDE_EFFECTS mark in its proto).
func mutation(md protoreflect.MethodDescriptor) bool {
	opts, _ := md.Options().(*descriptorpb.MethodOptions)
	return opts.GetIdempotencyLevel() != descriptorpb.MethodOptions_NO_SIDE_EFFECTS
}

// publicMethods lists every RPC of the public API (package hearth.v1).
func publicMethods(t testing.TB) []protoreflect.MethodDescriptor {
	t.Helper()
	var out []protoreflect.MethodDescriptor
	protoregistry.GlobalFiles.RangeFilesByPackage("hearth.v1", func(fd protoreflect.FileDescriptor) bool {
		for i := range fd.Services().Len() {
			sd := fd.Services().Get(i)
			for j := range sd.Methods().Len() {
				out = append(out, sd.Methods().Get(j))
			}
		}
		return true
	})
	if len(out) < 100 {
		t.Fatalf("only %d procedures found; the walk would prove little", len(out))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].FullName() < out[j].FullName() })
	return out
}

func procedureOf(md protoreflect.MethodDescriptor) string {
	return "/" + string(md.Parent().FullName()) + "/" + string(md.Name())
}

// naturalTarget says what a request of md targets, from its fields alone.
func naturalTarget(md protoreflect.MethodDescriptor) scopeKind {
	in := md.Input().Fields()
	has := func(n string) bool { return in.ByName(protoreflect.Name(n)) != nil }
	service, method := string(md.Parent().Name()), string(md.Name())
	switch {
	case has("owner") && has("name"), has("job_id"),
		service == "PipelineService" && has("id"), method == "GetProjectById":
		return onProject
	case service == "GroupService" && has("name") && method != "CreateGroup", has("group"):
		return onGroup
	default:
		return onInstall
	}
}

// ruleView is how the table sees a declared rule (the mutation check
// swaps in the mutant's view).
var ruleView = func(_ string, r access.Rule) access.Rule { return r }

// failure is one wrong answer or one wrong declaration.
type failure struct {
	c *tcase
	// structural: found in the declarations, without a call.
	structural bool
	msg        string
	// changed: a refused call succeeded, so the world may have changed.
	changed bool
}

func (f failure) String() string {
	if f.c == nil {
		return f.msg
	}
	return f.c.String() + ": " + f.msg
}

// buildCases lists every call of the table, refusals first.
func (w *world) buildCases(t testing.TB, only func(proc string) bool) ([]*tcase, []failure) {
	t.Helper()
	var cases []*tcase
	var problems []failure
	all := specs()
	for _, md := range publicMethods(t) {
		proc := procedureOf(md)
		if only != nil && !only(proc) {
			continue
		}
		sp, ok := all[proc]
		if !ok {
			problems = append(problems, failure{structural: true, msg: proc + " is missing from the authorization table: add a spec in authz_specs_test.go"})
			continue
		}
		declared, ok := w.srv.Rules[proc]
		if !ok {
			problems = append(problems, failure{structural: true, msg: proc + " has no authorization rule"})
			continue
		}
		rule := ruleView(proc, declared)
		natural := naturalTarget(md)
		problems = append(problems, ruleProblems(md, rule, natural)...)
		where := sp.on
		if len(where) == 0 {
			switch natural {
			case onProject:
				where = []string{"priv", "pub"}
			case onGroup:
				where = []string{"group"}
			default:
				where = []string{"install"}
			}
		}
		variants := sp.variants
		if len(variants) == 0 {
			variants = []variant{{}}
		}
		for _, v := range variants {
			for _, wh := range where {
				if len(v.only) > 0 && !slices.Contains(v.only, wh) {
					continue
				}
				for _, pr := range w.principals {
					c := &tcase{proc: proc, md: md, spec: sp, variant: v, where: wh, target: w.targetOf(wh), caller: pr, rule: rule}
					c.want = w.expect(c)
					cases = append(cases, c)
				}
			}
			if (natural == onProject || natural == onGroup) && !sp.noGhost && v.name == "" {
				for _, pr := range w.principals {
					if pr.name != "anonymous" && pr.name != "outsider" && pr.name != "admin" {
						continue
					}
					tg := w.targetOf(where[0])
					tg.ghost = true
					c := &tcase{proc: proc, md: md, spec: sp, variant: v, where: where[0] + " ghost", target: tg, caller: pr, rule: rule}
					c.want = w.expect(c)
					cases = append(cases, c)
				}
			}
		}
	}
	// Refusals first, then calls that succeed, those on throwaway targets
	// last: nothing an allowed call changes can hide a refusal.
	rank := func(c *tcase) int {
		switch {
		case c.want != allowed:
			return 0
		case c.variant.fresh == nil:
			return 1
		default:
			return 2
		}
	}
	sort.SliceStable(cases, func(i, j int) bool { return rank(cases[i]) < rank(cases[j]) })
	return cases, problems
}

func (w *world) targetOf(where string) target {
	switch where {
	case "priv":
		return target{kind: onProject, project: w.priv}
	case "pub":
		return target{kind: onProject, project: w.pub}
	case "inner":
		return target{kind: onProject, project: w.inner}
	case "group":
		return target{kind: onGroup}
	default:
		return target{kind: onInstall}
	}
}

// ruleProblems are declarations the table refuses whatever the calls
// answer: an RPC anyone may call that is not pinned public, one without a
// permission that is not pinned as the caller's own business, and a rule
// that ignores the project or group its request names.
func ruleProblems(md protoreflect.MethodDescriptor, rule access.Rule, natural scopeKind) []failure {
	proc := procedureOf(md)
	var out []failure
	bad := func(format string, args ...any) {
		out = append(out, failure{structural: true, msg: proc + ": " + fmt.Sprintf(format, args...)})
	}
	switch {
	case pinnedPublic[proc]:
		if !rule.Public {
			bad("pinned public (pinnedPublic) but its rule is not Public: unpin it")
		}
	case rule.Public:
		bad("declares Public: anyone, anonymous too, may call it")
	case pinnedAuthenticated[proc]:
		if !rule.Authenticated {
			bad("pinned as the caller's own business (pinnedAuthenticated) but its rule is not Authenticated: unpin it")
		}
	case rule.Authenticated || rule.Permission == 0:
		bad("declares no permission: any signed-in principal may call it")
	case mutation(md) && access.ReadPermissions().Has(rule.Permission):
		bad("changes something (no NO_SIDE_EFFECTS mark) but declares the read permission %s: read-only tokens reach it", rule.Permission)
	case natural == onProject && rule.Project == nil:
		bad("its request names a project but its rule has no Project: the permission is checked installation-wide")
	case natural == onGroup && rule.Group == nil:
		bad("its request names a group but its rule has no Group: the permission is checked installation-wide")
	}
	return out
}

// expect is what c must answer: the rule decides (as the interceptor
// would), with the principal's rights from the model, then what the
// request needs beyond it.
func (w *world) expect(c *tcase) outcome {
	pr, proc := c.caller, c.proc
	public, authenticated := pinnedPublic[proc], pinnedAuthenticated[proc]
	switch {
	case public:
		return allowed
	case pr.bad:
		return unauthenticated
	case pr.mustChange && !passwordChangeAllowed[proc]:
		return mustChangeFirst
	case pr.session != nil && !pr.csrf && mutation(c.md):
		return denied
	}
	var base outcome
	switch {
	case authenticated:
		base = allowed
		if pr.user == "" {
			return unauthenticated
		}
		// A token changes its account only with the api scope and no project.
		api, _ := access.ScopePermissions([]string{string(access.ScopeAPI)})
		if pr.isToken() && mutation(c.md) && (pr.tokenProject != uuid.Nil || !pr.limit.Contains(api)) {
			return denied
		}
		if c.spec.sessionOnly && pr.isToken() {
			return denied
		}
	default:
		base = w.decide(pr, c.rule.Permission, c.target)
	}
	if base != allowed {
		return base
	}
	// Nothing that changes anything is reachable with a token of read
	// scopes, whatever the rule says (docs/identity.md).
	if pr.isToken() && mutation(c.md) && pr.limit&^access.ReadPermissions() == 0 {
		return denied
	}
	for _, n := range c.variant.needs {
		if o := w.needOutcome(n, c); o != allowed {
			return o
		}
	}
	return allowed
}

// needOutcome decides one need of c.
func (w *world) needOutcome(n need, c *tcase) outcome {
	pr := c.caller
	if n.when != nil && !n.when(c) || n.except != nil && n.except(pr) {
		return allowed
	}
	tg := target{kind: n.on, project: c.target.project}
	have := w.held(pr, tg)
	if n.own {
		switch n.on {
		case onProject:
			have = pr.limited(w.ownBindings(pr.user, tg.project), tg.project.id)
		case onGroup:
			have = w.heldOnGroup(pr)
		default:
			have = w.heldInstallation(pr)
		}
	}
	want := access.SetOf(n.perm)
	if n.role != "" {
		want = w.roles[n.role]
	}
	switch {
	case have.Contains(want) && !n.nobody:
		return allowed
	case pr.user == "":
		return unauthenticated
	case n.unseen:
		return notFound
	case n.hide && !w.held(pr, tg).Has(access.ProjectRead):
		return notFound
	default:
		return denied
	}
}

// TestAuthorizationTable calls every RPC as every principal of the seeded
// world and checks each answer against the RPC's declared rule.
func TestAuthorizationTable(t *testing.T) {
	w := seedWorld(t)
	cases, problems := w.buildCases(t, nil)
	for _, p := range problems {
		t.Error(p)
	}
	failures, counts := w.runCases(t, cases, false)
	for _, f := range failures {
		t.Error(f)
	}
	t.Logf("%d RPC × principal cases (%d allowed, %d refused, %d unjudged); %d RPCs, %d principals",
		len(cases), counts[allowed], len(cases)-counts[allowed]-counts[unpredictable], counts[unpredictable],
		len(publicMethods(t)), len(w.principals))
}

// runCases calls every case and returns the wrong answers (only the first
// when firstOnly).
func (w *world) runCases(t testing.TB, cases []*tcase, firstOnly bool) ([]failure, map[outcome]int) {
	t.Helper()
	var out []failure
	counts := map[outcome]int{}
	// hidden: what a principal learns of a private target (by RPC and
	// principal), to compare with what it learns of one that does not
	// exist.
	hidden := map[string]answer{}
	for _, c := range cases {
		counts[c.want]++
		if c.want == unpredictable {
			continue
		}
		f, a, bad := w.run(t, c)
		if bad {
			out = append(out, f)
			if firstOnly {
				break
			}
			continue
		}
		if c.want == notFound && c.variant.name == "" {
			key := c.proc + " " + c.caller.name
			if !c.target.ghost {
				hidden[key] = a
			} else if h, ok := hidden[key]; ok && h.message != a.message {
				out = append(out, failure{c: c, msg: fmt.Sprintf("existence oracle: %q for a private target, %q for none", h.message, a.message)})
				if firstOnly {
					break
				}
			}
		}
	}
	return out, counts
}

// run makes one call and judges its answer.
func (w *world) run(t testing.TB, c *tcase) (failure, answer, bool) {
	t.Helper()
	// The call may move to a throwaway target: judge the copy.
	run := *c
	c = &run
	req := w.request(t, c)
	a := w.call(t, c, req)
	if c.target.project != nil && c.target.project.throwaway {
		w.dispose(t, c.target.project)
	}
	got := fmt.Sprintf("%s %q", a.code, a.message)
	if a.code == "" {
		got = "success"
	}
	fail := func(format string, args ...any) (failure, answer, bool) {
		return failure{c: c, msg: fmt.Sprintf(format, args...), changed: a.code == "" && mutation(c.md)}, a, true
	}
	switch c.want {
	case allowed:
		if refusedCodes[a.code] {
			return fail("want allowed, got %s", got)
		}
		if c.variant.rejects != "" && a.code != c.variant.rejects {
			return fail("want allowed but refused as %s (the request is invalid), got %s", c.variant.rejects, got)
		}
		if leak := w.leak(c.caller, a.body); leak != "" {
			return fail("the answer reveals %s to a principal that may not read it", leak)
		}
	case unauthenticated:
		if a.code != "unauthenticated" || !a.challenge {
			return fail("want %s with WWW-Authenticate, got %s (challenge %v)", c.want, got, a.challenge)
		}
	case notFound:
		if a.code != "not_found" {
			return fail("want %s, got %s", c.want, got)
		}
	case denied:
		if a.code != "permission_denied" {
			return fail("want %s, got %s", c.want, got)
		}
	case mustChangeFirst:
		if a.code != "failed_precondition" {
			return fail("want %s, got %s", c.want, got)
		}
	}
	return failure{}, a, false
}

// refusedCodes are answers an allowed call must never get: a refusal, or
// a server failure that would hide one.
var refusedCodes = map[string]bool{
	"unauthenticated": true, "permission_denied": true, "not_found": true,
	"internal": true, "unknown": true, "unimplemented": true,
}

// leak names the world's hidden object body mentions that pr may not read.
func (w *world) leak(pr *principal, body string) string {
	for _, p := range []*worldProject{w.priv, w.inner} {
		if !w.heldOn(pr, p).Has(access.ProjectRead) && (strings.Contains(body, p.name) || strings.Contains(body, p.id.String())) {
			return "project " + p.path()
		}
	}
	if !w.heldOnGroup(pr).Has(access.ProjectRead) && (strings.Contains(body, `"`+groupName+`"`) || strings.Contains(body, w.group.String())) {
		return "group " + groupName
	}
	return ""
}
