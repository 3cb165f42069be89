import { Box, Group, Paper, Text } from "@mantine/core";
import { serviceColor } from "./serviceColors";
import { TimeAxis } from "./TimeAxis";
import type { Waterfall } from "./waterfall";
import { WaterfallRowView } from "./WaterfallRowView";

interface Props {
  waterfall: Waterfall;
  selected: string | null;
  onSelect(spanId: string): void;
}

// TraceWaterfall shows a trace's spans as bars on one time line, each
// under its parent.
export function TraceWaterfall({ waterfall, selected, onSelect }: Props) {
  return (
    <Paper withBorder radius="md" p="xs" style={{ overflowX: "auto" }}>
      <Box miw={560}>
        <Group gap={8} wrap="nowrap" px={6} mb={4}>
          <Text size="xs" fw={600} w="38%" style={{ flexShrink: 0 }}>
            Span
          </Text>
          <Box style={{ flex: 1 }}>
            <TimeAxis totalMs={waterfall.totalMs} />
          </Box>
        </Group>
        <Box role="list" aria-label="Spans">
          {waterfall.rows.map((row) => (
            <WaterfallRowView
              key={`${row.span.spanId}-${row.offsetMs}`}
              row={row}
              color={serviceColor(waterfall.services, row.span.service)}
              selected={selected === row.span.spanId}
              onSelect={() => onSelect(row.span.spanId)}
            />
          ))}
        </Box>
      </Box>
    </Paper>
  );
}
