package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/jobs"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// fakeAuthz answers like rbac.Service for private projects: grants per
// user and project.
type fakeAuthz struct {
	grants map[uuid.UUID]map[uuid.UUID]access.Set
}

func (a fakeAuthz) Authorize(_ context.Context, p access.Principal, perm access.Permission, project uuid.UUID) error {
	if p.IsAnonymous() {
		return apperr.Unauthenticated("sign in first")
	}
	set := a.grants[p.UserID][project]
	switch {
	case set.Has(perm):
		return nil
	case project != uuid.Nil && !set.Has(access.ProjectRead):
		return apperr.NotFound("project not found")
	}
	return apperr.PermissionDenied("permission %s is required", perm)
}

// authzInterceptor applies the API's rules as the server's interceptor
// does (see server/authz.go), and maps apperr kinds to Connect codes as
// its error interceptor does.
type authzInterceptor struct {
	rules access.Rules
	authz fakeAuthz
}

func (a authzInterceptor) check(ctx context.Context, procedure string, req any) error {
	rule, ok := a.rules[procedure]
	if !ok {
		return fmt.Errorf("no rule for %s", procedure)
	}
	if rule.Public {
		return nil
	}
	p := access.PrincipalFrom(ctx)
	var project uuid.UUID
	if rule.Project != nil {
		var err error
		if project, err = rule.Project(ctx, req); err != nil {
			if kindOf(err) == apperr.KindNotFound && p.IsAnonymous() {
				return apperr.Unauthenticated("sign in first")
			}
			return err
		}
	}
	return a.authz.Authorize(ctx, p, rule.Permission, project)
}

var codes = map[apperr.Kind]connect.Code{
	apperr.KindInvalid: connect.CodeInvalidArgument, apperr.KindNotFound: connect.CodeNotFound,
	apperr.KindConflict: connect.CodeAlreadyExists, apperr.KindUnauthenticated: connect.CodeUnauthenticated,
	apperr.KindPermissionDenied: connect.CodePermissionDenied, apperr.KindFailedPrecondition: connect.CodeFailedPrecondition,
	apperr.KindResourceExhausted: connect.CodeResourceExhausted, apperr.KindUnavailable: connect.CodeUnavailable,
}

func toConnect(err error) error {
	if e, ok := apperr.As(err); ok {
		return connect.NewError(codes[e.Kind], errors.New(e.Message))
	}
	return err
}

func (a authzInterceptor) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if err := a.check(ctx, req.Spec().Procedure, req.Any()); err != nil {
			return nil, toConnect(err)
		}
		res, err := next(ctx, req)
		return res, toConnect(err)
	}
}

func (a authzInterceptor) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return next
}

// WrapStreamingHandler decides on the first request message, as the
// server's does: FollowJobLog is its only stream, so the message type is
// known here.
func (a authzInterceptor) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return func(ctx context.Context, conn connect.StreamingHandlerConn) error {
		first := &hearthv1.FollowJobLogRequest{}
		if err := conn.Receive(first); err != nil {
			return err
		}
		if err := a.check(ctx, conn.Spec().Procedure, first); err != nil {
			return toConnect(err)
		}
		return toConnect(next(ctx, &replayFirst{StreamingHandlerConn: conn, first: first}))
	}
}

// replayFirst hands the handler the message the interceptor read.
type replayFirst struct {
	connect.StreamingHandlerConn
	first *hearthv1.FollowJobLogRequest
}

func (c *replayFirst) Receive(m any) error {
	if c.first == nil {
		return c.StreamingHandlerConn.Receive(m)
	}
	proto.Merge(m.(*hearthv1.FollowJobLogRequest), c.first)
	c.first = nil
	return nil
}

type apiFixture struct {
	*fixture
	url                    string
	reader, runner, nobody uuid.UUID
}

