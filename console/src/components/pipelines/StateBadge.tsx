import { Badge, type BadgeProps } from "@mantine/core";
import type { PipelineState } from "../../gen/hearth/v1/pipeline_pb";
import { stateInfo } from "./pipelineState";

interface Props {
  state: PipelineState;
  size?: BadgeProps["size"];
}

// StateBadge shows a pipeline's or job's state: colour, icon and word.
export function StateBadge({ state, size = "md" }: Props) {
  const info = stateInfo[state] ?? stateInfo[0];
  const Icon = info.icon;
  return (
    <Badge
      color={info.color}
      variant="light"
      size={size}
      leftSection={<Icon size={14} aria-hidden />}
      data-state={info.label.toLowerCase()}
      style={{ flexShrink: 0 }}
    >
      {info.label}
    </Badge>
  );
}
