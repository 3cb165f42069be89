package pipeline

import (
	"context"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline/artifact"
	hearthv1 "github.com/hearth-dev/hearth/shared/gen/hearth/v1"
	"github.com/hearth-dev/hearth/shared/gen/hearth/v1/hearthv1connect"
)

// API implements hearthv1connect.PipelineServiceHandler.
type API struct {
	svc *Service
}

var _ hearthv1connect.PipelineServiceHandler = (*API)(nil)

// NewAPI serves svc.
func NewAPI(svc *Service) *API { return &API{svc: svc} }

// Handler returns the Connect handler and its path prefix.
func (a *API) Handler(opts ...connect.HandlerOption) (string, http.Handler) {
	return hearthv1connect.NewPipelineServiceHandler(a, opts...)
}

// Rules declares what each RPC needs: pipeline:read to read, pipeline:run
// to run, cancel, retry, set statuses and manage schedules, on the project
// the request names by owner/name or by a pipeline or job id. An id that
// names nothing and one whose project the caller may not see answer
// alike (errNoPipeline, errNoJob: the rule's NotFound), so the answers
// reveal no private ids. FollowJobLog, a
// stream, is decided on its first (only) request message like the others.
func (a *API) Rules() access.Rules {
	read, run := access.PipelineRead, access.PipelineRun
	byPath := func(p access.Permission) access.Rule { return access.Rule{Permission: p, Project: a.projectOfPath} }
	byPipeline := func(p access.Permission) access.Rule {
		return access.Rule{Permission: p, Project: a.projectOfPipeline, NotFound: errNoPipeline}
	}
	byJob := func(p access.Permission) access.Rule {
		return access.Rule{Permission: p, Project: a.projectOfJob, NotFound: errNoJob}
	}
	return access.Rules{
		hearthv1connect.PipelineServiceListPipelinesProcedure:      byPath(read),
		hearthv1connect.PipelineServiceRunPipelineProcedure:        byPath(run),
		hearthv1connect.PipelineServiceGetPipelineProcedure:        byPipeline(read),
		hearthv1connect.PipelineServiceCancelPipelineProcedure:     byPipeline(run),
		hearthv1connect.PipelineServiceRetryPipelineProcedure:      byPipeline(run),
		hearthv1connect.PipelineServiceGetJobProcedure:             byJob(read),
		hearthv1connect.PipelineServiceRetryJobProcedure:           byJob(run),
		hearthv1connect.PipelineServiceCancelJobProcedure:          byJob(run),
		hearthv1connect.PipelineServiceFollowJobLogProcedure:       byJob(read),
		hearthv1connect.PipelineServiceListArtifactsProcedure:      byJob(read),
		hearthv1connect.PipelineServiceListCommitStatusesProcedure: byPath(read),
		hearthv1connect.PipelineServiceSetCommitStatusProcedure:    byPath(run),
		hearthv1connect.PipelineServiceCreateScheduleProcedure:     byPath(run),
		hearthv1connect.PipelineServiceListSchedulesProcedure:      byPath(read),
		hearthv1connect.PipelineServiceDeleteScheduleProcedure:     byPath(run),
	}
}

func (a *API) projectOfPath(ctx context.Context, req any) (uuid.UUID, error) {
	r, ok := req.(interface {
		GetOwner() string
		GetName() string
	})
	if !ok {
		return uuid.Nil, apperr.NotFound("project not found")
	}
	return a.project(ctx, r.GetOwner(), r.GetName())
}

func (a *API) project(ctx context.Context, owner, name string) (uuid.UUID, error) {
	p, err := a.svc.projects.ByPath(ctx, owner, name)
	if err != nil {
		return uuid.Nil, apperr.IfNotFound(err, "project not found")
	}
	return p.ID, nil
}

// What a pipeline or job id answers when it names nothing, or nothing the
// caller may see.
const (
	errNoPipeline = "pipeline not found"
	errNoJob      = "job not found"
)

func (a *API) projectOfPipeline(ctx context.Context, req any) (uuid.UUID, error) {
	r, ok := req.(interface{ GetId() string })
	if !ok {
		return uuid.Nil, apperr.NotFound(errNoPipeline)
	}
	id, err := uuid.Parse(r.GetId())
	if err != nil {
		return uuid.Nil, apperr.NotFound(errNoPipeline)
	}
	project, err := a.svc.PipelineProject(ctx, id)
	return project, apperr.IfNotFound(err, errNoPipeline)
}

