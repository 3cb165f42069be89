-- Role bindings on groups, and which group owns each project (owned by
-- controlplane/internal/rbac).
--
-- A binding is installation-wide (no project, no group), on one project,
-- or on one group; a group binding applies to every project the group owns.
-- Group and project ids are plain uuids: those tables belong to the project
-- feature, so there is deliberately no foreign key to them.

ALTER TABLE role_bindings
    ADD COLUMN group_id uuid,
    ADD CONSTRAINT role_bindings_one_scope CHECK (project_id IS NULL OR group_id IS NULL);

ALTER TABLE role_bindings DROP CONSTRAINT role_bindings_unique;
ALTER TABLE role_bindings
    ADD CONSTRAINT role_bindings_unique UNIQUE NULLS NOT DISTINCT (role_id, user_id, project_id, group_id);

CREATE INDEX role_bindings_group ON role_bindings (group_id) WHERE group_id IS NOT NULL;

-- The group owning each group-owned project, kept current by the project
-- feature (create in a group, transfer, delete) so resolution can add the
-- group's bindings to the project's without reading the project's tables.
CREATE TABLE rbac_project_groups (
    project_id uuid PRIMARY KEY,
    group_id   uuid NOT NULL
);

CREATE INDEX rbac_project_groups_group ON rbac_project_groups (group_id);
