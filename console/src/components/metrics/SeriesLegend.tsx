import { Box, Button, Checkbox, Group, ScrollArea, Stack, Text, TextInput } from "@mantine/core";
import { useState } from "react";
import { formatValue, lastValue, seriesColor, type ChartSeries } from "./chartData";

interface Props {
  series: ChartSeries[];
  // Labels of the series not drawn.
  hidden: Set<string>;
  onHiddenChange(hidden: Set<string>): void;
  // The step under the chart's cursor; null shows each series' last value.
  cursor: number | null;
}

// Above this many series the legend offers a filter.
const filterFrom = 8;

// SeriesLegend names each series in its colour with its value (under the
// cursor, else the newest), and shows or hides it; many series scroll,
// filter, and show or hide all at once.
export function SeriesLegend({ series, hidden, onHiddenChange, cursor }: Props) {
  const [filter, setFilter] = useState("");
  const shown = series.map((s, i) => ({ s, i })).filter(({ s }) => s.label.toLowerCase().includes(filter.trim().toLowerCase()));
  const hiddenCount = series.filter((s) => hidden.has(s.label)).length;
  const toggle = (label: string, show: boolean) => {
    const next = new Set(hidden);
    if (show) {
      next.delete(label);
    } else {
      next.add(label);
    }
    onHiddenChange(next);
  };
  const setAll = (show: boolean) => {
    const next = new Set(hidden);
    for (const { s } of shown) {
      if (show) {
        next.delete(s.label);
      } else {
        next.add(s.label);
      }
    }
    onHiddenChange(next);
  };
  return (
    <Stack gap={6}>
      <Group gap="xs" wrap="wrap">
        <Text size="xs" c="dimmed">
          {series.length} series{hiddenCount > 0 ? `, ${hiddenCount} hidden` : ""}
        </Text>
        {series.length >= filterFrom && (
          <TextInput size="xs" aria-label="Filter series" placeholder="Filter series" value={filter} onChange={(e) => setFilter(e.currentTarget.value)} w={200} />
        )}
        {series.length > 1 && (
          <>
            <Button size="compact-xs" variant="subtle" onClick={() => setAll(true)}>
              Show all
            </Button>
            <Button size="compact-xs" variant="subtle" onClick={() => setAll(false)}>
              Hide all
            </Button>
          </>
        )}
      </Group>
      <ScrollArea.Autosize mah={200} type="auto">
        <Stack gap={2} component="ul" aria-label="Series" style={{ listStyle: "none", margin: 0, padding: 0 }}>
          {shown.map(({ s, i }) => {
            const v = cursor !== null && cursor < s.values.length ? s.values[cursor] : lastValue(s.values);
            return (
              <li key={s.label}>
                <Checkbox
                  size="xs"
                  checked={!hidden.has(s.label)}
                  onChange={(e) => toggle(s.label, e.currentTarget.checked)}
                  aria-label={s.label}
                  label={
                    <Group gap={6} wrap="nowrap">
                      <Box w={12} h={3} style={{ background: seriesColor(i), borderRadius: 1, flexShrink: 0 }} aria-hidden />
                      <Text size="xs" ff="monospace" style={{ wordBreak: "break-all" }}>
                        {s.label}
                      </Text>
                      <Text size="xs" ff="monospace" c="dimmed" style={{ whiteSpace: "nowrap" }}>
                        {formatValue(v)}
                      </Text>
                    </Group>
                  }
                />
              </li>
            );
          })}
        </Stack>
      </ScrollArea.Autosize>
    </Stack>
  );
}
