import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

// formatTime writes a commit's time; "" when unknown.
export function formatTime(t: Timestamp | undefined): string {
  return t ? dateTime.format(timestampDate(t)) : "";
}
