package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/event"
	"github.com/hearth-dev/hearth/controlplane/internal/jobs"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline/artifact"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline/spec"
	"github.com/hearth-dev/hearth/controlplane/internal/repository"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
)

// Project is what the pipeline needs to know of a project.
type Project struct {
	ID uuid.UUID
	// Path is "owner/name".
	Path          string
	DefaultBranch string
	// CloneURL is the http(s) URL agents clone from.
	CloneURL string
	// Archived projects are read-only: nothing makes or re-runs pipelines
	// in them (running ones may still be cancelled).
	Archived bool
}

// requireActive refuses work that would start jobs in an archived project.
func (s *Service) requireActive(ctx context.Context, projectID uuid.UUID) error {
	p, err := s.projects.ByID(ctx, projectID)
	if err != nil {
		return apperr.IfNotFound(err, "project not found")
	}
	if p.Archived {
		return apperr.FailedPrecondition("project %s is archived: unarchive it to run pipelines", p.Path)
	}
	return nil
}

// Projects finds projects (the project feature). An unknown project is an
// apperr NotFound or store.ErrNotFound.
type Projects interface {
	ByPath(ctx context.Context, owner, name string) (Project, error)
	ByID(ctx context.Context, id uuid.UUID) (Project, error)
}

// ErrFileTooLarge may be returned by Repositories.ReadFile for a file
// larger than its max.
var ErrFileTooLarge = repository.ErrFileTooLarge

// Repositories reads a project's repository (the git feature).
type Repositories interface {
	// ResolveRef resolves a branch or tag name, or a full ref, to the full
	// ref and its commit. An unknown ref is an apperr NotFound or
	// store.ErrNotFound.
	ResolveRef(ctx context.Context, projectID uuid.UUID, ref string) (fullRef, commit string, err error)
	// ReadFile reads path at commit. A missing file is an apperr NotFound or
	// store.ErrNotFound. A file larger than max is ErrFileTooLarge, or data
	// longer than max (callers check the length).
	ReadFile(ctx context.Context, projectID uuid.UUID, commit, path string, max int64) ([]byte, error)
	// ChangedPaths lists the files that differ between two commits.
	ChangedPaths(ctx context.Context, projectID uuid.UUID, oldCommit, newCommit string) ([]string, error)
}

// JobTokens issues the short-lived credentials jobs clone with (auth): a
// token that may only read projectID's repository, on behalf of userID
// (uuid.Nil: nobody in particular), until expires.
type JobTokens interface {
	Issue(ctx context.Context, userID, projectID uuid.UUID, expires time.Time) (token string, id uuid.UUID, err error)
	Revoke(ctx context.Context, id uuid.UUID) error
}

// Agents is the agent gateway of this replica (cluster.Gateway).
type Agents interface {
	// WakeAll: queued work may exist; every local agent stream tries Claim.
	WakeAll()
	// Cancel sends CancelJob stamped with epoch (0: unstamped) if this
	// replica holds agentID's stream.
	Cancel(agentID, jobID uuid.UUID, reason string, epoch uint64) bool
}

// Logs stores job logs (*joblog.Store).
type Logs interface {
	Append(ctx context.Context, jobID uuid.UUID, step uint32, offset uint64, data []byte) (end uint64, err error)
	Lengths(ctx context.Context, jobID uuid.UUID) ([]uint64, error)
	Finish(ctx context.Context, jobID uuid.UUID) error
	Follow(ctx context.Context, jobID uuid.UUID, step uint32, offset uint64, send func(step uint32, offset uint64, data []byte) error) error
	WriteRaw(ctx context.Context, jobID uuid.UUID, w io.Writer) error
}

// Artifacts stores job artifacts (*artifact.Store).
type Artifacts interface {
	Put(ctx context.Context, projectID, jobID uuid.UUID, name string, r io.Reader, expireIn time.Duration) (artifact.Artifact, error)
	List(ctx context.Context, jobID uuid.UUID) ([]artifact.Artifact, error)
	Get(ctx context.Context, id uuid.UUID) (artifact.Artifact, error)
	Open(ctx context.Context, id uuid.UUID) (io.ReadCloser, artifact.Artifact, error)
	// RunExpiry deletes expired artifacts every interval until ctx ends.
	RunExpiry(ctx context.Context, interval time.Duration) error
}

// Authorizer is the one authorizer (rbac.Service), for the checks the
// handlers make themselves (FollowJobLog, downloads).
type Authorizer interface {
	Authorize(ctx context.Context, p access.Principal, perm access.Permission, project uuid.UUID) error
}

// AgentInfo describes a connected agent asking for work.
type AgentInfo = jobs.Agent

