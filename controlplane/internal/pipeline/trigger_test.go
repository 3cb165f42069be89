package pipeline_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/jobs"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline"
)

// dag is a three-job pipeline: build, then test, then deploy (main only).
const dag = `
env:
  GREETING: hello
jobs:
  build:
    image: golang:1.26
    steps:
      - name: compile
        run: make build
      - make vet
    env:
      GOFLAGS: -mod=mod
    timeout: 10m
    artifacts:
      paths: [bin/]
    kubernetes:
      requests: {memory: 1Gi}
      tolerations: [{key: dedicated, operator: Exists}]
  test:
    needs: [build]
    steps: [make test]
  deploy:
    needs: [test]
    when:
      branches: [main]
    steps: [./deploy.sh]
`

func TestPushRunsAThreeJobDAGInOrder(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	f.push(t, "refs/heads/main", zero, sha(1), dag)

	p := f.latest(t)
	if p.Number != 1 || p.Event != "push" || p.Ref != "refs/heads/main" || p.CommitSHA != sha(1) || p.State != pipeline.StateRunning ||
		p.TriggeredBy != f.owner || p.Project != "ada/tools" || p.Error != "" {
		t.Fatalf("pipeline %+v", p)
	}
	wantStates(t, p, "build=pending deploy=created test=created")
	f.wantStatus(t, sha(1), pipeline.StatusPending)

	a := f.agent(4, nil)
	run := a.claimOne(t, "build")
	// The command carries what the agent needs, env merged (job over top-level).
	if run.CloneURL != f.project.CloneURL || run.Commit != sha(1) || run.Ref != "refs/heads/main" ||
		run.Project != "ada/tools" || run.Image != "golang:1.26" || run.Timeout != 10*time.Minute ||
		len(run.Steps) != 2 || run.Steps[0].Name != "compile" || run.Steps[1].Script != "make vet" ||
		run.Env["GREETING"] != "hello" || run.Env["GOFLAGS"] != "-mod=mod" || len(run.ArtifactPaths) != 1 ||
		run.PipelineID.String() != p.ID.String() || run.Attempt != 1 ||
		run.Pod == nil || run.Pod.Requests["memory"] != "1Gi" || len(run.Pod.Tolerations) != 1 || run.Pod.Tolerations[0].Key != "dedicated" {
		t.Fatalf("run job %v", run)
	}
	if !f.tokens.isLive(run.CloneToken) {
		t.Fatal("the clone token is not live")
	}
	if is := f.tokens.issued[0]; is.project != f.project.ID || is.user != f.owner ||
		!is.expires.Equal(f.clock.Now().Add(10*time.Minute+10*time.Minute)) {
		t.Fatalf("token issued %+v", is)
	}
	if more := a.claim(t); len(more) != 0 {
		t.Fatalf("claimed %d more: test must wait for build", len(more))
	}

	a.status(t, run.JobID.String(), jobs.StateRunning)
	p = f.get(t, p.ID)
	if p.StartedAt == nil {
		t.Fatal("no start time after the first job started")
	}
	f.wantStatus(t, sha(1), pipeline.StatusRunning)
	a.log(t, run.JobID.String(), 0, 0, "cloned\n")
	a.log(t, run.JobID.String(), 1, 0, "\x1b[32mok\x1b[0m\n")
	a.status(t, run.JobID.String(), jobs.StateSuccess, 7, 12)
	if f.tokens.isLive(run.CloneToken) {
		t.Fatal("the clone token outlived its job")
	}
	wantStates(t, f.get(t, p.ID), "build=success deploy=created test=pending")

	// The log was finished: it reads whole, and a follower ends.
	var raw bytes.Buffer
	if err := f.logs.WriteRaw(ctx, run.JobID, &raw); err != nil || raw.String() != "cloned\n\x1b[32mok\x1b[0m\n" {
		t.Fatalf("raw log %q (%v)", raw.String(), err)
	}

	testRun := a.claimOne(t, "test")
	a.run(t, testRun.JobID.String(), jobs.StateSuccess)
	deploy := a.claimOne(t, "deploy")
	a.run(t, deploy.JobID.String(), jobs.StateSuccess)

	p = f.get(t, p.ID)
	if p.State != pipeline.StateSuccess || p.FinishedAt == nil {
		t.Fatalf("pipeline %s finished %v", p.State, p.FinishedAt)
	}
	wantStates(t, p, "build=success deploy=success test=success")
	f.wantStatus(t, sha(1), pipeline.StatusSuccess)
	if n := f.tokens.liveCount(); n != 0 {
		t.Fatalf("%d clone tokens still live", n)
	}
	for action, want := range map[string]int{"pipeline.create": 1, "pipeline.finish": 1} {
		if n := f.count(t, "SELECT count(*) FROM audit_events WHERE action = $1", action); n != want {
			t.Fatalf("%d %s audit rows, want %d", n, action, want)
		}
	}
}

