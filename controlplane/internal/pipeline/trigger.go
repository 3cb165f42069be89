package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/jobs"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline/spec"
	"github.com/hearth-dev/hearth/controlplane/internal/repository"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// SpecPath is where a repository's pipeline definition lives.
const SpecPath = ".hearth.yml"

// RefUpdate is one ref a push moved (the leaf type git's push outbox
// records).
type RefUpdate = repository.RefUpdate

// PushEvent is one accepted push (git.PushEvent, adapted by the server).
type PushEvent struct {
	ProjectID uuid.UUID
	// PusherID is the user who pushed (uuid.Nil: unknown).
	PusherID uuid.UUID
	Refs     []RefUpdate
	// Key, when set, makes the trigger idempotent: each ref's pipeline is
	// created at most once per Key (the push outbox delivers a push's ref
	// again after a crash; see pipeline_trigger_keys).
	Key string
}

// Variable limits.
const (
	maxVariables          = 100
	maxVariableValueBytes = 64 << 10
	maxVariablesBytes     = 256 << 10
)

var validVariableName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)

// ValidateVariables checks a manual run's or a schedule's variables.
func ValidateVariables(vars map[string]string) error {
	if len(vars) > maxVariables {
		return apperr.Invalid("at most %d variables", maxVariables)
	}
	total := 0
	for k, v := range vars {
		if !validVariableName.MatchString(k) {
			return apperr.Invalid("variable name %q: use letters, digits and '_', not starting with a digit (at most 128)", truncate(k, 64))
		}
		if strings.HasPrefix(strings.ToUpper(k), "HEARTH_") {
			return apperr.Invalid("variable %s: names starting with HEARTH_ are reserved", k)
		}
		if len(v) > maxVariableValueBytes || strings.ContainsRune(v, 0) {
			return apperr.Invalid("variable %s: the value may hold at most %d bytes and no NUL", k, maxVariableValueBytes)
		}
		total += len(k) + len(v)
	}
	if total > maxVariablesBytes {
		return apperr.Invalid("variables: at most %d bytes in all", maxVariablesBytes)
	}
	return nil
}

func isZeroID(sha string) bool { return strings.Trim(sha, "0") == "" }

// TriggerPush creates a pipeline for every ref the push moved (not
// deleted) whose .hearth.yml has a job for it. An invalid file makes a
// failed pipeline; a missing file or no matching job makes none. One
// ref's error does not keep the others from their pipelines.
func (s *Service) TriggerPush(ctx context.Context, ev PushEvent) error {
	var errs []error
	for _, r := range ev.Refs {
		if isZeroID(r.New) {
			continue // deleted
		}
		var kind string
		switch {
		case strings.HasPrefix(r.Ref, "refs/heads/"):
			kind = spec.EventPush
		case strings.HasPrefix(r.Ref, "refs/tags/"):
			kind = spec.EventTag
		default:
			continue
		}
		se := spec.Event{Kind: kind, Ref: r.Ref}
		if kind == spec.EventPush && !isZeroID(r.Old) {
			changed, err := s.repos.ChangedPaths(ctx, ev.ProjectID, r.Old, r.New)
			if err != nil {
				// Unknown changes run path-filtered jobs rather than none.
				s.log.Warn().Err(err).Str(logfield.Ref, r.Ref).Msg("could not list a push's changed paths; path filters match")
			} else {
				if changed == nil {
					changed = []string{}
				}
				se.ChangedPaths = changed
			}
		}
		t := trigger{ProjectID: ev.ProjectID, Ref: r.Ref, Commit: r.New, Event: se, TriggeredBy: ev.PusherID}
		if ev.Key != "" {
			t.Key = ev.Key + "/" + r.Ref
		}
		_, _, err := s.trigger(ctx, t)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r.Ref, err))
		}
	}
	return errors.Join(errs...)
}

// RunPipeline starts a manual pipeline for ref (a branch or tag name, or
// a full ref; "" the default branch) at its current commit, as the
// caller. The caller authorizes pipeline:run.
func (s *Service) RunPipeline(ctx context.Context, projectID uuid.UUID, ref string, vars map[string]string) (Pipeline, error) {
	if err := ValidateVariables(vars); err != nil {
		return Pipeline{}, err
	}
	fullRef, commit, err := s.resolve(ctx, projectID, ref)
	if err != nil {
		return Pipeline{}, err
	}
	row, outcome, err := s.trigger(ctx, trigger{
		ProjectID: projectID, Ref: fullRef, Commit: commit, Variables: vars,
		Event: spec.Event{Kind: spec.EventManual, Ref: fullRef}, TriggeredBy: access.PrincipalFrom(ctx).UserID,
	})
	switch {
	case err != nil:
		return Pipeline{}, err
	case outcome == noFile:
		return Pipeline{}, apperr.FailedPrecondition("%s has no %s at %s", fullRef, SpecPath, commit[:min(len(commit), 12)])
	case outcome == noJobs:
		return Pipeline{}, apperr.FailedPrecondition("no job of %s runs for manual pipelines on %s", SpecPath, fullRef)
	}
	return s.GetPipeline(ctx, row.ID)
}

