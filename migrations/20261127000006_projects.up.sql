-- Projects (owned by controlplane/internal/project). Minimal for now: the
-- project feature adds groups, members, archiving and soft deletion.
CREATE TABLE projects (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_id       uuid NOT NULL,          -- a user (no FK: auth owns users)
    owner_name     text NOT NULL,          -- the owner's username at creation (URLs use it)
    name           text NOT NULL CHECK (name ~ '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$' AND name !~ '\.git$' AND name NOT IN ('.', '..')),
    description    text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    visibility     text NOT NULL DEFAULT 'private' CHECK (visibility IN ('private', 'internal', 'public')),
    default_branch text NOT NULL DEFAULT 'main',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX projects_owner_name_key ON projects (lower(owner_name), lower(name));

CREATE TRIGGER projects_updated_at BEFORE UPDATE ON projects
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
