import { Button, Stack } from "@mantine/core";
import { EmptyState } from "../EmptyState";
import { ErrorAlert } from "../ErrorAlert";
import { TableSkeleton } from "../tokens/TableSkeleton";
import { ClusterCard } from "./ClusterCard";
import { useClusters } from "./useClusters";

// ClusterList shows every cluster, or why there are none.
export function ClusterList({ onCreate }: { onCreate(): void }) {
  const query = useClusters();
  if (query.isPending) {
    return <TableSkeleton label="Loading clusters" />;
  }
  if (query.isError) {
    return <ErrorAlert error={query.error} title="Could not load clusters" onRetry={() => void query.refetch()} />;
  }
  if (query.data.length === 0) {
    return (
      <EmptyState title="No clusters" action={<Button onClick={onCreate}>Create a cluster</Button>}>
        Node agents join a cluster with a join token and run its pipelines' jobs.
      </EmptyState>
    );
  }
  return (
    <Stack component="ul" p={0} m={0} style={{ listStyle: "none" }} aria-label="Clusters">
      {query.data.map((c) => (
        <ClusterCard key={c.id} cluster={c} />
      ))}
    </Stack>
  );
}