func (a *API) projectOfJob(ctx context.Context, req any) (uuid.UUID, error) {
	var raw string
	switch r := req.(type) {
	case interface{ GetJobId() string }:
		raw = r.GetJobId()
	case interface{ GetId() string }:
		raw = r.GetId()
	default:
		return uuid.Nil, apperr.NotFound(errNoJob)
	}
	id, err := uuid.Parse(raw)
	if err != nil {
		return uuid.Nil, apperr.NotFound(errNoJob)
	}
	project, err := a.svc.JobProject(ctx, id)
	return project, apperr.IfNotFound(err, errNoJob)
}

// parseID reads an id; a malformed one is NotFound, like a missing one.
func parseID(s, what string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, apperr.NotFound("%s not found", what)
	}
	return id, nil
}

// Page sizes of ListPipelines.
const (
	defaultPageSize = 20
	maxPageSize     = 100
)

// ListPipelines lists a project's pipelines, newest first.
func (a *API) ListPipelines(ctx context.Context, req *hearthv1.ListPipelinesRequest) (*hearthv1.ListPipelinesResponse, error) {
	projectID, err := a.project(ctx, req.GetOwner(), req.GetName())
	if err != nil {
		return nil, err
	}
	size := int(req.GetPageSize())
	switch {
	case size < 0:
		return nil, apperr.Invalid("page size: 1-%d", maxPageSize)
	case size == 0:
		size = defaultPageSize
	case size > maxPageSize:
		size = maxPageSize
	}
	before, err := decodePageToken(req.GetPageToken())
	if err != nil {
		return nil, err
	}
	ps, err := a.svc.ListPipelines(ctx, projectID, before, size+1)
	if err != nil {
		return nil, err
	}
	out := &hearthv1.ListPipelinesResponse{}
	if len(ps) > size {
		ps = ps[:size]
		out.NextPageToken = encodePageToken(ps[size-1].Number)
	}
	out.Pipelines = make([]*hearthv1.Pipeline, len(ps))
	for i, p := range ps {
		out.Pipelines[i] = pipelineToProto(p)
	}
	return out, nil
}

// Page tokens are opaque to clients: the number to continue below.
const pageTokenPrefix = "p1:"

func encodePageToken(before int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(pageTokenPrefix + strconv.FormatInt(before, 10)))
}

func decodePageToken(tok string) (int64, error) {
	if tok == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err == nil {
		if rest, ok := strings.CutPrefix(string(raw), pageTokenPrefix); ok {
			if n, err := strconv.ParseInt(rest, 10, 64); err == nil && n > 0 {
				return n, nil
			}
		}
	}
	return 0, apperr.Invalid("page token: use next_page_token of the previous response")
}

// RunPipeline starts a manual pipeline.
func (a *API) RunPipeline(ctx context.Context, req *hearthv1.RunPipelineRequest) (*hearthv1.RunPipelineResponse, error) {
	projectID, err := a.project(ctx, req.GetOwner(), req.GetName())
	if err != nil {
		return nil, err
	}
	p, err := a.svc.RunPipeline(ctx, projectID, req.GetRef(), req.GetVariables())
	if err != nil {
		return nil, err
	}
	return &hearthv1.RunPipelineResponse{Pipeline: pipelineToProto(p)}, nil
}

// GetPipeline returns a pipeline with its jobs.
func (a *API) GetPipeline(ctx context.Context, req *hearthv1.GetPipelineRequest) (*hearthv1.GetPipelineResponse, error) {
	id, err := parseID(req.GetId(), "pipeline")
	if err != nil {
		return nil, err
	}
	p, err := a.svc.GetPipeline(ctx, id)
	if err != nil {
		return nil, err
	}
	return &hearthv1.GetPipelineResponse{Pipeline: pipelineToProto(p)}, nil
}

// CancelPipeline cancels a pipeline's unfinished jobs.
func (a *API) CancelPipeline(ctx context.Context, req *hearthv1.CancelPipelineRequest) (*hearthv1.CancelPipelineResponse, error) {
	id, err := parseID(req.GetId(), "pipeline")
	if err != nil {
		return nil, err
	}
	p, err := a.svc.CancelPipeline(ctx, id)
	if err != nil {
		return nil, err
	}
	return &hearthv1.CancelPipelineResponse{Pipeline: pipelineToProto(p)}, nil
}

