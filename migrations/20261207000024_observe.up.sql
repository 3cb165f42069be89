-- Observability (owned by controlplane/internal/observe): the Parquet files
-- on S3 that hold a project's telemetry, which write-ahead-log segments of
-- which replica they came from, and per-project settings.

-- One row per Parquet object. A query lists the files of a project and
-- signal whose time range overlaps its own, and reads only those.
CREATE TABLE observe_files (
    id          uuid PRIMARY KEY,                 -- v7, also the object's name
    signal      text NOT NULL CHECK (signal IN ('traces', 'logs', 'metrics')),
    project_id  uuid NOT NULL,                    -- no FK: retention removes a deleted project's files and objects
    object_key  text NOT NULL UNIQUE CHECK (length(object_key) <= 500),
    min_time    bigint NOT NULL,                  -- Unix nanoseconds of the earliest row
    max_time    bigint NOT NULL CHECK (max_time >= min_time),
    row_count   bigint NOT NULL CHECK (row_count > 0),
    size_bytes  bigint NOT NULL CHECK (size_bytes > 0),
    services    text[] NOT NULL DEFAULT '{}',
    -- The hour (UTC, Unix seconds) the file's rows belong to: compaction
    -- merges files of one project, signal and hour.
    hour        bigint NOT NULL,
    -- 0: flushed from a replica's write-ahead log; 1: made by compaction.
    level       smallint NOT NULL DEFAULT 0 CHECK (level IN (0, 1)),
    -- The replica and WAL segment a level-0 file was flushed from: a
    -- replica's query skips the files of segments it still holds in
    -- memory, so no row is counted twice.
    replica     text,
    segment     bigint,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX observe_files_range ON observe_files (project_id, signal, max_time, min_time);
CREATE INDEX observe_files_hour ON observe_files (signal, project_id, hour) WHERE level = 0;

-- One row per flushed WAL segment: its files and this row commit together,
-- so a replica that restarts replays exactly the segments not flushed yet.
CREATE TABLE observe_flushed_segments (
    replica    text NOT NULL CHECK (length(replica) BETWEEN 1 AND 200),
    segment    bigint NOT NULL,
    file_count integer NOT NULL,
    row_count  bigint NOT NULL,
    flushed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (replica, segment)
);

-- Objects to delete from S3 once no query can still be reading them
-- (compaction and retention queue them in the transaction that drops
-- their rows).
CREATE TABLE observe_garbage (
    object_key text PRIMARY KEY,
    delete_after timestamptz NOT NULL
);

-- Per-project settings; a project without a row uses the server's default.
CREATE TABLE observe_settings (
    project_id     uuid PRIMARY KEY,
    retention_days integer NOT NULL CHECK (retention_days BETWEEN 1 AND 3650),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
