-- Whether a final job's log was moved to S3 (joblog Finish succeeded).
-- Finishing is done after the job's transaction commits and may fail (S3
-- down, a crash): the reaper finishes what is still open.
ALTER TABLE jobs ADD COLUMN log_finished_at timestamptz;

CREATE INDEX jobs_log_unfinished ON jobs (finished_at)
    WHERE log_finished_at IS NULL AND finished_at IS NOT NULL;
