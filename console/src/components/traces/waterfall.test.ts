import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { SpanSchema, type Span } from "../../gen/hearth/v1/observe_pb";
import { msToDuration } from "../telemetry/duration";
import { layoutWaterfall } from "./waterfall";

const t0 = Date.UTC(2026, 11, 7, 10, 0, 0);

// span starts at t0 + startMs and lasts durMs.
function span(id: string, parent: string, startMs: number, durMs: number, fields: Partial<Pick<Span, "service" | "status">> = {}): Span {
  return create(SpanSchema, {
    traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
    spanId: id,
    parentSpanId: parent,
    name: `op-${id}`,
    service: fields.service ?? "api",
    status: fields.status ?? "ok",
    startTime: timestampFromMs(t0 + startMs),
    duration: msToDuration(durMs),
  });
}

describe("layoutWaterfall", () => {
  it("nests each span under its parent, siblings by start, and places bars by offset and duration", () => {
    // Given out of order, as a server may return them.
    const spans = [
      span("c2", "root", 60, 30, { service: "db" }),
      span("gc", "c1", 20, 10, { service: "cache", status: "error" }),
      span("root", "", 0, 100),
      span("c1", "root", 10, 40, { service: "web" }),
    ];
    const w = layoutWaterfall(spans);
    expect(w.rows.map((r) => [r.span.spanId, r.depth])).toEqual([
      ["root", 0],
      ["c1", 1],
      ["gc", 2],
      ["c2", 1],
    ]);
    expect(w.totalMs).toBe(100);
    const c1 = w.rows[1];
    expect(c1.offsetMs).toBe(10);
    expect(c1.durationMs).toBe(40);
    expect(c1.left).toBeCloseTo(0.1);
    expect(c1.width).toBeCloseTo(0.4);
    const c2 = w.rows[3];
    expect(c2.left).toBeCloseTo(0.6);
    expect(c2.width).toBeCloseTo(0.3);
    expect(w.rows.map((r) => r.error)).toEqual([false, false, true, false]);
    expect(w.errors).toBe(1);
    // Services in order of appearance down the waterfall.
    expect(w.services).toEqual(["api", "web", "cache", "db"]);
  });

  it("shows a span whose parent is missing as a root of its own, flagged, in start order", () => {
    const spans = [
      span("root", "", 0, 50),
      span("lost", "notreceived", 30, 40, { service: "worker" }),
      span("child-of-lost", "lost", 35, 5, { service: "worker" }),
      span("a", "root", 5, 10),
    ];
    const w = layoutWaterfall(spans);
    expect(w.rows.map((r) => [r.span.spanId, r.depth, r.orphan])).toEqual([
      ["root", 0, false],
      ["a", 1, false],
      ["lost", 0, true],
      ["child-of-lost", 1, false],
    ]);
    // The trace runs from the earliest start to the latest end (30 + 40).
    expect(w.totalMs).toBe(70);
    expect(w.rows[2].left).toBeCloseTo(30 / 70);
    expect(w.rows[2].width).toBeCloseTo(40 / 70);
  });

  it("keeps sub-millisecond precision and survives cycles, self-parents and an empty trace", () => {
    const spans = [span("x", "y", 0.25, 0.5), span("y", "x", 0, 1), span("self", "self", 0.5, 0.1)];
    const w = layoutWaterfall(spans);
    // Every span is shown exactly once.
    expect(w.rows.map((r) => r.span.spanId).sort()).toEqual(["self", "x", "y"]);
    const x = w.rows.find((r) => r.span.spanId === "x")!;
    expect(x.offsetMs).toBeCloseTo(0.25, 6);
    expect(x.durationMs).toBeCloseTo(0.5, 6);
    expect(layoutWaterfall([])).toEqual({ rows: [], startNs: 0n, totalMs: 0, services: [], errors: 0 });
  });

  it("gives a zero-length trace full-width bars instead of dividing by zero", () => {
    const w = layoutWaterfall([span("only", "", 0, 0)]);
    expect(w.rows[0]).toMatchObject({ left: 0, width: 1, depth: 0, orphan: false });
  });

  it("lays out a very deep trace without exhausting the stack", () => {
    const spans = [span("s0", "", 0, 20_000)];
    for (let i = 1; i < 20_000; i++) {
      spans.push(span(`s${i}`, `s${i - 1}`, i, 1));
    }
    const w = layoutWaterfall(spans);
    expect(w.rows).toHaveLength(20_000);
    expect(w.rows[19_999].depth).toBe(19_999);
  });
});
