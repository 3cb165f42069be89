import { Button, Center, Stack } from "@mantine/core";
import { Link } from "react-router";
import type { Label } from "../../gen/hearth/v1/issue_pb";
import { projectPath } from "../../routes/paths";
import { EmptyState } from "../EmptyState";
import { ErrorAlert } from "../ErrorAlert";
import { IssueRow } from "./IssueRow";
import type { IssueFilters } from "./issueFilters";
import { useIssueList } from "./useIssueList";
import { ListSkeleton } from "../ListSkeleton";

interface Props {
  owner: string;
  name: string;
  filters: IssueFilters;
  labels: Map<string, Label>;
}

// IssueList shows the issues matching the filters, or says why none do.
export function IssueList({ owner, name, filters, labels }: Props) {
  const query = useIssueList(owner, name, filters);
  if (query.isPending) {
    return <ListSkeleton label="Loading issues" rowHeight={64} />;
  }
  if (!query.data) {
    return <ErrorAlert error={query.error} title="Could not load the issues" onRetry={() => void query.refetch()} />;
  }
  const issues = query.data.pages.flatMap((p) => p.issues);
  if (issues.length === 0) {
    const filtered = filters.q || filters.label || filters.assignee || filters.state !== "open";
    return filtered ? (
      <EmptyState title="No matching issues">No issue matches these filters. Change or clear them.</EmptyState>
    ) : (
      <EmptyState
        title="No open issues"
        action={
          <Button component={Link} to={projectPath(owner, name, "issues/new")}>
            New issue
          </Button>
        }
      >
        Issues track bugs, ideas and tasks of this project.
      </EmptyState>
    );
  }
  return (
    <Stack gap="sm" aria-busy={query.isPlaceholderData}>
      <Stack component="ul" gap="sm" p={0} m={0} style={{ listStyle: "none" }} aria-label="Issues">
        {issues.map((i) => (
          <IssueRow key={i.id} owner={owner} name={name} issue={i} labels={labels} />
        ))}
      </Stack>
      {query.isFetchNextPageError && <ErrorAlert error={query.error} title="Could not load more issues" />}
      {query.hasNextPage && (
        <Center>
          <Button variant="default" loading={query.isFetchingNextPage} onClick={() => void query.fetchNextPage()}>
            Load more
          </Button>
        </Center>
      )}
    </Stack>
  );
}