// RetryPipeline retries a pipeline's unsuccessful jobs.
func (a *API) RetryPipeline(ctx context.Context, req *hearthv1.RetryPipelineRequest) (*hearthv1.RetryPipelineResponse, error) {
	id, err := parseID(req.GetId(), "pipeline")
	if err != nil {
		return nil, err
	}
	p, err := a.svc.RetryPipeline(ctx, id)
	if err != nil {
		return nil, err
	}
	return &hearthv1.RetryPipelineResponse{Pipeline: pipelineToProto(p)}, nil
}

// GetJob returns one job.
func (a *API) GetJob(ctx context.Context, req *hearthv1.GetJobRequest) (*hearthv1.GetJobResponse, error) {
	id, err := parseID(req.GetId(), "job")
	if err != nil {
		return nil, err
	}
	j, err := a.svc.GetJob(ctx, id)
	if err != nil {
		return nil, err
	}
	return &hearthv1.GetJobResponse{Job: jobToProto(j)}, nil
}

// RetryJob runs an ended job again.
func (a *API) RetryJob(ctx context.Context, req *hearthv1.RetryJobRequest) (*hearthv1.RetryJobResponse, error) {
	id, err := parseID(req.GetId(), "job")
	if err != nil {
		return nil, err
	}
	j, err := a.svc.RetryJob(ctx, id)
	if err != nil {
		return nil, err
	}
	return &hearthv1.RetryJobResponse{Job: jobToProto(j)}, nil
}

// CancelJob cancels one job.
func (a *API) CancelJob(ctx context.Context, req *hearthv1.CancelJobRequest) (*hearthv1.CancelJobResponse, error) {
	id, err := parseID(req.GetId(), "job")
	if err != nil {
		return nil, err
	}
	j, err := a.svc.CancelJob(ctx, id)
	if err != nil {
		return nil, err
	}
	return &hearthv1.CancelJobResponse{Job: jobToProto(j)}, nil
}

// FollowJobLog streams a job's log from (step, offset) until the job ends,
// then a last message with its final state.
func (a *API) FollowJobLog(ctx context.Context, req *hearthv1.FollowJobLogRequest, stream *connect.ServerStream[hearthv1.FollowJobLogResponse]) error {
	id, err := parseID(req.GetJobId(), "job")
	if err != nil {
		return err
	}
	j, err := a.svc.GetJob(ctx, id)
	if err != nil {
		return err
	}
	// An empty piece at the requested position first: it sends the
	// response headers, so clients (and proxies) see the stream open while
	// a queued job waits for an agent.
	if err := stream.Send(&hearthv1.FollowJobLogResponse{Step: req.GetStep(), Offset: req.GetOffset()}); err != nil {
		return err
	}
	// A job that ended without ever being assigned has no log to follow.
	if !j.State.Final() || j.AgentID != uuid.Nil {
		err = a.svc.logs.Follow(ctx, j.ID, req.GetStep(), req.GetOffset(), func(step uint32, offset uint64, data []byte) error {
			return stream.Send(&hearthv1.FollowJobLogResponse{Step: step, Offset: offset, Data: data})
		})
		if err != nil {
			return err
		}
		if j, err = a.svc.GetJob(ctx, j.ID); err != nil {
			return err
		}
	}
	return stream.Send(&hearthv1.FollowJobLogResponse{FinalState: stateToProto(j.State)})
}

// anonymousNotFound asks an anonymous caller to sign in rather than
// telling it what does not exist.
func anonymousNotFound(ctx context.Context, err error) error {
	if apperr.KindOf(err) == apperr.KindNotFound && access.PrincipalFrom(ctx).IsAnonymous() {
		return apperr.Unauthenticated("sign in first")
	}
	return err
}

// ListArtifacts lists a job's artifacts.
func (a *API) ListArtifacts(ctx context.Context, req *hearthv1.ListArtifactsRequest) (*hearthv1.ListArtifactsResponse, error) {
	id, err := parseID(req.GetJobId(), "job")
	if err != nil {
		return nil, err
	}
	as, err := a.svc.ListArtifacts(ctx, id)
	if err != nil {
		return nil, err
	}
	out := &hearthv1.ListArtifactsResponse{Artifacts: make([]*hearthv1.Artifact, len(as))}
	for i, ar := range as {
		out.Artifacts[i] = artifactToProto(ar)
	}
	return out, nil
}

