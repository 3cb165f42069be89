import { useQuery } from "@tanstack/react-query";
import { useClient } from "../../api/useClient";
import { RoleService } from "../../gen/hearth/v1/role_pb";

export const rolesKey = ["roles"] as const;
export const bindingsKey = ["admin", "role-bindings"] as const;

// useRoles lists the system and custom roles.
export function useRoles() {
  const roles = useClient(RoleService);
  return useQuery({
    queryKey: rolesKey,
    queryFn: ({ signal }) => roles.listRoles({}, { signal }).then((res) => res.roles),
  });
}

// useRoleBindings lists every role binding.
export function useRoleBindings() {
  const roles = useClient(RoleService);
  return useQuery({
    queryKey: bindingsKey,
    queryFn: ({ signal }) => roles.listRoleBindings({}, { signal }).then((res) => res.bindings),
  });
}
