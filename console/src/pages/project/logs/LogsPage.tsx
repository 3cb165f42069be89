import { Group, Stack, Switch, Title } from "@mantine/core";
import { useMemo, useState } from "react";
import { useSearchParams } from "react-router";
import { LiveTail } from "../../../components/logs/LiveTail";
import { LogFilterBar } from "../../../components/logs/LogFilterBar";
import { applyLogFilters, logFiltersFromParams, type LogFilters } from "../../../components/logs/logFilters";
import { LogResults } from "../../../components/logs/LogResults";
import { useLogQuery } from "../../../components/logs/useLogQuery";
import { useProjectContext } from "../../../components/project/useProjectContext";

// LogsPage explores a project's log records: filters in the URL, results
// newest first a page at a time, or a live tail of new ones.
export function LogsPage() {
  const project = useProjectContext();
  const { owner, name } = project;
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => logFiltersFromParams(params), [params]);
  const [live, setLive] = useState(false);
  const query = useLogQuery(owner, name, filters);
  const records = useMemo(() => query.data?.pages.flatMap((p) => p.logs) ?? [], [query.data]);
  const services = useMemo(() => [...new Set([...filters.services, ...records.map((r) => r.service)])].sort(), [filters.services, records]);
  const setFilters = (f: LogFilters) => setParams((prev) => applyLogFilters(prev, f));

  return (
    <Stack gap="md">
      <Group justify="space-between" wrap="wrap">
        <Title order={2} size="h3">
          Logs
        </Title>
        <Switch label="Live tail" checked={live} onChange={(e) => setLive(e.currentTarget.checked)} />
      </Group>
      <LogFilterBar filters={filters} onChange={setFilters} services={services} live={live} />
      {live ? (
        <LiveTail owner={owner} name={name} filters={filters} seed={"quick" in filters.range && !query.isPlaceholderData ? records : []} />
      ) : (
        <LogResults owner={owner} name={name} filters={filters} query={query} />
      )}
    </Stack>
  );
}
