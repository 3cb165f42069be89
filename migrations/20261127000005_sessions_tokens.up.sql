-- Browser sessions and personal API tokens (owned by controlplane/internal/auth).
-- Only SHA-256 hashes of their 32-byte random secrets are stored.

CREATE TABLE sessions (
    id           uuid PRIMARY KEY,            -- UUIDv7
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   bytea NOT NULL CHECK (length(token_hash) = 32),
    -- SHA-256 of the session's CSRF token (not a credential alone: it is
    -- only accepted together with a cookie of the same user).
    csrf_hash    bytea NOT NULL CHECK (length(csrf_hash) = 32),
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,        -- absolute expiry
    client_ip    inet,
    user_agent   text NOT NULL DEFAULT '' CHECK (length(user_agent) <= 512)
);

CREATE UNIQUE INDEX sessions_token_hash_key ON sessions (token_hash);
CREATE UNIQUE INDEX sessions_csrf_hash_key ON sessions (csrf_hash);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE api_tokens (
    id           uuid PRIMARY KEY,            -- UUIDv7
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    token_hash   bytea NOT NULL CHECK (length(token_hash) = 32),
    -- The first 8 characters after "hth_", to recognise a token.
    prefix       text NOT NULL CHECK (length(prefix) = 8),
    scopes       text[] NOT NULL CHECK (cardinality(scopes) BETWEEN 1 AND 16),
    -- Restricts the token to one project (no foreign key: projects are
    -- another feature's table).
    project_id   uuid,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL CHECK (expires_at > created_at),
    last_used_at timestamptz,
    revoked_at   timestamptz
);

CREATE UNIQUE INDEX api_tokens_token_hash_key ON api_tokens (token_hash);
CREATE INDEX api_tokens_user ON api_tokens (user_id, created_at DESC);
