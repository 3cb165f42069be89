package spec

import (
	"errors"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte(threeJobs))
	f.Add([]byte("jobs:\n  a: &a {<<: *a, steps: [x]}\n"))
	f.Add([]byte(".l: &l [a, [b, *l]]\njobs: {a: {steps: *l, needs: *l}}\n"))
	f.Add([]byte("jobs:\n\tbuild:\n    steps: [a\n"))
	f.Add([]byte("---\njobs: {}\n---\n"))
	f.Add([]byte("jobs: {a: {steps: [x], when: {branches: ['**/[a-', 'x/**'], paths: ['a//b']}, artifacts: {paths: [../x], expire_in: 1d1h}}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err == nil {
			checkInvariants(t, p)
			return
		}
		if p != nil {
			t.Fatal("a pipeline with an error")
		}
		var list *ErrorList
		if !errors.As(err, &list) || len(list.Errors) == 0 || len(list.Errors) > MaxErrors {
			t.Fatalf("error %T %v", err, err)
		}
		for _, e := range list.Errors {
			if e.Line < 1 && len(data) <= MaxFileBytes {
				t.Fatalf("no position: %v", e)
			}
		}
	})
}

// checkInvariants holds for every pipeline Parse accepts.
func checkInvariants(t *testing.T, p *Pipeline) {
	t.Helper()
	if len(p.Jobs) == 0 || len(p.Jobs) > MaxJobs {
		t.Fatalf("%d jobs", len(p.Jobs))
	}
	seen := map[string]bool{}
	for _, j := range p.Jobs {
		if seen[j.Name] || !validJobName.MatchString(j.Name) {
			t.Fatalf("job name %q", j.Name)
		}
		seen[j.Name] = true
		if len(j.Steps) == 0 || len(j.Steps) > MaxStepsPerJob || len(j.Env) > MaxEnvVars {
			t.Fatalf("job %q: %d steps, %d env", j.Name, len(j.Steps), len(j.Env))
		}
		if j.Timeout < MinTimeout || j.Timeout > MaxTimeout || j.Retry < 0 || j.Retry > MaxRetry {
			t.Fatalf("job %q: timeout %v retry %d", j.Name, j.Timeout, j.Retry)
		}
	}
	if got := len(p.TopoOrder()); got != len(p.Jobs) {
		t.Fatalf("TopoOrder has %d of %d jobs: a cycle or unknown need got through", got, len(p.Jobs))
	}
}
