package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/robfig/cron/v3"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline/spec"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
	"github.com/hearth-dev/hearth/shared/logfield"
)

// Schedule runs a pipeline for a ref on a cron schedule (UTC).
type Schedule struct {
	ID          uuid.UUID
	ProjectID   uuid.UUID
	Cron        string
	Ref         string
	Variables   map[string]string
	Description string
	OwnerID     uuid.UUID
	Active      bool
	NextRunAt   time.Time
	LastRunAt   *time.Time
	// LastError: why the last run made no pipeline ("" when it did).
	LastError string
	CreatedAt time.Time
}

const (
	maxSchedulesPerProject = 100
	// scheduleIdle bounds the worker's sleep, so a schedule created on
	// another replica fires at most this late.
	scheduleIdle = 30 * time.Second
)

// parseCron parses a five-field cron expression (UTC) or a descriptor like
// @daily. @every is refused: schedules follow the clock, not intervals.
func parseCron(expr string) (cron.Schedule, error) {
	expr = strings.TrimSpace(expr)
	if expr == "" || len(expr) > 200 || strings.HasPrefix(expr, "@every") || strings.HasPrefix(expr, "TZ=") || strings.HasPrefix(expr, "CRON_TZ=") {
		return nil, apperr.Invalid("cron: a five-field expression in UTC such as \"0 3 * * *\" (or @hourly, @daily, @weekly, @monthly, @yearly)")
	}
	sched, err := cron.ParseStandard(expr)
	if err != nil {
		return nil, apperr.Invalid("cron %q: %v", truncate(expr, 100), err)
	}
	return sched, nil
}

// CreateSchedule creates an active schedule owned by the caller (whose
// pipelines run as the caller). The caller authorizes pipeline:run.
func (s *Service) CreateSchedule(ctx context.Context, projectID uuid.UUID, expr, ref string, vars map[string]string, description string) (Schedule, error) {
	owner := access.PrincipalFrom(ctx)
	if owner.IsAnonymous() || owner.UserID == uuid.Nil {
		return Schedule{}, apperr.Unauthenticated("sign in first")
	}
	if err := s.requireActive(ctx, projectID); err != nil {
		return Schedule{}, err
	}
	sched, err := parseCron(expr)
	if err != nil {
		return Schedule{}, err
	}
	if err := ValidateVariables(vars); err != nil {
		return Schedule{}, err
	}
	description = strings.TrimSpace(description)
	if !utf8.ValidString(description) || utf8.RuneCountInString(description) > maxDescriptionRunes || strings.ContainsFunc(description, unicode.IsControl) {
		return Schedule{}, apperr.Invalid("description: at most %d printable characters", maxDescriptionRunes)
	}
	// The ref must exist now; a typo found at 3 a.m. helps nobody.
	if _, _, err := s.resolve(ctx, projectID, ref); err != nil {
		return Schedule{}, err
	}
	existing, err := s.q.ListSchedules(ctx, projectID)
	if err != nil {
		return Schedule{}, err
	}
	if len(existing) >= maxSchedulesPerProject {
		return Schedule{}, apperr.ResourceExhausted("a project has at most %d schedules", maxSchedulesPerProject)
	}
	if vars == nil {
		vars = map[string]string{}
	}
	rawVars, err := json.Marshal(vars)
	if err != nil {
		return Schedule{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Schedule{}, err
	}
	now := s.now()
	var out Schedule
	err = s.db.InTx(ctx, func(tx pgx.Tx) error {
		row, err := s.q.WithTx(tx).InsertSchedule(ctx, db.InsertScheduleParams{
			ID: id, ProjectID: projectID, Cron: strings.TrimSpace(expr), Ref: ref, Variables: rawVars, Description: description,
			OwnerID: owner.UserID, NextRunAt: sched.Next(now.UTC()), CreatedAt: now,
		})
		if err != nil {
			return err
		}
		if out, err = scheduleFrom(row); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "pipeline.schedule.create", Resource: "project/" + projectID.String() + "/schedule/" + id.String(), ProjectID: projectID,
			Detail: map[string]any{"cron": out.Cron, "ref": ref},
		})
	})
	if err != nil {
		return Schedule{}, err
	}
	return out, nil
}

