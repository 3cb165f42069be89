-- Groups: owners of projects (members are rbac bindings on the group).

-- name: CreateGroup :one
INSERT INTO groups (name, description, visibility, created_by)
VALUES (@name, @description, @visibility, @created_by)
RETURNING *;

-- name: GetGroup :one
SELECT * FROM groups WHERE id = @id;

-- name: GetGroupByName :one
SELECT * FROM groups WHERE lower(name) = lower(@name::text);

-- name: DeleteGroup :exec
DELETE FROM groups WHERE id = @id;

-- name: ListGroups :many
-- Keyset-paged by lower(name); private and internal rows are filtered by
-- the caller afterwards (rbac decides).
SELECT * FROM groups
WHERE lower(name) > @after::text
  AND (visibility = 'public' OR @signed_in::bool)
ORDER BY lower(name)
LIMIT @max;
