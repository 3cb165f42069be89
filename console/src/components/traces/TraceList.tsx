import { Anchor, Badge, Table, Text } from "@mantine/core";
import { Link } from "react-router";
import type { TraceSummary } from "../../gen/hearth/v1/observe_pb";
import { projectPath } from "../../routes/paths";
import { durationNs, formatInstant, formatSpanDuration } from "../telemetry/duration";

interface Props {
  owner: string;
  name: string;
  traces: TraceSummary[];
}

// TraceList: the traces found, newest first, each a link to its waterfall.
export function TraceList({ owner, name, traces }: Props) {
  return (
    <Table.ScrollContainer minWidth={720}>
      <Table aria-label="Traces" fz="sm" verticalSpacing={6} highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Trace</Table.Th>
            <Table.Th>Start</Table.Th>
            <Table.Th ta="right">Duration</Table.Th>
            <Table.Th ta="right">Spans</Table.Th>
            <Table.Th ta="right">Errors</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {traces.map((t) => (
            <Table.Tr key={t.traceId}>
              <Table.Td>
                <Anchor component={Link} to={projectPath(owner, name, `traces/${t.traceId}`)} fw={500}>
                  {t.rootService}: {t.rootName || "(unnamed)"}
                </Anchor>
                <Text size="xs" c="dimmed" ff="monospace">
                  {t.traceId}
                </Text>
              </Table.Td>
              <Table.Td ff="monospace" fz="xs" style={{ whiteSpace: "nowrap" }}>
                {formatInstant(t.startTime)}
              </Table.Td>
              <Table.Td ta="right" ff="monospace" fz="xs" style={{ whiteSpace: "nowrap" }}>
                {formatSpanDuration(Number(durationNs(t.duration)) / 1e6)}
              </Table.Td>
              <Table.Td ta="right">{t.spanCount}</Table.Td>
              <Table.Td ta="right">
                {t.errorCount > 0 ? (
                  <Badge color="red" variant="light" size="sm">
                    {t.errorCount}
                  </Badge>
                ) : (
                  <Text span c="dimmed" size="sm">
                    0
                  </Text>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
