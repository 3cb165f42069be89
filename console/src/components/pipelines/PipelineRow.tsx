import { Anchor, Code, Table, Text, Tooltip } from "@mantine/core";
import { Link } from "react-router";
import type { Pipeline } from "../../gen/hearth/v1/pipeline_pb";
import { projectPath } from "../../routes/paths";
import { absoluteTime, durationText, relativeTime, shortRef, shortSha } from "./format";
import { StateBadge } from "./StateBadge";
import { TriggeredBy } from "./TriggeredBy";

interface Props {
  owner: string;
  name: string;
  pipeline: Pipeline;
  now: number;
}

// PipelineRow is one pipeline of the list.
export function PipelineRow({ owner, name, pipeline: p, now }: Props) {
  const to = projectPath(owner, name, `pipelines/${p.id}`);
  return (
    <Table.Tr data-pipeline={String(p.number)}>
      <Table.Td>
        <Anchor component={Link} to={to} fw={600} aria-label={`Pipeline #${p.number}`}>
          #{String(p.number)}
        </Anchor>
      </Table.Td>
      <Table.Td>
        <StateBadge state={p.state} />
      </Table.Td>
      <Table.Td>
        <Text span size="sm" ff="monospace" style={{ wordBreak: "break-all" }}>
          {shortRef(p.ref)}
        </Text>
      </Table.Td>
      <Table.Td>
        <Tooltip label={p.commitSha} openDelay={300}>
          <Code>{shortSha(p.commitSha)}</Code>
        </Tooltip>
      </Table.Td>
      <Table.Td>
        <Text span size="sm">
          {p.event.replace("_", " ")}
        </Text>
      </Table.Td>
      <Table.Td>
        <TriggeredBy userId={p.triggeredBy} event={p.event} />
      </Table.Td>
      <Table.Td>
        <Text span size="sm">
          {durationText(p.startTime, p.finishTime, now) ?? "—"}
        </Text>
      </Table.Td>
      <Table.Td>
        <Text span size="sm" title={absoluteTime(p.createTime)} style={{ whiteSpace: "nowrap" }}>
          {relativeTime(p.createTime, now)}
        </Text>
      </Table.Td>
    </Table.Tr>
  );
}
