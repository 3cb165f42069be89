import { Text } from "@mantine/core";
import type { QueryStats } from "../../gen/hearth/v1/observe_pb";
import { formatBytes } from "../pipelines/format";

// QueryStatsLine says, quietly, what answering a query cost: files read
// from S3 (of those whose time range overlapped), bytes read, rows
// answered from memory.
export function QueryStatsLine({ stats }: { stats: QueryStats | undefined }) {
  if (!stats) {
    return null;
  }
  const n = (v: bigint) => Number(v).toLocaleString();
  return (
    <Text size="xs" c="dimmed" aria-label="Query statistics">
      {n(stats.filesScanned)} of {n(stats.filesConsidered)} files scanned · {formatBytes(Number(stats.bytesRead))} read ·{" "}
      {n(stats.hotRowsScanned)} rows from memory
    </Text>
  );
}

// sumStats adds the statistics of several pages.
export function sumStats(all: (QueryStats | undefined)[]): QueryStats | undefined {
  const present = all.filter((s): s is QueryStats => s !== undefined);
  if (present.length === 0) {
    return undefined;
  }
  const total = { ...present[0] };
  for (const s of present.slice(1)) {
    total.filesConsidered += s.filesConsidered;
    total.filesScanned += s.filesScanned;
    total.rowGroupsScanned += s.rowGroupsScanned;
    total.rowGroupsSkipped += s.rowGroupsSkipped;
    total.rowsScanned += s.rowsScanned;
    total.bytesRead += s.bytesRead;
    total.hotRowsScanned += s.hotRowsScanned;
  }
  return total;
}
