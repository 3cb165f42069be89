import { useQuery } from "@tanstack/react-query";
import { useClient } from "../../api/useClient";
import { useSession } from "../../auth/useSession";
import { GroupService } from "../../gen/hearth/v1/group_pb";
import { NamespaceKind, ProjectService, type Member, type Project } from "../../gen/hearth/v1/project_pb";
import { RoleService } from "../../gen/hearth/v1/role_pb";

// What the system roles hold of the permissions the console asks about
// (migrations/…_rbac.up.sql), for when the roles cannot be listed.
const systemRoles: Record<string, readonly string[]> = {
  admin: ["project:admin", "secret:read", "secret:write"],
  maintainer: ["project:admin", "secret:read", "secret:write"],
  developer: ["secret:read"],
  viewer: [],
};

// useProjectAccess says whether the signed-in user may change a project's
// settings (project:admin on it).
export function useProjectAccess(project: Project): { canAdmin: boolean; pending: boolean } {
  const access = useProjectPermission(project, "project:admin");
  return { canAdmin: access.allowed, pending: access.pending };
}

// useProjectPermission says whether the signed-in user holds permission
// (e.g. "secret:write") on a project. The API has no call that answers
// this directly, so it is worked out from what the user can read: the
// installation-wide permissions, the project's and its group's members and
// the roles' permissions. When those cannot be read it answers true and
// lets the server decide (its refusal is shown in words).
export function useProjectPermission(project: Project, permission: string): { allowed: boolean; pending: boolean } {
  const session = useSession();
  const username = session.user?.username ?? "";
  const global = session.permissions.includes(permission) || Boolean(session.user?.admin);
  const projects = useClient(ProjectService);
  const groups = useClient(GroupService);
  const roles = useClient(RoleService);
  const query = useQuery({
    queryKey: ["project-access", project.id, username, permission],
    enabled: !global,
    queryFn: async ({ signal }) => {
      const holding = new Set(Object.keys(systemRoles).filter((r) => systemRoles[r].includes(permission)));
      try {
        const res = await roles.listRoles({}, { signal });
        for (const r of res.roles) {
          if (r.permissions.includes(permission)) {
            holding.add(r.name);
          }
        }
      } catch {
        // The system roles are known.
      }
      const holds = (members: Member[] | null) =>
        members?.some((m) => m.username.toLowerCase() === username.toLowerCase() && holding.has(m.role)) ?? false;
      const direct = await projects
        .listProjectMembers({ owner: project.owner, name: project.name, pageSize: 100 }, { signal })
        .then((r) => r.members)
        .catch(() => null);
      if (holds(direct)) {
        return true;
      }
      let group: Member[] | null = [];
      if (project.namespaceKind === NamespaceKind.GROUP) {
        group = await groups
          .listGroupMembers({ name: project.owner, pageSize: 100 }, { signal })
          .then((r) => r.members)
          .catch(() => null);
        if (holds(group)) {
          return true;
        }
      }
      // Unknown: let the server decide.
      return direct === null || group === null;
    },
  });
  if (global) {
    return { allowed: true, pending: false };
  }
  return { allowed: query.data ?? false, pending: query.isPending };
}
