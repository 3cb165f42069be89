-- name: CreateProject :one
INSERT INTO projects (owner_id, owner_name, name, description, visibility, default_branch)
VALUES (@owner_id, @owner_name, @name, @description, @visibility, @default_branch)
RETURNING *;

-- name: GetProjectByPath :one
SELECT * FROM projects WHERE lower(owner_name) = lower(@owner_name::text) AND lower(name) = lower(@name::text);

-- name: GetProject :one
SELECT * FROM projects WHERE id = @id;

-- name: DeleteProject :exec
DELETE FROM projects WHERE id = @id;
