import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useClient } from "../../api/useClient";
import { ObserveService, type MetricInfo } from "../../gen/hearth/v1/observe_pb";
import { rangeKey, resolveRange, type TimeRange } from "../telemetry/timeRange";
import { metricQueryKey, metricRequest, type MetricQuery } from "./metricFilters";

// useMetricList lists the metrics seen in range.
export function useMetricList(owner: string, name: string, range: TimeRange) {
  const observe = useClient(ObserveService);
  return useQuery({
    queryKey: ["metrics", owner.toLowerCase(), name.toLowerCase(), rangeKey(range)],
    queryFn: ({ signal }): Promise<MetricInfo[]> => {
      const w = resolveRange(range);
      return observe
        .listMetrics({ owner, name, startTime: timestampFromDate(w.start), endTime: w.end && timestampFromDate(w.end) }, { signal })
        .then((res) => [...res.metrics].sort((a, b) => a.name.localeCompare(b.name)));
    },
    placeholderData: keepPreviousData,
    refetchOnWindowFocus: false,
  });
}

// useMetricSeries aggregates one metric as query says, over a window
// ending now (a chart's x axis ends where the data can).
export function useMetricSeries(owner: string, name: string, metric: string, query: MetricQuery, enabled: boolean) {
  const observe = useClient(ObserveService);
  return useQuery({
    queryKey: ["metric", owner.toLowerCase(), name.toLowerCase(), metric, metricQueryKey(query)],
    queryFn: async ({ signal }) => {
      const window = resolveRange(query.range, Date.now(), true);
      const res = await observe.queryMetrics(metricRequest(owner, name, metric, query, window), { signal });
      return { ...res, window };
    },
    placeholderData: keepPreviousData,
    refetchOnWindowFocus: false,
    enabled,
  });
}
