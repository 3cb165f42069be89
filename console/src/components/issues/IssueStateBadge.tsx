import { Badge } from "@mantine/core";
import { IconCircleCheck, IconCircleDot } from "@tabler/icons-react";
import { IssueState } from "../../gen/hearth/v1/issue_pb";

// IssueStateBadge says whether an issue is open or closed.
export function IssueStateBadge({ state, size = "md" }: { state: IssueState; size?: "sm" | "md" | "lg" }) {
  const open = state !== IssueState.CLOSED;
  return (
    <Badge
      size={size}
      color={open ? "green" : "violet"}
      variant="light"
      leftSection={open ? <IconCircleDot size={12} aria-hidden /> : <IconCircleCheck size={12} aria-hidden />}
    >
      {open ? "Open" : "Closed"}
    </Badge>
  );
}
