import { Skeleton, Stack, Text } from "@mantine/core";
import { EmptyState } from "../EmptyState";
import { ErrorAlert } from "../ErrorAlert";
import { QueryStatsLine } from "../telemetry/QueryStatsLine";
import { rangeText } from "../telemetry/timeRange";
import type { TraceFilters } from "./traceFilters";
import { traceSearchLimit } from "./traceFilters";
import { TraceList } from "./TraceList";
import { useTraceSearch } from "./useTraces";

interface Props {
  owner: string;
  name: string;
  filters: TraceFilters;
}

// TraceResults runs the search and shows what it found.
export function TraceResults({ owner, name, filters }: Props) {
  const query = useTraceSearch(owner, name, filters);
  if (query.isPending) {
    return (
      <Stack aria-busy="true" aria-label="Searching traces" gap="xs">
        {[0, 1, 2, 3].map((i) => (
          <Skeleton key={i} h={44} radius="sm" />
        ))}
      </Stack>
    );
  }
  if (!query.data) {
    return <ErrorAlert error={query.error} title="Could not search the traces" onRetry={() => void query.refetch()} />;
  }
  const { traces, stats } = query.data;
  return (
    <Stack gap="xs" style={{ opacity: query.isPlaceholderData ? 0.6 : 1 }}>
      <QueryStatsLine stats={stats} />
      {traces.length === 0 ? (
        <EmptyState title="No traces">
          No span matches in {rangeText(filters.range)}. Widen the time range or loosen the search; workloads send traces over OTLP
          with a token holding observe:write on this project (see docs/observability.md).
        </EmptyState>
      ) : (
        <>
          <TraceList owner={owner} name={name} traces={traces} />
          {traces.length >= traceSearchLimit && (
            <Text size="xs" c="dimmed" ta="center">
              The newest {traceSearchLimit} traces; narrow the search to find older ones.
            </Text>
          )}
        </>
      )}
    </Stack>
  );
}
