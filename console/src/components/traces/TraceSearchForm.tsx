import { Button, Group, Paper, Select, Stack, TextInput } from "@mantine/core";
import { useState, type FormEvent } from "react";
import { KeyValueInput } from "../telemetry/KeyValueInput";
import { TimeRangePicker } from "../telemetry/TimeRangePicker";
import { durationProblem, type TraceFilters, type TraceStatus } from "./traceFilters";

interface Props {
  filters: TraceFilters;
  onChange(filters: TraceFilters): void;
}

const statusData = [
  { value: "any", label: "Any status" },
  { value: "error", label: "Error" },
  { value: "ok", label: "OK" },
  { value: "unset", label: "Unset" },
];

// TraceSearchForm: service, operation, duration bounds, status and
// attributes, searched with its button; the time range applies at once.
export function TraceSearchForm({ filters, onChange }: Props) {
  const [draft, setDraft] = useState(filters);
  const set = (patch: Partial<TraceFilters>) => setDraft((d) => ({ ...d, ...patch }));
  const minProblem = durationProblem(draft.minDuration);
  const maxProblem = durationProblem(draft.maxDuration);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!minProblem && !maxProblem) {
      onChange({ ...draft, range: filters.range });
    }
  };
  return (
    <Paper withBorder p="sm" radius="md">
      <Stack gap="xs">
        <TimeRangePicker value={filters.range} onChange={(range) => onChange({ ...filters, range })} />
        <form onSubmit={submit} aria-label="Search traces">
          <Group gap="sm" align="flex-start" wrap="wrap">
            <TextInput size="xs" label="Service" placeholder="Any service" value={draft.service} onChange={(e) => set({ service: e.currentTarget.value })} style={{ flex: "1 1 150px" }} />
            <TextInput size="xs" label="Operation" placeholder="Any span name" value={draft.operation} onChange={(e) => set({ operation: e.currentTarget.value })} style={{ flex: "1 1 150px" }} />
            <TextInput size="xs" label="Min duration" placeholder="100ms" value={draft.minDuration} onChange={(e) => set({ minDuration: e.currentTarget.value })} error={minProblem} w={110} />
            <TextInput size="xs" label="Max duration" placeholder="2s" value={draft.maxDuration} onChange={(e) => set({ maxDuration: e.currentTarget.value })} error={maxProblem} w={110} />
            <Select
              size="xs"
              label="Status"
              data={statusData}
              value={draft.status || "any"}
              onChange={(v) => set({ status: (v === "any" || !v ? "" : v) as TraceStatus })}
              allowDeselect={false}
              w={120}
            />
            <KeyValueInput label="Attributes" value={draft.attributes} onChange={(attributes) => set({ attributes })} />
            <Button size="xs" type="submit" mt={22} disabled={Boolean(minProblem || maxProblem)}>
              Search
            </Button>
          </Group>
        </form>
      </Stack>
    </Paper>
  );
}