// resolve resolves ref ("" the default branch) to a full branch or tag ref
// and its commit.
func (s *Service) resolve(ctx context.Context, projectID uuid.UUID, ref string) (string, string, error) {
	if ref == "" {
		p, err := s.projects.ByID(ctx, projectID)
		if err != nil {
			return "", "", apperr.IfNotFound(err, "project not found")
		}
		ref = p.DefaultBranch
	}
	if len(ref) > 1024 || strings.ContainsAny(ref, "\x00\n") {
		return "", "", apperr.Invalid("ref: a branch or tag name, or a full ref")
	}
	fullRef, commit, err := s.repos.ResolveRef(ctx, projectID, ref)
	if err != nil {
		if apperr.KindOf(err) == apperr.KindNotFound {
			return "", "", apperr.Invalid("ref %q does not exist", truncate(ref, 200))
		}
		return "", "", err
	}
	if !strings.HasPrefix(fullRef, "refs/heads/") && !strings.HasPrefix(fullRef, "refs/tags/") {
		return "", "", apperr.Invalid("ref %q: pipelines run for branches and tags", truncate(ref, 200))
	}
	return fullRef, commit, nil
}

// trigger is one request for a pipeline.
type trigger struct {
	ProjectID   uuid.UUID
	Ref, Commit string
	Event       spec.Event
	TriggeredBy uuid.UUID
	ScheduleID  uuid.UUID
	Variables   map[string]string
	// Key: see PushEvent.Key ("": no idempotency).
	Key string
}

type outcome int

const (
	created outcome = iota
	noFile
	noJobs
)

// trigger reads the commit's .hearth.yml and creates the pipeline it
// asks for, in its own transaction.
func (s *Service) trigger(ctx context.Context, t trigger) (db.Pipeline, outcome, error) {
	if err := s.requireActive(ctx, t.ProjectID); err != nil {
		return db.Pipeline{}, created, err
	}
	jobs, parseErr, out, err := s.plan(ctx, t)
	if err != nil || out != created {
		return db.Pipeline{}, out, err
	}
	var row db.Pipeline
	err = s.inTx(ctx, func(tx pgx.Tx, q *db.Queries, e *effects) error {
		var err error
		row, err = s.createPipeline(ctx, tx, q, t, jobs, parseErr, e)
		if err != nil {
			return err
		}
		return claimTriggerKey(ctx, tx, t.Key, row.ID)
	})
	if errors.Is(err, errTriggerDelivered) {
		return db.Pipeline{}, created, nil
	}
	return row, created, err
}

// plan reads .hearth.yml at the trigger's commit and selects its jobs: no
// file → noFile; an invalid file → parseErr (a failed pipeline); no job for
// the event → noJobs.
func (s *Service) plan(ctx context.Context, t trigger) (jobs []spec.Job, parseErr string, out outcome, err error) {
	data, err := s.repos.ReadFile(ctx, t.ProjectID, t.Commit, SpecPath, spec.MaxFileBytes)
	switch {
	case apperr.KindOf(err) == apperr.KindNotFound:
		return nil, "", noFile, nil
	case errors.Is(err, ErrFileTooLarge):
		return nil, fmt.Sprintf("%s is larger than %d bytes (1 MiB), the limit", SpecPath, spec.MaxFileBytes), created, nil
	case err != nil:
		return nil, "", 0, fmt.Errorf("reading %s: %w", SpecPath, err)
	}
	// spec.Parse refuses data over the limit (a Repositories that does not
	// cut it) with its own message.
	p, err := spec.Parse(data)
	if err != nil {
		return nil, truncate(err.Error(), maxErrorBytes), created, nil
	}
	jobs = p.Select(t.Event)
	if len(jobs) == 0 {
		return nil, "", noJobs, nil
	}
	return jobs, "", created, nil
}

