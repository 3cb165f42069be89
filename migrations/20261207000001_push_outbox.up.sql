-- The push-event outbox (owned by controlplane/internal/git): one row per
-- (push event, ref), written in the push event's transaction before the
-- client hears the push succeeded, and consumed once by the push worker
-- (FOR UPDATE SKIP LOCKED) into pipelines and merge-request refreshes.
-- Events recorded before this table existed were consumed in the request.

-- Who pushed, by name, for the audit rows of what the worker creates on
-- their behalf ('' unknown or anonymous).
ALTER TABLE git_push_events ADD COLUMN pusher_name text NOT NULL DEFAULT '';

CREATE TABLE git_push_refs (
    event_id        uuid NOT NULL REFERENCES git_push_events (id) ON DELETE CASCADE,
    -- The ref's place in its push, so consumers see a push's refs in order.
    position        integer NOT NULL CHECK (position >= 0),
    ref             text NOT NULL,
    old_sha         text NOT NULL,
    new_sha         text NOT NULL,
    -- NULL: pending. Set in the transaction that consumed it (or gave up).
    consumed_at     timestamptz,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text NOT NULL DEFAULT '',
    PRIMARY KEY (event_id, position),
    UNIQUE (event_id, ref)
);

-- The worker's scan: only pending rows, oldest first.
CREATE INDEX git_push_refs_pending ON git_push_refs (next_attempt_at, event_id, position) WHERE consumed_at IS NULL;
