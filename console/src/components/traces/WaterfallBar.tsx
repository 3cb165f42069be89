import { Box, Text } from "@mantine/core";
import { formatSpanDuration } from "../telemetry/duration";
import type { WaterfallRow } from "./waterfall";

interface Props {
  row: WaterfallRow;
  color: string;
}

// WaterfallBar: the span's bar on the trace's time line, placed by its
// start and sized by its duration, red-edged when it failed, with its
// duration beside it.
export function WaterfallBar({ row, color }: Props) {
  const left = `${(row.left * 100).toFixed(3)}%`;
  const width = `max(2px, ${(row.width * 100).toFixed(3)}%)`;
  // The duration goes after the bar when there is room, else before it,
  // else (a bar across the whole line) inside it.
  const place = row.left + row.width <= 0.8 ? "after" : row.left >= 0.2 ? "before" : "inside";
  const labelPosition =
    place === "after"
      ? { left: `calc(${left} + ${width} + 4px)` }
      : place === "before"
        ? { right: `calc(${100 - row.left * 100}% + 4px)` }
        : { right: `calc(${(1 - row.left - row.width) * 100}% + 4px)`, color: "var(--mantine-color-white)" };
  return (
    <Box pos="relative" h={20} style={{ flex: 1 }}>
      <Box
        data-testid="span-bar"
        pos="absolute"
        top={4}
        h={12}
        style={{
          left,
          width,
          borderRadius: 2,
          background: `var(--mantine-color-${color}-filled)`,
          outline: row.error ? "2px solid var(--mantine-color-red-filled)" : undefined,
          outlineOffset: 1,
        }}
      />
      <Text
        size="xs"
        ff="monospace"
        c={place === "inside" ? undefined : "dimmed"}
        pos="absolute"
        top={1}
        lh="18px"
        style={{ whiteSpace: "nowrap", ...labelPosition }}
      >
        {formatSpanDuration(row.durationMs)}
      </Text>
    </Box>
  );
}
