import { Group, Skeleton, Stack, Text, TextInput, Title } from "@mantine/core";
import { IconSearch } from "@tabler/icons-react";
import { useMemo, useState } from "react";
import { useSearchParams } from "react-router";
import { EmptyState } from "../../../components/EmptyState";
import { ErrorAlert } from "../../../components/ErrorAlert";
import { MetricList } from "../../../components/metrics/MetricList";
import { useMetricList } from "../../../components/metrics/useMetrics";
import { useProjectContext } from "../../../components/project/useProjectContext";
import { TimeRangePicker } from "../../../components/telemetry/TimeRangePicker";
import { applyRange, rangeFromParams, rangeText } from "../../../components/telemetry/timeRange";

// MetricsPage lists the metrics a project's workloads sent in a time
// range; each opens its chart.
export function MetricsPage() {
  const project = useProjectContext();
  const { owner, name } = project;
  const [params, setParams] = useSearchParams();
  const range = useMemo(() => rangeFromParams(params), [params]);
  const [filter, setFilter] = useState("");
  const query = useMetricList(owner, name, range);
  const rangeSearch = applyRange(new URLSearchParams(), range).toString();

  let body;
  if (query.isPending) {
    body = (
      <Stack aria-busy="true" aria-label="Loading metrics" gap="xs">
        {[0, 1, 2].map((i) => (
          <Skeleton key={i} h={36} radius="sm" />
        ))}
      </Stack>
    );
  } else if (!query.data) {
    body = <ErrorAlert error={query.error} title="Could not list the metrics" onRetry={() => void query.refetch()} />;
  } else if (query.data.length === 0) {
    body = (
      <EmptyState title="No metrics">
        Nothing arrived in {rangeText(range)}. Workloads send metrics over OTLP (or Prometheus remote-write) with a token holding
        observe:write on this project; see docs/observability.md.
      </EmptyState>
    );
  } else {
    const needle = filter.trim().toLowerCase();
    const shown = query.data.filter((m) => m.name.toLowerCase().includes(needle));
    body =
      shown.length === 0 ? (
        <Text c="dimmed" size="sm">
          No metric name contains “{filter.trim()}”.
        </Text>
      ) : (
        <MetricList owner={owner} name={name} metrics={shown} search={rangeSearch} />
      );
  }
  return (
    <Stack gap="md">
      <Title order={2} size="h3">
        Metrics
      </Title>
      <Group gap="sm" wrap="wrap" justify="space-between" align="flex-end">
        <TimeRangePicker value={range} onChange={(r) => setParams((prev) => applyRange(prev, r))} />
        <TextInput
          size="xs"
          type="search"
          aria-label="Filter metrics"
          placeholder="Filter by name"
          leftSection={<IconSearch size={14} aria-hidden />}
          value={filter}
          onChange={(e) => setFilter(e.currentTarget.value)}
          w={220}
        />
      </Group>
      {body}
    </Stack>
  );
}
