import { Table, VisuallyHidden } from "@mantine/core";
import { LogRow } from "./LogRow";
import type { LogEntry } from "./useLogQuery";

interface Props {
  owner: string;
  name: string;
  entries: LogEntry[];
}

// LogTable: records, newest first, one dense monospace line each.
export function LogTable({ owner, name, entries }: Props) {
  return (
    <Table.ScrollContainer minWidth={720}>
      <Table aria-label="Log records" fz="xs" ff="monospace" verticalSpacing={2} horizontalSpacing={6} highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={28} px={4}>
              <VisuallyHidden>Details</VisuallyHidden>
            </Table.Th>
            <Table.Th>Time</Table.Th>
            <Table.Th>Severity</Table.Th>
            <Table.Th>Service</Table.Th>
            <Table.Th>Body</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {entries.map((e) => (
            <LogRow key={e.key} owner={owner} name={name} record={e.record} />
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