// ListCommitStatuses lists a commit's statuses.
func (a *API) ListCommitStatuses(ctx context.Context, req *hearthv1.ListCommitStatusesRequest) (*hearthv1.ListCommitStatusesResponse, error) {
	projectID, err := a.project(ctx, req.GetOwner(), req.GetName())
	if err != nil {
		return nil, err
	}
	ss, err := a.svc.ListCommitStatuses(ctx, projectID, req.GetSha())
	if err != nil {
		return nil, err
	}
	out := &hearthv1.ListCommitStatusesResponse{Statuses: make([]*hearthv1.CommitStatus, len(ss))}
	for i, s := range ss {
		out.Statuses[i] = statusToProto(s)
	}
	return out, nil
}

var statusStateNames = map[hearthv1.CommitStatusState]string{
	hearthv1.CommitStatusState_COMMIT_STATUS_STATE_PENDING:   StatusPending,
	hearthv1.CommitStatusState_COMMIT_STATUS_STATE_RUNNING:   StatusRunning,
	hearthv1.CommitStatusState_COMMIT_STATUS_STATE_SUCCESS:   StatusSuccess,
	hearthv1.CommitStatusState_COMMIT_STATUS_STATE_FAILURE:   StatusFailure,
	hearthv1.CommitStatusState_COMMIT_STATUS_STATE_CANCELLED: StatusCancelled,
	hearthv1.CommitStatusState_COMMIT_STATUS_STATE_ERROR:     StatusError,
}

// SetCommitStatus records an external status.
func (a *API) SetCommitStatus(ctx context.Context, req *hearthv1.SetCommitStatusRequest) (*hearthv1.SetCommitStatusResponse, error) {
	projectID, err := a.project(ctx, req.GetOwner(), req.GetName())
	if err != nil {
		return nil, err
	}
	s, err := a.svc.SetCommitStatus(ctx, projectID, NewCommitStatus{
		SHA: req.GetSha(), Context: req.GetContext(), State: statusStateNames[req.GetState()],
		Description: req.GetDescription(), TargetURL: req.GetTargetUrl(),
	})
	if err != nil {
		return nil, err
	}
	return &hearthv1.SetCommitStatusResponse{Status: statusToProto(s)}, nil
}

// CreateSchedule creates a schedule.
func (a *API) CreateSchedule(ctx context.Context, req *hearthv1.CreateScheduleRequest) (*hearthv1.CreateScheduleResponse, error) {
	projectID, err := a.project(ctx, req.GetOwner(), req.GetName())
	if err != nil {
		return nil, err
	}
	s, err := a.svc.CreateSchedule(ctx, projectID, req.GetCron(), req.GetRef(), req.GetVariables(), req.GetDescription())
	if err != nil {
		return nil, err
	}
	return &hearthv1.CreateScheduleResponse{Schedule: scheduleToProto(s)}, nil
}

// ListSchedules lists a project's schedules.
func (a *API) ListSchedules(ctx context.Context, req *hearthv1.ListSchedulesRequest) (*hearthv1.ListSchedulesResponse, error) {
	projectID, err := a.project(ctx, req.GetOwner(), req.GetName())
	if err != nil {
		return nil, err
	}
	ss, err := a.svc.ListSchedules(ctx, projectID)
	if err != nil {
		return nil, err
	}
	out := &hearthv1.ListSchedulesResponse{Schedules: make([]*hearthv1.Schedule, len(ss))}
	for i, s := range ss {
		out.Schedules[i] = scheduleToProto(s)
	}
	return out, nil
}

// DeleteSchedule deletes a schedule of the project.
func (a *API) DeleteSchedule(ctx context.Context, req *hearthv1.DeleteScheduleRequest) (*hearthv1.DeleteScheduleResponse, error) {
	projectID, err := a.project(ctx, req.GetOwner(), req.GetName())
	if err != nil {
		return nil, err
	}
	id, err := parseID(req.GetId(), "schedule")
	if err != nil {
		return nil, err
	}
	if err := a.svc.DeleteSchedule(ctx, projectID, id); err != nil {
		return nil, err
	}
	return &hearthv1.DeleteScheduleResponse{}, nil
}

