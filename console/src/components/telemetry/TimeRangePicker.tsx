import { Button, Group, SegmentedControl, TextInput } from "@mantine/core";
import { useState, type FormEvent } from "react";
import { quickRanges, resolveRange, type QuickRange, type TimeRange } from "./timeRange";

interface Props {
  value: TimeRange;
  onChange(range: TimeRange): void;
  disabled?: boolean;
}

// localInput is a date as a datetime-local input shows it (local time, to
// the minute).
export function localInput(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

// TimeRangePicker: the quick ranges in one click, or a custom span
// between two local times applied with its button.
export function TimeRangePicker({ value, onChange, disabled }: Props) {
  const isCustom = !("quick" in value);
  const [editing, setEditing] = useState(isCustom);
  const initial = resolveRange(value, Date.now(), true);
  const [from, setFrom] = useState(localInput(initial.start));
  const [to, setTo] = useState(localInput(initial.end ?? new Date()));
  const fromDate = new Date(from);
  const toDate = new Date(to);
  const valid = !Number.isNaN(fromDate.getTime()) && !Number.isNaN(toDate.getTime()) && fromDate < toDate;

  const apply = (e: FormEvent) => {
    e.preventDefault();
    if (valid) {
      onChange({ from: fromDate, to: toDate });
    }
  };
  return (
    <Group gap="xs" wrap="wrap" align="flex-end">
      <SegmentedControl
        aria-label="Time range"
        size="xs"
        disabled={disabled}
        value={editing || isCustom ? "custom" : (value as { quick: QuickRange }).quick}
        onChange={(v) => {
          if (v === "custom") {
            const w = resolveRange(value, Date.now(), true);
            setFrom(localInput(w.start));
            setTo(localInput(w.end ?? new Date()));
            setEditing(true);
            return;
          }
          setEditing(false);
          onChange({ quick: v as QuickRange });
        }}
        data={[...quickRanges.map((r) => ({ value: r.value, label: r.label })), { value: "custom", label: "Custom" }]}
      />
      {(editing || isCustom) && !disabled && (
        <form onSubmit={apply} aria-label="Custom time range">
          <Group gap="xs" align="flex-end" wrap="wrap">
            <TextInput size="xs" type="datetime-local" label="From" value={from} onChange={(e) => setFrom(e.currentTarget.value)} />
            <TextInput
              size="xs"
              type="datetime-local"
              label="To"
              value={to}
              onChange={(e) => setTo(e.currentTarget.value)}
              error={!valid && from && to ? "Must be after From" : undefined}
            />
            <Button size="xs" type="submit" variant="default" disabled={!valid}>
              Apply range
            </Button>
          </Group>
        </form>
      )}
    </Group>
  );
}