// Deps is what the service needs.
type Deps struct {
	DB           *store.DB
	Logger       zerolog.Logger
	Projects     Projects
	Repositories Repositories
	JobTokens    JobTokens
	Logs         Logs
	Artifacts    Artifacts
	// Secrets resolves the secrets jobs ask for and RefRules says which
	// refs are protected (protected secrets reach only their pipelines).
	// Without Secrets, a job asking for secrets fails at dispatch.
	Secrets  Secrets
	RefRules RefRules
	// Events receives pipeline events in their transaction (nil: dropped).
	Events event.Publisher
	// Spans receives finished jobs and pipelines as spans (nil: none).
	Spans Spans
	// Authz, when set, is asked at every schedule firing whether the
	// schedule's owner may still run pipelines in its project (a removed
	// member's schedule stops making pipelines).
	Authz Authorizer
	// Now is the clock (nil: time.Now); tests inject theirs.
	Now func() time.Time
}

// Service runs pipelines.
type Service struct {
	db        *store.DB
	q         *db.Queries
	log       zerolog.Logger
	projects  Projects
	repos     Repositories
	tokens    JobTokens
	logs      Logs
	artifacts Artifacts
	authz     Authorizer
	secrets   Secrets
	refRules  RefRules
	masks     *masks
	events    event.Publisher
	spans     Spans
	now       func() time.Time
}

