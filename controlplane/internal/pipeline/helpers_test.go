package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.uber.org/goleak"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/jobs"
	"github.com/hearth-dev/hearth/controlplane/internal/objectstore"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline/artifact"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline/joblog"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/controlplane/testsvc"
)

// The real log and artifact stores satisfy the interfaces.
var (
	_ pipeline.Logs      = (*joblog.Store)(nil)
	_ pipeline.Artifacts = (*artifact.Store)(nil)
)

func TestMain(m *testing.M) {
	code := testsvc.Run(m)
	if code == 0 {
		// Idle keep-alive connections of the S3 clients are not leaks.
		if err := goleak.Find(
			goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
			goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
			goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
		); err != nil {
			fmt.Fprintln(os.Stderr, "goroutines leaked:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// waitLimit bounds every wait for a message or an event.
const waitLimit = 20 * time.Second

// clock is an injectable clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// sha is a fake commit id.
func sha(n int) string { return fmt.Sprintf("%040x", n) }

const zero = "0000000000000000000000000000000000000000"

type fakeProjects struct {
	mu   sync.Mutex
	byID map[uuid.UUID]pipeline.Project
}

func (f *fakeProjects) ByPath(_ context.Context, owner, name string) (pipeline.Project, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.byID {
		if strings.EqualFold(p.Path, owner+"/"+name) {
			return p, nil
		}
	}
	return pipeline.Project{}, apperr.NotFound("project not found")
}

func (f *fakeProjects) ByID(_ context.Context, id uuid.UUID) (pipeline.Project, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.byID[id]
	if !ok {
		return pipeline.Project{}, store.ErrNotFound
	}
	return p, nil
}

// fakeRepos is a repository of refs and .hearth.yml contents by commit.
type fakeRepos struct {
	mu      sync.Mutex
	refs    map[string]string   // full ref → commit
	files   map[string]string   // commit → .hearth.yml
	changed map[string][]string // old+new → paths
	large   map[string]bool     // commit → ReadFile says ErrFileTooLarge
	reads   int
}

func newRepos() *fakeRepos {
	return &fakeRepos{refs: map[string]string{}, files: map[string]string{}, changed: map[string][]string{}, large: map[string]bool{}}
}

func (f *fakeRepos) set(ref, commit, file string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refs[ref] = commit
	if file != "" {
		f.files[commit] = file
	}
}

func (f *fakeRepos) ResolveRef(_ context.Context, _ uuid.UUID, ref string) (string, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, full := range []string{ref, "refs/heads/" + ref, "refs/tags/" + ref} {
		if c, ok := f.refs[full]; ok {
			return full, c, nil
		}
	}
	return "", "", apperr.NotFound("ref not found")
}

func (f *fakeRepos) ReadFile(_ context.Context, _ uuid.UUID, commit, path string, maxBytes int64) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	if path != pipeline.SpecPath {
		return nil, store.ErrNotFound
	}
	if f.large[commit] {
		return nil, pipeline.ErrFileTooLarge
	}
	data, ok := f.files[commit]
	if !ok {
		return nil, store.ErrNotFound
	}
	if int64(len(data)) > maxBytes+1 {
		data = data[:maxBytes+1] // as a Repositories that cuts would
	}
	return []byte(data), nil
}

func (f *fakeRepos) ChangedPaths(_ context.Context, _ uuid.UUID, oldCommit, newCommit string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.changed[oldCommit+newCommit], nil
}

// fakeTokens issues clone tokens and remembers which are live.
type fakeTokens struct {
	mu     sync.Mutex
	live   map[uuid.UUID]string
	issued []issued
	// failFor: projects whose tokens cannot be issued.
	failFor map[uuid.UUID]bool
}

func (f *fakeTokens) failProject(id uuid.UUID, fail bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failFor == nil {
		f.failFor = map[uuid.UUID]bool{}
	}
	f.failFor[id] = fail
}

type issued struct {
	user, project uuid.UUID
	expires       time.Time
}

func (f *fakeTokens) Issue(_ context.Context, user, project uuid.UUID, expires time.Time) (string, uuid.UUID, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failFor[project] {
		return "", uuid.Nil, errors.New("the token store is unavailable")
	}
	id := uuid.New()
	tok := "hct_" + id.String()
	f.live[id] = tok
	f.issued = append(f.issued, issued{user, project, expires})
	return tok, id, nil
}

func (f *fakeTokens) Revoke(_ context.Context, id uuid.UUID) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.live, id)
	return nil
}

func (f *fakeTokens) liveCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.live)
}

