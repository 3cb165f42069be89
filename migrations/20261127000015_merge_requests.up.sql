-- Merge requests, their comments, reviews and requested reviewers (owned
-- by controlplane/internal/project).

-- The next merge request number of each project ("!N"), separate from
-- issue numbers ("#N") as in GitLab, allocated like issue_counters: the
-- upsert serializes concurrent creations on the project's row.
CREATE TABLE merge_request_counters (
    project_id uuid PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    last       bigint NOT NULL
);

CREATE TABLE merge_requests (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id     uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    number         bigint NOT NULL CHECK (number > 0),
    -- Short branch names of the same project (no forks).
    source_branch  text NOT NULL CHECK (length(source_branch) BETWEEN 1 AND 255),
    target_branch  text NOT NULL CHECK (length(target_branch) BETWEEN 1 AND 255),
    title          text NOT NULL CHECK (length(title) BETWEEN 1 AND 255),
    description    text NOT NULL DEFAULT '' CHECK (octet_length(description) <= 65536),
    draft          boolean NOT NULL DEFAULT false,
    state          text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'merged', 'closed')),
    author_id      uuid NOT NULL,          -- a user (no FK: auth owns users)
    author_name    text NOT NULL,
    -- The source branch's commit when last seen (creation, a push, the merge).
    head_commit    text NOT NULL CHECK (head_commit ~ '^([0-9a-f]{40}|[0-9a-f]{64})$'),
    -- Mergeability, as computed for the two commits it names ('' before the
    -- first check): 'unchecked', 'mergeable' or 'conflicts' (with the files).
    merge_status   text NOT NULL DEFAULT 'unchecked' CHECK (merge_status IN ('unchecked', 'mergeable', 'conflicts', 'unrelated')),
    checked_target_commit text NOT NULL DEFAULT '',
    checked_source_commit text NOT NULL DEFAULT '',
    conflicts      text[] NOT NULL DEFAULT '{}',
    -- Whether the target could fast-forward to the source when checked.
    can_fast_forward boolean NOT NULL DEFAULT false,
    checked_at     timestamptz,
    merged_by_id   uuid,
    merged_by_name text NOT NULL DEFAULT '',
    merge_commit   text NOT NULL DEFAULT '',
    merged_at      timestamptz,
    closed_at      timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project_id, number),
    CHECK (source_branch <> target_branch),
    CHECK (state <> 'merged' OR (merged_at IS NOT NULL AND merge_commit <> ''))
);

-- At most one open merge request per source and target, as GitLab.
CREATE UNIQUE INDEX merge_requests_open_pair ON merge_requests (project_id, source_branch, target_branch)
    WHERE state = 'open';
-- A push finds the open merge requests whose source or target it moved.
CREATE INDEX merge_requests_open_target ON merge_requests (project_id, target_branch) WHERE state = 'open';
CREATE INDEX merge_requests_project_state_number ON merge_requests (project_id, state, number DESC);

CREATE TRIGGER merge_requests_updated_at BEFORE UPDATE ON merge_requests
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Comments; a line comment is anchored to a commit, a path and a line of
-- the old ('old') or new ('new') side of that commit's diff.
CREATE TABLE merge_request_comments (
    id               uuid PRIMARY KEY,     -- v7, ordered by creation
    merge_request_id uuid NOT NULL REFERENCES merge_requests (id) ON DELETE CASCADE,
    author_id        uuid NOT NULL,
    author_name      text NOT NULL,
    body             text NOT NULL CHECK (octet_length(body) BETWEEN 1 AND 65536),
    commit_sha       text NOT NULL DEFAULT '',
    path             text NOT NULL DEFAULT '' CHECK (length(path) <= 4096),
    line             integer NOT NULL DEFAULT 0 CHECK (line >= 0),
    side             text NOT NULL DEFAULT '' CHECK (side IN ('', 'old', 'new')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((commit_sha = '' AND path = '' AND line = 0 AND side = '') OR
           (commit_sha ~ '^([0-9a-f]{40}|[0-9a-f]{64})$' AND path <> '' AND line > 0 AND side <> ''))
);

CREATE INDEX merge_request_comments_mr ON merge_request_comments (merge_request_id, id);

CREATE TRIGGER merge_request_comments_updated_at BEFORE UPDATE ON merge_request_comments
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Reviews are appended; a reviewer's latest one counts. An approval is
-- for the head commit it was given on (commit_sha): it counts towards
-- required approvals only while that commit is still the source's head.
CREATE TABLE merge_request_reviews (
    id               uuid PRIMARY KEY,     -- v7, ordered by creation
    merge_request_id uuid NOT NULL REFERENCES merge_requests (id) ON DELETE CASCADE,
    reviewer_id      uuid NOT NULL,
    reviewer_name    text NOT NULL,
    verdict          text NOT NULL CHECK (verdict IN ('approve', 'request_changes')),
    commit_sha       text NOT NULL CHECK (commit_sha ~ '^([0-9a-f]{40}|[0-9a-f]{64})$'),
    body             text NOT NULL DEFAULT '' CHECK (octet_length(body) <= 65536),
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX merge_request_reviews_mr ON merge_request_reviews (merge_request_id, reviewer_id, id DESC);

-- Reviewers asked for a review (usernames: auth owns users).
CREATE TABLE merge_request_reviewers (
    merge_request_id uuid NOT NULL REFERENCES merge_requests (id) ON DELETE CASCADE,
    user_name        text NOT NULL,
    requested_by     text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (merge_request_id, user_name)
);
