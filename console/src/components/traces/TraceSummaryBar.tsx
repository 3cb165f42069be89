import { Badge, Code, Group, Text } from "@mantine/core";
import { formatInstant, formatSpanDuration } from "../telemetry/duration";
import { serviceColor } from "./serviceColors";
import type { Waterfall } from "./waterfall";

// TraceSummaryBar: the trace's id, start, length, span and error counts,
// and its services in the colours the waterfall uses.
export function TraceSummaryBar({ traceId, waterfall }: { traceId: string; waterfall: Waterfall }) {
  const first = waterfall.rows[0]?.span;
  return (
    <Group gap="md" wrap="wrap" aria-label="Trace summary">
      <Code>{traceId}</Code>
      <Text size="sm">{formatInstant(first?.startTime)}</Text>
      <Text size="sm">{formatSpanDuration(waterfall.totalMs)}</Text>
      <Text size="sm">
        {waterfall.rows.length} {waterfall.rows.length === 1 ? "span" : "spans"}
      </Text>
      {waterfall.errors > 0 && (
        <Badge color="red" variant="light">
          {waterfall.errors} {waterfall.errors === 1 ? "error" : "errors"}
        </Badge>
      )}
      <Group gap={4}>
        {waterfall.services.map((s) => (
          <Badge key={s} color={serviceColor(waterfall.services, s)} variant="light" size="sm" tt="none">
            {s}
          </Badge>
        ))}
      </Group>
    </Group>
  );
}
