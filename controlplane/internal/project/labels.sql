-- name: UpdateLabel :one
UPDATE issue_labels
SET name = coalesce(sqlc.narg(new_name)::text, name),
    color = coalesce(sqlc.narg(color)::text, color),
    description = coalesce(sqlc.narg(description)::text, description)
WHERE project_id = @project_id AND lower(name) = lower(@name::text)
RETURNING *;

-- name: DeleteLabel :one
DELETE FROM issue_labels WHERE project_id = @project_id AND lower(name) = lower(@name::text)
RETURNING id;