// startAPI serves the API and the downloads; "Authorization: Bearer
// <user-id>" signs a request in (the server's authentication does this for
// real).
func startAPI(t *testing.T) apiFixture {
	t.Helper()
	f := newFixture(t)
	af := apiFixture{fixture: f, reader: uuid.New(), runner: uuid.New(), nobody: uuid.New()}
	authz := fakeAuthz{grants: map[uuid.UUID]map[uuid.UUID]access.Set{
		af.reader: {f.project.ID: access.SetOf(access.ProjectRead, access.PipelineRead)},
		af.runner: {f.project.ID: access.SetOf(access.ProjectRead, access.PipelineRead, access.PipelineRun)},
	}}
	api := pipeline.NewAPI(f.svc)
	mux := http.NewServeMux()
	path, h := api.Handler(connect.WithInterceptors(authzInterceptor{rules: api.Rules(), authz: authz}))
	mux.Handle(path, h)
	pipeline.RegisterDownloads(mux, pipeline.DownloadDeps{Pipelines: f.svc, Authz: authz})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			id, err := uuid.Parse(tok)
			if err != nil {
				r = r.WithContext(access.WithAuthError(r.Context(), err))
			} else {
				r = r.WithContext(access.WithPrincipal(r.Context(), access.Principal{Kind: access.User, UserID: id, Username: "u" + tok[:6]}))
			}
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	af.url = srv.URL
	return af
}

type bearer string

func (b bearer) WrapUnary(next connect.UnaryFunc) connect.UnaryFunc {
	return func(ctx context.Context, req connect.AnyRequest) (connect.AnyResponse, error) {
		if b != "" {
			req.Header().Set("Authorization", "Bearer "+string(b))
		}
		return next(ctx, req)
	}
}

func (b bearer) WrapStreamingClient(next connect.StreamingClientFunc) connect.StreamingClientFunc {
	return func(ctx context.Context, spec connect.Spec) connect.StreamingClientConn {
		conn := next(ctx, spec)
		if b != "" {
			conn.RequestHeader().Set("Authorization", "Bearer "+string(b))
		}
		return conn
	}
}

func (b bearer) WrapStreamingHandler(next connect.StreamingHandlerFunc) connect.StreamingHandlerFunc {
	return next
}

func (af apiFixture) client(user uuid.UUID) hearthv1connect.PipelineServiceClient {
	tok := ""
	if user != uuid.Nil {
		tok = user.String()
	}
	return hearthv1connect.NewPipelineServiceClient(http.DefaultClient, af.url, connect.WithInterceptors(bearer(tok)))
}

func TestRulesCoverEveryRPC(t *testing.T) {
	rules := pipeline.NewAPI(nil).Rules()
	svc := hearthv1.File_hearth_v1_pipeline_proto.Services().ByName("PipelineService")
	run := map[string]bool{"RunPipeline": true, "CancelPipeline": true, "RetryPipeline": true, "RetryJob": true, "CancelJob": true,
		"SetCommitStatus": true, "CreateSchedule": true, "DeleteSchedule": true}
	for i := range svc.Methods().Len() {
		name := string(svc.Methods().Get(i).Name())
		r, ok := rules["/hearth.v1.PipelineService/"+name]
		switch {
		case !ok:
			t.Errorf("%s has no rule", name)
		case run[name] && (r.Permission != access.PipelineRun || r.Project == nil):
			t.Errorf("%s: %+v, want pipeline:run on its project", name, r)
		case !run[name] && (r.Permission != access.PipelineRead || r.Project == nil):
			t.Errorf("%s: %+v, want pipeline:read on its project", name, r)
		}
	}
	if len(rules) != svc.Methods().Len() {
		t.Errorf("%d rules for %d methods", len(rules), svc.Methods().Len())
	}
}

