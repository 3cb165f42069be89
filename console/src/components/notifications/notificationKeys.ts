import type { QueryClient } from "@tanstack/react-query";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import type { ListNotificationsResponse, Notification } from "../../gen/hearth/v1/notification_pb";

// The query keys of the caller's notifications, all under
// "notifications" (signing out forgets them, as every query but the
// session's).
// The unread count (a number), kept live by the bell's stream.
export const unreadKey = ["notifications", "unread"] as const;
// The bell's latest few (Notification[]).
export const latestKey = ["notifications", "latest"] as const;
// The notifications page's list, by filter (an infinite query).
export const listKey = ["notifications", "list"] as const;
export function notificationListKey(unreadOnly: boolean) {
  return [...listKey, { unreadOnly }] as const;
}
export const subscriptionsKey = ["notifications", "subscriptions"] as const;

// How many the bell shows.
export const latestCount = 10;

// setUnread records the unread count a response carried.
export function setUnread(queryClient: QueryClient, count: bigint | number) {
  queryClient.setQueryData(unreadKey, Number(count));
}

// addNotification puts a notification that just arrived on top of the
// bell's list, and has the notifications page look again.
export function addNotification(queryClient: QueryClient, n: Notification) {
  queryClient.setQueryData<Notification[]>(latestKey, (old) =>
    old ? [n, ...old.filter((o) => o.id !== n.id)].slice(0, latestCount) : old,
  );
  void queryClient.invalidateQueries({ queryKey: listKey });
}

interface Pages {
  pages: ListNotificationsResponse[];
  pageParams: unknown[];
}

// markReadInCache shows ids (none: all) read at once in every cached list,
// before the lists are fetched again.
export function markReadInCache(queryClient: QueryClient, ids: readonly string[]) {
  const now = timestampNow();
  const mark = (n: Notification): Notification => (!n.readTime && (ids.length === 0 || ids.includes(n.id)) ? { ...n, readTime: now } : n);
  queryClient.setQueryData<Notification[]>(latestKey, (old) => old?.map(mark));
  queryClient.setQueriesData<Pages>({ queryKey: listKey }, (old) =>
    old ? { ...old, pages: old.pages.map((p) => ({ ...p, notifications: p.notifications.map(mark) })) } : old,
  );
}
