-- Git hosting (owned by controlplane/internal/git): protected ref rules and
-- the push events recorded until the pipeline feature consumes them.

-- Protected branches and tags of a project. The project's default branch is
-- protected (no force push, no deletion) even without a row.
CREATE TABLE git_protected_refs (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id       uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    kind             text NOT NULL CHECK (kind IN ('branch', 'tag')),
    -- A glob over the short name ("main", "release/*"); '*' matches any run of characters.
    pattern          text NOT NULL CHECK (length(pattern) BETWEEN 1 AND 255),
    allow_force_push boolean NOT NULL DEFAULT false,
    allow_deletion   boolean NOT NULL DEFAULT false,
    -- The permission needed to push to a matching branch ('repo:write' or 'project:admin').
    push_permission  text NOT NULL DEFAULT 'repo:write' CHECK (push_permission IN ('repo:write', 'project:admin')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project_id, kind, pattern)
);

-- One row per accepted push that moved at least one ref.
CREATE TABLE git_push_events (
    id         uuid PRIMARY KEY,       -- v7
    project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    pusher_id  uuid,                   -- the user (no FK: auth owns users)
    -- [{"ref": "refs/heads/main", "old": "<sha>", "new": "<sha>"}, ...]
    refs       jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX git_push_events_project ON git_push_events (project_id, id);
