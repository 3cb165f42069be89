package pipeline

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// errTriggerDelivered rolls back a pipeline whose trigger key already has
// one: the trigger was delivered before.
var errTriggerDelivered = errors.New("pipeline trigger already delivered")

// claimTriggerKey records key as pipelineID's, in the pipeline's own
// transaction; errTriggerDelivered if the key is taken. A concurrent
// delivery of the same key waits on the primary key until the first
// commits, then finds it taken. The table is written with plain SQL: it
// is not among the package's sqlc schema, only this statement touches it.
func claimTriggerKey(ctx context.Context, tx pgx.Tx, key string, pipelineID uuid.UUID) error {
	if key == "" {
		return nil
	}
	tag, err := tx.Exec(ctx, `INSERT INTO pipeline_trigger_keys (key, pipeline_id) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, key, pipelineID)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return errTriggerDelivered
	}
	return nil
}
