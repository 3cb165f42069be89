import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { useClient } from "../../api/useClient";
import { IssueService, type Label } from "../../gen/hearth/v1/issue_pb";
import { labelsKey } from "./issueKeys";

// useLabels loads the project's labels, and indexes them by lower-cased
// name (labels match case-insensitively).
export function useLabels(owner: string, name: string) {
  const issues = useClient(IssueService);
  const query = useQuery({
    queryKey: labelsKey(owner, name),
    queryFn: ({ signal }) => issues.listLabels({ owner, name }, { signal }).then((res) => res.labels),
  });
  const byName = useMemo(() => {
    const m = new Map<string, Label>();
    for (const l of query.data ?? []) {
      m.set(l.name.toLowerCase(), l);
    }
    return m;
  }, [query.data]);
  return { ...query, byName };
}
