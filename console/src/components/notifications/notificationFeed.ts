import { Code, ConnectError, type Client } from "@connectrpc/connect";
import type { NotificationService, WatchNotificationsResponse } from "../../gen/hearth/v1/notification_pb";

// The bell's live feed: WatchNotifications answers the unread count at
// once, then every new notification with the count after it. A stream
// that fails or ends is opened again after a growing pause; meanwhile the
// caller falls back to asking ListNotifications now and then.

// FeedStatus: "connecting" before the first stream answered; "live" while
// one delivers; "retrying" while waiting to open it again; "stopped" when
// reopening it makes no sense (the server lacks it, the session ended, the
// caller may not).
export type FeedStatus = "connecting" | "live" | "retrying" | "stopped";

export interface FeedHandlers {
  onMessage(msg: WatchNotificationsResponse): void;
  onStatus(status: FeedStatus, err?: unknown): void;
}

export interface FeedOptions {
  // The pause before the n-th reopening in a row (from 1).
  backoff?: (attempt: number) => number;
}

// feedBackoff: 2 s, 4 s, 8 s, … up to a minute.
export function feedBackoff(attempt: number): number {
  return Math.min(60_000, 2_000 * 2 ** (attempt - 1));
}

// Codes after which the stream is not opened again.
const finalCodes = [Code.Unimplemented, Code.Unauthenticated, Code.PermissionDenied];

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

// watchNotifications keeps a WatchNotifications stream open until signal
// aborts or the server refuses it for good, handing every message on.
export async function watchNotifications(
  client: Client<typeof NotificationService>,
  signal: AbortSignal,
  handlers: FeedHandlers,
  options: FeedOptions = {},
): Promise<void> {
  const backoff = options.backoff ?? feedBackoff;
  let attempt = 0;
  handlers.onStatus("connecting");
  while (!signal.aborted) {
    let err: unknown = null;
    try {
      let live = false;
      for await (const msg of client.watchNotifications({}, { signal })) {
        if (!live) {
          live = true;
          attempt = 0;
          handlers.onStatus("live");
        }
        handlers.onMessage(msg);
      }
    } catch (e) {
      err = e;
    }
    if (signal.aborted) {
      return;
    }
    if (err !== null && finalCodes.includes(ConnectError.from(err).code)) {
      handlers.onStatus("stopped", err);
      return;
    }
    attempt++;
    handlers.onStatus("retrying", err ?? new ConnectError("the notification stream ended", Code.Unavailable));
    await sleep(backoff(attempt), signal);
  }
}
