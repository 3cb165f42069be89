import { Box, Group, Text, Tooltip, UnstyledButton } from "@mantine/core";
import { IconAlertTriangle, IconUnlink } from "@tabler/icons-react";
import { formatSpanDuration } from "../telemetry/duration";
import type { WaterfallRow } from "./waterfall";
import { WaterfallBar } from "./WaterfallBar";

interface Props {
  row: WaterfallRow;
  color: string;
  selected: boolean;
  onSelect(): void;
}

// Indentation per level, and the deepest level indented further (deeper
// spans still show their depth in the label).
const indent = 12;
const maxIndented = 16;

// WaterfallRowView is one span: its name indented under its parent and
// marked by its service's colour, then its bar; a click selects it.
export function WaterfallRowView({ row, color, selected, onSelect }: Props) {
  const { span } = row;
  const label = `${span.name} (${span.service}), ${formatSpanDuration(row.durationMs)}${row.error ? ", failed" : ""}`;
  return (
    <Box role="listitem" data-depth={row.depth} data-span-id={span.spanId}>
      <UnstyledButton
        onClick={onSelect}
        aria-pressed={selected}
        aria-label={label}
        w="100%"
        px={6}
        py={1}
        style={{
          display: "flex",
          alignItems: "center",
          gap: 8,
          borderRadius: 4,
          background: selected ? "var(--mantine-color-default-hover)" : undefined,
          outline: selected ? "1px solid var(--mantine-color-default-border)" : undefined,
        }}
      >
        <Group
          gap={6}
          wrap="nowrap"
          style={{ width: "38%", minWidth: 0, flexShrink: 0, paddingLeft: Math.min(row.depth, maxIndented) * indent }}
        >
          <Box w={8} h={8} style={{ borderRadius: 2, flexShrink: 0, background: `var(--mantine-color-${color}-filled)` }} aria-hidden />
          <Text size="xs" c="dimmed" style={{ flexShrink: 0, maxWidth: "40%", overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" }}>
            {span.service}
          </Text>
          <Text size="xs" fw={500} style={{ overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" }} title={span.name}>
            {span.name}
          </Text>
          {row.error && <IconAlertTriangle size={14} color="var(--mantine-color-red-filled)" aria-hidden style={{ flexShrink: 0 }} />}
          {row.orphan && (
            <Tooltip label="Its parent span is not in this trace">
              <IconUnlink size={14} color="var(--mantine-color-dimmed)" aria-hidden style={{ flexShrink: 0 }} />
            </Tooltip>
          )}
        </Group>
        <WaterfallBar row={row} color={color} />
      </UnstyledButton>
    </Box>
  );
}
