-- Job logs (owned by controlplane/internal/pipeline/joblog). While a job
-- runs its log lives here as contiguous chunks per (job, step); Finish
-- copies each step to S3 (logs/<job-id>/<step>.log), then marks the log
-- finished and deletes the chunks. job_id is the pipeline's job id but has
-- no foreign key: the jobs table belongs to another package.

CREATE TABLE job_logs (
    job_id      uuid PRIMARY KEY,
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- Set by Finish before it uploads: no chunk is accepted any more, so
    -- what is uploaded is final. A Finish that crashed after this simply
    -- runs again.
    sealed_at   timestamptz,
    -- Set once every step is in S3 (and the chunks are gone): read the log
    -- from S3 from now on.
    finished_at timestamptz,
    CHECK (finished_at IS NULL OR sealed_at IS NOT NULL)
);

CREATE TABLE job_log_steps (
    job_id     uuid NOT NULL REFERENCES job_logs (job_id) ON DELETE CASCADE,
    -- 0 is the checkout, then one per script step.
    step       integer NOT NULL CHECK (step BETWEEN 0 AND 1023),
    -- Every byte before end_offset is stored (in chunks, or in S3 once the
    -- log is finished); kept after Finish for Lengths.
    end_offset bigint NOT NULL DEFAULT 0 CHECK (end_offset >= 0),
    PRIMARY KEY (job_id, step)
);

CREATE TABLE job_log_chunks (
    job_id       uuid NOT NULL,
    step         integer NOT NULL,
    -- Byte offset of data's first byte in the step's log. The chunks of a
    -- step are contiguous and never overlap: each starts where the
    -- previous one ended.
    start_offset bigint NOT NULL CHECK (start_offset >= 0),
    data         bytea NOT NULL CHECK (length(data) BETWEEN 1 AND 1048576),
    PRIMARY KEY (job_id, step, start_offset),
    FOREIGN KEY (job_id, step) REFERENCES job_log_steps (job_id, step) ON DELETE CASCADE
);