// ListSchedules lists a project's schedules, oldest first.
func (s *Service) ListSchedules(ctx context.Context, projectID uuid.UUID) ([]Schedule, error) {
	rows, err := s.q.ListSchedules(ctx, projectID)
	if err != nil {
		return nil, err
	}
	out := make([]Schedule, len(rows))
	for i, r := range rows {
		if out[i], err = scheduleFrom(r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// DeleteSchedule deletes a schedule of the project.
func (s *Service) DeleteSchedule(ctx context.Context, projectID, id uuid.UUID) error {
	return s.db.InTx(ctx, func(tx pgx.Tx) error {
		row, err := s.q.WithTx(tx).DeleteSchedule(ctx, db.DeleteScheduleParams{ID: id, ProjectID: projectID})
		if err != nil {
			return apperr.IfNotFound(err, "schedule not found")
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "pipeline.schedule.delete", Resource: "project/" + projectID.String() + "/schedule/" + id.String(), ProjectID: projectID,
			Detail: map[string]any{"cron": row.Cron, "ref": row.Ref},
		})
	})
}

func scheduleFrom(r db.PipelineSchedule) (Schedule, error) {
	out := Schedule{
		ID: r.ID, ProjectID: r.ProjectID, Cron: r.Cron, Ref: r.Ref, Description: r.Description, OwnerID: r.OwnerID,
		Active: r.Active, NextRunAt: r.NextRunAt, LastRunAt: r.LastRunAt, LastError: r.LastError, CreatedAt: r.CreatedAt,
	}
	if err := json.Unmarshal(r.Variables, &out.Variables); err != nil {
		return Schedule{}, fmt.Errorf("schedule %s variables: %w", r.ID, err)
	}
	return out, nil
}

// RunSchedules fires due schedules until ctx ends. It is a leader-only
// worker: each schedule is claimed with FOR UPDATE SKIP LOCKED and its
// next run advanced in the transaction that creates its pipeline, so a
// firing happens once even when a deposed leader is still finishing.
// Runs missed while no leader was up are not caught up: the next run is
// the next one after now.
func (s *Service) RunSchedules(ctx context.Context) error {
	for {
		if _, err := s.FireDueSchedules(ctx); err != nil {
			return unlessStopped(ctx, err)
		}
		wait := scheduleIdle
		next, err := s.q.NextScheduleRun(ctx)
		switch {
		case err == nil:
			wait = min(max(next.Sub(s.now()), 0), scheduleIdle)
		case !errors.Is(err, store.ErrNotFound):
			return unlessStopped(ctx, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// FireDueSchedules fires every due schedule once and returns how many
// pipelines it created.
func (s *Service) FireDueSchedules(ctx context.Context) (int, error) {
	created := 0
	for {
		fired, made, err := s.fireOne(ctx)
		if err != nil || !fired {
			return created, err
		}
		if made {
			created++
		}
	}
}

// fireOne claims one due schedule, advances it and creates its pipeline,
// in one transaction. A run that cannot make a pipeline (the ref is gone,
// no .hearth.yml, no job for schedules) records why in last_error.
func (s *Service) fireOne(ctx context.Context) (fired, made bool, err error) {
	err = s.inTx(ctx, func(tx pgx.Tx, q *db.Queries, e *effects) error {
		now := s.now()
		rows, err := q.ClaimDueSchedules(ctx, db.ClaimDueSchedulesParams{Now: now, MaxRows: 1})
		if err != nil || len(rows) == 0 {
			return err
		}
		fired = true
		sc := rows[0]
		next := now.Add(time.Hour) // an unparsable stored expression (never stored) retries hourly
		lastErr := ""
		if cs, err := parseCron(sc.Cron); err == nil {
			next = cs.Next(now.UTC())
		} else {
			lastErr = err.Error()
		}
		if lastErr == "" {
			var err error
			if made, lastErr, err = s.scheduled(ctx, tx, q, sc, e); err != nil {
				return err
			}
		}
		if lastErr != "" {
			s.log.Info().Str(logfield.ScheduleID, sc.ID.String()).Str(logfield.Reason, lastErr).Msg("a schedule fired without a pipeline")
		}
		return q.AdvanceSchedule(ctx, db.AdvanceScheduleParams{NextRunAt: next, Now: now, LastError: truncate(lastErr, maxMessageBytes), ID: sc.ID})
	})
	return fired, made, err
}

// scheduled creates a schedule's pipeline in tx. A reason it made none is
// returned as lastErr, not as an error.
func (s *Service) scheduled(ctx context.Context, tx pgx.Tx, q *db.Queries, sc db.PipelineSchedule, e *effects) (made bool, lastErr string, err error) {
	if err := s.requireActive(ctx, sc.ProjectID); err != nil {
		if ae, ok := apperr.As(err); ok {
			return false, ae.Message, nil
		}
		return false, "", err
	}
	if s.authz != nil {
		owner := access.Principal{Kind: access.User, UserID: sc.OwnerID}
		if err := s.authz.Authorize(ctx, owner, access.PipelineRun, sc.ProjectID); err != nil {
			if _, ok := apperr.As(err); ok {
				return false, "the schedule's owner may no longer run pipelines in this project", nil
			}
			return false, "", err
		}
	}
	fullRef, commit, err := s.resolve(ctx, sc.ProjectID, sc.Ref)
	if err != nil {
		if ae, ok := apperr.As(err); ok {
			return false, ae.Message, nil
		}
		return false, "", err
	}
	var vars map[string]string
	if err := json.Unmarshal(sc.Variables, &vars); err != nil {
		return false, "", fmt.Errorf("schedule %s variables: %w", sc.ID, err)
	}
	t := trigger{
		ProjectID: sc.ProjectID, Ref: fullRef, Commit: commit, Variables: vars, TriggeredBy: sc.OwnerID, ScheduleID: sc.ID,
		Event: spec.Event{Kind: spec.EventSchedule, Ref: fullRef},
	}
	jobs, parseErr, out, err := s.plan(ctx, t)
	switch {
	case err != nil:
		return false, "", err
	case out == noFile:
		return false, fmt.Sprintf("%s has no %s", fullRef, SpecPath), nil
	case out == noJobs:
		return false, fmt.Sprintf("no job of %s runs for schedules on %s", SpecPath, fullRef), nil
	}
	if _, err := s.createPipeline(ctx, tx, q, t, jobs, parseErr, e); err != nil {
		return false, "", err
	}
	return true, "", nil
}
