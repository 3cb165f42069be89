-- Events of projects (owned by controlplane/internal/project): issue and
-- merge request activity, recorded in the transaction that made it so a
-- later notification feature can deliver them (nothing is lost between the
-- change and its event).
CREATE TABLE project_events (
    id         uuid PRIMARY KEY,            -- v7, ordered by time
    project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    kind       text NOT NULL CHECK (kind ~ '^[a-z_]+\.[a-z_]+$'),
    actor_id   uuid,                        -- a user (no FK: auth owns users)
    actor_name text NOT NULL DEFAULT '',
    -- What the event is about: "#12" (an issue) or "!3" (a merge request).
    subject    text NOT NULL CHECK (subject ~ '^[#!][0-9]+$'),
    detail     jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX project_events_project ON project_events (project_id, id);
