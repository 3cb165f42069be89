import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { WatchNotificationsResponseSchema, type NotificationService, type WatchNotificationsResponse } from "../../gen/hearth/v1/notification_pb";
import { feedBackoff, watchNotifications, type FeedStatus } from "./notificationFeed";

type Opening = () => AsyncIterable<WatchNotificationsResponse>;

// fakeClient answers the n-th WatchNotifications with openings[n].
function fakeClient(openings: Opening[]) {
  let n = 0;
  return {
    watchNotifications: () => {
      const open = openings[n++];
      if (!open) {
        throw new Error("opened too often");
      }
      return open();
    },
  } as unknown as Client<typeof NotificationService>;
}

function count(n: bigint) {
  return create(WatchNotificationsResponseSchema, { unreadCount: n });
}

function failing(code: Code): Opening {
  // eslint-disable-next-line require-yield
  return async function* () {
    throw new ConnectError("refused", code);
  };
}

describe("watchNotifications", () => {
  it("reopens a failed or ended stream with growing pauses, and stops when refused for good", async () => {
    const statuses: FeedStatus[] = [];
    const counts: bigint[] = [];
    const pauses: number[] = [];
    const client = fakeClient([
      failing(Code.Unavailable),
      failing(Code.Internal),
      async function* () {
        yield count(2n);
        yield count(3n);
      },
      failing(Code.Unavailable),
      failing(Code.Unauthenticated),
    ]);
    await watchNotifications(
      client,
      new AbortController().signal,
      { onMessage: (m) => counts.push(m.unreadCount), onStatus: (s) => statuses.push(s) },
      {
        backoff: (n) => {
          pauses.push(n);
          return 0;
        },
      },
    );
    expect(counts).toEqual([2n, 3n]);
    expect(statuses).toEqual(["connecting", "retrying", "retrying", "live", "retrying", "retrying", "stopped"]);
    // A stream that delivered starts the pauses over.
    expect(pauses).toEqual([1, 2, 1, 2]);
  });

  it("ends when aborted", async () => {
    const ctrl = new AbortController();
    const statuses: FeedStatus[] = [];
    const client = fakeClient([
      async function* () {
        yield count(1n);
        ctrl.abort();
        throw new ConnectError("aborted", Code.Canceled);
      },
    ]);
    await watchNotifications(client, ctrl.signal, { onMessage: () => {}, onStatus: (s) => statuses.push(s) });
    expect(statuses).toEqual(["connecting", "live"]);
  });

  it("waits longer after each failure, up to a minute", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(feedBackoff)).toEqual([2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
  });
});
