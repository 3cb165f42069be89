import { Anchor, Badge, Group, Stack, Text } from "@mantine/core";
import { Link } from "react-router";
import { IssueState, type IssueReference } from "../../gen/hearth/v1/issue_pb";
import { MergeRequestState, type MergeRequestReference } from "../../gen/hearth/v1/merge_request_reference_pb";
import { projectPath } from "../../routes/paths";

const mrState: Record<MergeRequestState, string> = {
  [MergeRequestState.UNSPECIFIED]: "",
  [MergeRequestState.OPEN]: "Open",
  [MergeRequestState.MERGED]: "Merged",
  [MergeRequestState.CLOSED]: "Closed",
};

interface Props {
  owner: string;
  name: string;
  issues: IssueReference[];
  mergeRequests: MergeRequestReference[];
}

// ReferenceList shows the issues and merge requests a text mentions, with
// their titles and states as the server resolved them.
export function ReferenceList({ owner, name, issues, mergeRequests }: Props) {
  if (issues.length === 0 && mergeRequests.length === 0) {
    return null;
  }
  return (
    <Stack gap={4} component="section" aria-label="Mentions">
      <Text size="sm" fw={600}>
        Mentions
      </Text>
      {issues.map((r) => (
        <Group key={`i${r.number}`} gap="xs" wrap="nowrap">
          <Anchor component={Link} to={projectPath(owner, name, `issues/${r.number}`)} size="sm" lineClamp={1}>
            #{r.number.toString()} {r.title}
          </Anchor>
          <Badge size="xs" variant="light" color={r.state === IssueState.CLOSED ? "violet" : "green"}>
            {r.state === IssueState.CLOSED ? "Closed" : "Open"}
          </Badge>
        </Group>
      ))}
      {mergeRequests.map((r) => (
        <Group key={`m${r.number}`} gap="xs" wrap="nowrap">
          <Anchor component={Link} to={projectPath(owner, name, `merge_requests/${r.number}`)} size="sm" lineClamp={1}>
            !{r.number.toString()} {r.title}
          </Anchor>
          <Badge size="xs" variant="light">
            {mrState[r.state]}
          </Badge>
        </Group>
      ))}
    </Stack>
  );
}