func (f *fixture) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := f.db.Pool.QueryRow(t.Context(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *fixture) wantStatus(t *testing.T, commit, want string) {
	t.Helper()
	ss, err := f.svc.ListCommitStatuses(t.Context(), f.project.ID, commit)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ss {
		if s.Context == pipeline.PipelineContext {
			if s.State != want {
				t.Fatalf("commit status %s (%s), want %s", s.State, s.Description, want)
			}
			return
		}
	}
	t.Fatalf("no %s status among %+v", pipeline.PipelineContext, ss)
}

func TestPushSelectsRefsAndJobs(t *testing.T) {
	f := newFixture(t)
	// A branch other than main: deploy is not selected.
	f.push(t, "refs/heads/feature", zero, sha(1), dag)
	wantStates(t, f.latest(t), "build=pending test=created")

	// A deleted branch, a ref that is neither branch nor tag, a commit
	// without .hearth.yml: no pipeline.
	f.push(t, "refs/heads/feature", sha(1), zero, "")
	f.push(t, "refs/notes/commits", zero, sha(2), dag)
	f.push(t, "refs/heads/empty", zero, sha(3), "")
	// No job for the event: none either.
	f.push(t, "refs/heads/docs", zero, sha(4), "jobs:\n  rel:\n    when: {tags: ['v*']}\n    steps: [make release]\n")
	if n := len(f.pipelines(t)); n != 1 {
		t.Fatalf("%d pipelines, want 1", n)
	}

	// A tag: event tag, only jobs that match tags.
	f.push(t, "refs/tags/v1.0", zero, sha(4), "")
	p := f.latest(t)
	if p.Event != "tag" || p.Ref != "refs/tags/v1.0" {
		t.Fatalf("tag pipeline %+v", p)
	}
	wantStates(t, p, "rel=pending")

	// Path filters see the push's changed paths.
	const paths = "jobs:\n  docs:\n    when: {paths: ['docs/**']}\n    steps: [make docs]\n  all:\n    steps: [make]\n"
	f.repos.changed[sha(5)+sha(6)] = []string{"src/main.go"}
	f.repos.set("refs/heads/main", sha(5), paths)
	f.push(t, "refs/heads/main", sha(5), sha(6), paths)
	wantStates(t, f.latest(t), "all=pending")
	f.repos.changed[sha(6)+sha(7)] = []string{"docs/index.md"}
	f.push(t, "refs/heads/main", sha(6), sha(7), paths)
	wantStates(t, f.latest(t), "all=pending docs=pending")
	// A new branch: changes unknown, path filters match.
	f.push(t, "refs/heads/new", zero, sha(7), "")
	wantStates(t, f.latest(t), "all=pending docs=pending")

	// Numbers count up per project.
	ps := f.pipelines(t)
	for i, p := range ps {
		if want := int64(len(ps) - i); p.Number != want {
			t.Fatalf("pipeline %d has number %d, want %d", i, p.Number, want)
		}
	}
}

func TestInvalidSpecMakesAFailedPipelineWithoutJobs(t *testing.T) {
	many := strings.Builder{}
	many.WriteString("jobs:\n")
	for i := range 10000 {
		fmt.Fprintf(&many, "  j%d:\n    steps: [true]\n", i)
	}
	cases := []struct {
		name, file, want string
		tooLarge         bool
	}{
		{"unknown key", "jobs:\n  build:\n    stepz: [make]\n", "line 3, column 5", false},
		{"bad yaml", "jobs:\n  build: [\n", "line", false},
		{"cycle", "jobs:\n  a:\n    needs: [b]\n    steps: [x]\n  b:\n    needs: [a]\n    steps: [y]\n", "cycle", false},
		{"10,000 jobs", many.String(), "500", false},
		{"10 MB", "jobs:\n" + strings.Repeat("#", 10<<20), "1 MiB", false},
		{"too large (repository says)", "", "1 MiB", true},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			commit := sha(100 + i)
			if c.tooLarge {
				f.repos.large[commit] = true
				f.repos.files[commit] = "x"
			}
			f.push(t, "refs/heads/main", zero, commit, c.file)
			p := f.latest(t)
			if p.State != pipeline.StateFailure || p.FinishedAt == nil || len(p.Jobs) != 0 {
				t.Fatalf("pipeline %s with %d jobs", p.State, len(p.Jobs))
			}
			if !strings.Contains(p.Error, c.want) {
				t.Fatalf("error %q does not mention %q", p.Error, c.want)
			}
			if n := f.count(t, "SELECT count(*) FROM jobs"); n != 0 {
				t.Fatalf("%d job rows", n)
			}
			f.wantStatus(t, commit, pipeline.StatusFailure)
			// Nothing to claim, nothing to retry.
			if runs := f.agent(10, nil).claim(t); len(runs) != 0 {
				t.Fatalf("claimed %d", len(runs))
			}
			_, err := f.svc.RetryPipeline(t.Context(), p.ID)
			wantKind(t, "retry", err, apperr.KindFailedPrecondition)
		})
	}
}

