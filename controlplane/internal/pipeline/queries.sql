
-- NextPipelineNumber allocates the project's next number. The row lock it
-- takes serialises concurrent creations of one project until commit.
-- name: NextPipelineNumber :one
INSERT INTO pipeline_counters (project_id, last_number) VALUES (@project_id, 1)
ON CONFLICT (project_id) DO UPDATE SET last_number = pipeline_counters.last_number + 1
RETURNING last_number;

-- name: InsertPipeline :one
INSERT INTO pipelines (id, project_id, number, ref, commit_sha, event, state, error, triggered_by, schedule_id, variables, created_at, finished_at)
VALUES (@id, @project_id, @number, @ref, @commit_sha, @event, @state, @error, @triggered_by, @schedule_id, @variables, @created_at, @finished_at)
RETURNING *;

-- name: GetPipeline :one
SELECT * FROM pipelines WHERE id = @id;

-- LockPipeline serialises every change to a pipeline's jobs: callers lock
-- the pipeline first, then its jobs (never the other way round).
-- name: LockPipeline :one
SELECT * FROM pipelines WHERE id = @id FOR UPDATE;

-- name: ListPipelines :many
SELECT * FROM pipelines
WHERE project_id = @project_id AND number < @before_number
ORDER BY number DESC
LIMIT @max_rows;

-- name: SetPipelineState :exec
UPDATE pipelines SET state = @state, started_at = @started_at, finished_at = @finished_at
WHERE id = @id;

-- name: PipelineProject :one
SELECT project_id FROM pipelines WHERE id = @id;


-- name: InsertJob :one
INSERT INTO jobs (id, pipeline_id, project_id, name, attempt, state, needs, spec, labels, retries_left, created_at, queued_at)
VALUES (@id, @pipeline_id, @project_id, @name, @attempt, @state, @needs, @spec, @labels, @retries_left, @created_at, @queued_at)
RETURNING *;

-- name: GetJob :one
SELECT * FROM jobs WHERE id = @id;

-- name: LockJob :one
SELECT * FROM jobs WHERE id = @id FOR UPDATE;

-- name: JobProject :one
SELECT project_id FROM jobs WHERE id = @id;

-- CurrentJobs are a pipeline's jobs without superseded attempts.
-- name: CurrentJobs :many
SELECT * FROM jobs WHERE pipeline_id = @pipeline_id AND NOT superseded ORDER BY created_at, id;

-- name: AllJobs :many
SELECT * FROM jobs WHERE pipeline_id = @pipeline_id ORDER BY created_at, id;

-- name: QueueJob :exec
UPDATE jobs SET state = 'pending', queued_at = @now::timestamptz WHERE id = @id;

-- EndJob gives a job its final state; superseded marks it replaced by a
-- new attempt.
-- name: EndJob :exec
UPDATE jobs SET state = @state, exit_code = @exit_code, message = @message,
    finished_at = @now::timestamptz, superseded = @superseded
WHERE id = @id;

-- name: SupersedeJob :exec
UPDATE jobs SET superseded = true WHERE id = @id;

-- name: RequestCancel :exec
UPDATE jobs SET cancel_requested_at = @now::timestamptz WHERE id = @id AND cancel_requested_at IS NULL;


-- LockAgentQueue serialises the claims of one agent, so two streams of the
-- same agent (an old one not yet noticed dead and a new one) never exceed
-- its capacity together.
-- name: LockAgentQueue :exec
SELECT pg_advisory_xact_lock(hashtextextended('hearth_jobs_agent:' || @agent_key::text, 0));

-- CountRunning counts the agent's running jobs other than those it
-- reported itself (@reported): the claim adds those.
-- name: CountRunning :one
SELECT count(*) FROM jobs
WHERE agent_id = @agent_id AND state = 'running' AND NOT (id = ANY(@reported::uuid[]));

-- ClaimPending takes the oldest queued jobs whose labels the agent has.
-- SKIP LOCKED: concurrent claims of other agents take other jobs.
-- name: ClaimPending :many
SELECT * FROM jobs
WHERE state = 'pending' AND labels <@ @agent_labels::jsonb
ORDER BY queued_at, id
LIMIT @max_rows
FOR UPDATE SKIP LOCKED;

-- name: AssignJob :exec
UPDATE jobs SET state = 'running', agent_id = @agent_id, heartbeat_at = @now::timestamptz,
    acknowledged_at = NULL, clone_token_id = @clone_token_id
WHERE id = @id;

-- name: SetCloneToken :exec
UPDATE jobs SET clone_token_id = @clone_token_id WHERE id = @id;

-- name: AgentRunningJobs :many
SELECT * FROM jobs WHERE agent_id = @agent_id AND state = 'running' ORDER BY created_at, id;

-- name: AcknowledgeJob :exec
UPDATE jobs SET acknowledged_at = COALESCE(acknowledged_at, @now::timestamptz),
    started_at = COALESCE(started_at, @now::timestamptz), heartbeat_at = @now::timestamptz
WHERE id = @id;

