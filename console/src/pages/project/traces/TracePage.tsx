import { Anchor, Grid, Group, Skeleton, Stack, Title } from "@mantine/core";
import { IconArrowLeft } from "@tabler/icons-react";
import { useMemo, useState } from "react";
import { Link, useParams } from "react-router";
import { EmptyState } from "../../../components/EmptyState";
import { ErrorAlert } from "../../../components/ErrorAlert";
import { useProjectContext } from "../../../components/project/useProjectContext";
import { QueryStatsLine } from "../../../components/telemetry/QueryStatsLine";
import { serviceColor } from "../../../components/traces/serviceColors";
import { SpanDetails } from "../../../components/traces/SpanDetails";
import { TraceSummaryBar } from "../../../components/traces/TraceSummaryBar";
import { TraceWaterfall } from "../../../components/traces/TraceWaterfall";
import { useTrace } from "../../../components/traces/useTraces";
import { layoutWaterfall } from "../../../components/traces/waterfall";
import { projectPath } from "../../../routes/paths";

// TracePage shows one trace as a waterfall; a click on a span opens its
// details beside it.
export function TracePage() {
  const project = useProjectContext();
  const { traceId = "" } = useParams();
  const valid = /^[0-9a-f]{32}$/i.test(traceId);
  const query = useTrace(project.owner, project.name, traceId);
  const waterfall = useMemo(() => layoutWaterfall(query.data?.spans ?? []), [query.data]);
  const [selected, setSelected] = useState<string | null>(null);
  const selectedRow = waterfall.rows.find((r) => r.span.spanId === selected);
  const root = waterfall.rows[0]?.span;

  let body;
  if (!valid) {
    body = <EmptyState title="Not a trace id">A trace id is 32 hexadecimal digits.</EmptyState>;
  } else if (query.isPending) {
    body = (
      <Stack aria-busy="true" aria-label="Loading the trace" gap={4}>
        {[0, 1, 2, 3, 4].map((i) => (
          <Skeleton key={i} h={20} radius="sm" />
        ))}
      </Stack>
    );
  } else if (!query.data) {
    body = <ErrorAlert error={query.error} title="Could not load the trace" onRetry={() => void query.refetch()} />;
  } else if (waterfall.rows.length === 0) {
    body = (
      <EmptyState title="Trace not found">
        No span of this trace arrived in the last 7 days. Spans may still be on their way, or older than that.
      </EmptyState>
    );
  } else {
    body = (
      <Stack gap="xs">
        <TraceSummaryBar traceId={traceId.toLowerCase()} waterfall={waterfall} />
        <Grid gutter="sm">
          <Grid.Col span={{ base: 12, md: selectedRow ? 8 : 12 }}>
            <TraceWaterfall waterfall={waterfall} selected={selected} onSelect={(id) => setSelected((s) => (s === id ? null : id))} />
          </Grid.Col>
          {selectedRow && (
            <Grid.Col span={{ base: 12, md: 4 }}>
              <SpanDetails row={selectedRow} color={serviceColor(waterfall.services, selectedRow.span.service)} onClose={() => setSelected(null)} />
            </Grid.Col>
          )}
        </Grid>
        <QueryStatsLine stats={query.data.stats} />
      </Stack>
    );
  }
  return (
    <Stack gap="md">
      <Group gap="xs">
        <Anchor component={Link} to={projectPath(project.owner, project.name, "traces")} size="sm">
          <Group gap={4}>
            <IconArrowLeft size={14} aria-hidden />
            Traces
          </Group>
        </Anchor>
      </Group>
      <Title order={2} size="h3" style={{ wordBreak: "break-word" }}>
        {root ? `${root.service}: ${root.name}` : "Trace"}
      </Title>
      {body}
    </Stack>
  );
}
