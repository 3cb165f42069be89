-- name: InsertEvent :exec
INSERT INTO project_events (id, project_id, kind, actor_id, actor_name, subject, detail)
VALUES (@id, @project_id, @kind, sqlc.narg(actor_id), @actor_name, @subject, @detail);

-- name: ListEvents :many
SELECT * FROM project_events
WHERE project_id = @project_id AND id > @after
ORDER BY id
LIMIT @max;
