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
INSERT INTO git_push_events (id, project_id, pusher_id, refs) VALUES (@id, @project_id, @pusher_id, @refs);

-- name: ListPushEvents :many
SELECT * FROM git_push_events WHERE project_id = @project_id ORDER BY id LIMIT @max_rows;
