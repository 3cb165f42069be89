import { paths } from "../../routes/paths";

// adminTabs: the administration pages under /-/admin.
export const adminTabs = [
  { label: "Users", value: "users" },
  { label: "Roles", value: "roles" },
  { label: "Clusters", value: "clusters" },
  { label: "Secrets", value: "secrets" },
  { label: "Webhooks", value: "webhooks" },
  { label: "Audit log", value: "audit" },
] as const;

// activeAdminTab says which tab a location belongs to.
export function activeAdminTab(pathname: string): string {
  const rest = pathname.startsWith(paths.admin + "/") ? pathname.slice(paths.admin.length + 1) : "";
  const first = rest.split("/")[0];
  return adminTabs.some((t) => t.value === first) ? first : "users";
}
