package pipeline_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hearth-dev/hearth/controlplane/testsvc"

	"github.com/google/uuid"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/jobs"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline"
)

func TestClaimByLabelsAndCapacity(t *testing.T) {
	f := newFixture(t)
	f.push(t, "refs/heads/main", zero, sha(1), `
jobs:
  linux-1:
    labels: {os: linux}
    steps: [x]
  linux-2:
    labels: {os: linux}
    steps: [x]
  linux-3:
    labels: {os: linux, arch: arm64}
    steps: [x]
  mac:
    labels: {os: mac}
    steps: [x]
  any:
    steps: [x]
`)
	mac := f.agent(5, map[string]string{"os": "mac"})
	linux := f.agent(2, map[string]string{"os": "linux", "arch": "amd64"})
	none := f.agent(0, map[string]string{"os": "linux"})

	if runs := none.claim(t); len(runs) != 0 {
		t.Fatalf("an agent of capacity 0 claimed %d", len(runs))
	}
	got := map[string]string{}
	for _, r := range linux.claim(t) {
		got[r.Name] = "linux"
	}
	if len(got) != 2 || got["mac"] != "" || got["linux-3"] != "" {
		t.Fatalf("linux agent (capacity 2) claimed %v", got)
	}
	if runs := linux.claim(t); len(runs) != 0 {
		t.Fatalf("a full agent claimed %d more", len(runs))
	}
	for _, r := range mac.claim(t) {
		got[r.Name] = "mac"
	}
	// mac takes its own job and the unlabelled one if linux did not.
	if got["mac"] != "mac" || got["linux-3"] != "" || len(got) != 4 {
		t.Fatalf("claims %v", got)
	}
	// When a linux job ends, the agent has room again, but linux-3 needs arm64.
	p := f.latest(t)
	for name, j := range current(p) {
		if got[name] == "linux" {
			linux.run(t, j.ID.String(), jobs.StateSuccess)
			break
		}
	}
	runs := linux.claim(t)
	if len(runs) == 1 && runs[0].Name == "linux-3" {
		t.Fatal("an amd64 agent took an arm64 job")
	}
	arm := f.agent(1, map[string]string{"os": "linux", "arch": "arm64", "extra": "yes"})
	arm.claimOne(t, "linux-3")
}

