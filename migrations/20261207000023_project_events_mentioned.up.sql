-- A project event's kind may be a single word ("mentioned"), like the
-- notification event types it feeds (owned by controlplane/internal/project).
ALTER TABLE project_events DROP CONSTRAINT project_events_kind_check;
ALTER TABLE project_events ADD CONSTRAINT project_events_kind_check CHECK (kind ~ '^[a-z_]+(\.[a-z_]+)?$');
