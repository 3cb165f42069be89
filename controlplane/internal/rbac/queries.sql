-- Roles --------------------------------------------------------------------

-- name: ListRoles :many
SELECT id, name, description, permissions, system, created_at
FROM roles
ORDER BY system DESC, lower(name);

-- name: GetRole :one
SELECT id, name, description, permissions, system, created_at
FROM roles
WHERE id = @id;

-- name: GetRoleByName :one
SELECT id, name, description, permissions, system, created_at
FROM roles
WHERE lower(name) = lower(@name::text);

-- name: LockSystemRole :one
-- Serializes changes to the bindings of a system role (the last-admin rule).
SELECT id FROM roles WHERE system AND name = @name::text FOR UPDATE;

-- name: CreateRole :one
INSERT INTO roles (name, description, permissions)
VALUES (@name::text, @description::text, @permissions::text[])
RETURNING id, name, description, permissions, system, created_at;

-- name: UpdateRole :one
UPDATE roles
SET description = coalesce(sqlc.narg(description)::text, description),
    permissions = coalesce(sqlc.narg(permissions)::text[], permissions)
WHERE id = @id AND NOT system
RETURNING id, name, description, permissions, system, created_at;

-- name: DeleteRole :execrows
DELETE FROM roles WHERE id = @id AND NOT system;

-- Bindings -----------------------------------------------------------------

-- name: ListBindings :many
SELECT b.id, b.role_id, r.name AS role_name, b.user_id, b.project_id, b.group_id, b.created_at
FROM role_bindings b
JOIN roles r ON r.id = b.role_id
WHERE (sqlc.narg(user_id)::uuid IS NULL OR b.user_id = sqlc.narg(user_id)::uuid)
  AND (sqlc.narg(project_id)::uuid IS NULL OR b.project_id = sqlc.narg(project_id)::uuid)
  AND (sqlc.narg(group_id)::uuid IS NULL OR b.group_id = sqlc.narg(group_id)::uuid)
ORDER BY b.created_at, b.id;

-- name: GetBinding :one
SELECT b.id, b.role_id, r.name AS role_name, r.system AS role_system, b.user_id, b.project_id, b.group_id, b.created_at
FROM role_bindings b
JOIN roles r ON r.id = b.role_id
WHERE b.id = @id;

-- name: CreateBinding :one
INSERT INTO role_bindings (role_id, user_id, project_id, group_id)
VALUES (@role_id, @user_id, sqlc.narg(project_id), sqlc.narg(group_id))
RETURNING id, role_id, user_id, project_id, group_id, created_at;

-- name: DeleteBinding :execrows
DELETE FROM role_bindings WHERE id = @id;

-- name: GlobalBindingUsers :many
-- Users holding a role installation-wide.
SELECT user_id FROM role_bindings WHERE role_id = @role_id AND project_id IS NULL AND group_id IS NULL;

-- name: CountGlobalBindings :one
-- Installation-wide bindings of a role.
SELECT count(*) FROM role_bindings WHERE role_id = @role_id AND project_id IS NULL AND group_id IS NULL;

-- name: BindGlobal :execrows
INSERT INTO role_bindings (role_id, user_id, project_id, group_id)
VALUES (@role_id, @user_id, NULL, NULL)
ON CONFLICT ON CONSTRAINT role_bindings_unique DO NOTHING;

-- name: UnbindGlobal :execrows
DELETE FROM role_bindings WHERE role_id = @role_id AND user_id = @user_id AND project_id IS NULL AND group_id IS NULL;

-- name: HasGlobalSystemRole :one
SELECT EXISTS (
    SELECT 1 FROM role_bindings b JOIN roles r ON r.id = b.role_id
    WHERE r.system AND r.name = @role_name::text AND b.user_id = @user_id AND b.project_id IS NULL AND b.group_id IS NULL
);

-- Resolution ---------------------------------------------------------------

-- name: BindingPermissions :many
-- The permission names of a user's roles, installation-wide and (when
-- project_id is not NULL) on that project and on the group owning it
-- (group_id, as the project feature answers: NULL when none).
SELECT DISTINCT p::text AS permission
FROM role_bindings b
JOIN roles r ON r.id = b.role_id
CROSS JOIN LATERAL unnest(r.permissions) AS p
WHERE b.user_id = @user_id
  AND ((b.project_id IS NULL AND b.group_id IS NULL)
       OR b.project_id = sqlc.narg(project_id)::uuid
       OR b.group_id = sqlc.narg(group_id)::uuid);

