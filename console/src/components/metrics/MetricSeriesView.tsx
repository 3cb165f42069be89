import { Paper, Skeleton, Stack } from "@mantine/core";
import { useMemo, useState } from "react";
import type { QueryMetricsResponse } from "../../gen/hearth/v1/observe_pb";
import type { Window } from "../telemetry/timeRange";
import { EmptyState } from "../EmptyState";
import { QueryStatsLine } from "../telemetry/QueryStatsLine";
import { rangeText, type TimeRange } from "../telemetry/timeRange";
import { shapeChartData } from "./chartData";
import { MetricChart } from "./MetricChart";
import { SeriesLegend } from "./SeriesLegend";

interface Props {
  metric: string;
  response: QueryMetricsResponse & { window: Window };
  range: TimeRange;
  faded: boolean;
}

// MetricSeriesView: the chart of a query's series with their legend and
// what the query cost.
export function MetricSeriesView({ metric, response, range, faded }: Props) {
  const data = useMemo(() => shapeChartData(response.series, metric), [response, metric]);
  const [hidden, setHidden] = useState<Set<string>>(() => new Set());
  const [cursor, setCursor] = useState<number | null>(null);
  if (data.xs.length === 0) {
    return (
      <Stack gap="xs">
        <EmptyState title="No points">
          {metric} has no points in {rangeText(range)} that match. Widen the time range or loosen the label filters.
        </EmptyState>
        <QueryStatsLine stats={response.stats} />
      </Stack>
    );
  }
  return (
    <Paper withBorder radius="md" p="sm" style={{ opacity: faded ? 0.6 : 1 }}>
      <Stack gap="sm">
        <MetricChart data={data} hidden={hidden} onCursor={setCursor} xRange={xRange(response.window)} />
        <SeriesLegend series={data.series} hidden={hidden} onHiddenChange={setHidden} cursor={cursor} />
        <QueryStatsLine stats={response.stats} />
      </Stack>
    </Paper>
  );
}

function xRange(w: Window): [number, number] | undefined {
  return w.end ? [w.start.getTime() / 1000, w.end.getTime() / 1000] : undefined;
}

// ChartSkeleton stands in for the chart while it loads.
export function ChartSkeleton() {
  return <Skeleton h={300} radius="md" aria-busy="true" aria-label="Loading the chart" />;
}
