-- Alerting (owned by controlplane/internal/observe): rules over a
-- project's telemetry, each rule's alert state (kept by the leader's
-- evaluator, fenced), and silences.

CREATE TABLE observe_alert_rules (
    id             uuid PRIMARY KEY,
    project_id     uuid NOT NULL,             -- no FK: the project feature owns projects
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    signal         text NOT NULL CHECK (signal IN ('logs', 'metrics')),
    -- What is counted or aggregated (the API's LogMatch or MetricMatch).
    match          jsonb NOT NULL,
    comparator     text NOT NULL CHECK (comparator IN ('>', '>=', '<', '<=')),
    threshold      double precision NOT NULL,
    window_seconds integer NOT NULL CHECK (window_seconds BETWEEN 10 AND 86400),
    for_seconds    integer NOT NULL DEFAULT 0 CHECK (for_seconds BETWEEN 0 AND 86400),
    labels         jsonb NOT NULL DEFAULT '{}',
    created_by     uuid,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project_id, name)
);

-- One row per rule once evaluated. notified: the firing was told
-- (events are published in the transaction that changes the state, so a
-- new leader neither misses nor repeats one).
CREATE TABLE observe_alert_states (
    rule_id      uuid PRIMARY KEY REFERENCES observe_alert_rules (id) ON DELETE CASCADE,
    state        text NOT NULL CHECK (state IN ('inactive', 'pending', 'firing')),
    since        timestamptz NOT NULL,
    value        double precision,
    evaluated_at timestamptz NOT NULL,
    silenced     boolean NOT NULL DEFAULT false,
    notified     boolean NOT NULL DEFAULT false
);

CREATE TABLE observe_silences (
    id         uuid PRIMARY KEY,
    project_id uuid NOT NULL,
    matchers   jsonb NOT NULL,
    comment    text NOT NULL DEFAULT '' CHECK (length(comment) <= 1000),
    created_by uuid,
    starts_at  timestamptz NOT NULL,
    ends_at    timestamptz NOT NULL CHECK (ends_at > starts_at),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX observe_silences_project ON observe_silences (project_id, ends_at);
