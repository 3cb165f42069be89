import type { Session } from "../../auth/SessionContext";

// isAdmin says whether the signed-in user may open the administration
// pages: the admin role, or any installation-wide admin:* permission
// (GetMe's permissions). The server checks each call all the same.
export function isAdmin(session: Pick<Session, "user" | "permissions">): boolean {
  return Boolean(session.user?.admin) || session.permissions.some((p) => p.startsWith("admin:"));
}
