-- name: CreateCluster :one
INSERT INTO clusters (id, name, labels, created_at)
VALUES (@id, @name, @labels, @created_at)
RETURNING *;

-- name: ListClusters :many
SELECT * FROM clusters ORDER BY name;

-- name: GetCluster :one
SELECT * FROM clusters WHERE id = @id;

-- name: CreateJoinToken :one
INSERT INTO cluster_join_tokens (id, cluster_id, token_hash, prefix, description, max_uses, created_at, expires_at)
VALUES (@id, @cluster_id, @token_hash, @prefix, @description, @max_uses, @created_at, @expires_at)
RETURNING *;

-- name: ListJoinTokens :many
SELECT * FROM cluster_join_tokens WHERE cluster_id = @cluster_id ORDER BY created_at DESC, id DESC;

-- name: RevokeJoinToken :one
UPDATE cluster_join_tokens SET revoked_at = @now::timestamptz
WHERE id = @id AND cluster_id = @cluster_id AND revoked_at IS NULL
RETURNING *;

-- name: GetJoinToken :one
SELECT * FROM cluster_join_tokens WHERE id = @id AND cluster_id = @cluster_id;

-- ConsumeJoinToken takes one use of a live token. Concurrent callers
-- serialise on the row lock, and each re-checks the condition after the
-- previous one commits, so a single-use token is used exactly once.
-- name: ConsumeJoinToken :one
UPDATE cluster_join_tokens SET uses = uses + 1
WHERE token_hash = @token_hash
  AND revoked_at IS NULL
  AND expires_at > @now
  AND (max_uses = 0 OR uses < max_uses)
RETURNING id, cluster_id;

-- name: CreateAgent :one
INSERT INTO cluster_agents (id, cluster_id, join_token_id, name, labels, runner_kind, protocol_version, created_at)
VALUES (@id, @cluster_id, @join_token_id, @name, @labels, @runner_kind, @protocol_version, @created_at)
RETURNING *;

-- name: ListAgents :many
SELECT * FROM cluster_agents WHERE cluster_id = @cluster_id ORDER BY created_at DESC, id DESC;

-- name: RevokeAgent :one
UPDATE cluster_agents SET revoked_at = @now::timestamptz
WHERE id = @id AND cluster_id = @cluster_id AND revoked_at IS NULL
RETURNING *;

-- name: GetAgentInCluster :one
SELECT * FROM cluster_agents WHERE id = @id AND cluster_id = @cluster_id;

-- name: ExpireAgentCredentials :exec
UPDATE cluster_agent_credentials SET expires_at = @now::timestamptz
WHERE agent_id = @agent_id AND (expires_at IS NULL OR expires_at > @now);

-- name: CreateCredential :exec
INSERT INTO cluster_agent_credentials (id, agent_id, credential_hash, created_at)
VALUES (@id, @agent_id, @credential_hash, @created_at);

-- name: AgentByCredential :one
SELECT sqlc.embed(cluster_agents), c.id AS credential_id, c.expires_at AS credential_expires_at
FROM cluster_agent_credentials c
JOIN cluster_agents ON cluster_agents.id = c.agent_id
WHERE c.credential_hash = @credential_hash;

-- LockAgent serialises rotations of one agent.
-- name: LockAgent :one
SELECT revoked_at FROM cluster_agents WHERE id = @id FOR UPDATE;

-- name: ExpireOtherCredentials :exec
UPDATE cluster_agent_credentials SET expires_at = @now::timestamptz
WHERE agent_id = @agent_id AND id <> @keep_id AND (expires_at IS NULL OR expires_at > @now);

-- name: SetCredentialExpiry :exec
UPDATE cluster_agent_credentials SET expires_at = LEAST(COALESCE(expires_at, @until::timestamptz), @until::timestamptz)
WHERE id = @id;

-- TouchAgent records that the agent was heard from; it never moves
-- last_seen_at backwards (two replicas may touch the same agent).
-- name: TouchAgent :exec
UPDATE cluster_agents SET last_seen_at = @now::timestamptz
WHERE id = @id AND (last_seen_at IS NULL OR last_seen_at < @now::timestamptz);