-- name: GroupBindingPermissions :many
-- The permission names of a user's roles, installation-wide and on the group.
SELECT DISTINCT p::text AS permission
FROM role_bindings b
JOIN roles r ON r.id = b.role_id
CROSS JOIN LATERAL unnest(r.permissions) AS p
WHERE b.user_id = @user_id
  AND ((b.project_id IS NULL AND b.group_id IS NULL) OR b.group_id = @group_id::uuid);

-- name: ActiveDelegationsTo :many
-- Delegations a principal holds at @now on the scope, each with what its
-- delegator holds through bindings on the delegation's own scope now: a
-- delegation's project is NULL or project_id, so the group owning it is
-- group_id (NULL when none).
SELECT d.id, d.delegator_id, d.project_id, d.permissions, d.expires_at,
       coalesce((
           SELECT array_agg(DISTINCT p::text)
           FROM role_bindings b
           JOIN roles r ON r.id = b.role_id
           CROSS JOIN LATERAL unnest(r.permissions) AS p
           WHERE b.user_id = d.delegator_id
             AND ((b.project_id IS NULL AND b.group_id IS NULL)
                  OR b.project_id = d.project_id
                  OR (d.project_id IS NOT NULL AND b.group_id = sqlc.narg(group_id)::uuid))
       ), '{}')::text[] AS delegator_permissions
FROM delegations d
WHERE d.delegate_id = @delegate_id
  AND d.revoked_at IS NULL
  AND d.expires_at > @now::timestamptz
  AND (d.project_id IS NULL OR d.project_id = sqlc.narg(project_id)::uuid);

-- Delegations --------------------------------------------------------------

-- name: CreateDelegation :one
INSERT INTO delegations (id, delegator_id, delegate_id, project_id, permissions, reason, created_at, expires_at)
VALUES (@id, @delegator_id, @delegate_id, sqlc.narg(project_id), @permissions::text[], @reason::text,
        @created_at::timestamptz, @expires_at::timestamptz)
RETURNING id, delegator_id, delegate_id, project_id, permissions, reason, created_at, expires_at, revoked_at;

-- name: GetDelegation :one
SELECT id, delegator_id, delegate_id, project_id, permissions, reason, created_at, expires_at, revoked_at
FROM delegations
WHERE id = @id;

-- name: ListDelegations :many
-- Delegations granted by or to @user_id (all of them when @everyone), active at
-- @now unless @include_inactive.
SELECT id, delegator_id, delegate_id, project_id, permissions, reason, created_at, expires_at, revoked_at
FROM delegations
WHERE (@everyone::boolean OR delegator_id = @user_id OR delegate_id = @user_id)
  AND (@include_inactive::boolean OR (revoked_at IS NULL AND expires_at > @now::timestamptz))
ORDER BY created_at DESC, id DESC
LIMIT 1000;

-- name: RevokeDelegation :execrows
UPDATE delegations SET revoked_at = @now::timestamptz
WHERE id = @id AND revoked_at IS NULL;

-- Groups -------------------------------------------------------------------

-- name: LockScopeBindings :many
-- Locks the bindings on one project or group (serializing member removals
-- for the keep-an-administrator rule) and returns them with their roles'
-- permissions.
SELECT b.id, b.user_id, r.permissions
FROM role_bindings b
JOIN roles r ON r.id = b.role_id
WHERE (sqlc.narg(project_id)::uuid IS NOT NULL AND b.project_id = sqlc.narg(project_id)::uuid)
   OR (sqlc.narg(group_id)::uuid IS NOT NULL AND b.group_id = sqlc.narg(group_id)::uuid)
ORDER BY b.id
FOR UPDATE OF b;

-- name: ListScopeBindingsPage :many
-- The bindings on one project or one group (exactly one is not NULL), in
-- (created_at, id) order after the cursor (after_time NULL: from the start).
SELECT b.id, b.role_id, r.name AS role_name, b.user_id, b.project_id, b.group_id, b.created_at
FROM role_bindings b
JOIN roles r ON r.id = b.role_id
WHERE ((sqlc.narg(project_id)::uuid IS NOT NULL AND b.project_id = sqlc.narg(project_id)::uuid)
    OR (sqlc.narg(group_id)::uuid IS NOT NULL AND b.group_id = sqlc.narg(group_id)::uuid))
  AND (sqlc.narg(after_time)::timestamptz IS NULL
       OR (b.created_at, b.id) > (sqlc.narg(after_time)::timestamptz, @after_id::uuid))
ORDER BY b.created_at, b.id
LIMIT @max;