func TestAPIAuthorization(t *testing.T) {
	af := startAPI(t)
	ctx := t.Context()
	af.push(t, "refs/heads/main", zero, sha(1), dag)
	p := af.latest(t)
	jobID := current(p)["build"].ID.String()

	type call func(c hearthv1connect.PipelineServiceClient) error
	calls := map[string]call{
		"ListPipelines": func(c hearthv1connect.PipelineServiceClient) error {
			_, err := c.ListPipelines(ctx, &hearthv1.ListPipelinesRequest{Owner: "ada", Name: "tools"})
			return err
		},
		"GetPipeline": func(c hearthv1connect.PipelineServiceClient) error {
			_, err := c.GetPipeline(ctx, &hearthv1.GetPipelineRequest{Id: p.ID.String()})
			return err
		},
		"GetJob": func(c hearthv1connect.PipelineServiceClient) error {
			_, err := c.GetJob(ctx, &hearthv1.GetJobRequest{Id: jobID})
			return err
		},
		"RunPipeline": func(c hearthv1connect.PipelineServiceClient) error {
			_, err := c.RunPipeline(ctx, &hearthv1.RunPipelineRequest{Owner: "ada", Name: "tools", Ref: "main"})
			return err
		},
		// The job is pending: a stream that opens (its first, empty piece
		// arrives) was allowed.
		"FollowJobLog": func(c hearthv1connect.PipelineServiceClient) error {
			s, err := c.FollowJobLog(ctx, &hearthv1.FollowJobLogRequest{JobId: jobID})
			if err != nil {
				return err
			}
			defer s.Close()
			if s.Receive() {
				return nil
			}
			return s.Err()
		},
	}
	want := []struct {
		who  string
		user uuid.UUID
		code map[string]connect.Code
	}{
		{"anonymous", uuid.Nil, map[string]connect.Code{"ListPipelines": connect.CodeUnauthenticated, "GetPipeline": connect.CodeUnauthenticated,
			"GetJob": connect.CodeUnauthenticated, "RunPipeline": connect.CodeUnauthenticated, "FollowJobLog": connect.CodeUnauthenticated}},
		{"no permission", af.nobody, map[string]connect.Code{"ListPipelines": connect.CodeNotFound, "GetPipeline": connect.CodeNotFound,
			"GetJob": connect.CodeNotFound, "RunPipeline": connect.CodeNotFound, "FollowJobLog": connect.CodeNotFound}},
		{"reader", af.reader, map[string]connect.Code{"ListPipelines": 0, "GetPipeline": 0, "GetJob": 0,
			"RunPipeline": connect.CodePermissionDenied, "FollowJobLog": 0}},
		{"runner", af.runner, map[string]connect.Code{"ListPipelines": 0, "GetPipeline": 0, "GetJob": 0, "RunPipeline": 0,
			"FollowJobLog": 0}},
	}
	for _, w := range want {
		for name, c := range calls {
			err := c(af.client(w.user))
			got := connect.Code(0)
			if err != nil {
				got = connect.CodeOf(err)
			}
			if got != w.code[name] {
				t.Errorf("%s %s: %v, want %v", w.who, name, err, w.code[name])
			}
		}
	}
	// Unknown ids are NotFound for the signed-in, 401 for the anonymous.
	_, err := af.client(af.runner).GetPipeline(ctx, &hearthv1.GetPipelineRequest{Id: uuid.New().String()})
	if connect.CodeOf(err) != connect.CodeNotFound {
		t.Fatalf("unknown pipeline: %v", err)
	}
	_, err = af.client(af.runner).CancelJob(ctx, &hearthv1.CancelJobRequest{Id: "junk"})
	if connect.CodeOf(err) != connect.CodeNotFound {
		t.Fatalf("junk job id: %v", err)
	}
	for _, user := range []uuid.UUID{af.runner, uuid.Nil} {
		s, err := af.client(user).FollowJobLog(ctx, &hearthv1.FollowJobLogRequest{JobId: uuid.New().String()})
		if err == nil {
			for s.Receive() {
			}
			err = s.Err()
			s.Close()
		}
		if want := map[bool]connect.Code{true: connect.CodeUnauthenticated, false: connect.CodeNotFound}[user == uuid.Nil]; connect.CodeOf(err) != want {
			t.Fatalf("following an unknown job as %v: %v, want %v", user, err, want)
		}
	}
}

