import { Code, type Client } from "@connectrpc/connect";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { errorCode } from "../../api/errors";
import { useClient } from "../../api/useClient";
import { sessionKey } from "../../auth/sessionKey";
import { NotificationService } from "../../gen/hearth/v1/notification_pb";
import { watchNotifications, type FeedStatus } from "./notificationFeed";
import { addNotification, setUnread, unreadKey } from "./notificationKeys";

// How often the count is asked for while the stream is down.
export const pollInterval = 30_000;

export interface NotificationFeed {
  // The unread count; undefined until known.
  unread: number | undefined;
  status: FeedStatus;
  // False when the server has no notifications at all (an older hearth):
  // the bell hides.
  available: boolean;
}

// useNotificationFeed keeps the unread count (and the bell's list) live
// through WatchNotifications while userId is signed in. While the stream is
// down it asks ListNotifications every pollInterval instead, and reopens
// the stream with backoff.
export function useNotificationFeed(userId: string): NotificationFeed {
  const client = useClient(NotificationService);
  const queryClient = useQueryClient();
  const [state, setState] = useState<{ status: FeedStatus; code?: Code }>({ status: "connecting" });

  useEffect(() => {
    if (!userId) {
      return;
    }
    const ctrl = new AbortController();
    void watchNotifications(client, ctrl.signal, {
      onMessage: (msg) => {
        setUnread(queryClient, msg.unreadCount);
        if (msg.notification) {
          addNotification(queryClient, msg.notification);
        }
      },
      onStatus: (status, err) => {
        const code = err === undefined ? undefined : errorCode(err);
        if (code === Code.Unauthenticated) {
          // The session ended: checking it sends the user to sign in.
          void queryClient.invalidateQueries({ queryKey: sessionKey });
        }
        setState((prev) => (prev.status === status && prev.code === code ? prev : { status, code }));
      },
    });
    return () => ctrl.abort();
  }, [client, queryClient, userId]);

  const available = !(state.status === "stopped" && state.code === Code.Unimplemented);
  const polling = Boolean(userId) && available && (state.status === "retrying" || state.status === "stopped");
  const count = useQuery({ ...unreadQuery(client), enabled: polling, refetchInterval: polling ? pollInterval : false });
  return { unread: count.data, status: state.status, available };
}

function unreadQuery(client: Client<typeof NotificationService>) {
  return {
    queryKey: unreadKey,
    queryFn: ({ signal }: { signal: AbortSignal }) => client.listNotifications({ pageSize: 1 }, { signal }).then((r) => Number(r.unreadCount)),
  };
}

// useUnreadCount is the unread count the bell keeps live, for other
// parts of the page to show; it never asks the server itself.
export function useUnreadCount(): number | undefined {
  const client = useClient(NotificationService);
  return useQuery({ ...unreadQuery(client), enabled: false }).data;
}
