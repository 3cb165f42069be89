import { Stack, Title } from "@mantine/core";
import { useMemo } from "react";
import { useSearchParams } from "react-router";
import { useProjectContext } from "../../../components/project/useProjectContext";
import { applyTraceFilters, traceFiltersFromParams, traceFiltersKey } from "../../../components/traces/traceFilters";
import { TraceResults } from "../../../components/traces/TraceResults";
import { TraceSearchForm } from "../../../components/traces/TraceSearchForm";

// TracesPage searches a project's traces; the search lives in the URL.
export function TracesPage() {
  const project = useProjectContext();
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => traceFiltersFromParams(params), [params]);
  return (
    <Stack gap="md">
      <Title order={2} size="h3">
        Traces
      </Title>
      <TraceSearchForm key={traceFiltersKey(filters)} filters={filters} onChange={(f) => setParams((prev) => applyTraceFilters(prev, f))} />
      <TraceResults owner={project.owner} name={project.name} filters={filters} />
    </Stack>
  );
}
