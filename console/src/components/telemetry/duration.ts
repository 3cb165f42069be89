import { create } from "@bufbuild/protobuf";
import { DurationSchema, timestampMs, type Duration, type Timestamp } from "@bufbuild/protobuf/wkt";
import { formatDuration } from "../pipelines/format";

const units: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

// parseDuration reads "250ms", "1.5s", "2m", "1h30m" or a bare number of
// milliseconds; null when it is not a duration.
export function parseDuration(text: string): number | null {
  const s = text.trim().toLowerCase();
  if (s === "") {
    return null;
  }
  if (/^\d+(\.\d+)?$/.test(s)) {
    return Number(s);
  }
  const re = /(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s|m|h|d)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * units[m[2]];
    end = re.lastIndex;
  }
  return end === s.length && end > 0 ? total : null;
}

// msToDuration is a protobuf Duration of ms milliseconds (whole
// nanoseconds; ms >= 0).
export function msToDuration(ms: number): Duration {
  const ns = Math.round(ms * 1e6);
  const seconds = Math.floor(ns / 1e9);
  return create(DurationSchema, { seconds: BigInt(seconds), nanos: ns - seconds * 1e9 });
}

// durationNs is a protobuf Duration in nanoseconds (exact).
export function durationNs(d: Duration | undefined): bigint {
  return d ? d.seconds * 1_000_000_000n + BigInt(d.nanos) : 0n;
}

// timestampNs is a protobuf Timestamp in Unix nanoseconds (exact).
export function timestampNs(t: Timestamp | undefined): bigint {
  return t ? t.seconds * 1_000_000_000n + BigInt(t.nanos) : 0n;
}

// formatSpanDuration: "420 µs", "12.3 ms", "1.25 s", "2m 05s".
export function formatSpanDuration(ms: number): string {
  if (ms < 1) {
    return `${Math.round(ms * 1000)} µs`;
  }
  if (ms < 1000) {
    return `${Number(ms.toPrecision(3))} ms`;
  }
  if (ms < 60_000) {
    return `${Number((ms / 1000).toPrecision(3))} s`;
  }
  return formatDuration(ms);
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

// formatInstant: "2026-12-07 10:12:03.123" in local time.
export function formatInstant(t: Timestamp | Date | undefined): string {
  if (!t) {
    return "";
  }
  const d = t instanceof Date ? t : new Date(timestampMs(t));
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}
