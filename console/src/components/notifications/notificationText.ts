import type { Notification } from "../../gen/hearth/v1/notification_pb";

// consolePath is a notification's path when it is one of the console's
// own ("/acme/web/-/pipelines/…"), else null: nothing from the server
// leads off the site.
export function consolePath(n: Pick<Notification, "path">): string | null {
  const p = n.path;
  return p.startsWith("/") && !p.startsWith("//") && !p.startsWith("/\\") ? p : null;
}

export function isUnread(n: Pick<Notification, "readTime">): boolean {
  return !n.readTime;
}

const reasons: Record<string, string> = {
  recipient: "For you",
  participating: "Participating",
  watching: "Watching",
};

// reasonLabel says why the caller got a notification.
export function reasonLabel(reason: string): string {
  return reasons[reason] ?? reason;
}

// badgeText is the count on the bell: "3", "99+".
export function badgeText(count: number): string {
  return count > 99 ? "99+" : String(count);
}
