import { Anchor, Group, Paper, Stack, Text } from "@mantine/core";
import { Link } from "react-router";
import type { Issue, Label } from "../../gen/hearth/v1/issue_pb";
import { projectPath } from "../../routes/paths";
import { IssueStateBadge } from "./IssueStateBadge";
import { LabelBadge } from "./LabelBadge";
import { formatTime, isoTime } from "./formatTime";

interface Props {
  owner: string;
  name: string;
  issue: Issue;
  labels: Map<string, Label>;
}

// IssueRow is one issue of the list.
export function IssueRow({ owner, name, issue, labels }: Props) {
  return (
    <Paper component="li" withBorder p="sm" radius="md">
      <Stack gap={4}>
        <Group gap="xs" wrap="nowrap" align="flex-start">
          <IssueStateBadge state={issue.state} size="sm" />
          <Anchor
            component={Link}
            to={projectPath(owner, name, `issues/${issue.number}`)}
            fw={600}
            style={{ wordBreak: "break-word", minWidth: 0 }}
          >
            {issue.title}
          </Anchor>
        </Group>
        <Group gap={6} wrap="wrap">
          <Text size="xs" c="dimmed">
            #{issue.number.toString()} opened by {issue.author} on{" "}
            <time dateTime={isoTime(issue.createTime)}>{formatTime(issue.createTime)}</time>
            {issue.assignees.length > 0 && ` · assigned to ${issue.assignees.join(", ")}`}
          </Text>
          {issue.labels.map((l) => (
            <LabelBadge key={l} name={l} label={labels.get(l.toLowerCase())} />
          ))}
        </Group>
      </Stack>
    </Paper>
  );
}
