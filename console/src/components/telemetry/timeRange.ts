// TimeRange is the time span a telemetry page queries: one of the quick
// ranges ("the last hour", relative to when the query runs) or a custom
// span between two instants. It lives in the URL's query (?range=6h, or
// ?from=…&to=… in ISO 8601) so a reload or a shared link keeps it.

export const quickRanges = [
  { value: "15m", label: "15m", long: "the last 15 minutes", ms: 15 * 60_000 },
  { value: "1h", label: "1h", long: "the last hour", ms: 60 * 60_000 },
  { value: "6h", label: "6h", long: "the last 6 hours", ms: 6 * 60 * 60_000 },
  { value: "24h", label: "24h", long: "the last 24 hours", ms: 24 * 60 * 60_000 },
  { value: "7d", label: "7d", long: "the last 7 days", ms: 7 * 24 * 60 * 60_000 },
] as const;

export type QuickRange = (typeof quickRanges)[number]["value"];

export type TimeRange = { quick: QuickRange } | { from: Date; to: Date };

export const defaultRange: TimeRange = { quick: "1h" };

function quickInfo(value: string) {
  return quickRanges.find((r) => r.value === value);
}

function parseInstant(s: string | null): Date | null {
  if (!s) {
    return null;
  }
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? null : d;
}

// rangeFromParams reads ?range= or ?from=&to= (a custom range wins when
// both of its ends are valid and in order); anything else is the default.
export function rangeFromParams(params: URLSearchParams): TimeRange {
  const from = parseInstant(params.get("from"));
  const to = parseInstant(params.get("to"));
  if (from && to && from.getTime() < to.getTime()) {
    return { from, to };
  }
  const quick = quickInfo(params.get("range") ?? "");
  return quick ? { quick: quick.value } : defaultRange;
}

// applyRange writes range into a copy of params (the default is left out).
export function applyRange(params: URLSearchParams, range: TimeRange): URLSearchParams {
  const next = new URLSearchParams(params);
  next.delete("range");
  next.delete("from");
  next.delete("to");
  if ("quick" in range) {
    if (range.quick !== "1h") {
      next.set("range", range.quick);
    }
  } else {
    next.set("from", range.from.toISOString());
    next.set("to", range.to.toISOString());
  }
  return next;
}

export interface Window {
  start: Date;
  // Undefined: open-ended; the server's default end (now, plus the hour
  // ahead it accepts from senders whose clocks run fast).
  end?: Date;
}

// resolveRange turns a range into the instants a query asks for, at now.
// A quick range is open-ended unless closed is set (a chart's x axis ends
// now).
export function resolveRange(range: TimeRange, now = Date.now(), closed = false): Window {
  if ("quick" in range) {
    const ms = quickInfo(range.quick)?.ms ?? 60 * 60_000;
    return { start: new Date(now - ms), end: closed ? new Date(now) : undefined };
  }
  return { start: range.from, end: range.to };
}

// rangeMs is how long a range lasts.
export function rangeMs(range: TimeRange): number {
  return "quick" in range ? (quickInfo(range.quick)?.ms ?? 0) : range.to.getTime() - range.from.getTime();
}

const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

// rangeText says a range in words: "the last hour", "7 Dec 2026, 10:00 – 7 Dec 2026, 11:00".
export function rangeText(range: TimeRange): string {
  if ("quick" in range) {
    return quickInfo(range.quick)?.long ?? range.quick;
  }
  return `${absolute.format(range.from)} – ${absolute.format(range.to)}`;
}

// rangeKey is a stable string for cache keys.
export function rangeKey(range: TimeRange): string {
  return "quick" in range ? range.quick : `${range.from.toISOString()}/${range.to.toISOString()}`;
}