// New builds the service.
func New(d Deps) (*Service, error) {
	if d.DB == nil || d.Projects == nil || d.Repositories == nil || d.JobTokens == nil || d.Logs == nil || d.Artifacts == nil {
		return nil, errors.New("pipeline: DB, Projects, Repositories, JobTokens, Logs and Artifacts are required")
	}
	s := &Service{
		db: d.DB, q: db.New(d.DB), log: d.Logger, projects: d.Projects, repos: d.Repositories,
		tokens: d.JobTokens, logs: d.Logs, artifacts: d.Artifacts, authz: d.Authz, now: d.Now,
		secrets: d.Secrets, refRules: d.RefRules, masks: newMasks(), events: d.Events, spans: d.Spans,
	}
	if s.events == nil {
		s.events = event.Discard{}
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// State is a pipeline's or a job's state.
type State string

// States. Pipelines use running and the final ones; jobs all of them.
const (
	StateCreated   State = "created"
	StatePending   State = "pending"
	StateRunning   State = "running"
	StateSuccess   State = "success"
	StateFailure   State = "failure"
	StateCancelled State = "cancelled"
	StateSkipped   State = "skipped"
	StateTimedOut  State = "timed_out"
)

// Final reports whether a job in state s has ended.
func (s State) Final() bool {
	switch s {
	case StateSuccess, StateFailure, StateCancelled, StateSkipped, StateTimedOut:
		return true
	}
	return false
}

// Pipeline is one run of a commit's .hearth.yml.
type Pipeline struct {
	ID        uuid.UUID
	ProjectID uuid.UUID
	// Project is "owner/name".
	Project   string
	Number    int64
	Ref       string
	CommitSHA string
	Event     string
	State     State
	// Error: why the pipeline failed before running any job.
	Error string
	// TriggeredBy: the user (uuid.Nil: unknown).
	TriggeredBy uuid.UUID
	Variables   map[string]string
	CreatedAt   time.Time
	StartedAt   *time.Time
	FinishedAt  *time.Time
	// Jobs: every attempt, oldest first (GetPipeline only).
	Jobs []Job
}

// Job is one attempt of one job.
type Job struct {
	ID         uuid.UUID
	PipelineID uuid.UUID
	ProjectID  uuid.UUID
	Name       string
	Attempt    int
	// Superseded: a later attempt replaced this one.
	Superseded bool
	State      State
	Needs      []string
	// AgentID: the agent running or that ran it (uuid.Nil: none).
	AgentID         uuid.UUID
	Message         string
	ExitCode        int
	Timeout         time.Duration
	CancelRequested bool
	// StepNames: log steps, 0 is the checkout.
	StepNames  []string
	CreatedAt  time.Time
	StartedAt  *time.Time
	FinishedAt *time.Time
}

// jobSpec is a job as the agent runs it (jobs.spec).
type jobSpec struct {
	Image           string            `json:"image,omitempty"`
	Steps           []stepSpec        `json:"steps"`
	Env             map[string]string `json:"env,omitempty"`
	TimeoutSeconds  int64             `json:"timeout_seconds"`
	Retry           int               `json:"retry"`
	ArtifactPaths   []string          `json:"artifact_paths,omitempty"`
	ArtifactExpireS int64             `json:"artifact_expire_seconds,omitempty"`
	Labels          map[string]string `json:"labels,omitempty"`
	Pod             *jobs.Pod         `json:"pod,omitempty"`
	// Secrets are resolved at dispatch; only their names are stored.
	Secrets []spec.SecretRef `json:"secrets,omitempty"`
}

type stepSpec struct {
	Name   string `json:"name"`
	Script string `json:"script"`
}

func (j jobSpec) timeout() time.Duration { return time.Duration(j.TimeoutSeconds) * time.Second }

func decodeSpec(raw []byte) (jobSpec, error) {
	var s jobSpec
	if err := json.Unmarshal(raw, &s); err != nil {
		return jobSpec{}, fmt.Errorf("job spec: %w", err)
	}
	return s, nil
}

func pipelineFrom(r db.Pipeline) (Pipeline, error) {
	p := Pipeline{
		ID: r.ID, ProjectID: r.ProjectID, Number: r.Number, Ref: r.Ref, CommitSHA: r.CommitSha, Event: r.Event,
		State: State(r.State), Error: r.Error, CreatedAt: r.CreatedAt, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt,
	}
	if r.TriggeredBy != nil {
		p.TriggeredBy = *r.TriggeredBy
	}
	if err := json.Unmarshal(r.Variables, &p.Variables); err != nil {
		return Pipeline{}, fmt.Errorf("pipeline %s variables: %w", r.ID, err)
	}
	return p, nil
}

func jobFrom(r db.Job) (Job, error) {
	sp, err := decodeSpec(r.Spec)
	if err != nil {
		return Job{}, fmt.Errorf("job %s: %w", r.ID, err)
	}
	j := Job{
		ID: r.ID, PipelineID: r.PipelineID, ProjectID: r.ProjectID, Name: r.Name, Attempt: int(r.Attempt),
		Superseded: r.Superseded, State: State(r.State), Needs: r.Needs, Message: r.Message, ExitCode: int(r.ExitCode),
		Timeout: sp.timeout(), CancelRequested: r.CancelRequestedAt != nil,
		CreatedAt: r.CreatedAt, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt,
		StepNames: make([]string, 0, len(sp.Steps)+1),
	}
	if r.AgentID != nil {
		j.AgentID = *r.AgentID
	}
	j.StepNames = append(j.StepNames, "checkout")
	for _, st := range sp.Steps {
		j.StepNames = append(j.StepNames, st.Name)
	}
	return j, nil
}

// GetPipeline returns a pipeline with every attempt of its jobs.
func (s *Service) GetPipeline(ctx context.Context, id uuid.UUID) (Pipeline, error) {
	row, err := s.q.GetPipeline(ctx, id)
	if err != nil {
		return Pipeline{}, apperr.IfNotFound(err, "pipeline not found")
	}
	p, err := s.withProject(ctx, row)
	if err != nil {
		return Pipeline{}, err
	}
	rows, err := s.q.AllJobs(ctx, id)
	if err != nil {
		return Pipeline{}, err
	}
	p.Jobs = make([]Job, len(rows))
	for i, r := range rows {
		if p.Jobs[i], err = jobFrom(r); err != nil {
			return Pipeline{}, err
		}
	}
	return p, nil
}

func (s *Service) withProject(ctx context.Context, row db.Pipeline) (Pipeline, error) {
	p, err := pipelineFrom(row)
	if err != nil {
		return Pipeline{}, err
	}
	proj, err := s.projects.ByID(ctx, row.ProjectID)
	if err != nil {
		return Pipeline{}, apperr.IfNotFound(err, "pipeline not found")
	}
	p.Project = proj.Path
	return p, nil
}

// ListPipelines lists a project's pipelines newest first: at most limit,
// numbered below before (0: from the newest).
func (s *Service) ListPipelines(ctx context.Context, projectID uuid.UUID, before int64, limit int) ([]Pipeline, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := s.q.ListPipelines(ctx, db.ListPipelinesParams{ProjectID: projectID, BeforeNumber: before, MaxRows: int32(min(limit, 1000))}) //nolint:gosec // G115: bounded above.
	if err != nil {
		return nil, err
	}
	proj, err := s.projects.ByID(ctx, projectID)
	if err != nil {
		return nil, apperr.IfNotFound(err, "project not found")
	}
	out := make([]Pipeline, len(rows))
	for i, r := range rows {
		if out[i], err = pipelineFrom(r); err != nil {
			return nil, err
		}
		out[i].Project = proj.Path
	}
	return out, nil
}

// GetJob returns one job attempt.
func (s *Service) GetJob(ctx context.Context, id uuid.UUID) (Job, error) {
	row, err := s.q.GetJob(ctx, id)
	if err != nil {
		return Job{}, apperr.IfNotFound(err, "job not found")
	}
	return jobFrom(row)
}

// PipelineProject returns the project of a pipeline (for authorization);
// an unknown pipeline is NotFound.
func (s *Service) PipelineProject(ctx context.Context, id uuid.UUID) (uuid.UUID, error) {
	p, err := s.q.PipelineProject(ctx, id)
	if err != nil {
		return uuid.Nil, apperr.IfNotFound(err, "pipeline not found")
	}
	return p, nil
}

// JobProject returns the project of a job (for authorization); an unknown
// job is NotFound.
func (s *Service) JobProject(ctx context.Context, id uuid.UUID) (uuid.UUID, error) {
	p, err := s.q.JobProject(ctx, id)
	if err != nil {
		return uuid.Nil, apperr.IfNotFound(err, "job not found")
	}
	return p, nil
}

// ListArtifacts lists a job's artifacts.
func (s *Service) ListArtifacts(ctx context.Context, jobID uuid.UUID) ([]artifact.Artifact, error) {
	if _, err := s.q.GetJob(ctx, jobID); err != nil {
		return nil, apperr.IfNotFound(err, "job not found")
	}
	return s.artifacts.List(ctx, jobID)
}

func optionalID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

func deref(id *uuid.UUID) uuid.UUID {
	if id == nil {
		return uuid.Nil
	}
	return *id
}
