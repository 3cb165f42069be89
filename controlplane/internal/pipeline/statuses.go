package pipeline

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/access"
	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
	"github.com/hearth-dev/hearth/controlplane/internal/audit"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline/internal/db"
	"github.com/hearth-dev/hearth/shared/gitref"
)

// PipelineContext is the commit status context of Hearth's own pipelines.
// Contexts starting with "hearth/" are reserved for Hearth.
const PipelineContext = "hearth/pipeline"

// Commit status states.
const (
	StatusPending   = "pending"
	StatusRunning   = "running"
	StatusSuccess   = "success"
	StatusFailure   = "failure"
	StatusCancelled = "cancelled"
	StatusError     = "error"
)

var statusStates = map[string]bool{
	StatusPending: true, StatusRunning: true, StatusSuccess: true, StatusFailure: true, StatusCancelled: true, StatusError: true,
}

// CommitStatus is the state of one context of a commit.
type CommitStatus struct {
	ID          uuid.UUID
	CommitSHA   string
	Context     string
	State       string
	Description string
	TargetURL   string
	// PipelineID is set for Hearth's own pipelines.
	PipelineID uuid.UUID
	UpdatedAt  time.Time
}

const (
	maxContextRunes     = 100
	maxDescriptionRunes = 1000
	maxTargetURLBytes   = 2048
)

// pipelineStatus records a pipeline's state as its commit's
// "hearth/pipeline" status.
func (s *Service) pipelineStatus(ctx context.Context, q *db.Queries, p db.Pipeline) error {
	state, desc := StatusPending, fmt.Sprintf("pipeline #%d is pending", p.Number)
	switch State(p.State) {
	case StateRunning:
		if p.StartedAt != nil {
			state, desc = StatusRunning, fmt.Sprintf("pipeline #%d is running", p.Number)
		}
	case StateSuccess:
		state, desc = StatusSuccess, fmt.Sprintf("pipeline #%d succeeded", p.Number)
	case StateFailure:
		state, desc = StatusFailure, fmt.Sprintf("pipeline #%d failed", p.Number)
		if p.Error != "" {
			desc = fmt.Sprintf("pipeline #%d failed: invalid .hearth.yml", p.Number)
		}
	case StateCancelled:
		state, desc = StatusCancelled, fmt.Sprintf("pipeline #%d was cancelled", p.Number)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return err
	}
	return q.UpsertPipelineStatus(ctx, db.UpsertPipelineStatusParams{
		ID: id, ProjectID: p.ProjectID, CommitSha: p.CommitSha, Context: PipelineContext, State: state,
		Description: desc, PipelineID: &p.ID, Now: s.now(),
	})
}

// NewCommitStatus is an external status to record.
type NewCommitStatus struct {
	SHA, Context, State, Description, TargetURL string
}

// SetCommitStatus records an external status of a commit (one per
// context; the newest wins), audited. The caller authorizes pipeline:run.
func (s *Service) SetCommitStatus(ctx context.Context, projectID uuid.UUID, in NewCommitStatus) (CommitStatus, error) {
	if !gitref.ValidObjectID(in.SHA) {
		return CommitStatus{}, apperr.Invalid("commit: a full 40-character (or 64-character) lowercase hex commit id is required")
	}
	in.Context = strings.TrimSpace(in.Context)
	if n := utf8.RuneCountInString(in.Context); n == 0 || n > maxContextRunes || !utf8.ValidString(in.Context) || strings.ContainsFunc(in.Context, unicode.IsControl) {
		return CommitStatus{}, apperr.Invalid("context: 1-%d printable characters", maxContextRunes)
	}
	if strings.HasPrefix(strings.ToLower(in.Context), "hearth/") {
		return CommitStatus{}, apperr.Invalid("context %q: contexts starting with hearth/ are reserved for Hearth", in.Context)
	}
	if !statusStates[in.State] {
		return CommitStatus{}, apperr.Invalid("state: one of pending, running, success, failure, cancelled or error")
	}
	if err := s.requireActive(ctx, projectID); err != nil {
		return CommitStatus{}, err
	}
	if !utf8.ValidString(in.Description) || utf8.RuneCountInString(in.Description) > maxDescriptionRunes || strings.ContainsFunc(in.Description, unicode.IsControl) {
		return CommitStatus{}, apperr.Invalid("description: at most %d printable characters", maxDescriptionRunes)
	}
	if in.TargetURL != "" {
		u, err := url.Parse(in.TargetURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(in.TargetURL) > maxTargetURLBytes {
			return CommitStatus{}, apperr.Invalid("target URL: an http or https URL of at most %d bytes", maxTargetURLBytes)
		}
	}
	id, err := uuid.NewV7()
	if err != nil {
		return CommitStatus{}, err
	}
	var out CommitStatus
	err = s.db.InTx(ctx, func(tx pgx.Tx) error {
		row, err := s.q.WithTx(tx).UpsertExternalStatus(ctx, db.UpsertExternalStatusParams{
			ID: id, ProjectID: projectID, CommitSha: in.SHA, Context: in.Context, State: in.State,
			Description: in.Description, TargetUrl: in.TargetURL, CreatedBy: optionalID(access.PrincipalFrom(ctx).UserID), Now: s.now(),
		})
		if err != nil {
			return err
		}
		out = statusFrom(row)
		return audit.Record(ctx, tx, audit.Event{
			Action: "pipeline.commit_status.set", Resource: "project/" + projectID.String() + "/commit/" + in.SHA, ProjectID: projectID,
			Detail: map[string]any{"context": in.Context, "state": in.State},
		})
	})
	if err != nil {
		return CommitStatus{}, err
	}
	return out, nil
}

// ListCommitStatuses lists a commit's statuses, newest first.
func (s *Service) ListCommitStatuses(ctx context.Context, projectID uuid.UUID, sha string) ([]CommitStatus, error) {
	if !gitref.ValidObjectID(sha) {
		return nil, apperr.Invalid("commit: a full 40-character (or 64-character) lowercase hex commit id is required")
	}
	rows, err := s.q.ListCommitStatuses(ctx, db.ListCommitStatusesParams{ProjectID: projectID, CommitSha: sha})
	if err != nil {
		return nil, err
	}
	out := make([]CommitStatus, len(rows))
	for i, r := range rows {
		out[i] = statusFrom(r)
	}
	return out, nil
}

func statusFrom(r db.CommitStatus) CommitStatus {
	return CommitStatus{
		ID: r.ID, CommitSHA: r.CommitSha, Context: r.Context, State: r.State, Description: r.Description,
		TargetURL: r.TargetUrl, PipelineID: deref(r.PipelineID), UpdatedAt: r.UpdatedAt,
	}
}
