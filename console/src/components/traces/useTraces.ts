import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useClient } from "../../api/useClient";
import { ObserveService } from "../../gen/hearth/v1/observe_pb";
import { resolveRange } from "../telemetry/timeRange";
import { traceFiltersKey, traceSearchRequest, type TraceFilters } from "./traceFilters";

// useTraceSearch finds the newest traces matching filters.
export function useTraceSearch(owner: string, name: string, filters: TraceFilters) {
  const observe = useClient(ObserveService);
  return useQuery({
    queryKey: ["traces", owner.toLowerCase(), name.toLowerCase(), traceFiltersKey(filters)],
    queryFn: ({ signal }) => observe.searchTraces(traceSearchRequest(owner, name, filters, resolveRange(filters.range)), { signal }),
    placeholderData: keepPreviousData,
    refetchOnWindowFocus: false,
  });
}

// useTrace loads every span of one trace (the server looks back 7 days).
export function useTrace(owner: string, name: string, traceId: string) {
  const observe = useClient(ObserveService);
  return useQuery({
    queryKey: ["trace", owner.toLowerCase(), name.toLowerCase(), traceId.toLowerCase()],
    queryFn: ({ signal }) => observe.getTrace({ owner, name, traceId: traceId.toLowerCase() }, { signal }),
    enabled: /^[0-9a-f]{32}$/i.test(traceId),
    refetchOnWindowFocus: false,
  });
}
