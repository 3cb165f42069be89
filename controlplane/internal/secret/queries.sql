-- Scopes: a project (project_id), a group (group_id) or the installation
-- (both NULL). Queries compare them with IS NOT DISTINCT FROM.

-- name: ActiveKey :one
SELECT id, wrapped, root_key_id FROM secret_keys
WHERE project_id IS NOT DISTINCT FROM sqlc.narg(project_id)::uuid
  AND group_id IS NOT DISTINCT FROM sqlc.narg(group_id)::uuid
  AND retired_at IS NULL;

-- name: InsertKey :execrows
-- A concurrent first secret of the scope may have created its key: then
-- nothing is inserted and the caller reads that one.
INSERT INTO secret_keys (id, project_id, group_id, wrapped, root_key_id)
VALUES (@id, sqlc.narg(project_id), sqlc.narg(group_id), @wrapped, @root_key_id)
ON CONFLICT DO NOTHING;

-- name: GetKey :one
SELECT id, project_id, group_id, wrapped, root_key_id, retired_at FROM secret_keys WHERE id = @id;

-- name: OneKeyPerRoot :many
-- One data key wrapped by each root key in use, to check at start that
-- every one of them is configured and opens.
SELECT DISTINCT ON (root_key_id) id, project_id, group_id, wrapped, root_key_id, count(*) OVER (PARTITION BY root_key_id) AS keys
FROM secret_keys ORDER BY root_key_id, id;

-- name: KeysToRewrap :many
SELECT id, project_id, group_id, wrapped, root_key_id FROM secret_keys
WHERE root_key_id <> @primary_id
ORDER BY id LIMIT @max_rows FOR UPDATE SKIP LOCKED;

-- name: SetWrapped :exec
UPDATE secret_keys SET wrapped = @wrapped, root_key_id = @root_key_id WHERE id = @id;

-- name: RetireActiveKey :one
UPDATE secret_keys SET retired_at = now()
WHERE project_id IS NOT DISTINCT FROM sqlc.narg(project_id)::uuid
  AND group_id IS NOT DISTINCT FROM sqlc.narg(group_id)::uuid
  AND retired_at IS NULL
RETURNING id;

-- name: RetiredKeys :many
SELECT id, project_id, group_id FROM secret_keys WHERE retired_at IS NOT NULL ORDER BY retired_at, id;

-- name: LockRetiredKey :one
SELECT id FROM secret_keys WHERE id = @id AND retired_at IS NOT NULL FOR UPDATE SKIP LOCKED;

-- name: VersionsUnderKey :many
SELECT v.secret_id, v.version, v.ciphertext
FROM secret_versions v WHERE v.key_id = @key_id
ORDER BY v.secret_id, v.version LIMIT @max_rows FOR UPDATE;

-- name: CountVersionsUnderRetired :one
SELECT count(*) FROM secret_versions v JOIN secret_keys k ON k.id = v.key_id
WHERE k.retired_at IS NOT NULL
  AND k.project_id IS NOT DISTINCT FROM sqlc.narg(project_id)::uuid
  AND k.group_id IS NOT DISTINCT FROM sqlc.narg(group_id)::uuid;

-- name: Reseal :exec
UPDATE secret_versions SET key_id = @key_id, ciphertext = @ciphertext
WHERE secret_id = @secret_id AND version = @version;

-- name: DeleteKey :exec
DELETE FROM secret_keys WHERE id = @id;

-- name: ListSecrets :many
SELECT * FROM secrets
WHERE project_id IS NOT DISTINCT FROM sqlc.narg(project_id)::uuid
  AND group_id IS NOT DISTINCT FROM sqlc.narg(group_id)::uuid
ORDER BY name, environment;

-- name: LockSecret :one
SELECT * FROM secrets
WHERE project_id IS NOT DISTINCT FROM sqlc.narg(project_id)::uuid
  AND group_id IS NOT DISTINCT FROM sqlc.narg(group_id)::uuid
  AND name = @name AND environment = @environment
FOR UPDATE;

-- name: InsertSecret :one
INSERT INTO secrets (id, project_id, group_id, name, environment, protected, usages, description, version, updated_by, updated_by_name)
VALUES (@id, sqlc.narg(project_id), sqlc.narg(group_id), @name, @environment, @protected, @usages, @description, 1, sqlc.narg(updated_by), @updated_by_name)
ON CONFLICT DO NOTHING
RETURNING *;

-- name: UpdateSecret :one
UPDATE secrets SET protected = @protected, usages = @usages, description = @description, version = @version,
    updated_at = now(), updated_by = sqlc.narg(updated_by), updated_by_name = @updated_by_name
WHERE id = @id
RETURNING *;

-- name: InsertVersion :exec
INSERT INTO secret_versions (secret_id, version, key_id, ciphertext, created_by, created_by_name)
VALUES (@secret_id, @version, @key_id, @ciphertext, sqlc.narg(created_by), @created_by_name);

-- name: DeleteSecret :execrows
DELETE FROM secrets
WHERE project_id IS NOT DISTINCT FROM sqlc.narg(project_id)::uuid
  AND group_id IS NOT DISTINCT FROM sqlc.narg(group_id)::uuid
  AND name = @name AND environment = @environment;

-- name: ResolveCandidates :many
-- Every secret a project's job may receive for an environment and usage,
-- with its current version: the project's own, its group's and the
-- installation's, for that environment and for every environment. The
-- service keeps the most specific of each name.
SELECT s.id, s.project_id, s.group_id, s.name, s.environment, s.protected, s.version,
       v.ciphertext, k.id AS key_id, k.wrapped, k.root_key_id
FROM secrets s
JOIN secret_versions v ON v.secret_id = s.id AND v.version = s.version
JOIN secret_keys k ON k.id = v.key_id
WHERE (s.project_id = @project_id
       OR (sqlc.narg(group_id)::uuid IS NOT NULL AND s.group_id = sqlc.narg(group_id)::uuid)
       OR (s.project_id IS NULL AND s.group_id IS NULL))
  AND (s.environment = '' OR s.environment = @environment)
  AND @usage::text = ANY (s.usages)
  AND s.name = ANY (@names::text[]);
