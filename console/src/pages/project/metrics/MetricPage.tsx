import { Anchor, Badge, Group, Stack, Title } from "@mantine/core";
import { IconArrowLeft } from "@tabler/icons-react";
import { useMemo } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { ErrorAlert } from "../../../components/ErrorAlert";
import { applyMetricQuery, metricQueryFromParams, stepProblem } from "../../../components/metrics/metricFilters";
import { MetricQueryForm } from "../../../components/metrics/MetricQueryForm";
import { ChartSkeleton, MetricSeriesView } from "../../../components/metrics/MetricSeriesView";
import { useMetricList, useMetricSeries } from "../../../components/metrics/useMetrics";
import { useProjectContext } from "../../../components/project/useProjectContext";
import { applyRange } from "../../../components/telemetry/timeRange";
import { projectPath } from "../../../routes/paths";

// MetricPage charts one metric; how (aggregation, grouping, filters, range
// and step) lives in the URL.
export function MetricPage() {
  const project = useProjectContext();
  const { owner, name } = project;
  const { metric = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const query = useMemo(() => metricQueryFromParams(params), [params]);
  const problem = stepProblem(query);
  const series = useMetricSeries(owner, name, metric, query, problem === null);
  // The metric's kind and unit, when the list (usually cached) has it.
  const info = useMetricList(owner, name, query.range).data?.find((m) => m.name === metric);
  const labelNames = useMemo(() => {
    const names = new Set(query.groupBy);
    for (const s of series.data?.series ?? []) {
      Object.keys(s.labels).forEach((k) => names.add(k));
    }
    return [...names].sort();
  }, [series.data, query.groupBy]);

  let body;
  if (problem) {
    body = null;
  } else if (series.isPending) {
    body = <ChartSkeleton />;
  } else if (!series.data) {
    body = <ErrorAlert error={series.error} title={`Could not chart ${metric}`} onRetry={() => void series.refetch()} />;
  } else {
    body = <MetricSeriesView metric={metric} response={series.data} range={query.range} faded={series.isPlaceholderData} />;
  }
  return (
    <Stack gap="md">
      <Anchor component={Link} to={`${projectPath(owner, name, "metrics")}?${applyRange(new URLSearchParams(), query.range)}`} size="sm">
        <Group gap={4}>
          <IconArrowLeft size={14} aria-hidden />
          Metrics
        </Group>
      </Anchor>
      <Group gap="xs" wrap="wrap">
        <Title order={2} size="h3" ff="monospace" style={{ wordBreak: "break-all" }}>
          {metric}
        </Title>
        {info?.kind && (
          <Badge variant="light" tt="none">
            {info.kind}
          </Badge>
        )}
        {info?.unit && (
          <Badge variant="outline" color="gray" tt="none">
            {info.unit}
          </Badge>
        )}
      </Group>
      <MetricQueryForm query={query} onChange={(q) => setParams((prev) => applyMetricQuery(prev, q))} labelNames={labelNames} />
      {body}
    </Stack>
  );
}
