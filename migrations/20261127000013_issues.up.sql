-- Issues, their comments and a project's labels (owned by
-- controlplane/internal/project).

-- The next issue number of each project, allocated with
-- INSERT ... ON CONFLICT DO UPDATE ... RETURNING so concurrent creations
-- serialize on the project's row and get consecutive numbers.
CREATE TABLE issue_counters (
    project_id uuid PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    last       bigint NOT NULL
);

CREATE TABLE issues (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id  uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    number      bigint NOT NULL CHECK (number > 0),
    title       text NOT NULL CHECK (length(title) BETWEEN 1 AND 255),
    body        text NOT NULL DEFAULT '' CHECK (octet_length(body) <= 65536),
    state       text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
    author_id   uuid NOT NULL,             -- a user (no FK: auth owns users)
    author_name text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    closed_at   timestamptz,
    search      tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', body), 'B')
    ) STORED,
    UNIQUE (project_id, number)
);

CREATE INDEX issues_project_state_number ON issues (project_id, state, number DESC);
CREATE INDEX issues_search ON issues USING gin (search);

CREATE TRIGGER issues_updated_at BEFORE UPDATE ON issues
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE issue_labels (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id  uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 50 AND name !~ '[,[:cntrl:]]'),
    color       text NOT NULL CHECK (color ~ '^#[0-9a-f]{6}$'),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 200),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX issue_labels_project_name ON issue_labels (project_id, lower(name));

CREATE TABLE issue_label_links (
    issue_id uuid NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    label_id uuid NOT NULL REFERENCES issue_labels (id) ON DELETE CASCADE,
    PRIMARY KEY (issue_id, label_id)
);

CREATE INDEX issue_label_links_label ON issue_label_links (label_id);

CREATE TABLE issue_assignees (
    issue_id  uuid NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    user_name text NOT NULL,               -- a username (no FK: auth owns users)
    PRIMARY KEY (issue_id, user_name)
);

CREATE INDEX issue_assignees_user ON issue_assignees (lower(user_name));

CREATE TABLE issue_comments (
    id          uuid PRIMARY KEY,          -- v7, ordered by creation
    issue_id    uuid NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    author_id   uuid NOT NULL,
    author_name text NOT NULL,
    body        text NOT NULL CHECK (octet_length(body) BETWEEN 1 AND 65536),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX issue_comments_issue ON issue_comments (issue_id, id);

CREATE TRIGGER issue_comments_updated_at BEFORE UPDATE ON issue_comments
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
