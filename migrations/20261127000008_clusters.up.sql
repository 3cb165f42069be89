-- Clusters, join tokens, node agents and their credentials (owned by
-- controlplane/internal/cluster). Only SHA-256 hashes of the 32-byte random
-- secrets of join tokens ("hjt_") and agent credentials ("hac_") are stored.

CREATE TABLE clusters (
    id         uuid PRIMARY KEY,            -- UUIDv7
    name       text NOT NULL CHECK (name ~ '^[a-z][a-z0-9-]{1,62}$'),
    labels     jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(labels) = 'object'),
    created_at timestamptz NOT NULL
);

CREATE UNIQUE INDEX clusters_name_key ON clusters (name);

CREATE TABLE cluster_join_tokens (
    id          uuid PRIMARY KEY,           -- UUIDv7
    cluster_id  uuid NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    token_hash  bytea NOT NULL CHECK (length(token_hash) = 32),
    -- The first 8 characters after "hjt_", to recognise a token.
    prefix      text NOT NULL CHECK (length(prefix) = 8),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 200),
    -- 1: single-use; 0: unlimited until expiry.
    max_uses    integer NOT NULL CHECK (max_uses BETWEEN 0 AND 10000),
    uses        integer NOT NULL DEFAULT 0 CHECK (uses >= 0 AND (max_uses = 0 OR uses <= max_uses)),
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL CHECK (expires_at > created_at),
    revoked_at  timestamptz
);

CREATE UNIQUE INDEX cluster_join_tokens_token_hash_key ON cluster_join_tokens (token_hash);
CREATE INDEX cluster_join_tokens_cluster ON cluster_join_tokens (cluster_id, created_at DESC);

CREATE TABLE cluster_agents (
    id               uuid PRIMARY KEY,      -- UUIDv7
    cluster_id       uuid NOT NULL REFERENCES clusters (id) ON DELETE CASCADE,
    -- The token it registered with (kept for the record).
    join_token_id    uuid REFERENCES cluster_join_tokens (id) ON DELETE SET NULL,
    name             text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$'),
    labels           jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(labels) = 'object'),
    runner_kind      text NOT NULL CHECK (runner_kind ~ '^[a-z][a-z0-9-]{0,31}$'),
    protocol_version integer NOT NULL CHECK (protocol_version > 0),
    created_at       timestamptz NOT NULL,
    last_seen_at     timestamptz,
    -- Set: every credential of the agent is refused.
    revoked_at       timestamptz
);

CREATE INDEX cluster_agents_cluster ON cluster_agents (cluster_id, created_at DESC);

CREATE TABLE cluster_agent_credentials (
    id              uuid PRIMARY KEY,       -- UUIDv7
    agent_id        uuid NOT NULL REFERENCES cluster_agents (id) ON DELETE CASCADE,
    credential_hash bytea NOT NULL CHECK (length(credential_hash) = 32),
    created_at      timestamptz NOT NULL,
    -- NULL: the agent's current credential. Set when a rotation replaces it:
    -- the end of the overlap during which it still works.
    expires_at      timestamptz
);

CREATE UNIQUE INDEX cluster_agent_credentials_hash_key ON cluster_agent_credentials (credential_hash);
CREATE INDEX cluster_agent_credentials_agent ON cluster_agent_credentials (agent_id);
