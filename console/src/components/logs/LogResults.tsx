import { ActionIcon, Button, Center, Group, Skeleton, Stack, Text, Tooltip } from "@mantine/core";
import { IconRefresh } from "@tabler/icons-react";
import { EmptyState } from "../EmptyState";
import { ErrorAlert } from "../ErrorAlert";
import { QueryStatsLine, sumStats } from "../telemetry/QueryStatsLine";
import { rangeText } from "../telemetry/timeRange";
import type { LogFilters } from "./logFilters";
import { LogTable } from "./LogTable";
import type { LogEntry, useLogQuery } from "./useLogQuery";

interface Props {
  owner: string;
  name: string;
  filters: LogFilters;
  query: ReturnType<typeof useLogQuery>;
}

// LogResults shows what QueryLogs answered for the filters, a page at a
// time, with what the query cost.
export function LogResults({ owner, name, filters, query }: Props) {
  if (query.isPending) {
    return (
      <Stack aria-busy="true" aria-label="Loading log records" gap={4}>
        {Array.from({ length: 8 }, (_, i) => (
          <Skeleton key={i} h={22} radius="sm" />
        ))}
      </Stack>
    );
  }
  if (!query.data) {
    return <ErrorAlert error={query.error} title="Could not load the logs" onRetry={() => void query.refetch()} />;
  }
  const pages = query.data.pages;
  const entries: LogEntry[] = pages.flatMap((page, p) => page.logs.map((record, i) => ({ key: `${p}:${i}`, record })));
  const toolbar = (
    <>
    {query.isRefetchError && <ErrorAlert error={query.error} title="Could not load the logs again" />}
    <Group justify="space-between" gap="xs" wrap="wrap">
      <QueryStatsLine stats={sumStats(pages.map((p) => p.stats))} />
      <Tooltip label="Ask again">
        <ActionIcon variant="subtle" color="gray" aria-label="Refresh" loading={query.isRefetching} onClick={() => void query.refetch()}>
          <IconRefresh size={16} aria-hidden />
        </ActionIcon>
      </Tooltip>
    </Group>
    </>
  );
  if (entries.length === 0) {
    return (
      <Stack gap="xs">
        {toolbar}
        <EmptyState title="No log records">
          Nothing matches in {rangeText(filters.range)}. Widen the time range or loosen the filters; workloads send logs over OTLP
          with a token holding observe:write on this project (see docs/observability.md).
        </EmptyState>
      </Stack>
    );
  }
  return (
    <Stack gap="xs" style={{ opacity: query.isPlaceholderData ? 0.6 : 1 }}>
      {toolbar}
      <LogTable owner={owner} name={name} entries={entries} />
      {query.isFetchNextPageError && <ErrorAlert error={query.error} title="Could not load more records" />}
      {query.hasNextPage ? (
        <Center>
          <Button variant="default" size="xs" loading={query.isFetchingNextPage} onClick={() => void query.fetchNextPage()}>
            Load more
          </Button>
        </Center>
      ) : (
        <Text size="xs" c="dimmed" ta="center">
          {entries.length.toLocaleString()} {entries.length === 1 ? "record" : "records"}: that is all in {rangeText(filters.range)}.
        </Text>
      )}
    </Stack>
  );
}
