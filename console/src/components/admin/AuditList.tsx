import { Button, Center, Stack, Table } from "@mantine/core";
import { EmptyState } from "../EmptyState";
import { ErrorAlert } from "../ErrorAlert";
import { TableSkeleton } from "../tokens/TableSkeleton";
import { AuditEventRow } from "./AuditEventRow";
import { useAuditEvents, type AuditFilter } from "./useAuditEvents";

// AuditList pages through the audit log with the filters applied.
export function AuditList({ filter }: { filter: AuditFilter }) {
  const { ids, events } = useAuditEvents(filter);
  if (ids.isError) {
    return <ErrorAlert error={ids.error} title="Could not apply the filter" />;
  }
  if (events.isPending) {
    return <TableSkeleton label="Loading the audit log" rows={5} />;
  }
  if (!events.data) {
    return <ErrorAlert error={events.error} title="Could not load the audit log" onRetry={() => void events.refetch()} />;
  }
  const list = events.data.pages.flatMap((p) => p.events);
  if (list.length === 0) {
    return (
      <EmptyState title="No events">
        {Object.values(filter).some(Boolean) ? "Nothing recorded matches these filters." : "Nothing has been recorded yet."}
      </EmptyState>
    );
  }
  return (
    <Stack>
      <Table.ScrollContainer minWidth={720}>
        <Table verticalSpacing="xs" aria-label="Audit events" striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>When</Table.Th>
              <Table.Th>Actor</Table.Th>
              <Table.Th>Action</Table.Th>
              <Table.Th>Resource</Table.Th>
              <Table.Th>Client</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.map((e) => (
              <AuditEventRow key={e.id} event={e} />
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {events.isFetchNextPageError && <ErrorAlert error={events.error} title="Could not load more events" />}
      {events.hasNextPage && (
        <Center>
          <Button variant="default" loading={events.isFetchingNextPage} onClick={() => void events.fetchNextPage()}>
            Load more
          </Button>
        </Center>
      )}
    </Stack>
  );
}
