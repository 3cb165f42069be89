import { Button, Center, Stack } from "@mantine/core";
import { Link } from "react-router";
import { projectPath } from "../../routes/paths";
import { EmptyState } from "../EmptyState";
import { ErrorAlert } from "../ErrorAlert";
import { MergeRequestRow } from "./MergeRequestRow";
import { useMergeRequestList, type MergeRequestFilter } from "./useMergeRequestList";
import { ListSkeleton } from "../ListSkeleton";

const emptyTitle: Record<MergeRequestFilter, string> = {
  open: "No open merge requests",
  merged: "No merged merge requests",
  closed: "No closed merge requests",
  all: "No merge requests yet",
};

// MergeRequestList shows the merge requests in a state, or says there are none.
export function MergeRequestList({ owner, name, filter }: { owner: string; name: string; filter: MergeRequestFilter }) {
  const query = useMergeRequestList(owner, name, filter);
  if (query.isPending) {
    return <ListSkeleton label="Loading merge requests" rowHeight={64} />;
  }
  if (!query.data) {
    return <ErrorAlert error={query.error} title="Could not load the merge requests" onRetry={() => void query.refetch()} />;
  }
  const mrs = query.data.pages.flatMap((p) => p.mergeRequests);
  if (mrs.length === 0) {
    return (
      <EmptyState
        title={emptyTitle[filter]}
        action={
          <Button component={Link} to={projectPath(owner, name, "merge_requests/new")}>
            New merge request
          </Button>
        }
      >
        A merge request proposes merging one branch into another, with review and a pipeline.
      </EmptyState>
    );
  }
  return (
    <Stack gap="sm">
      <Stack component="ul" gap="sm" p={0} m={0} style={{ listStyle: "none" }} aria-label="Merge requests">
        {mrs.map((mr) => (
          <MergeRequestRow key={mr.id} owner={owner} name={name} mr={mr} />
        ))}
      </Stack>
      {query.isFetchNextPageError && <ErrorAlert error={query.error} title="Could not load more merge requests" />}
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
