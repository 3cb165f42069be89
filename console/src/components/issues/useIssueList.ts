import { keepPreviousData, useInfiniteQuery } from "@tanstack/react-query";
import { useClient } from "../../api/useClient";
import { IssueService, IssueState } from "../../gen/hearth/v1/issue_pb";
import { issueListKey } from "./issueKeys";
import type { IssueFilters } from "./issueFilters";

const pageSize = 30;

// useIssueList lists the issues matching filters, a page at a time.
export function useIssueList(owner: string, name: string, filters: IssueFilters) {
  const issues = useClient(IssueService);
  return useInfiniteQuery({
    queryKey: issueListKey(owner, name, filters),
    queryFn: ({ pageParam, signal }) =>
      issues.listIssues(
        {
          owner,
          name,
          state: filters.state === "closed" ? IssueState.CLOSED : filters.state === "open" ? IssueState.OPEN : IssueState.UNSPECIFIED,
          all: filters.state === "all",
          label: filters.label,
          assignee: filters.assignee,
          query: filters.q,
          pageSize,
          pageToken: pageParam,
        },
        { signal },
      ),
    initialPageParam: "",
    getNextPageParam: (last) => last.nextPageToken || undefined,
    placeholderData: keepPreviousData,
  });
}