var stateProto = map[State]hearthv1.PipelineState{
	StateCreated:   hearthv1.PipelineState_PIPELINE_STATE_CREATED,
	StatePending:   hearthv1.PipelineState_PIPELINE_STATE_PENDING,
	StateRunning:   hearthv1.PipelineState_PIPELINE_STATE_RUNNING,
	StateSuccess:   hearthv1.PipelineState_PIPELINE_STATE_SUCCESS,
	StateFailure:   hearthv1.PipelineState_PIPELINE_STATE_FAILURE,
	StateCancelled: hearthv1.PipelineState_PIPELINE_STATE_CANCELLED,
	StateSkipped:   hearthv1.PipelineState_PIPELINE_STATE_SKIPPED,
	StateTimedOut:  hearthv1.PipelineState_PIPELINE_STATE_TIMED_OUT,
}

func stateToProto(s State) hearthv1.PipelineState { return stateProto[s] }

var statusProto = map[string]hearthv1.CommitStatusState{
	StatusPending:   hearthv1.CommitStatusState_COMMIT_STATUS_STATE_PENDING,
	StatusRunning:   hearthv1.CommitStatusState_COMMIT_STATUS_STATE_RUNNING,
	StatusSuccess:   hearthv1.CommitStatusState_COMMIT_STATUS_STATE_SUCCESS,
	StatusFailure:   hearthv1.CommitStatusState_COMMIT_STATUS_STATE_FAILURE,
	StatusCancelled: hearthv1.CommitStatusState_COMMIT_STATUS_STATE_CANCELLED,
	StatusError:     hearthv1.CommitStatusState_COMMIT_STATUS_STATE_ERROR,
}

func optionalTime(t *time.Time) *timestamppb.Timestamp {
	if t == nil {
		return nil
	}
	return timestamppb.New(*t)
}

func idString(id uuid.UUID) string {
	if id == uuid.Nil {
		return ""
	}
	return id.String()
}

func pipelineToProto(p Pipeline) *hearthv1.Pipeline {
	out := &hearthv1.Pipeline{
		Id: p.ID.String(), Project: p.Project, Number: p.Number, Ref: p.Ref, CommitSha: p.CommitSHA, Event: p.Event,
		State: stateToProto(p.State), Error: p.Error, TriggeredBy: idString(p.TriggeredBy), Variables: p.Variables,
		CreateTime: timestamppb.New(p.CreatedAt), StartTime: optionalTime(p.StartedAt), FinishTime: optionalTime(p.FinishedAt),
	}
	for _, j := range p.Jobs {
		out.Jobs = append(out.Jobs, jobToProto(j))
	}
	return out
}

func jobToProto(j Job) *hearthv1.Job {
	return &hearthv1.Job{
		Id: j.ID.String(), PipelineId: j.PipelineID.String(), Name: j.Name,
		Attempt: int32(j.Attempt), //nolint:gosec // G115: attempts are small.
		State:   stateToProto(j.State), Needs: j.Needs, AgentId: idString(j.AgentID), Message: j.Message,
		ExitCode: int32(j.ExitCode), //nolint:gosec // G115: stored as a 32-bit integer.
		Timeout:  durationpb.New(j.Timeout), CreateTime: timestamppb.New(j.CreatedAt),
		StartTime: optionalTime(j.StartedAt), FinishTime: optionalTime(j.FinishedAt), StepNames: j.StepNames,
	}
}

func artifactToProto(a artifact.Artifact) *hearthv1.Artifact {
	return &hearthv1.Artifact{
		Id: a.ID.String(), JobId: a.JobID.String(), Name: a.Name,
		SizeBytes: uint64(max(a.Size, 0)),
		Sha256:    a.SHA256, CreateTime: timestamppb.New(a.CreatedAt), ExpireTime: timestamppb.New(a.ExpiresAt),
	}
}

func statusToProto(s CommitStatus) *hearthv1.CommitStatus {
	return &hearthv1.CommitStatus{
		Id: s.ID.String(), CommitSha: s.CommitSHA, Context: s.Context, State: statusProto[s.State],
		Description: s.Description, TargetUrl: s.TargetURL, PipelineId: idString(s.PipelineID),
		UpdateTime: timestamppb.New(s.UpdatedAt),
	}
}

func scheduleToProto(s Schedule) *hearthv1.Schedule {
	return &hearthv1.Schedule{
		Id: s.ID.String(), Cron: s.Cron, Ref: s.Ref, Variables: s.Variables, Description: s.Description, Active: s.Active,
		NextRunTime: timestamppb.New(s.NextRunAt), CreateTime: timestamppb.New(s.CreatedAt),
	}
}
