import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

// formatDate is a timestamp's day, or fallback when it is unset.
export function formatDate(ts: Timestamp | undefined, fallback = "—"): string {
  return ts ? dateFormat.format(timestampDate(ts)) : fallback;
}

// formatDateTime is a timestamp's day and time, or fallback when unset.
export function formatDateTime(ts: Timestamp | undefined, fallback = "—"): string {
  return ts ? dateTimeFormat.format(timestampDate(ts)) : fallback;
}

// isPast says whether a timestamp lies before now.
export function isPast(ts: Timestamp | undefined, now = Date.now()): boolean {
  return ts ? timestampDate(ts).getTime() < now : false;
}

// daysFromNow is the moment n days ahead.
export function daysFromNow(n: number, now = Date.now()): Date {
  return new Date(now + n * 24 * 60 * 60 * 1000);
}
