-- Job artifacts (owned by controlplane/internal/pipeline/artifact). The
-- bytes are in S3 at object_key (artifacts/<project-id>/<job-id>/<id>);
-- this row says they exist. project_id and job_id have no foreign keys: the
-- projects and jobs tables belong to other packages.

CREATE TABLE artifacts (
    id         uuid PRIMARY KEY,            -- UUIDv7
    project_id uuid NOT NULL,
    job_id     uuid NOT NULL,
    name       text NOT NULL CHECK (name ~ '^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$'),
    size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
    sha256     text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    object_key text NOT NULL,
    created_at timestamptz NOT NULL,
    -- Past this instant the artifact is gone for readers; the expiry
    -- worker deletes its object, then the row.
    expires_at timestamptz NOT NULL CHECK (expires_at > created_at)
);

-- A job's artifact names are unique: a new upload replaces the old one.
CREATE UNIQUE INDEX artifacts_job_name_key ON artifacts (job_id, name);
CREATE INDEX artifacts_expires_at ON artifacts (expires_at);
