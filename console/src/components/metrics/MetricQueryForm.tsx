import { Group, Paper, Select, Stack, TagsInput } from "@mantine/core";
import { KeyValueInput } from "../telemetry/KeyValueInput";
import { TimeRangePicker } from "../telemetry/TimeRangePicker";
import { aggregations, stepChoices, stepProblem, type Aggregation, type MetricQuery } from "./metricFilters";
import { QuantileInput } from "./QuantileInput";

interface Props {
  query: MetricQuery;
  onChange(query: MetricQuery): void;
  // Label names seen in the series so far, offered for group-by.
  labelNames: string[];
}

const aggregationLabels: Record<Aggregation, string> = {
  avg: "Average",
  sum: "Sum",
  min: "Minimum",
  max: "Maximum",
  count: "Count",
  rate: "Rate (per second)",
  quantile: "Quantile (histograms)",
};

// MetricQueryForm: aggregation (and its quantile), group-by labels, label
// filters, time range and step; each applies at once.
export function MetricQueryForm({ query, onChange, labelNames }: Props) {
  const set = (patch: Partial<MetricQuery>) => onChange({ ...query, ...patch });
  return (
    <Paper withBorder p="sm" radius="md">
      <Stack gap="xs">
        <TimeRangePicker value={query.range} onChange={(range) => set({ range })} />
        <Group gap="sm" align="flex-start" wrap="wrap">
          <Select
            size="xs"
            label="Aggregation"
            data={aggregations.map((a) => ({ value: a, label: aggregationLabels[a] }))}
            value={query.aggregation}
            onChange={(v) => v && set({ aggregation: v as Aggregation })}
            allowDeselect={false}
            w={180}
          />
          {query.aggregation === "quantile" && <QuantileInput key={query.quantile} value={query.quantile} onChange={(quantile) => set({ quantile })} />}
          <Select
            size="xs"
            label="Step"
            data={[{ value: "auto", label: "Auto" }, ...stepChoices.map((s) => ({ value: s, label: s }))]}
            value={query.step || "auto"}
            onChange={(v) => set({ step: !v || v === "auto" ? "" : v })}
            allowDeselect={false}
            error={stepProblem(query)}
            w={110}
          />
          <TagsInput
            size="xs"
            label="Group by"
            placeholder={query.groupBy.length ? "" : "One series"}
            data={labelNames}
            value={query.groupBy}
            onChange={(groupBy) => set({ groupBy })}
            maxTags={10}
            clearable
            acceptValueOnBlur
            style={{ flex: "1 1 200px" }}
          />
          <KeyValueInput label="Label filters" placeholder="service=api, then Enter" value={query.labels} onChange={(labels) => set({ labels })} />
        </Group>
      </Stack>
    </Paper>
  );
}
