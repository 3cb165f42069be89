package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hearth-dev/hearth/controlplane/internal/event"
	"github.com/hearth-dev/hearth/controlplane/internal/pipeline/internal/db"
	"github.com/hearth-dev/hearth/controlplane/internal/store"
)

// publishFinished publishes, in tx, that pipeline p finished: failed,
// succeeded, or recovered (succeeded where the ref's previous finished
// pipeline had failed). A cancelled pipeline says nothing. The user who
// pushed or ran it is a recipient of a failure or a recovery whatever
// their subscriptions; watchers of the project hear of all three.
func (s *Service) publishFinished(ctx context.Context, tx pgx.Tx, q *db.Queries, p db.Pipeline) error {
	var typ event.Type
	switch State(p.State) {
	case StateFailure:
		typ = event.PipelineFailed
	case StateSuccess:
		typ = event.PipelineSucceeded
		prev, err := q.PreviousFinishedState(ctx, db.PreviousFinishedStateParams{ProjectID: p.ProjectID, Ref: p.Ref, Number: p.Number})
		switch {
		case err == nil && State(prev) == StateFailure:
			typ = event.PipelineRecovered
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return err
		}
	default:
		return nil
	}
	// No project lookup here: this runs in the pipeline's transaction, and
	// notify names the project when it fans the event out.
	ref := strings.TrimPrefix(strings.TrimPrefix(p.Ref, "refs/heads/"), "refs/tags/")
	verb := map[event.Type]string{event.PipelineFailed: "failed", event.PipelineSucceeded: "passed", event.PipelineRecovered: "is fixed"}[typ]
	e := event.Event{
		Type: typ, ProjectID: p.ProjectID, Subject: fmt.Sprintf("pipeline #%d", p.Number),
		Title: fmt.Sprintf("Pipeline #%d %s on %s", p.Number, verb, ref),
		Path:  "-/pipelines/" + p.ID.String(),
		Data: map[string]any{
			"pipeline_id": p.ID.String(), "number": p.Number, "ref": p.Ref, "commit_sha": p.CommitSha,
			"event": p.Event, "state": p.State, "error": p.Error,
		},
	}
	if p.TriggeredBy != nil && *p.TriggeredBy != uuid.Nil && typ != event.PipelineSucceeded {
		e.Recipients = []uuid.UUID{*p.TriggeredBy}
	}
	return s.events.Publish(ctx, tx, e)
}
