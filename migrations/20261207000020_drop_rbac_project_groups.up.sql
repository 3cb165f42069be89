-- Which group owns a project is the project feature's alone (projects.owner_id
-- with owner_kind 'group'): rbac now asks it through its Groups interface
-- (controlplane/internal/rbac) instead of keeping this copy in step, so the
-- copy goes.

DROP TABLE rbac_project_groups;
