import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";

// shortRef: "refs/heads/main" → "main", "refs/tags/v1" → "v1"; other refs
// stay whole.
export function shortRef(ref: string): string {
  for (const prefix of ["refs/heads/", "refs/tags/"]) {
    if (ref.startsWith(prefix)) {
      return ref.slice(prefix.length);
    }
  }
  return ref;
}

export function shortSha(sha: string): string {
  return sha.slice(0, 8);
}

// formatDuration: "45s", "3m 05s", "2h 01m".
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) {
    return `${s}s`;
  }
  const m = Math.floor(s / 60);
  if (m < 60) {
    return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  }
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m`;
}

// durationText: how long something ran (until now while it runs), or
// null before it started.
export function durationText(start?: Timestamp, finish?: Timestamp, now = Date.now()): string | null {
  if (!start) {
    return null;
  }
  const end = finish ? timestampDate(finish).getTime() : now;
  return formatDuration(end - timestampDate(start).getTime());
}

const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

export function absoluteTime(ts?: Timestamp): string {
  return ts ? absolute.format(timestampDate(ts)) : "";
}

// relativeTime: "2 minutes ago", "yesterday".
export function relativeTime(ts?: Timestamp, now = Date.now()): string {
  if (!ts) {
    return "";
  }
  const diff = (timestampDate(ts).getTime() - now) / 1000;
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ["year", 365 * 86400],
    ["month", 30 * 86400],
    ["day", 86400],
    ["hour", 3600],
    ["minute", 60],
  ];
  for (const [unit, secs] of units) {
    if (Math.abs(diff) >= secs) {
      return relative.format(Math.round(diff / secs), unit);
    }
  }
  return "just now";
}

// formatBytes: "812 B", "1.4 MB".
export function formatBytes(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}
