-- name: ListProtectedRefs :many
SELECT * FROM git_protected_refs WHERE project_id = @project_id ORDER BY kind, pattern;

-- name: UpsertProtectedRef :one
INSERT INTO git_protected_refs (project_id, kind, pattern, allow_force_push, allow_deletion, push_permission,
                                required_approvals, require_pipeline)
VALUES (@project_id, @kind, @pattern, @allow_force_push, @allow_deletion, @push_permission,
        @required_approvals, @require_pipeline)
ON CONFLICT (project_id, kind, pattern) DO UPDATE
SET allow_force_push = EXCLUDED.allow_force_push, allow_deletion = EXCLUDED.allow_deletion,
    push_permission = EXCLUDED.push_permission, required_approvals = EXCLUDED.required_approvals,
    require_pipeline = EXCLUDED.require_pipeline
RETURNING *;

-- name: ListBranchMergeRules :many
SELECT pattern, required_approvals, require_pipeline FROM git_protected_refs
WHERE project_id = @project_id AND kind = 'branch' ORDER BY pattern;

-- name: DeleteProtectedRef :execrows
DELETE FROM git_protected_refs WHERE project_id = @project_id AND kind = @kind AND pattern = @pattern;

-- name: InsertPushEvent :exec
INSERT INTO git_push_events (id, project_id, pusher_id, pusher_name, refs) VALUES (@id, @project_id, @pusher_id, @pusher_name, @refs);

-- name: ListPushEvents :many
SELECT * FROM git_push_events WHERE project_id = @project_id ORDER BY id LIMIT @max_rows;

-- name: InsertPushRef :exec
INSERT INTO git_push_refs (event_id, position, ref, old_sha, new_sha)
VALUES (@event_id, @position, @ref, @old_sha, @new_sha);

-- name: NotifyPushEvents :exec
SELECT pg_notify('hearth_push_events', '');

-- name: ClaimPushRefs :many
-- Pending (event, ref) rows due now, locked for this transaction; rows
-- another worker holds are skipped, not waited for.
SELECT r.event_id, r.position, r.ref, r.old_sha, r.new_sha, r.attempts, e.project_id, e.pusher_id, e.pusher_name
FROM git_push_refs r JOIN git_push_events e ON e.id = r.event_id
WHERE r.consumed_at IS NULL AND r.next_attempt_at <= now()
ORDER BY r.next_attempt_at, r.event_id, r.position
LIMIT @max_rows
FOR UPDATE OF r SKIP LOCKED;

-- name: MarkPushRefConsumed :exec
UPDATE git_push_refs SET consumed_at = now(), attempts = attempts + 1, last_error = @last_error
WHERE event_id = @event_id AND position = @position;

-- name: DeferPushRef :exec
UPDATE git_push_refs SET attempts = attempts + 1, next_attempt_at = @next_attempt_at, last_error = @last_error
WHERE event_id = @event_id AND position = @position;

-- name: CountPendingPushRefs :one
SELECT count(*) FROM git_push_refs WHERE consumed_at IS NULL;
