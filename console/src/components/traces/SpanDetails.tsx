import { Badge, CloseButton, Code, Group, Paper, Stack, Table, Text, Title } from "@mantine/core";
import type { ReactNode } from "react";
import { AttributeTable } from "../telemetry/AttributeTable";
import { formatInstant, formatSpanDuration, timestampNs } from "../telemetry/duration";
import { SpanEvents } from "./SpanEvents";
import type { WaterfallRow } from "./waterfall";

interface Props {
  row: WaterfallRow;
  color: string;
  onClose(): void;
}

const statusColor: Record<string, string> = { error: "red", ok: "green", unset: "gray" };

// SpanDetails: everything about the selected span — its identity, timing,
// status, attributes, resource attributes and events.
export function SpanDetails({ row, color, onClose }: Props) {
  const { span } = row;
  const facts: [string, ReactNode][] = [
    ["Service", <Badge key="s" color={color} variant="light" size="sm">{span.service}</Badge>],
    ["Kind", span.kind],
    [
      "Status",
      <Group key="st" gap={6}>
        <Badge color={statusColor[span.status] ?? "gray"} variant="light" size="sm">
          {span.status}
        </Badge>
        {span.statusMessage && <Text size="xs">{span.statusMessage}</Text>}
      </Group>,
    ],
    ["Start", `${formatInstant(span.startTime)} (+${formatSpanDuration(row.offsetMs)})`],
    ["Duration", formatSpanDuration(row.durationMs)],
    ["Span id", <Code key="id">{span.spanId}</Code>],
    ["Parent", span.parentSpanId ? <Code key="p">{span.parentSpanId}</Code> : "none (a root)"],
  ];
  return (
    <Paper withBorder radius="md" p="sm" component="aside" aria-label="Span details">
      <Stack gap="sm">
        <Group justify="space-between" wrap="nowrap" align="flex-start">
          <Title order={3} size="h5" style={{ wordBreak: "break-word" }}>
            {span.name}
          </Title>
          <CloseButton aria-label="Close span details" onClick={onClose} />
        </Group>
        <Table fz="xs" verticalSpacing={2} withRowBorders={false}>
          <Table.Tbody>
            {facts.map(([k, v]) => (
              <Table.Tr key={k}>
                <Table.Td c="dimmed" w={80}>
                  {k}
                </Table.Td>
                <Table.Td>{v}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        <Stack gap={2}>
          <Text size="xs" fw={600}>
            Attributes
          </Text>
          <AttributeTable label="Span attributes" attributes={span.attributes} />
        </Stack>
        <Stack gap={2}>
          <Text size="xs" fw={600}>
            Resource attributes
          </Text>
          <AttributeTable label="Resource attributes" attributes={span.resourceAttributes} />
        </Stack>
        <SpanEvents events={span.events} spanStartNs={timestampNs(span.startTime)} />
      </Stack>
    </Paper>
  );
}
