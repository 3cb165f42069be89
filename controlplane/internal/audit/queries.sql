-- name: InsertEvent :exec
INSERT INTO audit_events (id, actor_id, actor_name, action, resource, project_id, detail, client_ip, user_agent)
VALUES (@id, @actor_id, @actor_name, @action, @resource, @project_id, @detail, @client_ip, @user_agent);

-- name: ListEvents :many
-- Newest first; the cursor is the (occurred_at, id) of the last row seen.
SELECT id, occurred_at, actor_id, actor_name, action, resource, project_id, detail, client_ip, user_agent
FROM audit_events
WHERE (sqlc.narg(actor_id)::uuid IS NULL OR actor_id = sqlc.narg(actor_id))
  AND (sqlc.narg(action_prefix)::text IS NULL OR starts_with(action, sqlc.narg(action_prefix)))
  AND (sqlc.narg(project_id)::uuid IS NULL OR project_id = sqlc.narg(project_id))
  AND (sqlc.narg(since)::timestamptz IS NULL OR occurred_at >= sqlc.narg(since))
  AND (sqlc.narg(before_time)::timestamptz IS NULL
       OR (occurred_at, id) < (sqlc.narg(before_time), sqlc.narg(before_id)::uuid))
ORDER BY occurred_at DESC, id DESC
LIMIT @max_rows;
