import { paths } from "../routes/paths";
import type { Session } from "../auth/SessionContext";
import { isAdmin } from "./admin/isAdmin";

// navItems: the main navigation, in the header (wide screens) and the
// burger menu (narrow ones). Administration shows only to those who may
// use it (the server checks every call regardless).
const allNavItems = [
  { label: "Projects", to: paths.projects, adminOnly: false },
  { label: "Administration", to: paths.admin, adminOnly: true },
] as const;

// navItemsFor returns the entries the signed-in user sees.
export function navItemsFor(session: Pick<Session, "user" | "permissions">) {
  return allNavItems.filter((item) => !item.adminOnly || isAdmin(session));
}
