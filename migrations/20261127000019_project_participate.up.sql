-- project:participate (owned by controlplane/internal/rbac): taking part in
-- a project (opening issues, commenting, editing one's own issues and
-- comments). It used to ride on project:read, so read-only and repo:read
-- tokens could write; now it is a permission of its own, outside every
-- read scope. Every role that could read a project could take part in it,
-- so every such role, the system ones and any created since, keeps doing so.
UPDATE roles
   SET permissions = array_append(permissions, 'project:participate')
 WHERE 'project:read' = ANY (permissions)
   AND NOT ('project:participate' = ANY (permissions));
