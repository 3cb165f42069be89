-- name: DeleteByName :many
DELETE FROM artifacts WHERE job_id = @job_id AND name = @name
RETURNING object_key;

-- name: InsertArtifact :one
INSERT INTO artifacts (id, project_id, job_id, name, size_bytes, sha256, object_key, created_at, expires_at)
VALUES (@id, @project_id, @job_id, @name, @size_bytes, @sha256, @object_key, @created_at, @expires_at)
RETURNING *;

-- name: ListArtifacts :many
SELECT * FROM artifacts
WHERE job_id = @job_id AND expires_at > @now
ORDER BY name;

-- name: GetArtifact :one
SELECT * FROM artifacts WHERE id = @id AND expires_at > @now;

-- name: ListExpired :many
SELECT id, object_key FROM artifacts
WHERE expires_at <= @now
ORDER BY expires_at, id
LIMIT @max_rows;

-- DeleteExpired removes a row whose object is gone; a second leader
-- deleting the same row finds nothing, which is fine.
-- name: DeleteExpired :exec
DELETE FROM artifacts WHERE id = @id AND expires_at <= @now;
