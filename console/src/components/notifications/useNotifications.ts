import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useClient } from "../../api/useClient";
import { NotificationService } from "../../gen/hearth/v1/notification_pb";
import { latestCount, latestKey, listKey, markReadInCache, notificationListKey, setUnread } from "./notificationKeys";

export const notificationPageSize = 30;

// useLatestNotifications is the bell's list: the newest few, fetched each
// time it opens (the stream adds what arrives while it is open).
export function useLatestNotifications(enabled: boolean) {
  const client = useClient(NotificationService);
  const queryClient = useQueryClient();
  return useQuery({
    queryKey: latestKey,
    enabled,
    queryFn: async ({ signal }) => {
      const res = await client.listNotifications({ pageSize: latestCount }, { signal });
      setUnread(queryClient, res.unreadCount);
      return res.notifications;
    },
  });
}

// useNotificationList pages through the caller's notifications (only the
// unread ones with unreadOnly), newest first.
export function useNotificationList(unreadOnly: boolean) {
  const client = useClient(NotificationService);
  const queryClient = useQueryClient();
  return useInfiniteQuery({
    queryKey: notificationListKey(unreadOnly),
    queryFn: async ({ pageParam, signal }) => {
      const res = await client.listNotifications({ unreadOnly, pageSize: notificationPageSize, pageToken: pageParam }, { signal });
      setUnread(queryClient, res.unreadCount);
      return res;
    },
    initialPageParam: "",
    getNextPageParam: (last) => last.nextPageToken || undefined,
    placeholderData: keepPreviousData,
  });
}

// useMarkRead marks some notifications (by id) or, with none, all of them
// read. Every list shows it at once; the count is the server's answer.
export function useMarkRead() {
  const client = useClient(NotificationService);
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (ids: string[]) => client.markNotificationsRead({ ids }),
    onSuccess: (res, ids) => {
      setUnread(queryClient, res.unreadCount);
      markReadInCache(queryClient, ids);
      void queryClient.invalidateQueries({ queryKey: listKey });
    },
  });
}
