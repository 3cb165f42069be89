import { Button, Center, Code, Skeleton, Stack, Table, Text } from "@mantine/core";
import { EmptyState } from "../EmptyState";
import { ErrorAlert } from "../ErrorAlert";
import { PipelineRow } from "./PipelineRow";
import { usePipelines } from "./usePipelines";

interface Props {
  owner: string;
  name: string;
  // Offer to run one (null: the viewer cannot).
  onRun: (() => void) | null;
}

// PipelineList shows a project's pipelines, newest first, a page at a
// time, asking again every few seconds while any of them runs.
export function PipelineList({ owner, name, onRun }: Props) {
  const query = usePipelines(owner, name);

  if (query.isPending) {
    return (
      <Stack aria-busy="true" aria-label="Loading pipelines" gap="xs">
        {[0, 1, 2, 3].map((i) => (
          <Skeleton key={i} h={44} radius="sm" />
        ))}
      </Stack>
    );
  }
  if (!query.data) {
    return <ErrorAlert error={query.error} title="Could not load the pipelines" onRetry={() => void query.refetch()} />;
  }
  const pipelines = query.data.pages.flatMap((page) => page.pipelines);
  if (pipelines.length === 0) {
    return (
      <EmptyState title="No pipelines yet" action={onRun && <Button onClick={onRun}>Run pipeline</Button>}>
        Add a <Code>.hearth.yml</Code> file at the root of the repository: every push to a branch it matches runs its
        jobs here. See docs/pipelines.md for the format.
      </EmptyState>
    );
  }
  // dataUpdatedAt moves on every poll: running durations tick with it.
  const now = Math.max(query.dataUpdatedAt, Date.now());
  return (
    <Stack gap="sm">
      <Table.ScrollContainer minWidth={760}>
        <Table verticalSpacing="xs" highlightOnHover aria-label="Pipelines">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Pipeline</Table.Th>
              <Table.Th>State</Table.Th>
              <Table.Th>Ref</Table.Th>
              <Table.Th>Commit</Table.Th>
              <Table.Th>Event</Table.Th>
              <Table.Th>Triggered by</Table.Th>
              <Table.Th>Duration</Table.Th>
              <Table.Th>Created</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {pipelines.map((p) => (
              <PipelineRow key={p.id} owner={owner} name={name} pipeline={p} now={now} />
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {query.isFetchNextPageError && <ErrorAlert error={query.error} title="Could not load more pipelines" />}
      {query.hasNextPage ? (
        <Center>
          <Button variant="default" loading={query.isFetchingNextPage} onClick={() => void query.fetchNextPage()}>
            Load more
          </Button>
        </Center>
      ) : (
        pipelines.length > 20 && (
          <Text size="xs" c="dimmed" ta="center">
            That is all of them.
          </Text>
        )
      )}
    </Stack>
  );
}