func TestConcurrentClaimsNeverDoubleAssign(t *testing.T) {
	f := newFixture(t)
	var b strings.Builder
	b.WriteString("jobs:\n")
	const jobs = 60
	for i := range jobs {
		fmt.Fprintf(&b, "  j%d:\n    steps: [true]\n", i)
	}
	f.push(t, "refs/heads/main", zero, sha(1), b.String())
	agents := []*agent{f.agent(7, nil), f.agent(7, nil), f.agent(9, nil), f.agent(40, nil)}

	var mu sync.Mutex
	owner := map[string]uuid.UUID{}
	perAgent := map[uuid.UUID]int{}
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for g := range 20 {
		a := agents[g%len(agents)]
		wg.Go(func() {
			for range 5 {
				runs, err := f.svc.Claim(context.Background(), a.info)
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				for _, r := range runs {
					if prev, dup := owner[r.JobID.String()]; dup {
						errs <- fmt.Errorf("job %s assigned to %s and %s", r.JobID.String(), prev, a.info.ID)
					}
					owner[r.JobID.String()] = a.info.ID
					perAgent[a.info.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(owner) != jobs {
		t.Fatalf("%d jobs assigned, want all %d", len(owner), jobs)
	}
	for _, a := range agents {
		if perAgent[a.info.ID] > a.info.Capacity {
			t.Fatalf("agent of capacity %d got %d jobs", a.info.Capacity, perAgent[a.info.ID])
		}
	}
	if n := f.count(t, "SELECT count(*) FROM jobs WHERE state = 'running'"); n != jobs {
		t.Fatalf("%d running rows", n)
	}
}

func TestFailureSkipsDependantsAfterRetries(t *testing.T) {
	f := newFixture(t)
	f.push(t, "refs/heads/main", zero, sha(1), `
jobs:
  build:
    retry: 1
    steps: [make]
  lint:
    steps: [make lint]
  test:
    needs: [build]
    steps: [make test]
  deploy:
    needs: [test, lint]
    steps: [deploy]
`)
	a := f.agent(5, nil)
	runs := a.claim(t)
	if len(runs) != 2 {
		t.Fatalf("claimed %d", len(runs))
	}
	ids := map[string]string{}
	for _, r := range runs {
		ids[r.Name] = r.JobID.String()
	}
	a.run(t, ids["lint"], jobs.StateSuccess)

	// build fails: retry 1 puts a second attempt in the queue.
	a.run(t, ids["build"], jobs.StateFailure)
	p := f.latest(t)
	wantStates(t, p, "build=pending deploy=created lint=success test=created")
	if p.State != pipeline.StateRunning {
		t.Fatalf("pipeline %s while a retry is queued", p.State)
	}
	first, err := f.svc.GetJob(t.Context(), uuid.MustParse(ids["build"]))
	if err != nil || first.State != pipeline.StateFailure || !first.Superseded || first.Message != "exit status 2 in step 0" || first.ExitCode != 2 {
		t.Fatalf("first attempt %+v (%v)", first, err)
	}
	second := a.claimOne(t, "build")
	if second.JobID.String() == ids["build"] {
		t.Fatal("the retry reused the job id")
	}
	// It times out: no retries left, dependants (transitively) skipped.
	a.run(t, second.JobID.String(), jobs.StateTimedOut)
	p = f.latest(t)
	wantStates(t, p, "build=timed_out deploy=skipped lint=success test=skipped")
	if p.State != pipeline.StateFailure || p.FinishedAt == nil {
		t.Fatalf("pipeline %s", p.State)
	}
	j := current(p)
	if j["build"].Attempt != 2 || j["build"].Message != "timed out after 1h0m0s" || !strings.Contains(j["test"].Message, "build") {
		t.Fatalf("jobs %+v", j)
	}
	f.wantStatus(t, sha(1), pipeline.StatusFailure)
	if runs := a.claim(t); len(runs) != 0 {
		t.Fatalf("skipped jobs were claimed: %d", len(runs))
	}
}

// listen opens a LISTEN on hearth_jobs and returns the payloads received.
func (f *fixture) listen(t *testing.T) <-chan string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	conn, err := f.db.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := conn.Hijack()
	if _, err := c.Exec(ctx, "LISTEN hearth_jobs"); err != nil {
		t.Fatal(err)
	}
	out := make(chan string, 100)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			n, err := c.WaitForNotification(ctx)
			if err != nil {
				return
			}
			out <- n.Payload
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		_ = c.Close(context.Background())
	})
	return out
}

func waitPayload(t *testing.T, ch <-chan string, want string) {
	t.Helper()
	timeout := time.After(waitLimit)
	for {
		select {
		case got := <-ch:
			if got == want {
				return
			}
		case <-timeout:
			t.Fatalf("no notification %q", want)
		}
	}
}

func TestCancelPendingAndRunning(t *testing.T) {
	f := newFixture(t)
	notes := f.listen(t)
	f.push(t, "refs/heads/main", zero, sha(1), `
jobs:
  a:
    steps: [x]
  b:
    steps: [x]
  c:
    needs: [a]
    steps: [x]
`)
	waitPayload(t, notes, "queued")
	ag := f.agent(1, nil)
	runA := ag.claimOne(t, "a")
	ag.status(t, runA.JobID.String(), jobs.StateRunning)
	p := f.latest(t)

	out, err := f.svc.CancelPipeline(asUser(t.Context(), f.owner), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	// b (pending) and c (created) end at once; a is asked to stop.
	wantStates(t, out, "a=running b=cancelled c=cancelled")
	if !current(out)["a"].CancelRequested || out.State != pipeline.StateRunning {
		t.Fatalf("a %+v, pipeline %s", current(out)["a"], out.State)
	}
	waitPayload(t, notes, "cancel:"+ag.info.ID.String()+":"+runA.JobID.String())
	// A reconnecting agent is told again.
	_, cancels, err := f.svc.Reconcile(t.Context(), ag.info, []string{runA.JobID.String()})
	if err != nil || len(cancels) != 1 || cancels[0].JobID != runA.JobID.String() {
		t.Fatalf("reconcile cancels %v (%v)", cancels, err)
	}
	// The agent stops it.
	ag.log(t, runA.JobID.String(), 1, 0, "Terminated\n")
	ag.status(t, runA.JobID.String(), jobs.StateCancelled, 0, 11)
	out = f.get(t, p.ID)
	wantStates(t, out, "a=cancelled b=cancelled c=cancelled")
	if out.State != pipeline.StateCancelled {
		t.Fatalf("pipeline %s", out.State)
	}
	f.wantStatus(t, sha(1), pipeline.StatusCancelled)
	// Again: nothing changes, no audit row.
	if _, err := f.svc.CancelPipeline(t.Context(), p.ID); err != nil {
		t.Fatal(err)
	}
	if n := f.count(t, "SELECT count(*) FROM audit_events WHERE action = 'pipeline.cancel'"); n != 1 {
		t.Fatalf("%d cancel audit rows", n)
	}

	// CancelJob of a queued job skips its dependants.
	f.push(t, "refs/heads/main", sha(1), sha(2), "jobs:\n  a:\n    steps: [x]\n  c:\n    needs: [a]\n    steps: [x]\n")
	p2 := f.latest(t)
	j, err := f.svc.CancelJob(t.Context(), current(p2)["a"].ID)
	if err != nil || j.State != pipeline.StateCancelled {
		t.Fatalf("cancel job: %+v %v", j, err)
	}
	wantStates(t, f.get(t, p2.ID), "a=cancelled c=skipped")
	_, err = f.svc.CancelJob(t.Context(), uuid.New())
	wantKind(t, "unknown job", err, apperr.KindNotFound)
}

func TestReconcile(t *testing.T) {
	f := newFixture(t)
	f.push(t, "refs/heads/main", zero, sha(1), "jobs:\n  acked:\n    steps: [x]\n  unacked:\n    steps: [x]\n  lost:\n    retry: 1\n    steps: [x]\n")
	ag := f.agent(3, nil)
	ids := map[string]string{}
	tokens := map[string]string{}
	for _, r := range ag.claim(t) {
		ids[r.Name] = r.JobID.String()
		tokens[r.Name] = r.CloneToken
	}
	ag.status(t, ids["acked"], jobs.StateRunning)
	ag.status(t, ids["lost"], jobs.StateRunning)

	stranger := uuid.New().String()
	resend, cancels, err := f.svc.Reconcile(t.Context(), ag.info, []string{ids["acked"], stranger, "not-a-uuid"})
	if err != nil {
		t.Fatal(err)
	}
	if len(resend) != 1 || resend[0].JobID.String() != ids["unacked"] || resend[0].CloneToken == tokens["unacked"] {
		t.Fatalf("resend %v", resend)
	}
	if f.tokens.isLive(tokens["unacked"]) || !f.tokens.isLive(resend[0].CloneToken) {
		t.Fatal("the resent job's old token is live or its new one is not")
	}
	cancelled := map[string]bool{}
	for _, c := range cancels {
		cancelled[c.JobID] = true
	}
	if len(cancels) != 2 || !cancelled[stranger] || !cancelled["not-a-uuid"] {
		t.Fatalf("cancels %v", cancels)
	}
	p := f.latest(t)
	wantStates(t, p, "acked=running lost=pending unacked=running")
	for _, j := range p.Jobs {
		if j.Name == "lost" && j.Superseded && (j.State != pipeline.StateFailure || j.Message != "lost by the agent") {
			t.Fatalf("lost job %+v", j)
		}
	}
	// Another agent reporting the acked job is told to cancel it.
	other := f.agent(1, nil)
	_, cancels, err = f.svc.Reconcile(t.Context(), other.info, []string{ids["acked"]})
	if err != nil || len(cancels) != 1 {
		t.Fatalf("other agent: %v %v", cancels, err)
	}
}

func TestStatusAndLogsAreCheckedAgainstTheAssignment(t *testing.T) {
	f := newFixture(t)
	f.push(t, "refs/heads/main", zero, sha(1), "jobs:\n  a:\n    steps: [x]\n  b:\n    steps: [y]\n")
	ag := f.agent(1, nil)
	other := f.agent(1, nil)
	run := ag.claimOne(t, "a")
	id := run.JobID.String()
	ctx := t.Context()

	// Not this agent's job, or no job at all: NotFound.
	err := f.svc.Status(ctx, other.info.ID, jobs.Status{JobID: id, State: jobs.StateRunning})
	wantKind(t, "other agent's status", err, apperr.KindNotFound)
	err = f.svc.Status(ctx, ag.info.ID, jobs.Status{JobID: "junk", State: jobs.StateRunning})
	wantKind(t, "junk id", err, apperr.KindNotFound)
	_, err = f.svc.AppendLog(ctx, other.info.ID, jobs.LogChunk{JobID: id, Data: []byte("x")})
	wantKind(t, "other agent's log", err, apperr.KindNotFound)
	err = f.svc.Status(ctx, ag.info.ID, jobs.Status{JobID: id})
	wantKind(t, "no state", err, apperr.KindInvalid)

	ag.status(t, id, jobs.StateRunning)
	// Duplicates and overlaps are dropped by offset.
	if end := ag.log(t, id, 1, 0, "hello "); end != 6 {
		t.Fatal(end)
	}
	if end := ag.log(t, id, 1, 3, "lo world"); end != 11 {
		t.Fatal(end)
	}
	if end := ag.log(t, id, 1, 20, "gap"); end != 11 {
		t.Fatal(end)
	}
	// A final status before every byte is stored is refused, not stored.
	err = f.svc.Status(ctx, ag.info.ID, jobs.Status{JobID: id, State: jobs.StateSuccess, LogLengths: []uint64{0, 15}})
	wantKind(t, "missing bytes", err, apperr.KindFailedPrecondition)
	if j := current(f.latest(t))["a"]; j.State != pipeline.StateRunning {
		t.Fatalf("stored %s", j.State)
	}
	ag.log(t, id, 1, 11, "!!!\n")
	ag.status(t, id, jobs.StateSuccess, 0, 15)
	// The resend of a final status whose ack was lost is acknowledged.
	ag.status(t, id, jobs.StateSuccess, 0, 15)
	// A late RUNNING or log chunk of an ended job: NotFound (the gateway cancels).
	err = f.svc.Status(ctx, ag.info.ID, jobs.Status{JobID: id, State: jobs.StateRunning})
	wantKind(t, "late running", err, apperr.KindNotFound)
	_, err = f.svc.AppendLog(ctx, ag.info.ID, jobs.LogChunk{JobID: id, Step: 1, Offset: 15, Data: []byte("late")})
	wantKind(t, "late log", err, apperr.KindNotFound)
	if j := current(f.latest(t))["a"]; j.State != pipeline.StateSuccess || j.AgentID != ag.info.ID || j.StartedAt == nil || j.FinishedAt == nil {
		t.Fatalf("job %+v", j)
	}
}

func TestReaper(t *testing.T) {
	f := newFixture(t)
	f.push(t, "refs/heads/main", zero, sha(1), `
jobs:
  unacked:
    steps: [x]
  acked:
    steps: [x]
  retried:
    retry: 1
    steps: [x]
  cancelling:
    steps: [x]
  alive:
    steps: [x]
`)
	gone := f.agent(4, nil)
	ids := map[string]string{}
	for _, r := range gone.claim(t) {
		ids[r.Name] = r.JobID.String()
	}
	if len(ids) != 4 || ids["alive"] != "" {
		t.Fatalf("claimed %v", ids)
	}
	for _, name := range []string{"acked", "retried", "cancelling"} {
		gone.status(t, ids[name], jobs.StateRunning)
	}
	live := f.agent(1, nil)
	aliveName := "alive"
	ids[aliveName] = live.claimOne(t, aliveName).JobID.String()
	live.status(t, ids[aliveName], jobs.StateRunning)
	p := f.latest(t)
	if _, err := f.svc.CancelJob(t.Context(), current(p)["cancelling"].ID); err != nil {
		t.Fatal(err)
	}

	f.clock.Advance(3 * time.Minute)
	// The live agent heartbeats its job; the other is silent.
	if cancels, _, err := f.svc.Heartbeat(t.Context(), live.info.ID, []string{ids[aliveName], "junk"}); err != nil || len(cancels) != 0 {
		t.Fatalf("heartbeat: cancels %v (%v)", cancels, err)
	}
	n, err := f.svc.Reap(t.Context(), 2*time.Minute)
	if err != nil || n != 4 {
		t.Fatalf("reaped %d (%v), want 4", n, err)
	}
	p = f.latest(t)
	j := current(p)
	if j["unacked"].State != pipeline.StatePending || j["unacked"].AgentID != uuid.Nil ||
		j["acked"].State != pipeline.StateFailure || j["acked"].Message != "the agent running the job went away" ||
		j["retried"].State != pipeline.StatePending || j["retried"].Attempt != 2 ||
		j["cancelling"].State != pipeline.StateCancelled || j[aliveName].State != pipeline.StateRunning {
		t.Fatalf("after reaping: %s", states(p))
	}
	// Idempotent.
	if n, err := f.svc.Reap(t.Context(), 2*time.Minute); err != nil || n != 0 {
		t.Fatalf("second reap %d %v", n, err)
	}
	// The re-queued job goes to another agent; the old one is refused.
	again := f.agent(5, nil)
	got := map[string]bool{}
	for _, r := range again.claim(t) {
		got[r.Name] = true
	}
	if !got["unacked"] || !got["retried"] {
		t.Fatalf("re-queued jobs not claimable: %v", got)
	}
	err = f.svc.Status(t.Context(), gone.info.ID, jobs.Status{JobID: ids["unacked"], State: jobs.StateRunning})
	wantKind(t, "old agent", err, apperr.KindNotFound)

	// RunReaper acts (after its first grace, here short in real time) and
	// stops with its context.
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.svc.RunReaper(ctx, 10*time.Millisecond, 50*time.Millisecond) }()
	f.clock.Advance(2 * time.Minute)
	// The new agent never confirmed either: back to the queue.
	testsvc.WaitFor(t, "the reaper worker", func() bool {
		return current(f.latest(t))["unacked"].State == pipeline.StatePending
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestUploadArtifact(t *testing.T) {
	f := newFixture(t)
	f.push(t, "refs/heads/main", zero, sha(1), "jobs:\n  a:\n    artifacts: {paths: [out/], expire_in: 2h}\n    steps: [x]\n")
	ag := f.agent(1, nil)
	run := ag.claimOne(t, "a")
	ctx := t.Context()
	jobID := run.JobID
	if _, err := f.svc.UploadArtifact(ctx, uuid.New(), jobID, "", strings.NewReader("x")); kindOf(err) != apperr.KindNotFound {
		t.Fatalf("stranger upload: %v", err)
	}
	res, err := f.svc.UploadArtifact(ctx, ag.info.ID, jobID, "", strings.NewReader("tarball"))
	if err != nil || res.Size != 7 || len(res.SHA256) != 64 {
		t.Fatalf("upload %v %v", res, err)
	}
	as, err := f.svc.ListArtifacts(ctx, jobID)
	if err != nil || len(as) != 1 || as[0].Name != pipeline.DefaultArtifactName || as[0].ExpiresAt.Sub(as[0].CreatedAt) != 2*time.Hour {
		t.Fatalf("artifacts %+v %v", as, err)
	}
}

// A cancellation requested while the job is assigned but not acknowledged
// reaches no agent when its one notification is missed: Reconcile, which
// would send the job again, cancels it instead (it never started).
func TestReconcileCancelsUnacknowledgedCancelledJob(t *testing.T) {
	f := newFixture(t)
	f.push(t, "refs/heads/main", zero, sha(1), "jobs:\n  a:\n    steps: [x]\n  b:\n    needs: [a]\n    steps: [x]\n")
	ag := f.agent(1, nil)
	run := ag.claimOne(t, "a")
	p := f.latest(t)
	if _, err := f.svc.CancelPipeline(t.Context(), p.ID); err != nil {
		t.Fatal(err)
	}
	wantStates(t, f.get(t, p.ID), "a=running b=cancelled")

	// The agent reconnects without the job (its RunJob was lost).
	resend, cancels, err := f.svc.Reconcile(t.Context(), ag.info, nil)
	if err != nil || len(resend) != 0 || len(cancels) != 0 {
		t.Fatalf("reconcile: resend %v, cancels %v (%v); want nothing", resend, cancels, err)
	}
	out := f.get(t, p.ID)
	wantStates(t, out, "a=cancelled b=cancelled")
	if a := current(out)["a"]; a.Message != "cancelled by a user" || a.StartedAt != nil || out.State != pipeline.StateCancelled {
		t.Fatalf("job %+v, pipeline %s", a, out.State)
	}
	if f.tokens.isLive(run.CloneToken) {
		t.Fatal("the cancelled job's clone token is live")
	}
	// The agent can have a new job.
	f.push(t, "refs/heads/main", sha(1), sha(2), "jobs:\n  c:\n    steps: [x]\n")
	ag.claimOne(t, "c")
}

// A cancellation whose notification was missed (no stream held the agent,
// or the agent had not acknowledged the job yet) reaches the agent with
// its next heartbeat.
func TestHeartbeatResendsRequestedCancel(t *testing.T) {
	f := newFixture(t)
	f.push(t, "refs/heads/main", zero, sha(1), "jobs:\n  a:\n    steps: [x]\n  b:\n    steps: [x]\n")
	ag := f.agent(2, nil)
	ids := map[string]string{}
	for _, r := range ag.claim(t) {
		ids[r.Name] = r.JobID.String()
	}
	other := f.agent(1, nil)
	ctx := t.Context()
	if cancels, _, err := f.svc.Heartbeat(ctx, ag.info.ID, []string{ids["a"], ids["b"]}); err != nil || len(cancels) != 0 {
		t.Fatalf("before any cancel: %v (%v)", cancels, err)
	}
	// a is cancelled before the agent acknowledges it; the NOTIFY is missed.
	if _, err := f.svc.CancelJob(ctx, uuid.MustParse(ids["a"])); err != nil {
		t.Fatal(err)
	}
	ag.status(t, ids["a"], jobs.StateRunning)
	for _, running := range [][]string{{ids["a"], ids["b"]}, nil} {
		cancels, _, err := f.svc.Heartbeat(ctx, ag.info.ID, running)
		if err != nil || len(cancels) != 1 || cancels[0].JobID != ids["a"] || cancels[0].Reason == "" {
			t.Fatalf("heartbeat with %v: cancels %v (%v), want a's", running, cancels, err)
		}
	}
	// Another agent is not told to stop jobs it does not report.
	if cancels, _, err := f.svc.Heartbeat(ctx, other.info.ID, nil); err != nil || len(cancels) != 0 {
		t.Fatalf("other agent: %v (%v)", cancels, err)
	}
	// Once the job ended, no more CancelJob.
	ag.status(t, ids["a"], jobs.StateCancelled)
	if cancels, _, err := f.svc.Heartbeat(ctx, ag.info.ID, []string{ids["b"]}); err != nil || len(cancels) != 0 {
		t.Fatalf("after the end: %v (%v)", cancels, err)
	}
}

// After an outage longer than the grace every heartbeat is old: the jobs
// an agent reports when it reconnects are alive and must not be reaped.
func TestReconcileRefreshesHeartbeats(t *testing.T) {
	f := newFixture(t)
	f.push(t, "refs/heads/main", zero, sha(1), "jobs:\n  a:\n    steps: [x]\n  b:\n    steps: [x]\n")
	ag := f.agent(2, nil)
	ids := map[string]string{}
	for _, r := range ag.claim(t) {
		ids[r.Name] = r.JobID.String()
		ag.status(t, r.JobID.String(), jobs.StateRunning)
	}
	f.clock.Advance(10 * time.Minute)
	// The agent reconnects and reports a; b is reported by nobody.
	resend, cancels, err := f.svc.Reconcile(t.Context(), ag.info, []string{ids["a"]})
	if err != nil || len(resend) != 0 || len(cancels) != 0 {
		t.Fatalf("reconcile: %v %v %v", resend, cancels, err)
	}
	wantStates(t, f.latest(t), "a=running b=failure")
	if n, err := f.svc.Reap(t.Context(), 2*time.Minute); err != nil || n != 0 {
		t.Fatalf("reaped %d (%v): the reported job is alive", n, err)
	}
	wantStates(t, f.latest(t), "a=running b=failure")
}

// A new leader's reaper waits a grace before its first pass, so agents
// that were cut off by the outage have time to reconnect.
func TestReaperWaitsAGraceAfterStart(t *testing.T) {
	f := newFixture(t)
	f.push(t, "refs/heads/main", zero, sha(1), "jobs:\n  a:\n    steps: [x]\n")
	ag := f.agent(1, nil)
	ag.status(t, ag.claimOne(t, "a").JobID.String(), jobs.StateRunning)
	f.clock.Advance(time.Hour) // stale by far

	// Stopped during its first grace, it returns at once.
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.svc.RunReaper(ctx, time.Millisecond, time.Hour) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(waitLimit):
		t.Fatal("RunReaper did not stop during its first grace")
	}
	if j := current(f.latest(t))["a"]; j.State != pipeline.StateRunning {
		t.Fatalf("a stopped reaper reaped: %s", j.State)
	}

	const grace = 500 * time.Millisecond
	ctx, cancel = context.WithCancel(t.Context())
	start := time.Now()
	go func() { done <- f.svc.RunReaper(ctx, time.Millisecond, grace) }()
	testsvc.WaitFor(t, "the reaper's first pass", func() bool {
		return current(f.latest(t))["a"].State == pipeline.StateFailure
	})
	if took := time.Since(start); took < grace {
		t.Fatalf("first pass %s after the start, before the grace of %s", took, grace)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// A job whose RunJob cannot be built (here: no clone token) fails instead
// of failing every claim; the claim goes on with the jobs behind it.
func TestClaimFailsUndispatchableJob(t *testing.T) {
	f := newFixture(t)
	bad := f.addProject(t, "ada", "broken")
	f.repos.set("refs/heads/main", sha(9), "jobs:\n  a:\n    steps: [x]\n  b:\n    needs: [a]\n    steps: [x]\n  c:\n    retry: 1\n    steps: [x]\n")
	if err := f.svc.TriggerPush(asUser(t.Context(), f.owner), pipeline.PushEvent{
		ProjectID: bad.ID, PusherID: f.owner, Refs: []pipeline.RefUpdate{{Ref: "refs/heads/main", Old: zero, New: sha(9)}},
	}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Second) // the good pipeline queues behind the bad one
	f.push(t, "refs/heads/main", zero, sha(1), "jobs:\n  good:\n    steps: [x]\n")
	f.tokens.failProject(bad.ID, true)

	ag := f.agent(1, nil)
	ag.claimOne(t, "good")
	ps, err := f.svc.ListPipelines(t.Context(), bad.ID, 0, 10)
	if err != nil || len(ps) != 1 {
		t.Fatalf("pipelines %v %v", ps, err)
	}
	p := f.get(t, ps[0].ID)
	// a fails and b is skipped; c fails and its retry queues behind good.
	wantStates(t, p, "a=failure b=skipped c=pending")
	j := current(p)
	if !strings.HasPrefix(j["a"].Message, "could not be dispatched: ") || !strings.Contains(j["a"].Message, "clone token") ||
		j["c"].Attempt != 2 {
		t.Fatalf("jobs %+v", j)
	}
	// The retry cannot be dispatched either.
	if runs := f.agent(1, nil).claim(t); len(runs) != 0 {
		t.Fatalf("claimed %d", len(runs))
	}
	p = f.get(t, p.ID)
	wantStates(t, p, "a=failure b=skipped c=failure")
	if p.State != pipeline.StateFailure {
		t.Fatalf("pipeline %s", p.State)
	}

	// A job assigned before the tokens failed, and never acknowledged, is
	// failed by Reconcile rather than making the agent's every reconnect
	// fail.
	f.tokens.failProject(bad.ID, false)
	f.repos.set("refs/heads/main", sha(10), "jobs:\n  d:\n    steps: [x]\n")
	if err := f.svc.TriggerPush(asUser(t.Context(), f.owner), pipeline.PushEvent{
		ProjectID: bad.ID, PusherID: f.owner, Refs: []pipeline.RefUpdate{{Ref: "refs/heads/main", Old: sha(9), New: sha(10)}},
	}); err != nil {
		t.Fatal(err)
	}
	other := f.agent(1, nil)
	other.claimOne(t, "d")
	f.tokens.failProject(bad.ID, true)
	resend, _, err := f.svc.Reconcile(t.Context(), other.info, nil)
	if err != nil || len(resend) != 0 {
		t.Fatalf("reconcile: resend %v (%v)", resend, err)
	}
	ps, err = f.svc.ListPipelines(t.Context(), bad.ID, 0, 10)
	if err != nil || len(ps) != 2 {
		t.Fatalf("pipelines %v %v", ps, err)
	}
	if d := current(f.get(t, ps[0].ID))["d"]; d.State != pipeline.StateFailure || !strings.HasPrefix(d.Message, "could not be dispatched: ") {
		t.Fatalf("d %+v", d)
	}
}

// TestHeartbeatResendsUnconfirmedJobs: a RunJob that went down a dying
// stream (the agent neither confirmed nor reports it) is sent again with
// a heartbeat's answer once it is overdue, with a fresh clone token; a job
// the agent reports is never sent twice.
func TestHeartbeatResendsUnconfirmedJobs(t *testing.T) {
	f := newFixture(t)
	f.push(t, "refs/heads/main", zero, sha(1), "jobs:\n  lost:\n    steps: [x]\n  held:\n    steps: [x]\n")
	ag := f.agent(2, nil)
	ids := map[string]string{}
	for _, r := range ag.claim(t) {
		ids[r.Name] = r.JobID.String()
	}
	ctx := t.Context()
	if _, resend, err := f.svc.Heartbeat(ctx, ag.info.ID, []string{ids["held"]}); err != nil || len(resend) != 0 {
		t.Fatalf("resent %v before it was overdue (%v)", resend, err)
	}
	f.clock.Advance(time.Minute)
	_, resend, err := f.svc.Heartbeat(ctx, ag.info.ID, []string{ids["held"]})
	if err != nil || len(resend) != 1 || resend[0].JobID.String() != ids["lost"] || resend[0].CloneToken == "" {
		t.Fatalf("resent %v (%v), want lost's RunJob", resend, err)
	}
	// Sent again just now: not again at the next heartbeat.
	if _, again, err := f.svc.Heartbeat(ctx, ag.info.ID, []string{ids["held"]}); err != nil || len(again) != 0 {
		t.Fatalf("resent %v at once again (%v)", again, err)
	}
	// The agent confirms it: never resent after that.
	ag.status(t, ids["lost"], jobs.StateRunning)
	f.clock.Advance(time.Minute)
	if _, again, err := f.svc.Heartbeat(ctx, ag.info.ID, []string{ids["held"], ids["lost"]}); err != nil || len(again) != 0 {
		t.Fatalf("resent %v after it was confirmed (%v)", again, err)
	}
}
