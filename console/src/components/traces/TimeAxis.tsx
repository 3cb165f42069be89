import { Box, Text } from "@mantine/core";
import { formatSpanDuration } from "../telemetry/duration";

// The fractions of the trace the axis marks.
const ticks = [0, 0.25, 0.5, 0.75, 1];

// TimeAxis labels the waterfall's time line from 0 to the trace's length.
export function TimeAxis({ totalMs }: { totalMs: number }) {
  return (
    <Box pos="relative" h={18} aria-hidden>
      {ticks.map((t) => (
        <Text
          key={t}
          size="xs"
          c="dimmed"
          ff="monospace"
          pos="absolute"
          top={0}
          style={{
            left: `${t * 100}%`,
            transform: t === 0 ? undefined : t === 1 ? "translateX(-100%)" : "translateX(-50%)",
            whiteSpace: "nowrap",
          }}
        >
          {t === 0 ? "0" : formatSpanDuration(totalMs * t)}
        </Text>
      ))}
    </Box>
  );
}
