import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

// formatTime shows a timestamp as a date and time ("" when unset).
export function formatTime(ts: Timestamp | undefined): string {
  return ts ? dateTime.format(timestampDate(ts)) : "";
}

// isoTime is a timestamp for a <time dateTime> attribute.
export function isoTime(ts: Timestamp | undefined): string | undefined {
  return ts ? timestampDate(ts).toISOString() : undefined;
}
