-- Pipelines, their jobs, commit statuses and schedules (owned by
-- controlplane/internal/pipeline). Logs (job_logs) and artifacts
-- (artifacts) are the sub-packages joblog and artifact's own tables.

-- The last pipeline number of each project: incrementing this row
-- serialises number allocation per project without a table scan.
CREATE TABLE pipeline_counters (
    project_id  uuid PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    last_number bigint NOT NULL CHECK (last_number > 0)
);

CREATE TABLE pipelines (
    id           uuid PRIMARY KEY,          -- UUIDv7
    project_id   uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    number       bigint NOT NULL CHECK (number > 0),
    -- Full ref ("refs/heads/main", "refs/tags/v1").
    ref          text NOT NULL CHECK (ref ~ '^refs/' AND length(ref) <= 1024),
    commit_sha   text NOT NULL CHECK (commit_sha ~ '^([0-9a-f]{40}|[0-9a-f]{64})$'),
    event        text NOT NULL CHECK (event IN ('push', 'merge_request', 'tag', 'manual', 'schedule')),
    -- Derived from the current jobs (see pipeline/state.go); an invalid
    -- .hearth.yml makes a pipeline in state failure with error set and no jobs.
    state        text NOT NULL CHECK (state IN ('running', 'success', 'failure', 'cancelled')),
    error        text NOT NULL DEFAULT '' CHECK (length(error) <= 16384),
    -- The user who pushed or ran it; for schedules the schedule's owner
    -- (no FK: auth owns users). NULL: unknown.
    triggered_by uuid,
    schedule_id  uuid,
    -- {"NAME": "value"}: environment for every job, over the jobs' own env.
    variables    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(variables) = 'object'),
    created_at   timestamptz NOT NULL,
    started_at   timestamptz,
    finished_at  timestamptz,
    UNIQUE (project_id, number)
);

-- ListPipelines: a project's pipelines newest first (the unique index on
-- (project_id, number) serves it).

-- One row per attempt of a job: a retry is a new row (attempt + 1) and the
-- row it replaces gets superseded = true, keeping its state for the record.
CREATE TABLE jobs (
    id                  uuid PRIMARY KEY,   -- UUIDv7
    pipeline_id         uuid NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
    -- Denormalised from the pipeline: authorization of job ids and
    -- artifact uploads needs it without a join.
    project_id          uuid NOT NULL,
    name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    attempt             integer NOT NULL CHECK (attempt >= 1),
    superseded          boolean NOT NULL DEFAULT false,
    -- created: waiting for its needs; pending: queued for an agent;
    -- running: assigned to agent_id (acknowledged_at NULL: not yet
    -- confirmed by the agent); then a final state.
    state               text NOT NULL CHECK (state IN ('created', 'pending', 'running', 'success', 'failure', 'cancelled', 'skipped', 'timed_out')),
    needs               text[] NOT NULL DEFAULT '{}',
    -- What the agent runs: image, steps, env, timeout, retry, artifacts.
    spec                jsonb NOT NULL CHECK (jsonb_typeof(spec) = 'object'),
    -- The labels an agent must carry (job.labels <@ agent labels).
    labels              jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(labels) = 'object'),
    -- Automatic retries left for this attempt's failure.
    retries_left        integer NOT NULL DEFAULT 0 CHECK (retries_left >= 0),
    -- No FK: cluster owns agents.
    agent_id            uuid,
    acknowledged_at     timestamptz,
    heartbeat_at        timestamptz,
    cancel_requested_at timestamptz,
    exit_code           integer NOT NULL DEFAULT 0,
    message             text NOT NULL DEFAULT '' CHECK (length(message) <= 4096),
    -- The clone credential issued at assignment (auth owns tokens).
    clone_token_id      uuid,
    created_at          timestamptz NOT NULL,
    -- When it became pending (the queue's order).
    queued_at           timestamptz,
    started_at          timestamptz,
    finished_at         timestamptz,
    CHECK (state <> 'running' OR (agent_id IS NOT NULL AND heartbeat_at IS NOT NULL)),
    CHECK (state <> 'pending' OR queued_at IS NOT NULL)
);

-- One current attempt per job name and pipeline.
CREATE UNIQUE INDEX jobs_current_key ON jobs (pipeline_id, name) WHERE NOT superseded;
CREATE UNIQUE INDEX jobs_attempt_key ON jobs (pipeline_id, name, attempt);
-- The queue: pending jobs oldest first.
CREATE INDEX jobs_queue ON jobs (queued_at, id) WHERE state = 'pending';
-- Claim's capacity count, Reconcile, Heartbeat: an agent's running jobs.
CREATE INDEX jobs_agent_running ON jobs (agent_id) WHERE state = 'running';
-- The reaper: running jobs by liveness.
CREATE INDEX jobs_heartbeat ON jobs (heartbeat_at) WHERE state = 'running';

-- One status per (project, commit, context): the newest wins.
CREATE TABLE commit_statuses (
    id          uuid PRIMARY KEY,           -- UUIDv7
    project_id  uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    commit_sha  text NOT NULL CHECK (commit_sha ~ '^([0-9a-f]{40}|[0-9a-f]{64})$'),
    context     text NOT NULL CHECK (length(context) BETWEEN 1 AND 100),
    state       text NOT NULL CHECK (state IN ('pending', 'running', 'success', 'failure', 'cancelled', 'error')),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 1000),
    target_url  text NOT NULL DEFAULT '' CHECK (length(target_url) <= 2048),
    -- Set for Hearth's own pipelines.
    pipeline_id uuid REFERENCES pipelines (id) ON DELETE SET NULL,
    -- Who set an external status (no FK: auth owns users).
    created_by  uuid,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    UNIQUE (project_id, commit_sha, context)
);

CREATE TABLE pipeline_schedules (
    id          uuid PRIMARY KEY,           -- UUIDv7
    project_id  uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    -- Five-field cron expression, UTC.
    cron        text NOT NULL CHECK (length(cron) BETWEEN 1 AND 200),
    -- As given (a branch or tag name, or a full ref; '' the default
    -- branch), resolved at each run.
    ref         text NOT NULL DEFAULT '' CHECK (length(ref) <= 1024),
    variables   jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(variables) = 'object'),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 1000),
    -- The user the pipelines run as (no FK: auth owns users).
    owner_id    uuid NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    next_run_at timestamptz NOT NULL,
    last_run_at timestamptz,
    -- Why the last run created no pipeline ('' when it did).
    last_error  text NOT NULL DEFAULT '' CHECK (length(last_error) <= 4096),
    created_at  timestamptz NOT NULL
);

-- The schedule worker: due active schedules.
CREATE INDEX pipeline_schedules_due ON pipeline_schedules (next_run_at) WHERE active;
CREATE INDEX pipeline_schedules_project ON pipeline_schedules (project_id, created_at);
