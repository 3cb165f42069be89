-- The append-only audit log (owned by controlplane/internal/audit).
CREATE TABLE audit_events (
    id          uuid PRIMARY KEY,          -- UUIDv7: time-ordered
    occurred_at timestamptz NOT NULL DEFAULT now(),
    actor_id    uuid,                      -- NULL: the system or anonymous
    actor_name  text NOT NULL DEFAULT '',
    action      text NOT NULL CHECK (action ~ '^[a-z_]+\.[a-z_.]+$'),
    resource    text NOT NULL DEFAULT '',  -- e.g. "user/<id>", "role/<id>"
    project_id  uuid,
    detail      jsonb NOT NULL DEFAULT '{}',
    client_ip   inet,
    user_agent  text NOT NULL DEFAULT '' CHECK (length(user_agent) <= 512)
);

CREATE INDEX audit_events_occurred_at ON audit_events (occurred_at DESC, id DESC);
CREATE INDEX audit_events_actor ON audit_events (actor_id, occurred_at DESC);
CREATE INDEX audit_events_action ON audit_events (action, occurred_at DESC);
CREATE INDEX audit_events_project ON audit_events (project_id, occurred_at DESC) WHERE project_id IS NOT NULL;

-- Append-only: rows are never changed.
CREATE FUNCTION audit_events_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_immutable();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_immutable();