func TestAPIPipelinesAndLogs(t *testing.T) {
	af := startAPI(t)
	ctx := t.Context()
	runner := af.client(af.runner)
	const file = "jobs:\n  build:\n    steps: [make]\n"
	for i := 1; i <= 5; i++ {
		af.push(t, "refs/heads/main", zero, sha(i), file)
	}
	// Pages of 2, newest first.
	var numbers []int64
	tok := ""
	for range 4 {
		res, err := runner.ListPipelines(ctx, &hearthv1.ListPipelinesRequest{Owner: "ada", Name: "tools", PageSize: 2, PageToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range res.GetPipelines() {
			numbers = append(numbers, p.GetNumber())
		}
		if tok = res.GetNextPageToken(); tok == "" {
			break
		}
	}
	if fmt.Sprint(numbers) != "[5 4 3 2 1]" {
		t.Fatalf("pages %v", numbers)
	}
	_, err := runner.ListPipelines(ctx, &hearthv1.ListPipelinesRequest{Owner: "ada", Name: "tools", PageToken: "bogus"})
	if connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Fatalf("bad token: %v", err)
	}

	// Run one with variables; get it with its jobs.
	res, err := runner.RunPipeline(ctx, &hearthv1.RunPipelineRequest{Owner: "ada", Name: "tools", Variables: map[string]string{"X": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	p := res.GetPipeline()
	if p.GetEvent() != "manual" || p.GetTriggeredBy() != af.runner.String() || p.GetVariables()["X"] != "1" || p.GetNumber() != 6 {
		t.Fatalf("run %v", p)
	}
	got, err := runner.GetPipeline(ctx, &hearthv1.GetPipelineRequest{Id: p.GetId()})
	if err != nil || len(got.GetPipeline().GetJobs()) != 1 {
		t.Fatalf("get %v %v", got, err)
	}
	job := got.GetPipeline().GetJobs()[0]
	if job.GetState() != hearthv1.PipelineState_PIPELINE_STATE_PENDING || job.GetAttempt() != 1 ||
		fmt.Sprint(job.GetStepNames()) != "[checkout make]" || job.GetTimeout().AsDuration().Hours() != 1 {
		t.Fatalf("job %v", job)
	}

	// Follow the log live from a reader while an agent runs the job.
	ag := af.agent(10, nil)
	var run *jobs.Run
	for _, r := range ag.claim(t) {
		if r.JobID.String() == job.GetId() {
			run = &r
		}
	}
	if run == nil {
		t.Fatal("the manual pipeline's job was not claimed")
	}
	ag.status(t, run.JobID.String(), jobs.StateRunning)
	stream, err := af.client(af.reader).FollowJobLog(ctx, &hearthv1.FollowJobLogRequest{JobId: run.JobID.String()})
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	ag.log(t, run.JobID.String(), 0, 0, "clone\n")
	ag.log(t, run.JobID.String(), 1, 0, "\x1b[1mbuild\x1b[0m\n")
	ag.status(t, run.JobID.String(), jobs.StateSuccess, 6, 14)
	var text strings.Builder
	final := hearthv1.PipelineState_PIPELINE_STATE_UNSPECIFIED
	for stream.Receive() {
		m := stream.Msg()
		text.Write(m.GetData())
		if m.GetFinalState() != hearthv1.PipelineState_PIPELINE_STATE_UNSPECIFIED {
			final = m.GetFinalState()
		}
	}
	if stream.Err() != nil || text.String() != "clone\n\x1b[1mbuild\x1b[0m\n" || final != hearthv1.PipelineState_PIPELINE_STATE_SUCCESS {
		t.Fatalf("followed %q, final %v (%v)", text.String(), final, stream.Err())
	}

	// Resume from step 1, offset 7.
	stream2, err := af.client(af.reader).FollowJobLog(ctx, &hearthv1.FollowJobLogRequest{JobId: run.JobID.String(), Step: 1, Offset: 7})
	if err != nil {
		t.Fatal(err)
	}
	text.Reset()
	for stream2.Receive() {
		text.Write(stream2.Msg().GetData())
	}
	if stream2.Err() != nil || text.String() != "ld\x1b[0m\n" {
		t.Fatalf("resumed %q (%v)", text.String(), stream2.Err())
	}

	// The raw log over plain HTTP.
	status, header, body := af.download(t, "/api/v1/jobs/"+run.JobID.String()+"/log", af.reader)
	if status != 200 || header.Get("Content-Type") != "text/plain; charset=utf-8" || body != "clone\n\x1b[1mbuild\x1b[0m\n" {
		t.Fatalf("raw log: %d %v %q", status, header, body)
	}
	if status, header, _ := af.download(t, "/api/v1/jobs/"+run.JobID.String()+"/log", uuid.Nil); status != 401 || header.Get("WWW-Authenticate") == "" {
		t.Fatalf("anonymous raw log: %d", status)
	}
	if status, _, _ := af.download(t, "/api/v1/jobs/"+run.JobID.String()+"/log", af.nobody); status != 404 {
		t.Fatalf("raw log without permission: %d", status)
	}
	if status, _, _ := af.download(t, "/api/v1/jobs/"+uuid.NewString()+"/log", uuid.Nil); status != 401 {
		t.Fatalf("anonymous unknown job: %d", status)
	}

	// Cancel a new pipeline over the API before any agent takes its job.
	af.push(t, "refs/heads/main", sha(5), sha(9), file)
	first := af.latest(t)
	cres, err := runner.CancelPipeline(ctx, &hearthv1.CancelPipelineRequest{Id: first.ID.String()})
	if err != nil || cres.GetPipeline().GetState() != hearthv1.PipelineState_PIPELINE_STATE_CANCELLED {
		t.Fatalf("cancel %v %v", cres, err)
	}
	// A job cancelled before it ran has no log to follow: just its end.
	cj := cres.GetPipeline().GetJobs()[0]
	s3, err := af.client(af.reader).FollowJobLog(ctx, &hearthv1.FollowJobLogRequest{JobId: cj.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for s3.Receive() {
		n++
		if m := s3.Msg(); len(m.GetData()) != 0 || (n == 2) != (m.GetFinalState() == hearthv1.PipelineState_PIPELINE_STATE_CANCELLED) {
			t.Fatalf("follow of a cancelled job: message %d %v", n, m)
		}
	}
	if n != 2 || s3.Err() != nil {
		t.Fatalf("%d messages (%v)", n, s3.Err())
	}
	if _, err := runner.RetryPipeline(ctx, &hearthv1.RetryPipelineRequest{Id: first.ID.String()}); err != nil {
		t.Fatal(err)
	}
	rj, err := runner.RetryJob(ctx, &hearthv1.RetryJobRequest{Id: run.JobID.String()})
	if err != nil || rj.GetJob().GetAttempt() != 2 {
		t.Fatalf("retry job %v %v", rj, err)
	}
}

func (af apiFixture) download(t *testing.T, path string, user uuid.UUID) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, af.url+path, nil)
	if user != uuid.Nil {
		req.Header.Set("Authorization", "Bearer "+user.String())
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

func TestAPIArtifactsStatusesSchedules(t *testing.T) {
	af := startAPI(t)
	ctx := t.Context()
	runner := af.client(af.runner)
	af.push(t, "refs/heads/main", zero, sha(1), "jobs:\n  a:\n    artifacts: {paths: [out/]}\n    steps: [x]\n")
	ag := af.agent(1, nil)
	run := ag.claimOne(t, "a")
	up, err := af.svc.UploadArtifact(ctx, ag.info.ID, run.JobID, "", strings.NewReader("\x1f\x8bgzip"))
	if err != nil {
		t.Fatal(err)
	}
	list, err := af.client(af.reader).ListArtifacts(ctx, &hearthv1.ListArtifactsRequest{JobId: run.JobID.String()})
	if err != nil || len(list.GetArtifacts()) != 1 || list.GetArtifacts()[0].GetId() != up.ID.String() {
		t.Fatalf("artifacts %v %v", list, err)
	}
	status, header, body := af.download(t, "/api/v1/artifacts/"+up.ID.String()+"/download", af.reader)
	if status != 200 || header.Get("Content-Type") != "application/gzip" || body != "\x1f\x8bgzip" ||
		header.Get("Content-Disposition") != `attachment; filename="artifacts.tar.gz"` {
		t.Fatalf("artifact download: %d %v %q", status, header, body)
	}
	for _, c := range []struct {
		user uuid.UUID
		id   string
		want int
	}{{uuid.Nil, up.ID.String(), 401}, {af.nobody, up.ID.String(), 404}, {af.reader, uuid.NewString(), 404}, {uuid.Nil, "junk", 401}} {
		if status, _, _ := af.download(t, "/api/v1/artifacts/"+c.id+"/download", c.user); status != c.want {
			t.Errorf("artifact %s as %v: %d, want %d", c.id, c.user, status, c.want)
		}
	}

	// External commit statuses.
	set, err := runner.SetCommitStatus(ctx, &hearthv1.SetCommitStatusRequest{
		Owner: "ada", Name: "tools", Sha: sha(1), Context: "ci/lint", State: hearthv1.CommitStatusState_COMMIT_STATUS_STATE_SUCCESS,
		Description: "clean", TargetUrl: "https://lint.example/1",
	})
	if err != nil || set.GetStatus().GetContext() != "ci/lint" {
		t.Fatalf("set status %v %v", set, err)
	}
	for _, bad := range []*hearthv1.SetCommitStatusRequest{
		{Owner: "ada", Name: "tools", Sha: sha(1), Context: "hearth/pipeline", State: hearthv1.CommitStatusState_COMMIT_STATUS_STATE_SUCCESS},
		{Owner: "ada", Name: "tools", Sha: "abc", Context: "x", State: hearthv1.CommitStatusState_COMMIT_STATUS_STATE_SUCCESS},
		{Owner: "ada", Name: "tools", Sha: sha(1), Context: "x"},
		{Owner: "ada", Name: "tools", Sha: sha(1), Context: "x", State: hearthv1.CommitStatusState_COMMIT_STATUS_STATE_ERROR, TargetUrl: "javascript:alert(1)"},
	} {
		if _, err := runner.SetCommitStatus(ctx, bad); connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Errorf("status %v: %v", bad, err)
		}
	}
	if _, err := af.client(af.reader).SetCommitStatus(ctx, &hearthv1.SetCommitStatusRequest{Owner: "ada", Name: "tools", Sha: sha(1), Context: "x"}); connect.CodeOf(err) != connect.CodePermissionDenied {
		t.Fatalf("reader sets status: %v", err)
	}
	ss, err := af.client(af.reader).ListCommitStatuses(ctx, &hearthv1.ListCommitStatusesRequest{Owner: "ada", Name: "tools", Sha: sha(1)})
	if err != nil || len(ss.GetStatuses()) != 2 {
		t.Fatalf("statuses %v %v", ss, err)
	}

	// Schedules.
	af.repos.set("refs/heads/main", sha(1), "")
	cs, err := runner.CreateSchedule(ctx, &hearthv1.CreateScheduleRequest{Owner: "ada", Name: "tools", Cron: "0 3 * * *", Ref: "main"})
	if err != nil || !cs.GetSchedule().GetActive() {
		t.Fatalf("create schedule %v %v", cs, err)
	}
	ls, err := af.client(af.reader).ListSchedules(ctx, &hearthv1.ListSchedulesRequest{Owner: "ada", Name: "tools"})
	if err != nil || len(ls.GetSchedules()) != 1 {
		t.Fatalf("schedules %v %v", ls, err)
	}
	if _, err := af.client(af.reader).DeleteSchedule(ctx, &hearthv1.DeleteScheduleRequest{Owner: "ada", Name: "tools", Id: cs.GetSchedule().GetId()}); connect.CodeOf(err) != connect.CodePermissionDenied {
		t.Fatalf("reader deletes: %v", err)
	}
	if _, err := runner.DeleteSchedule(ctx, &hearthv1.DeleteScheduleRequest{Owner: "ada", Name: "tools", Id: cs.GetSchedule().GetId()}); err != nil {
		t.Fatal(err)
	}
}
