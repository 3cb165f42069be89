import { Anchor, Group, Paper, Stack, Text } from "@mantine/core";
import { Link } from "react-router";
import { Mergeability, type MergeRequest } from "../../gen/hearth/v1/merge_request_pb";
import { MergeRequestState } from "../../gen/hearth/v1/merge_request_reference_pb";
import { projectPath } from "../../routes/paths";
import { formatTime, isoTime } from "../issues/formatTime";
import { BranchFlow } from "./BranchFlow";
import { MergeRequestStateBadge } from "./MergeRequestStateBadge";

// MergeRequestRow is one merge request of the list.
export function MergeRequestRow({ owner, name, mr }: { owner: string; name: string; mr: MergeRequest }) {
  const conflicts = mr.state === MergeRequestState.OPEN && mr.mergeStatus?.mergeability === Mergeability.CONFLICTS;
  return (
    <Paper component="li" withBorder p="sm" radius="md">
      <Stack gap={4}>
        <Group gap="xs" wrap="nowrap" align="flex-start">
          <MergeRequestStateBadge state={mr.state} draft={mr.draft} size="sm" />
          <Anchor
            component={Link}
            to={projectPath(owner, name, `merge_requests/${mr.number}`)}
            fw={600}
            style={{ wordBreak: "break-word", minWidth: 0 }}
          >
            {mr.title}
          </Anchor>
        </Group>
        <Group gap="xs" wrap="wrap">
          <Text size="xs" c="dimmed">
            !{mr.number.toString()} opened by {mr.author} on{" "}
            <time dateTime={isoTime(mr.createTime)}>{formatTime(mr.createTime)}</time>
          </Text>
          <Text size="xs" component="span">
            <BranchFlow source={mr.sourceBranch} target={mr.targetBranch} />
          </Text>
          {conflicts && (
            <Text size="xs" c="red" fw={600}>
              Conflicts
            </Text>
          )}
        </Group>
      </Stack>
    </Paper>
  );
}
