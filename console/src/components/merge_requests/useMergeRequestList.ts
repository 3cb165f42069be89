import { keepPreviousData, useInfiniteQuery } from "@tanstack/react-query";
import { useClient } from "../../api/useClient";
import { MergeRequestService } from "../../gen/hearth/v1/merge_request_pb";
import { MergeRequestState } from "../../gen/hearth/v1/merge_request_reference_pb";
import { mergeRequestListKey } from "./mrKeys";

export type MergeRequestFilter = "open" | "merged" | "closed" | "all";

const states: Record<MergeRequestFilter, MergeRequestState> = {
  open: MergeRequestState.OPEN,
  merged: MergeRequestState.MERGED,
  closed: MergeRequestState.CLOSED,
  all: MergeRequestState.UNSPECIFIED,
};

export function parseMergeRequestFilter(raw: string | null): MergeRequestFilter {
  return raw === "merged" || raw === "closed" || raw === "all" ? raw : "open";
}

// useMergeRequestList lists merge requests in a state, a page at a time.
export function useMergeRequestList(owner: string, name: string, filter: MergeRequestFilter) {
  const mrs = useClient(MergeRequestService);
  return useInfiniteQuery({
    queryKey: mergeRequestListKey(owner, name, filter),
    queryFn: ({ pageParam, signal }) =>
      mrs.listMergeRequests(
        { owner, name, state: states[filter], all: filter === "all", pageSize: 30, pageToken: pageParam },
        { signal },
      ),
    initialPageParam: "",
    getNextPageParam: (last) => last.nextPageToken || undefined,
    placeholderData: keepPreviousData,
  });
}
