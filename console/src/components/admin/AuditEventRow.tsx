import { Code, Table, Text } from "@mantine/core";
import type { AuditEvent } from "../../gen/hearth/v1/audit_pb";
import { formatDateTime } from "../tokens/time";

// AuditEventRow is one event; its detail opens on demand.
export function AuditEventRow({ event }: { event: AuditEvent }) {
  const detail = event.detail && Object.keys(event.detail).length > 0 ? JSON.stringify(event.detail, null, 2) : null;
  return (
    <Table.Tr aria-label={`${event.action} ${event.resource}`}>
      <Table.Td style={{ whiteSpace: "nowrap" }}>{formatDateTime(event.occurTime)}</Table.Td>
      <Table.Td>{event.actorName || event.actorId || "—"}</Table.Td>
      <Table.Td>
        <Code>{event.action}</Code>
      </Table.Td>
      <Table.Td style={{ wordBreak: "break-all" }}>
        <Text size="sm">{event.resource}</Text>
        {detail && (
          <details>
            <summary style={{ cursor: "pointer", fontSize: "var(--mantine-font-size-xs)" }}>Detail</summary>
            <Code block fz="xs">
              {detail}
            </Code>
          </details>
        )}
      </Table.Td>
      <Table.Td>
        <Text size="xs" c="dimmed">
          {event.clientIp}
        </Text>
      </Table.Td>
    </Table.Tr>
  );
}
