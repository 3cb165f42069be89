-- LockLog takes a share lock on the job's log row for the length of an
-- Append's transaction, so Finish's seal (an UPDATE) waits for in-flight
-- appends and every later append sees the seal.
-- name: LockLog :one
SELECT sealed_at, finished_at FROM job_logs WHERE job_id = @job_id FOR SHARE;

-- name: CreateLog :exec
INSERT INTO job_logs (job_id) VALUES (@job_id) ON CONFLICT (job_id) DO NOTHING;

-- LockStep serialises appends to one (job, step) and returns its end.
-- name: LockStep :one
SELECT end_offset FROM job_log_steps WHERE job_id = @job_id AND step = @step FOR UPDATE;

-- name: CreateStep :exec
INSERT INTO job_log_steps (job_id, step) VALUES (@job_id, @step) ON CONFLICT (job_id, step) DO NOTHING;

-- LockAppend is LockLog and LockStep in one round trip, for the usual
-- case where both rows exist.
-- name: LockAppend :one
SELECT l.sealed_at, s.end_offset
FROM job_logs l JOIN job_log_steps s ON s.job_id = l.job_id
WHERE l.job_id = @job_id AND s.step = @step
FOR SHARE OF l FOR UPDATE OF s;

-- StoreChunk stores a chunk and moves the step's end past it, in one
-- round trip.
-- name: StoreChunk :exec
WITH chunk AS (
    INSERT INTO job_log_chunks (job_id, step, start_offset, data)
    VALUES (@job_id, @step, @start_offset, @data)
)
UPDATE job_log_steps s SET end_offset = @end_offset
WHERE s.job_id = @job_id AND s.step = @step;

-- name: GetLog :one
SELECT sealed_at, finished_at FROM job_logs WHERE job_id = @job_id;

-- name: StepEnds :many
SELECT step, end_offset FROM job_log_steps WHERE job_id = @job_id ORDER BY step;

-- ReadChunks returns the chunks of a step holding bytes at or after
-- from_offset, in order. after_start is from_offset minus the largest
-- chunk size: the chunk holding from_offset starts after it, and that
-- bound lets the primary key's index find it.
-- name: ReadChunks :many
SELECT start_offset, data FROM job_log_chunks
WHERE job_id = @job_id AND step = @step
  AND start_offset > @after_start
  AND start_offset + length(data) > @from_offset
ORDER BY start_offset
LIMIT @max_rows;

-- Seal refuses further appends (waiting for those in flight) and says
-- whether an earlier Finish already completed.
-- name: Seal :one
UPDATE job_logs SET sealed_at = COALESCE(sealed_at, now())
WHERE job_id = @job_id
RETURNING finished_at;

-- name: MarkFinished :exec
UPDATE job_logs SET finished_at = now() WHERE job_id = @job_id AND finished_at IS NULL;

-- name: DeleteChunks :exec
DELETE FROM job_log_chunks WHERE job_id = @job_id;