func TestRunPipelineManually(t *testing.T) {
	f := newFixture(t)
	ctx := asUser(t.Context(), f.owner)
	const file = "jobs:\n  build:\n    env: {MODE: file}\n    steps: [make]\n  nightly:\n    when: {events: [schedule]}\n    steps: [make slow]\n"
	f.repos.set("refs/heads/main", sha(1), file)
	f.repos.set("refs/tags/v2", sha(2), "")

	p, err := f.svc.RunPipeline(ctx, f.project.ID, "", map[string]string{"MODE": "manual", "EXTRA": "1"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Event != "manual" || p.Ref != "refs/heads/main" || p.Variables["EXTRA"] != "1" {
		t.Fatalf("manual pipeline %+v", p)
	}
	wantStates(t, p, "build=pending")
	run := f.agent(1, nil).claimOne(t, "build")
	if run.Env["MODE"] != "manual" || run.Env["EXTRA"] != "1" {
		t.Fatalf("variables do not override the file's env: %v", run.Env)
	}

	for _, c := range []struct {
		ref  string
		vars map[string]string
		kind apperr.Kind
	}{
		{"nope", nil, apperr.KindInvalid},
		{"v2", nil, apperr.KindFailedPrecondition}, // no .hearth.yml there
		{"main", map[string]string{"1BAD": "x"}, apperr.KindInvalid},
		{"main", map[string]string{"HEARTH_JOB": "x"}, apperr.KindInvalid},
		{"main", map[string]string{"OK": "a\x00b"}, apperr.KindInvalid},
		{"main", map[string]string{"BIG": strings.Repeat("x", 70000)}, apperr.KindInvalid},
	} {
		_, err := f.svc.RunPipeline(ctx, f.project.ID, c.ref, c.vars)
		wantKind(t, fmt.Sprintf("run %s %v", c.ref, c.vars), err, c.kind)
	}
	// Only schedule jobs for this event: refused, nothing created.
	f.repos.set("refs/heads/only-nightly", sha(3), "jobs:\n  nightly:\n    when: {events: [schedule]}\n    steps: [x]\n")
	_, err = f.svc.RunPipeline(ctx, f.project.ID, "only-nightly", nil)
	wantKind(t, "no manual job", err, apperr.KindFailedPrecondition)
	if n := len(f.pipelines(t)); n != 1 {
		t.Fatalf("%d pipelines", n)
	}
}

func TestPushKeepsGoingPastAFailingRef(t *testing.T) {
	f := newFixture(t)
	f.repos.set("refs/heads/a", sha(1), "jobs:\n  x:\n    steps: [true]\n")
	f.repos.set("refs/heads/b", sha(2), "jobs:\n  y:\n    steps: [true]\n")
	err := f.svc.TriggerPush(t.Context(), pipeline.PushEvent{ProjectID: f.project.ID, Refs: []pipeline.RefUpdate{
		{Ref: "refs/heads/a", Old: zero, New: sha(1)},
		{Ref: "refs/heads/b", Old: zero, New: sha(2)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.pipelines(t)); n != 2 {
		t.Fatalf("%d pipelines, want one per ref", n)
	}
	// The unknown pusher: no triggering user.
	if p := f.latest(t); p.TriggeredBy != uuid.Nil {
		t.Fatalf("triggered by %v", p.TriggeredBy)
	}
}

func TestAnOlderPipelineNeverOverwritesANewerOnesStatus(t *testing.T) {
	f := newFixture(t)
	const file = "jobs:\n  a:\n    steps: [x]\n"
	f.push(t, "refs/heads/main", zero, sha(1), file)
	older := f.latest(t)
	f.push(t, "refs/tags/v1", zero, sha(1), file)
	newer := f.latest(t)
	ag := f.agent(2, nil)
	runs := ag.claim(t)
	if len(runs) != 2 {
		t.Fatalf("claimed %d", len(runs))
	}
	byPipeline := map[string]string{}
	for _, r := range runs {
		byPipeline[r.PipelineID.String()] = r.JobID.String()
	}
	ag.run(t, byPipeline[newer.ID.String()], jobs.StateSuccess)
	f.wantStatus(t, sha(1), pipeline.StatusSuccess)
	ag.run(t, byPipeline[older.ID.String()], jobs.StateFailure)
	f.wantStatus(t, sha(1), pipeline.StatusSuccess)
	ss, err := f.svc.ListCommitStatuses(t.Context(), f.project.ID, sha(1))
	if err != nil || len(ss) != 1 || ss[0].PipelineID != newer.ID {
		t.Fatalf("statuses %+v %v", ss, err)
	}
}