-- name: Heartbeat :exec
UPDATE jobs SET heartbeat_at = @now::timestamptz
WHERE agent_id = @agent_id AND state = 'running' AND id = ANY(@ids::uuid[]);

-- CancelRequestedJobs are the running jobs of an agent, or among those it
-- reports, whose cancellation was requested: the heartbeat path tells the
-- agent again, since the one notification may have been missed.
-- name: CancelRequestedJobs :many
SELECT id FROM jobs
WHERE state = 'running' AND cancel_requested_at IS NOT NULL
    AND (agent_id = @agent_id OR id = ANY(@ids::uuid[]))
ORDER BY id;

-- RequeueJob gives an assigned job the agent never acknowledged back to
-- the queue.
-- name: RequeueJob :exec
UPDATE jobs SET state = 'pending', agent_id = NULL, heartbeat_at = NULL, acknowledged_at = NULL,
    clone_token_id = NULL, queued_at = @now::timestamptz
WHERE id = @id;

-- StaleJobs are running jobs whose agent went quiet (the reaper).
-- name: StaleJobs :many
SELECT id, pipeline_id FROM jobs
WHERE state = 'running' AND heartbeat_at < @before::timestamptz
ORDER BY heartbeat_at
LIMIT @max_rows;

-- name: Notify :exec
SELECT pg_notify('hearth_jobs', @payload::text);


-- UpsertPipelineStatus sets a pipeline's status; an older pipeline of the
-- same commit never overwrites a newer one's (UUIDv7 ids sort by time).
-- name: UpsertPipelineStatus :exec
INSERT INTO commit_statuses (id, project_id, commit_sha, context, state, description, target_url, pipeline_id, created_at, updated_at)
VALUES (@id, @project_id, @commit_sha, @context, @state, @description, '', @pipeline_id, @now::timestamptz, @now::timestamptz)
ON CONFLICT (project_id, commit_sha, context) DO UPDATE
SET state = EXCLUDED.state, description = EXCLUDED.description, target_url = '',
    pipeline_id = EXCLUDED.pipeline_id, created_by = NULL, updated_at = EXCLUDED.updated_at
WHERE commit_statuses.pipeline_id IS NULL OR commit_statuses.pipeline_id <= EXCLUDED.pipeline_id;

-- name: UpsertExternalStatus :one
INSERT INTO commit_statuses (id, project_id, commit_sha, context, state, description, target_url, created_by, created_at, updated_at)
VALUES (@id, @project_id, @commit_sha, @context, @state, @description, @target_url, @created_by, @now::timestamptz, @now::timestamptz)
ON CONFLICT (project_id, commit_sha, context) DO UPDATE
SET state = EXCLUDED.state, description = EXCLUDED.description, target_url = EXCLUDED.target_url,
    pipeline_id = NULL, created_by = EXCLUDED.created_by, updated_at = EXCLUDED.updated_at
RETURNING *;

-- name: ListCommitStatuses :many
SELECT * FROM commit_statuses WHERE project_id = @project_id AND commit_sha = @commit_sha
ORDER BY updated_at DESC, id DESC;


-- name: InsertSchedule :one
INSERT INTO pipeline_schedules (id, project_id, cron, ref, variables, description, owner_id, next_run_at, created_at)
VALUES (@id, @project_id, @cron, @ref, @variables, @description, @owner_id, @next_run_at, @created_at)
RETURNING *;

-- name: ListSchedules :many
SELECT * FROM pipeline_schedules WHERE project_id = @project_id ORDER BY created_at, id;

-- name: DeleteSchedule :one
DELETE FROM pipeline_schedules WHERE id = @id AND project_id = @project_id RETURNING *;

-- ClaimDueSchedules takes due schedules; SKIP LOCKED lets a deposed leader
-- still finishing and the new one never fire one schedule twice.
-- name: ClaimDueSchedules :many
SELECT * FROM pipeline_schedules
WHERE active AND next_run_at <= @now::timestamptz
ORDER BY next_run_at
LIMIT @max_rows
FOR UPDATE SKIP LOCKED;

-- name: AdvanceSchedule :exec
UPDATE pipeline_schedules SET next_run_at = @next_run_at, last_run_at = @now::timestamptz, last_error = @last_error
WHERE id = @id;

-- name: NextScheduleRun :one
SELECT next_run_at FROM pipeline_schedules WHERE active ORDER BY next_run_at LIMIT 1;

-- name: MarkLogFinished :exec
UPDATE jobs SET log_finished_at = @now::timestamptz WHERE id = @id AND log_finished_at IS NULL;

-- name: UnfinishedLogs :many
-- Final jobs whose log is still open, ended before @before.
SELECT id FROM jobs
WHERE log_finished_at IS NULL AND finished_at IS NOT NULL AND finished_at < @before::timestamptz
ORDER BY finished_at
LIMIT @max;

-- name: PreviousFinishedState :one
-- The state of the last pipeline of the ref that finished before this one.
SELECT state FROM pipelines
WHERE project_id = @project_id AND ref = @ref AND number < @number AND finished_at IS NOT NULL AND state <> 'cancelled'
ORDER BY number DESC LIMIT 1;
