-- Secrets (owned by controlplane/internal/secret): envelope-encrypted
-- values. A scope is a project (project_id), a group (group_id) or the
-- installation (both NULL); each scope has one active data key (DEK),
-- stored only wrapped by a root key that never reaches the database.

CREATE TABLE secret_keys (
    id          uuid PRIMARY KEY,
    project_id  uuid REFERENCES projects (id) ON DELETE CASCADE,
    group_id    uuid REFERENCES groups (id) ON DELETE CASCADE,
    -- The DEK sealed by the root key root_key_id names (a fingerprint of
    -- the key, never the key).
    wrapped     bytea NOT NULL,
    root_key_id text NOT NULL CHECK (length(root_key_id) <= 64),
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- Set when a rotation replaced the key: values still under it are
    -- re-encrypted in the background, then the row is deleted.
    retired_at  timestamptz,
    CHECK (project_id IS NULL OR group_id IS NULL)
);

-- One active key per scope.
CREATE UNIQUE INDEX secret_keys_active ON secret_keys (project_id, group_id) NULLS NOT DISTINCT
    WHERE retired_at IS NULL;
CREATE INDEX secret_keys_root ON secret_keys (root_key_id);

CREATE TABLE secrets (
    id              uuid PRIMARY KEY,
    project_id      uuid REFERENCES projects (id) ON DELETE CASCADE,
    group_id        uuid REFERENCES groups (id) ON DELETE CASCADE,
    name            text NOT NULL CHECK (name ~ '^[A-Za-z_][A-Za-z0-9_]{0,127}$'),
    -- '' applies to every environment.
    environment     text NOT NULL DEFAULT '' CHECK (environment = '' OR environment ~ '^[a-z0-9]([a-z0-9._/-]{0,62}[a-z0-9])?$'),
    protected       boolean NOT NULL DEFAULT false,
    usages          text[] NOT NULL CHECK (usages <@ ARRAY['pipeline', 'agent_session', 'deploy'] AND cardinality(usages) > 0),
    description     text NOT NULL DEFAULT '' CHECK (length(description) <= 1000),
    version         integer NOT NULL CHECK (version > 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    updated_by      uuid,            -- a user (no FK: auth owns users)
    updated_by_name text NOT NULL DEFAULT '',
    CHECK (project_id IS NULL OR group_id IS NULL)
);

CREATE UNIQUE INDEX secrets_scope_name ON secrets (project_id, group_id, name, environment) NULLS NOT DISTINCT;
CREATE INDEX secrets_group ON secrets (group_id) WHERE group_id IS NOT NULL;

-- Every version of a secret's value, sealed under a DEK of its scope with
-- (secret id, scope, version) as associated data.
CREATE TABLE secret_versions (
    secret_id       uuid NOT NULL REFERENCES secrets (id) ON DELETE CASCADE,
    version         integer NOT NULL CHECK (version > 0),
    key_id          uuid NOT NULL REFERENCES secret_keys (id),
    ciphertext      bytea NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    created_by      uuid,
    created_by_name text NOT NULL DEFAULT '',
    PRIMARY KEY (secret_id, version)
);

CREATE INDEX secret_versions_key ON secret_versions (key_id);
