import type { Span } from "../../gen/hearth/v1/observe_pb";
import { durationNs, timestampNs } from "../telemetry/duration";

// WaterfallRow is one span placed on the trace's time line.
export interface WaterfallRow {
  span: Span;
  // Nesting under its ancestors (0 for a root).
  depth: number;
  // From the trace's start to the span's, and the span's length, in ms.
  offsetMs: number;
  durationMs: number;
  // The bar's left edge and width as fractions of the trace (0-1).
  left: number;
  width: number;
  // Its parent is named but not in the trace (not received, or elsewhere
  // in time): shown as a root.
  orphan: boolean;
  error: boolean;
}

export interface Waterfall {
  rows: WaterfallRow[];
  // The earliest start and the latest end, in Unix ns; the span between.
  startNs: bigint;
  totalMs: number;
  services: string[];
  errors: number;
}

const msOf = (ns: bigint) => Number(ns) / 1e6;

// layoutWaterfall orders a trace's spans depth first (each span under its
// parent, siblings and roots by start time) and places each on the time
// line. A span whose parent is missing starts a tree of its own; spans in
// a parent cycle (which a sender may produce) are shown as roots rather
// than lost.
export function layoutWaterfall(spans: Span[]): Waterfall {
  if (spans.length === 0) {
    return { rows: [], startNs: 0n, totalMs: 0, services: [], errors: 0 };
  }
  const start = (s: Span) => timestampNs(s.startTime);
  const end = (s: Span) => start(s) + durationNs(s.duration);
  let startNs = start(spans[0]);
  let endNs = end(spans[0]);
  for (const s of spans) {
    if (start(s) < startNs) startNs = start(s);
    if (end(s) > endNs) endNs = end(s);
  }
  const totalNs = endNs - startNs;
  const totalMs = msOf(totalNs);

  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, Span[]>();
  const roots: Span[] = [];
  for (const s of spans) {
    if (s.parentSpanId && s.parentSpanId !== s.spanId && ids.has(s.parentSpanId)) {
      const list = children.get(s.parentSpanId) ?? [];
      list.push(s);
      children.set(s.parentSpanId, list);
    } else {
      roots.push(s);
    }
  }
  const byStart = (a: Span, b: Span) => {
    const d = start(a) - start(b);
    return d < 0n ? -1 : d > 0n ? 1 : 0;
  };

  const rows: WaterfallRow[] = [];
  const placed = new Set<Span>();
  // Depth first with a stack of its own: a deeply nested trace must not
  // exhaust the call stack.
  const place = (root: Span) => {
    const stack: [Span, number][] = [[root, 0]];
    while (stack.length > 0) {
      const [s, depth] = stack.pop()!;
      if (placed.has(s)) {
        continue;
      }
      placed.add(s);
      const offsetNs = start(s) - startNs;
      const lenNs = durationNs(s.duration);
      rows.push({
        span: s,
        depth,
        offsetMs: msOf(offsetNs),
        durationMs: msOf(lenNs),
        left: totalNs > 0n ? Number(offsetNs) / Number(totalNs) : 0,
        width: totalNs > 0n ? Number(lenNs) / Number(totalNs) : 1,
        orphan: depth === 0 && s.parentSpanId !== "" && !ids.has(s.parentSpanId),
        error: s.status === "error",
      });
      const kids = [...(children.get(s.spanId) ?? [])].sort(byStart);
      for (let i = kids.length - 1; i >= 0; i--) {
        stack.push([kids[i], depth + 1]);
      }
    }
  };
  for (const r of [...roots].sort(byStart)) {
    place(r);
  }
  // Spans only reachable through a cycle: shown as roots, in start order.
  for (const s of [...spans].sort(byStart)) {
    place(s);
  }

  const services: string[] = [];
  for (const r of rows) {
    if (!services.includes(r.span.service)) {
      services.push(r.span.service);
    }
  }
  return { rows, startNs, totalMs, services, errors: rows.filter((r) => r.error).length };
}
