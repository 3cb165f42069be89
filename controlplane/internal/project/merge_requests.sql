-- Merge requests (migrations/20261127000015_merge_requests.up.sql).

-- name: NextMergeRequestNumber :one
INSERT INTO merge_request_counters (project_id, last) VALUES (@project_id, 1)
ON CONFLICT (project_id) DO UPDATE SET last = merge_request_counters.last + 1
RETURNING last;

-- name: CreateMergeRequest :one
INSERT INTO merge_requests (project_id, number, source_branch, target_branch, title, description, draft, author_id, author_name, head_commit)
VALUES (@project_id, @number, @source_branch, @target_branch, @title, @description, @draft, @author_id, @author_name, @head_commit)
RETURNING *;

-- name: GetMergeRequest :one
SELECT * FROM merge_requests WHERE project_id = @project_id AND number = @number;

-- name: GetMergeRequestForUpdate :one
SELECT * FROM merge_requests WHERE project_id = @project_id AND number = @number FOR UPDATE;

-- name: ListMergeRequests :many
SELECT * FROM merge_requests
WHERE project_id = @project_id
  AND number < @before
  AND (sqlc.narg(state)::text IS NULL OR state = sqlc.narg(state))
ORDER BY number DESC
LIMIT @max;

-- name: MergeRequestsByNumber :many
SELECT number, title, state FROM merge_requests
WHERE project_id = @project_id AND number = ANY(@numbers::bigint[])
ORDER BY array_position(@numbers::bigint[], number);

-- OpenMergeRequestsOnBranch lists the open merge requests whose source or
-- target is branch (a push moved it).
-- name: OpenMergeRequestsOnBranch :many
SELECT * FROM merge_requests
WHERE project_id = @project_id AND state = 'open' AND (source_branch = @branch OR target_branch = @branch)
ORDER BY number;

-- name: UpdateMergeRequest :one
UPDATE merge_requests
SET title = @title, description = @description, draft = @draft, state = @state,
    closed_at = CASE WHEN @state = 'closed' THEN coalesce(closed_at, now()) ELSE NULL END
WHERE id = @id
RETURNING *;

-- name: SetMergeRequestHead :exec
UPDATE merge_requests SET head_commit = @head_commit WHERE id = @id AND state = 'open';

-- SetMergeStatus records a mergeability check of the current head (a check
-- of an older head, finishing late, is not recorded).
-- name: SetMergeStatus :exec
UPDATE merge_requests
SET merge_status = @merge_status, checked_target_commit = @checked_target_commit,
    checked_source_commit = @checked_source_commit, conflicts = @conflicts,
    can_fast_forward = @can_fast_forward, checked_at = now()
WHERE id = @id AND state = 'open' AND head_commit = @checked_source_commit;

-- name: MarkMergeRequestMerged :one
UPDATE merge_requests
SET state = 'merged', merged_by_id = @merged_by_id, merged_by_name = @merged_by_name, merge_commit = @merge_commit,
    merged_at = now(), head_commit = @head_commit, merge_status = 'mergeable', conflicts = '{}'
WHERE id = @id
RETURNING *;

-- MarkMergeRequestMergedByPush records that the merge request's head
-- reached its target by other means than a merge of it (a push, or a merge
-- whose transaction did not commit after the target moved): no one merged
-- it, merge_commit is the target commit found to contain the head. Only an
-- open merge request still at that head changes (no row otherwise).
-- name: MarkMergeRequestMergedByPush :many
UPDATE merge_requests
SET state = 'merged', merged_by_id = NULL, merged_by_name = '', merge_commit = @merge_commit,
    merged_at = now(), merge_status = 'mergeable', conflicts = '{}'
WHERE id = @id AND state = 'open' AND head_commit = @head_commit
RETURNING *;

-- name: CreateMergeRequestComment :one
INSERT INTO merge_request_comments (id, merge_request_id, author_id, author_name, body, commit_sha, path, line, side)
VALUES (@id, @merge_request_id, @author_id, @author_name, @body, @commit_sha, @path, @line, @side)
RETURNING *;

-- name: GetMergeRequestCommentForUpdate :one
SELECT * FROM merge_request_comments WHERE id = @id AND merge_request_id = @merge_request_id FOR UPDATE;

-- name: UpdateMergeRequestComment :one
UPDATE merge_request_comments SET body = @body WHERE id = @id RETURNING *;

-- name: DeleteMergeRequestComment :exec
DELETE FROM merge_request_comments WHERE id = @id;

-- name: ListMergeRequestComments :many
SELECT * FROM merge_request_comments
WHERE merge_request_id = @merge_request_id AND id > @after
ORDER BY id
LIMIT @max;

-- name: CreateMergeRequestReview :one
INSERT INTO merge_request_reviews (id, merge_request_id, reviewer_id, reviewer_name, verdict, commit_sha, body)
VALUES (@id, @merge_request_id, @reviewer_id, @reviewer_name, @verdict, @commit_sha, @body)
RETURNING *;

-- name: ListMergeRequestReviews :many
SELECT * FROM merge_request_reviews
WHERE merge_request_id = @merge_request_id AND id > @after
ORDER BY id
LIMIT @max;

-- CommitApprovers are the reviewers (never the author) whose latest review
-- approves commit: the approvals that count, before the approvers' current
-- permissions are checked. At most one row per reviewer.
-- name: CommitApprovers :many
SELECT reviewer_id, reviewer_name FROM (
    SELECT DISTINCT ON (reviewer_id) reviewer_id, reviewer_name, verdict, commit_sha
    FROM merge_request_reviews
    WHERE merge_request_id = @merge_request_id
    ORDER BY reviewer_id, id DESC
) latest
WHERE verdict = 'approve' AND commit_sha = @commit_sha AND reviewer_id <> @author_id
ORDER BY reviewer_name;

-- name: AddMergeRequestReviewer :exec
INSERT INTO merge_request_reviewers (merge_request_id, user_name, requested_by)
VALUES (@merge_request_id, @user_name, @requested_by)
ON CONFLICT (merge_request_id, user_name) DO NOTHING;

-- name: MergeRequestReviewers :many
SELECT merge_request_id, user_name FROM merge_request_reviewers
WHERE merge_request_id = ANY(@ids::uuid[])
ORDER BY user_name;
