-- Groups, and the project columns for group ownership, archiving and soft
-- deletion (owned by controlplane/internal/project). Group membership is
-- role bindings on the group (controlplane/internal/rbac).

-- Groups share the owner namespace with usernames (URLs are /{owner}/{name}),
-- so their names follow the same syntax; the project feature refuses a group
-- named like an existing user.
CREATE TABLE groups (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,38}$'),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    visibility  text NOT NULL DEFAULT 'private' CHECK (visibility IN ('private', 'internal', 'public')),
    created_by  uuid NOT NULL,             -- a user (no FK: auth owns users)
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX groups_name_key ON groups (lower(name));

CREATE TRIGGER groups_updated_at BEFORE UPDATE ON groups
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- owner_id is a user's id or a group's id, as owner_kind says; owner_name is
-- that owner's name and moves with renames and transfers (the repository is
-- stored by project id, so it never moves).
ALTER TABLE projects
    ADD COLUMN owner_kind  text NOT NULL DEFAULT 'user' CHECK (owner_kind IN ('user', 'group')),
    -- Set: read-only (no pushes, no issue changes) until unarchived.
    ADD COLUMN archived_at timestamptz,
    -- Set: soft-deleted; invisible everywhere and its name free again.
    ADD COLUMN deleted_at  timestamptz;

-- A deleted project's name is reusable at once.
DROP INDEX projects_owner_name_key;
CREATE UNIQUE INDEX projects_owner_name_key ON projects (lower(owner_name), lower(name)) WHERE deleted_at IS NULL;

CREATE INDEX projects_owner_id ON projects (owner_id) WHERE deleted_at IS NULL;
