import { Badge, Group } from "@mantine/core";
import { IconGitMerge, IconGitPullRequest, IconGitPullRequestClosed } from "@tabler/icons-react";
import { MergeRequestState } from "../../gen/hearth/v1/merge_request_reference_pb";

const look = {
  [MergeRequestState.UNSPECIFIED]: { label: "Open", color: "green", Icon: IconGitPullRequest },
  [MergeRequestState.OPEN]: { label: "Open", color: "green", Icon: IconGitPullRequest },
  [MergeRequestState.MERGED]: { label: "Merged", color: "violet", Icon: IconGitMerge },
  [MergeRequestState.CLOSED]: { label: "Closed", color: "red", Icon: IconGitPullRequestClosed },
};

// MergeRequestStateBadge: open, merged or closed, and draft.
export function MergeRequestStateBadge({ state, draft, size = "md" }: { state: MergeRequestState; draft?: boolean; size?: "sm" | "md" }) {
  const { label, color, Icon } = look[state];
  return (
    <Group gap={4} wrap="nowrap">
      <Badge size={size} color={color} variant="light" leftSection={<Icon size={12} aria-hidden />}>
        {label}
      </Badge>
      {draft && (
        <Badge size={size} color="gray" variant="outline">
          Draft
        </Badge>
      )}
    </Group>
  );
}
