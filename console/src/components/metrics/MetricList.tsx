import { Anchor, Badge, Table, Text } from "@mantine/core";
import { Link } from "react-router";
import type { MetricInfo } from "../../gen/hearth/v1/observe_pb";
import { projectPath } from "../../routes/paths";

interface Props {
  owner: string;
  name: string;
  metrics: MetricInfo[];
  // The query the links carry (the time range), without a leading "?".
  search: string;
}

const kindColor: Record<string, string> = { gauge: "blue", sum: "teal", histogram: "grape" };

// metricLink opens a metric's chart with the aggregation that suits its
// kind: the rate of a counter, a high quantile of a histogram, else the
// average.
export function metricLink(owner: string, name: string, m: MetricInfo, search: string): string {
  const params = new URLSearchParams(search);
  if (m.kind === "sum") {
    params.set("agg", "rate");
  } else if (m.kind === "histogram") {
    params.set("agg", "quantile");
  }
  const q = params.toString();
  return projectPath(owner, name, `metrics/${encodeURIComponent(m.name)}`) + (q ? `?${q}` : "");
}

// MetricList: the metrics seen, each a link to its chart, with kind and unit.
export function MetricList({ owner, name, metrics, search }: Props) {
  return (
    <Table.ScrollContainer minWidth={480}>
      <Table aria-label="Metrics" verticalSpacing={6} highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Metric</Table.Th>
            <Table.Th>Kind</Table.Th>
            <Table.Th>Unit</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {metrics.map((m) => (
            <Table.Tr key={m.name}>
              <Table.Td>
                <Anchor component={Link} to={metricLink(owner, name, m, search)} ff="monospace" size="sm">
                  {m.name}
                </Anchor>
              </Table.Td>
              <Table.Td>
                <Badge variant="light" size="sm" color={kindColor[m.kind] ?? "gray"} tt="none">
                  {m.kind || "unknown"}
                </Badge>
              </Table.Td>
              <Table.Td>
                <Text size="sm" ff="monospace" c={m.unit ? undefined : "dimmed"}>
                  {m.unit || "—"}
                </Text>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
