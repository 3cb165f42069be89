import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { HandlerContext } from "@connectrpc/connect";
import { NotificationSchema, type Notification, type WatchNotificationsResponseSchema } from "../gen/hearth/v1/notification_pb";

type WatchMessage = MessageInitShape<typeof WatchNotificationsResponseSchema>;

// notificationStream answers WatchNotifications from a queue the test
// fills with push: each message queued goes out at once, and the stream
// stays open until the client goes away.
export function notificationStream(...initial: WatchMessage[]) {
  const queue: WatchMessage[] = [...initial];
  let wake: (() => void) | null = null;
  let opened = 0;
  return {
    push(msg: WatchMessage) {
      queue.push(msg);
      wake?.();
    },
    // How many times the stream was opened.
    get opened() {
      return opened;
    },
    async *watch(_req: unknown, ctx: HandlerContext): AsyncIterable<WatchMessage> {
      opened++;
      while (!ctx.signal.aborted) {
        const msg = queue.shift();
        if (msg) {
          yield msg;
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          ctx.signal.addEventListener("abort", () => resolve(), { once: true });
        });
        wake = null;
      }
    },
  };
}

// notification is a notification for the tests, unread unless read says
// otherwise, created minutes ago.
export function notification(
  id: string,
  title: string,
  fields: Omit<MessageInitShape<typeof NotificationSchema>, "$typeName"> & { minutesAgo?: number; read?: boolean } = {},
): Notification {
  const { minutesAgo = 5, read = false, ...rest } = fields;
  const created = new Date(Date.now() - minutesAgo * 60_000);
  return create(NotificationSchema, {
    id,
    title,
    type: "pipeline.failed",
    path: `/ada/tools/-/pipelines/${id}`,
    projectId: "ada/tools",
    actor: "grace",
    reason: "recipient",
    createTime: timestampFromDate(created),
    readTime: read ? timestampFromDate(new Date(created.getTime() + 1000)) : undefined,
    ...rest,
  });
}
