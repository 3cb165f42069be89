package project

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/hearth-dev/hearth/controlplane/internal/apperr"
)

// failingPipelines answers every trigger with err.
type failingPipelines struct{ err error }

func (f failingPipelines) TriggerMergeRequest(context.Context, MergeRequestPipeline) error {
	return f.err
}

func (f failingPipelines) LatestStatus(context.Context, uuid.UUID, string) (PipelineStatus, error) {
	return PipelineStatus{}, nil
}

// TestRefreshRetriesOnlyTransientTriggerFailures: a merge request's
// pipeline that could not be triggered because something was down fails
// the refresh, so the push outbox delivers it again; one refused for good
// (a bad pipeline file, an archived project) does not, or it would be
// retried for nothing.
func TestRefreshRetriesOnlyTransientTriggerFailures(t *testing.T) {
	mr := MergeRequest{ProjectID: uuid.New(), Number: 3, SourceBranch: "feature", TargetBranch: "main"}
	commit := "0123456789012345678901234567890123456789"
	for _, c := range []struct {
		err   error
		retry bool
	}{
		{nil, false},
		{apperr.Unavailable(errors.New("connection refused"), "database unavailable"), true},
		{errors.New("unexpected"), true},
		{context.DeadlineExceeded, true},
		{apperr.Invalid("the pipeline file is not valid"), false},
		{apperr.FailedPrecondition("the project is archived"), false},
	} {
		m := &MergeRequests{pipelines: failingPipelines{err: c.err}, log: zerolog.Nop()}
		err := m.triggerPipeline(t.Context(), mr, commit, uuid.New())
		if (err != nil) != c.retry {
			t.Errorf("trigger failing with %v: refresh error %v, want retry %t", c.err, err, c.retry)
		}
		if c.retry && !errors.Is(err, c.err) {
			t.Errorf("the refresh's error %v does not wrap the trigger's %v", err, c.err)
		}
	}
}
