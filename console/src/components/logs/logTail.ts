import { Code, ConnectError, type Client } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { LogRecord, ObserveService, TailLogsRequestSchema, TailLogsResponse } from "../../gen/hearth/v1/observe_pb";
import { timestampNs } from "../telemetry/duration";
import type { LogEntry } from "./useLogQuery";

// A live tail keeps at most this many records, newest first.
export const tailCap = 1000;

// TailState is what a live tail shows: the newest records first, how many
// the server dropped because the tail fell behind, and how many old ones
// were let go to stay under the cap.
export interface TailState {
  entries: LogEntry[];
  dropped: number;
  trimmed: number;
  // The next entry's key.
  next: number;
}

// newestFirst orders records by time, newest first (stable for equal times).
export function newestFirst(records: LogRecord[]): LogRecord[] {
  return records
    .map((r, i) => ({ r, i, t: timestampNs(r.time) }))
    .sort((a, b) => (a.t === b.t ? b.i - a.i : a.t < b.t ? 1 : -1))
    .map((x) => x.r);
}

// tailStart begins a tail with records already shown (newest first).
export function tailStart(seed: LogRecord[], cap = tailCap): TailState {
  const kept = seed.slice(0, cap);
  return {
    entries: kept.map((record, i) => ({ key: `t${i}`, record })),
    dropped: 0,
    trimmed: 0,
    next: kept.length,
  };
}

// tailReceive puts the records of stream messages on top, newest first,
// and lets the oldest go beyond cap.
export function tailReceive(state: TailState, messages: Pick<TailLogsResponse, "logs" | "dropped">[], cap = tailCap): TailState {
  const records = newestFirst(messages.flatMap((m) => m.logs));
  const dropped = messages.reduce((n, m) => n + Number(m.dropped), 0);
  if (records.length === 0 && dropped === 0) {
    return state;
  }
  // The newest message's records came last: newestFirst put them first.
  const fresh = records.map((record, i) => ({ key: `t${state.next + records.length - 1 - i}`, record }));
  const all = [...fresh, ...state.entries];
  const kept = all.slice(0, cap);
  return {
    entries: kept,
    dropped: state.dropped + dropped,
    trimmed: state.trimmed + (all.length - kept.length),
    next: state.next + records.length,
  };
}

// TailStatus: "connecting" until the stream's first (empty) message;
// "live" while it delivers; "reconnecting" while waiting to open it again;
// "stopped" when opening it again makes no sense (the filters are
// invalid, the caller may not, the server lacks it).
export type TailStatus = "connecting" | "live" | "reconnecting" | "stopped";

export interface TailHandlers {
  onLogs(msg: TailLogsResponse): void;
  onStatus(status: TailStatus, err?: unknown): void;
}

// tailBackoff: 1 s, 2 s, 4 s, … up to 30 s.
export function tailBackoff(attempt: number): number {
  return Math.min(30_000, 1000 * 2 ** (attempt - 1));
}

const finalCodes = [Code.InvalidArgument, Code.NotFound, Code.PermissionDenied, Code.Unauthenticated, Code.Unimplemented];

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

// followTail keeps a TailLogs stream open until signal aborts or the
// server refuses it for good, handing every message with records on.
export async function followTail(
  client: Client<typeof ObserveService>,
  req: MessageInitShape<typeof TailLogsRequestSchema>,
  signal: AbortSignal,
  handlers: TailHandlers,
  backoff: (attempt: number) => number = tailBackoff,
): Promise<void> {
  let attempt = 0;
  handlers.onStatus("connecting");
  while (!signal.aborted) {
    let err: unknown = null;
    try {
      let live = false;
      for await (const msg of client.tailLogs(req, { signal })) {
        if (!live) {
          // The first message is empty: the tail is live from here on.
          live = true;
          attempt = 0;
          handlers.onStatus("live");
        }
        if (msg.logs.length > 0 || msg.dropped > 0n) {
          handlers.onLogs(msg);
        }
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
    handlers.onStatus("reconnecting", err ?? new ConnectError("the live tail ended", Code.Unavailable));
    await sleep(backoff(attempt), signal);
  }
}