// createPipeline inserts the pipeline, its jobs (those without needs
// pending, the others created), its commit status and audit row. With
// parseErr it is a failed pipeline without jobs.
func (s *Service) createPipeline(ctx context.Context, tx pgx.Tx, q *db.Queries, t trigger, jobs []spec.Job, parseErr string, e *effects) (db.Pipeline, error) {
	now := s.now()
	id, err := uuid.NewV7()
	if err != nil {
		return db.Pipeline{}, err
	}
	number, err := q.NextPipelineNumber(ctx, t.ProjectID)
	if err != nil {
		return db.Pipeline{}, err
	}
	vars := t.Variables
	if vars == nil {
		vars = map[string]string{}
	}
	rawVars, err := json.Marshal(vars)
	if err != nil {
		return db.Pipeline{}, err
	}
	state := StateRunning
	var finished *time.Time
	if parseErr != "" {
		state, finished = StateFailure, &now
	}
	row, err := q.InsertPipeline(ctx, db.InsertPipelineParams{
		ID: id, ProjectID: t.ProjectID, Number: number, Ref: t.Ref, CommitSha: t.Commit, Event: t.Event.Kind,
		State: string(state), Error: parseErr, TriggeredBy: optionalID(t.TriggeredBy), ScheduleID: optionalID(t.ScheduleID),
		Variables: rawVars, CreatedAt: now, FinishedAt: finished,
	})
	if err != nil {
		return db.Pipeline{}, err
	}
	for _, j := range jobs {
		if err := s.insertJob(ctx, q, row, j, e); err != nil {
			return db.Pipeline{}, err
		}
	}
	if err := s.pipelineStatus(ctx, q, row); err != nil {
		return db.Pipeline{}, err
	}
	detail := map[string]any{"number": number, "ref": t.Ref, "commit": t.Commit, "event": t.Event.Kind, "jobs": len(jobs)}
	if parseErr != "" {
		detail["invalid_spec"] = true
	}
	if t.ScheduleID != uuid.Nil {
		detail["schedule_id"] = t.ScheduleID.String()
	}
	err = audit.Record(ctx, tx, audit.Event{
		Action: "pipeline.create", Resource: "pipeline/" + id.String(), ProjectID: t.ProjectID, Detail: detail,
	})
	if err == nil && State(row.State).Final() { // an invalid .hearth.yml fails at once
		err = s.publishFinished(ctx, tx, q, row)
	}
	return row, err
}

func (s *Service) insertJob(ctx context.Context, q *db.Queries, p db.Pipeline, j spec.Job, e *effects) error {
	sp := jobSpec{
		Image: j.Image, Env: j.Env, TimeoutSeconds: int64(j.Timeout.Seconds()), Retry: j.Retry,
		ArtifactPaths: j.Artifacts.Paths, ArtifactExpireS: int64(j.Artifacts.ExpireIn.Seconds()), Labels: j.Labels,
		Steps: make([]stepSpec, len(j.Steps)), Pod: podOf(j.Pod), Secrets: j.Secrets,
	}
	if sp.TimeoutSeconds <= 0 {
		sp.TimeoutSeconds = int64(spec.DefaultTimeout.Seconds())
	}
	for i, st := range j.Steps {
		sp.Steps[i] = stepSpec{Name: st.Name, Script: st.Script}
	}
	rawSpec, err := json.Marshal(sp)
	if err != nil {
		return err
	}
	labels := j.Labels
	if labels == nil {
		labels = map[string]string{}
	}
	rawLabels, err := json.Marshal(labels)
	if err != nil {
		return err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return err
	}
	now := s.now()
	state, queued := StateCreated, (*time.Time)(nil)
	if len(j.Needs) == 0 {
		state, queued = StatePending, &now
		e.queued = true
	}
	needs := j.Needs
	if needs == nil {
		needs = []string{}
	}
	_, err = q.InsertJob(ctx, db.InsertJobParams{
		ID: id, PipelineID: p.ID, ProjectID: p.ProjectID, Name: j.Name, Attempt: 1, State: string(state),
		Needs: needs, Spec: rawSpec, Labels: rawLabels, RetriesLeft: int32(j.Retry), //nolint:gosec // G115: spec bounds retry to 0-3.
		CreatedAt: now, QueuedAt: queued,
	})
	return err
}

// podOf converts a job's kubernetes section for the job queue.
func podOf(p *spec.Pod) *jobs.Pod {
	if p == nil {
		return nil
	}
	out := &jobs.Pod{
		Requests: p.Requests, Limits: p.Limits, NodeSelector: p.NodeSelector, ServiceAccount: p.ServiceAccount,
		Labels: p.Labels, Annotations: p.Annotations,
	}
	for _, t := range p.Tolerations {
		out.Tolerations = append(out.Tolerations, jobs.Toleration(t))
	}
	return out
}
