-- name: CreateProject :one
INSERT INTO projects (owner_id, owner_name, owner_kind, name, description, visibility, default_branch)
VALUES (@owner_id, @owner_name, @owner_kind, @name, @description, @visibility, @default_branch)
RETURNING *;

-- Deleted projects are invisible to every lookup but DeleteProject's.

-- name: GetProjectByPath :one
SELECT * FROM projects
WHERE lower(owner_name) = lower(@owner_name::text) AND lower(name) = lower(@name::text) AND deleted_at IS NULL;

-- name: GetProject :one
SELECT * FROM projects WHERE id = @id AND deleted_at IS NULL;

-- name: DeleteProject :exec
DELETE FROM projects WHERE id = @id;

-- name: NextIssueNumber :one
INSERT INTO issue_counters (project_id, last) VALUES (@project_id, 1)
ON CONFLICT (project_id) DO UPDATE SET last = issue_counters.last + 1
RETURNING last;

-- name: CreateIssue :one
INSERT INTO issues (project_id, number, title, body, author_id, author_name)
VALUES (@project_id, @number, @title, @body, @author_id, @author_name)
RETURNING id, project_id, number, title, body, state, author_id, author_name, created_at, updated_at, closed_at;

-- name: GetIssue :one
SELECT id, project_id, number, title, body, state, author_id, author_name, created_at, updated_at, closed_at
FROM issues WHERE project_id = @project_id AND number = @number;

-- name: GetIssueForUpdate :one
SELECT id, project_id, number, title, body, state, author_id, author_name, created_at, updated_at, closed_at
FROM issues WHERE project_id = @project_id AND number = @number FOR UPDATE;

-- name: UpdateIssue :one
UPDATE issues SET title = @title, body = @body, state = @state,
    closed_at = CASE WHEN @state::text = 'closed' THEN coalesce(closed_at, now()) ELSE NULL END
WHERE id = @id
RETURNING id, project_id, number, title, body, state, author_id, author_name, created_at, updated_at, closed_at;

-- name: ListIssues :many
SELECT i.id, i.project_id, i.number, i.title, i.body, i.state, i.author_id, i.author_name, i.created_at, i.updated_at, i.closed_at
FROM issues i
WHERE i.project_id = @project_id
  AND (sqlc.narg(state)::text IS NULL OR i.state = sqlc.narg(state)::text)
  AND i.number < @before
  AND (sqlc.narg(label)::text IS NULL OR EXISTS (
        SELECT 1 FROM issue_label_links ll JOIN issue_labels l ON l.id = ll.label_id
        WHERE ll.issue_id = i.id AND lower(l.name) = lower(sqlc.narg(label)::text)))
  AND (sqlc.narg(assignee)::text IS NULL OR EXISTS (
        SELECT 1 FROM issue_assignees a WHERE a.issue_id = i.id AND lower(a.user_name) = lower(sqlc.narg(assignee)::text)))
  AND (sqlc.narg(query)::text IS NULL OR i.search @@ websearch_to_tsquery('simple', sqlc.narg(query)::text))
ORDER BY i.number DESC
LIMIT @max;

-- name: IssueLabels :many
SELECT ll.issue_id, l.name FROM issue_label_links ll JOIN issue_labels l ON l.id = ll.label_id
WHERE ll.issue_id = ANY(@issue_ids::uuid[]) ORDER BY lower(l.name);

-- name: IssueAssignees :many
SELECT issue_id, user_name FROM issue_assignees WHERE issue_id = ANY(@issue_ids::uuid[]) ORDER BY lower(user_name);

-- name: LabelsByName :many
SELECT * FROM issue_labels WHERE project_id = @project_id AND lower(name) = ANY(@names::text[]);

-- name: ClearIssueLabels :exec
DELETE FROM issue_label_links WHERE issue_id = @issue_id;

-- name: AddIssueLabel :exec
INSERT INTO issue_label_links (issue_id, label_id) VALUES (@issue_id, @label_id) ON CONFLICT DO NOTHING;

-- name: ClearIssueAssignees :exec
DELETE FROM issue_assignees WHERE issue_id = @issue_id;

-- name: AddIssueAssignee :exec
INSERT INTO issue_assignees (issue_id, user_name) VALUES (@issue_id, @user_name) ON CONFLICT DO NOTHING;

-- name: CreateLabel :one
INSERT INTO issue_labels (project_id, name, color, description) VALUES (@project_id, @name, @color, @description)
RETURNING *;

-- name: ListLabels :many
SELECT * FROM issue_labels WHERE project_id = @project_id ORDER BY lower(name);

-- name: CreateComment :one
INSERT INTO issue_comments (id, issue_id, author_id, author_name, body)
VALUES (@id, @issue_id, @author_id, @author_name, @body)
RETURNING *;

-- name: GetCommentForUpdate :one
SELECT * FROM issue_comments WHERE id = @id AND issue_id = @issue_id FOR UPDATE;

-- name: UpdateComment :one
UPDATE issue_comments SET body = @body WHERE id = @id RETURNING *;

-- name: DeleteComment :exec
DELETE FROM issue_comments WHERE id = @id;

-- name: ListComments :many
SELECT * FROM issue_comments WHERE issue_id = @issue_id AND id > @after ORDER BY id LIMIT @max;

-- name: IssuesByNumber :many
SELECT number, title, state FROM issues WHERE project_id = @project_id AND number = ANY(@numbers::bigint[]) ORDER BY number;

-- name: ListProjects :many
SELECT * FROM projects
WHERE (lower(owner_name), lower(name)) > (@after_owner::text, @after_name::text)
  AND deleted_at IS NULL
  AND (visibility = 'public' OR (@signed_in::bool AND visibility IN ('internal', 'private')))
  AND (sqlc.narg(pattern)::text IS NULL
       OR (owner_name || '/' || name) ILIKE sqlc.narg(pattern)::text ESCAPE '\'
       OR description ILIKE sqlc.narg(pattern)::text ESCAPE '\')
ORDER BY lower(owner_name), lower(name)
LIMIT @max;

-- name: GetProjectForUpdate :one
SELECT * FROM projects WHERE id = @id AND deleted_at IS NULL FOR UPDATE;

-- name: UpdateProject :one
UPDATE projects SET description = @description, visibility = @visibility, default_branch = @default_branch
WHERE id = @id
RETURNING *;

-- name: ProjectArchived :one
SELECT (archived_at IS NOT NULL)::bool AS archived FROM projects WHERE id = @id AND deleted_at IS NULL;

-- name: RenameProject :one
UPDATE projects SET name = @name WHERE id = @id AND deleted_at IS NULL RETURNING *;

-- name: SetProjectOwner :one
UPDATE projects SET owner_id = @owner_id, owner_name = @owner_name, owner_kind = @owner_kind
WHERE id = @id AND deleted_at IS NULL
RETURNING *;

-- name: SetProjectArchived :one
UPDATE projects SET archived_at = CASE WHEN @archived::bool THEN coalesce(archived_at, now()) ELSE NULL END
WHERE id = @id AND deleted_at IS NULL
RETURNING *;

-- name: SoftDeleteProject :execrows
UPDATE projects SET deleted_at = now() WHERE id = @id AND deleted_at IS NULL;
