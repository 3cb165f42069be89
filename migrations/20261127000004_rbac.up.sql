-- Roles, role bindings and delegations (owned by controlplane/internal/rbac).
--
-- Permissions are stored by their stable names (rbac.Permission.String()).
-- User and project ids are plain uuids: those tables belong to other
-- features, so there is deliberately no foreign key to them.

CREATE TABLE roles (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL CHECK (name ~ '^[a-z][a-z0-9-]{1,38}$'),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
    permissions text[] NOT NULL DEFAULT '{}',
    -- System roles (admin, maintainer, developer, viewer) are seeded here and
    -- never change or disappear through the API.
    system      boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX roles_name_key ON roles (lower(name));

-- A migration that adds a permission adds it to admin (and to the other
-- system roles it belongs to) as well.
INSERT INTO roles (name, description, permissions, system) VALUES
    ('admin', 'Every permission, installation-wide or on a project.',
     ARRAY['project:read', 'project:write', 'project:admin', 'repo:read', 'repo:write',
           'pipeline:read', 'pipeline:run', 'deploy:read', 'deploy:promote', 'agent:run',
           'observe:read', 'observe:write', 'secret:read', 'secret:write',
           'admin:users', 'admin:roles', 'admin:audit'], true),
    ('maintainer', 'Everything but installation administration.',
     ARRAY['project:read', 'project:write', 'project:admin', 'repo:read', 'repo:write',
           'pipeline:read', 'pipeline:run', 'deploy:read', 'deploy:promote', 'agent:run',
           'observe:read', 'observe:write', 'secret:read', 'secret:write'], true),
    ('developer', 'Day-to-day work: code, pipelines, agents, telemetry; reads secrets.',
     ARRAY['project:read', 'project:write', 'repo:read', 'repo:write',
           'pipeline:read', 'pipeline:run', 'deploy:read', 'agent:run',
           'observe:read', 'observe:write', 'secret:read'], true),
    ('viewer', 'Reads everything but secrets.',
     ARRAY['project:read', 'repo:read', 'pipeline:read', 'deploy:read', 'observe:read'], true);

CREATE TABLE role_bindings (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    role_id    uuid NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL,
    -- NULL: installation-wide.
    project_id uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT role_bindings_unique UNIQUE NULLS NOT DISTINCT (role_id, user_id, project_id)
);

CREATE INDEX role_bindings_user ON role_bindings (user_id, project_id);
CREATE INDEX role_bindings_project ON role_bindings (project_id) WHERE project_id IS NOT NULL;

CREATE TABLE delegations (
    id           uuid PRIMARY KEY,         -- UUIDv7
    delegator_id uuid NOT NULL,
    -- A user or an agent session.
    delegate_id  uuid NOT NULL,
    -- NULL: installation-wide.
    project_id   uuid,
    permissions  text[] NOT NULL CHECK (cardinality(permissions) > 0),
    reason       text NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    CONSTRAINT delegations_not_self CHECK (delegator_id <> delegate_id),
    CONSTRAINT delegations_expiry CHECK (expires_at > created_at)
);

CREATE INDEX delegations_delegate ON delegations (delegate_id, expires_at) WHERE revoked_at IS NULL;
CREATE INDEX delegations_delegator ON delegations (delegator_id, created_at DESC);
