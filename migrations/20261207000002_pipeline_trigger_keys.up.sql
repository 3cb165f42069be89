-- Idempotency keys of pipeline triggers (owned by
-- controlplane/internal/pipeline): a trigger that carries a key (the push
-- outbox's "<event id>/<ref>") creates its pipeline only if the key is new,
-- in the pipeline's own transaction, so a trigger delivered twice (a worker
-- killed after the pipeline committed and before its outbox row was marked)
-- creates one pipeline.
CREATE TABLE pipeline_trigger_keys (
    key         text PRIMARY KEY CHECK (length(key) <= 2048),
    pipeline_id uuid NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now()
);
