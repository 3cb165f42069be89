import { Anchor, Badge, Group, Text } from "@mantine/core";
import { Link } from "react-router";
import { projectPath } from "../../routes/paths";

const colors: Record<string, string> = {
  pending: "gray",
  running: "blue",
  success: "green",
  failure: "red",
  cancelled: "dark",
};

interface Props {
  owner: string;
  name: string;
  pipelineId: string;
  status: string;
  required: boolean;
}

// PipelineStatus shows the head commit's latest pipeline, linking to it.
export function PipelineStatus({ owner, name, pipelineId, status, required }: Props) {
  return (
    <Group gap="xs" wrap="wrap">
      <Text size="sm" fw={600}>
        Pipeline
      </Text>
      {pipelineId ? (
        <>
          <Badge color={colors[status] ?? "gray"} variant="light">
            {status || "unknown"}
          </Badge>
          <Anchor component={Link} to={projectPath(owner, name, `pipelines/${pipelineId}`)} size="sm">
            View pipeline
          </Anchor>
        </>
      ) : (
        <Text size="sm" c="dimmed">
          None for the head commit
        </Text>
      )}
      {required && (
        <Text size="xs" c="dimmed">
          (a green pipeline is required to merge)
        </Text>
      )}
    </Group>
  );
}