func (f *fakeTokens) isLive(tok string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range f.live {
		if t == tok {
			return true
		}
	}
	return false
}

// fakeAgents records what the listener asks of the gateway.
type fakeAgents struct {
	mu      sync.Mutex
	wakes   int
	cancels []string
}

func (f *fakeAgents) WakeAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.wakes++
}

func (f *fakeAgents) Cancel(agentID, jobID uuid.UUID, _ string, epoch uint64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := agentID.String() + ":" + jobID.String()
	if epoch != 0 {
		c += fmt.Sprintf(" epoch %d", epoch)
	}
	f.cancels = append(f.cancels, c)
	return true
}

func (f *fakeAgents) snapshot() (int, []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.wakes, slices.Clone(f.cancels)
}

type fixture struct {
	svc       *pipeline.Service
	db        *store.DB
	clock     *clock
	projects  *fakeProjects
	repos     *fakeRepos
	tokens    *fakeTokens
	logs      *joblog.Store
	artifacts *artifact.Store
	project   pipeline.Project
	owner     uuid.UUID
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	d := testsvc.NewDatabase(t)
	s3 := testsvc.S3(t)
	objects, err := objectstore.Open(ctx, objectstore.Config{
		Endpoint: "http://" + s3.Endpoint, Region: s3.Region, Bucket: s3.Bucket,
		AccessKey: s3.AccessKey, SecretKey: s3.SecretKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	// No pub/sub: followers poll, which is enough here.
	logs, err := joblog.New(joblog.Deps{DB: d, Objects: objects, Logger: testsvc.Logger(t), PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	arts, err := artifact.New(artifact.Deps{DB: d, Objects: objects, Logger: testsvc.Logger(t), TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{
		db: d, clock: &clock{t: time.Now().UTC().Truncate(time.Microsecond)},
		projects: &fakeProjects{byID: map[uuid.UUID]pipeline.Project{}}, repos: newRepos(),
		tokens: &fakeTokens{live: map[uuid.UUID]string{}}, logs: logs, artifacts: arts, owner: uuid.New(),
	}
	f.project = f.addProject(t, "ada", "tools")
	f.svc, err = pipeline.New(pipeline.Deps{
		DB: d, Logger: testsvc.Logger(t), Projects: f.projects, Repositories: f.repos, JobTokens: f.tokens,
		Logs: logs, Artifacts: arts, Now: f.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) addProject(t *testing.T, owner, name string) pipeline.Project {
	t.Helper()
	var id uuid.UUID
	err := f.db.Pool.QueryRow(t.Context(), "INSERT INTO projects (owner_id, owner_name, name) VALUES ($1, $2, $3) RETURNING id",
		f.owner, owner, name).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	p := pipeline.Project{ID: id, Path: owner + "/" + name, DefaultBranch: "main", CloneURL: "http://hearth.test/" + owner + "/" + name + ".git"}
	f.projects.mu.Lock()
	f.projects.byID[id] = p
	f.projects.mu.Unlock()
	return p
}

// asUser returns ctx acting as a signed-in user.
func asUser(ctx context.Context, id uuid.UUID) context.Context {
	return access.WithPrincipal(ctx, access.Principal{Kind: access.User, UserID: id, Username: "user-" + id.String()[:8]})
}

// push moves ref from old to new with file as the new commit's .hearth.yml.
func (f *fixture) push(t *testing.T, ref, old, new, file string) {
	t.Helper()
	f.repos.set(ref, new, file)
	err := f.svc.TriggerPush(asUser(t.Context(), f.owner), pipeline.PushEvent{
		ProjectID: f.project.ID, PusherID: f.owner, Refs: []pipeline.RefUpdate{{Ref: ref, Old: old, New: new}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

// pipelines lists the project's pipelines, newest first.
func (f *fixture) pipelines(t *testing.T) []pipeline.Pipeline {
	t.Helper()
	ps, err := f.svc.ListPipelines(t.Context(), f.project.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func (f *fixture) latest(t *testing.T) pipeline.Pipeline {
	t.Helper()
	ps := f.pipelines(t)
	if len(ps) == 0 {
		t.Fatal("no pipeline")
	}
	p, err := f.svc.GetPipeline(t.Context(), ps[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *fixture) get(t *testing.T, id uuid.UUID) pipeline.Pipeline {
	t.Helper()
	p, err := f.svc.GetPipeline(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// current returns the pipeline's current (newest) attempt of each job.
func current(p pipeline.Pipeline) map[string]pipeline.Job {
	out := map[string]pipeline.Job{}
	for _, j := range p.Jobs {
		if !j.Superseded {
			out[j.Name] = j
		}
	}
	return out
}

// states renders the current jobs' states, "name=state" sorted by name.
func states(p pipeline.Pipeline) string {
	var out []string
	for name, j := range current(p) {
		out = append(out, name+"="+string(j.State))
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

func wantStates(t *testing.T, p pipeline.Pipeline, want string) {
	t.Helper()
	if got := states(p); got != want {
		t.Fatalf("pipeline #%d jobs: %s, want %s", p.Number, got, want)
	}
}

func kindOf(err error) apperr.Kind {
	if e, ok := apperr.As(err); ok {
		return e.Kind
	}
	return 0
}

func wantKind(t *testing.T, what string, err error, want apperr.Kind) {
	t.Helper()
	if got := kindOf(err); got != want {
		t.Fatalf("%s: error %v (kind %d), want kind %d", what, err, got, want)
	}
}

// agent drives the pipeline as a node agent would.
type agent struct {
	f    *fixture
	info pipeline.AgentInfo
}

func (f *fixture) agent(capacity int, labels map[string]string) *agent {
	return &agent{f: f, info: pipeline.AgentInfo{ID: uuid.New(), ClusterID: uuid.New(), Labels: labels, Capacity: capacity, RunnerKind: "fake"}}
}

func (a *agent) claim(t *testing.T) []jobs.Run {
	t.Helper()
	runs, err := a.f.svc.Claim(t.Context(), a.info)
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

func (a *agent) claimOne(t *testing.T, name string) jobs.Run {
	t.Helper()
	runs := a.claim(t)
	if len(runs) != 1 || runs[0].Name != name {
		var names []string
		for _, r := range runs {
			names = append(names, r.Name)
		}
		t.Fatalf("claimed %v, want [%s]", names, name)
	}
	return runs[0]
}

func (a *agent) status(t *testing.T, job string, st jobs.State, lengths ...uint64) {
	t.Helper()
	if err := a.f.svc.Status(t.Context(), a.info.ID, jobs.Status{JobID: job, State: st, LogLengths: lengths, ExitCode: exitFor(st)}); err != nil {
		t.Fatalf("status %v of %s: %v", st, job, err)
	}
}

func exitFor(st jobs.State) int32 {
	if st == jobs.StateFailure {
		return 2
	}
	return 0
}

// log appends data to step of job at offset.
func (a *agent) log(t *testing.T, job string, step uint32, offset uint64, data string) uint64 {
	t.Helper()
	end, err := a.f.svc.AppendLog(t.Context(), a.info.ID, jobs.LogChunk{JobID: job, Step: step, Offset: offset, Data: []byte(data)})
	if err != nil {
		t.Fatalf("log of %s: %v", job, err)
	}
	return end
}

// run takes a claimed job through RUNNING, one log line and a final state.
func (a *agent) run(t *testing.T, job string, final jobs.State) {
	t.Helper()
	a.status(t, job, jobs.StateRunning)
	line := "output of " + job + "\n"
	a.log(t, job, 1, 0, line)
	a.status(t, job, final, 0, uint64(len(line)))
}
