import { Group, Paper, Select, Stack, TagsInput } from "@mantine/core";
import { KeyValueInput } from "../telemetry/KeyValueInput";
import { TimeRangePicker } from "../telemetry/TimeRangePicker";
import { BodySearch } from "./BodySearch";
import type { LogFilters } from "./logFilters";
import { isSeverityValue, severityLevels } from "./severity";

interface Props {
  filters: LogFilters;
  onChange(filters: LogFilters): void;
  // Services seen so far, offered as suggestions.
  services: string[];
  // A live tail has no time range.
  live: boolean;
}

const severityData = [
  { value: "any", label: "Any severity" },
  ...severityLevels.map((l) => ({ value: l.value, label: l.value === "trace" ? "Trace and above" : `${l.label} and above` })),
];

// LogFilterBar: time range, services, minimum severity, attribute filters
// and body search; each applies at once (the body on Enter).
export function LogFilterBar({ filters, onChange, services, live }: Props) {
  const set = (patch: Partial<LogFilters>) => onChange({ ...filters, ...patch });
  return (
    <Paper withBorder p="sm" radius="md">
      <Stack gap="xs">
        <TimeRangePicker value={filters.range} onChange={(range) => set({ range })} disabled={live} />
        <Group gap="sm" align="flex-start" wrap="wrap">
          <TagsInput
            size="xs"
            label="Services"
            placeholder={filters.services.length ? "" : "Every service"}
            data={services}
            value={filters.services}
            onChange={(v) => set({ services: v })}
            clearable
            acceptValueOnBlur
            style={{ flex: "1 1 200px" }}
          />
          <Select
            size="xs"
            label="Minimum severity"
            data={severityData}
            value={filters.severity || "any"}
            onChange={(v) => set({ severity: v && isSeverityValue(v) ? v : "" })}
            allowDeselect={false}
            w={170}
          />
          <KeyValueInput label="Attributes" value={filters.attributes} onChange={(attributes) => set({ attributes })} />
        </Group>
        <BodySearch key={filters.q} q={filters.q} regexp={filters.regexp} onSearch={(q, regexp) => set({ q, regexp })} />
      </Stack>
    </Paper>
  );
}
