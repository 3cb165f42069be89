import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, createRouterTransport, type HandlerContext } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { LogRecordSchema, ObserveService, type LogRecord, type TailLogsRequest } from "../../gen/hearth/v1/observe_pb";
import { followTail, tailReceive, tailStart, type TailStatus } from "./logTail";

function rec(body: string, ms: number): LogRecord {
  return create(LogRecordSchema, { body, time: timestampFromMs(ms), service: "api", severityNumber: 9 });
}

const bodies = (s: { entries: { record: LogRecord }[] }) => s.entries.map((e) => e.record.body);

describe("the live tail's list", () => {
  it("puts new records on top, newest first, and keeps at most the cap", () => {
    let s = tailStart([rec("seed-2", 2), rec("seed-1", 1)], 5);
    expect(bodies(s)).toEqual(["seed-2", "seed-1"]);
    // One message, oldest first as the server batches them.
    s = tailReceive(s, [{ logs: [rec("a", 10), rec("b", 11)], dropped: 0n }], 5);
    expect(bodies(s)).toEqual(["b", "a", "seed-2", "seed-1"]);
    // Two messages flushed together: the later one's records on top.
    s = tailReceive(s, [{ logs: [rec("c", 12)], dropped: 0n }, { logs: [rec("d", 13), rec("e", 14)], dropped: 0n }], 5);
    expect(bodies(s)).toEqual(["e", "d", "c", "b", "a"]);
    expect(s.trimmed).toBe(2);
    expect(s.entries).toHaveLength(5);
    // Keys stay unique and stable: a record keeps its key as others arrive.
    const keyOfC = s.entries.find((e) => e.record.body === "c")!.key;
    s = tailReceive(s, [{ logs: [rec("f", 15)], dropped: 0n }], 5);
    expect(s.entries.find((e) => e.record.body === "c")!.key).toBe(keyOfC);
    expect(new Set(s.entries.map((e) => e.key)).size).toBe(5);
    expect(s.trimmed).toBe(3);
  });

  it("adds up what the server dropped, and changes nothing for an empty message", () => {
    let s = tailStart([], 1000);
    s = tailReceive(s, [{ logs: [], dropped: 40n }], 1000);
    s = tailReceive(s, [{ logs: [rec("x", 1)], dropped: 2n }], 1000);
    expect(s.dropped).toBe(42);
    expect(tailReceive(s, [{ logs: [], dropped: 0n }], 1000)).toBe(s);
  });

  it("caps a seed larger than the cap", () => {
    const seed = Array.from({ length: 1500 }, (_, i) => rec(`r${i}`, 1500 - i));
    expect(tailStart(seed).entries).toHaveLength(1000);
  });
});

describe("followTail", () => {
  it("is live after the empty first message, hands records on, and stops for good on a refusal", async () => {
    let opened = 0;
    const asked: TailLogsRequest[] = [];
    const transport = createRouterTransport((r) =>
      r.service(ObserveService, {
        async *tailLogs(req: TailLogsRequest, ctx: HandlerContext) {
          asked.push(req);
          opened++;
          if (opened === 2) {
            throw new ConnectError("regexp: missing )", Code.InvalidArgument);
          }
          yield {};
          yield { logs: [rec("one", 1)] };
          yield { dropped: 3n };
          void ctx;
          // The stream ends: followTail opens it again.
        },
      }),
    );
    const statuses: TailStatus[] = [];
    const got: string[] = [];
    let dropped = 0n;
    await followTail(
      createClient(ObserveService, transport),
      { owner: "ada", name: "tools", minSeverity: 13, services: ["api"] },
      new AbortController().signal,
      {
        onLogs: (m) => {
          got.push(...m.logs.map((l) => l.body));
          dropped += m.dropped;
        },
        onStatus: (s) => statuses.push(s),
      },
      () => 0,
    );
    expect(statuses).toEqual(["connecting", "live", "reconnecting", "stopped"]);
    expect(got).toEqual(["one"]);
    expect(dropped).toBe(3n);
    expect(opened).toBe(2);
    expect(asked[0]).toMatchObject({ owner: "ada", name: "tools", minSeverity: 13, services: ["api"] });
  });

  it("ends when its signal aborts, closing the stream", async () => {
    const ctrl = new AbortController();
    let server: HandlerContext | null = null;
    const transport = createRouterTransport((r) =>
      r.service(ObserveService, {
        async *tailLogs(_req: TailLogsRequest, ctx: HandlerContext) {
          server = ctx;
          yield {};
          await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
        },
      }),
    );
    const statuses: TailStatus[] = [];
    const done = followTail(createClient(ObserveService, transport), { owner: "a", name: "b" }, ctrl.signal, {
      onLogs: () => {},
      onStatus: (s) => {
        statuses.push(s);
        if (s === "live") {
          ctrl.abort();
        }
      },
    });
    await done;
    expect(statuses).toEqual(["connecting", "live"]);
    // The server saw the call end (its context was cancelled).
    await expect.poll(() => (server as HandlerContext | null)?.signal.aborted).toBe(true);
  });
});
