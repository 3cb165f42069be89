import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { keepPreviousData, useInfiniteQuery } from "@tanstack/react-query";
import { useClient } from "../../api/useClient";
import { ObserveService, type LogRecord } from "../../gen/hearth/v1/observe_pb";
import { resolveRange, type Window } from "../telemetry/timeRange";
import { logFiltersKey, logMatch, type LogFilters } from "./logFilters";

export const logPageSize = 100;

export const logsKey = (owner: string, name: string, f: LogFilters) =>
  ["logs", owner.toLowerCase(), name.toLowerCase(), logFiltersKey(f)] as const;

// A page is asked for with the window the first page resolved, so "the
// last hour" means the same hour on every page.
interface LogPageParam {
  token: string;
  window?: Window;
}

// useLogQuery pages through the records matching filters, newest first.
// It asks again only when told to (refetch) or when the filters change: a
// log explorer shows a moment, it does not move under the reader.
export function useLogQuery(owner: string, name: string, filters: LogFilters) {
  const observe = useClient(ObserveService);
  return useInfiniteQuery({
    queryKey: logsKey(owner, name, filters),
    queryFn: async ({ pageParam, signal }) => {
      const window = pageParam.window ?? resolveRange(filters.range);
      const res = await observe.queryLogs(
        {
          owner,
          name,
          startTime: timestampFromDate(window.start),
          endTime: window.end && timestampFromDate(window.end),
          ...logMatch(filters),
          pageSize: logPageSize,
          pageToken: pageParam.token,
        },
        { signal },
      );
      return { ...res, window };
    },
    initialPageParam: { token: "" } as LogPageParam,
    getNextPageParam: (last): LogPageParam | undefined =>
      last.nextPageToken ? { token: last.nextPageToken, window: last.window } : undefined,
    placeholderData: keepPreviousData,
    refetchOnWindowFocus: false,
  });
}

// LogEntry is a record with a key for lists (records have no id).
export interface LogEntry {
  key: string;
  record: LogRecord;
}
