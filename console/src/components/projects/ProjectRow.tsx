import { Anchor, Badge, Group, Paper, Stack, Text } from "@mantine/core";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Link } from "react-router";
import type { Project } from "../../gen/hearth/v1/project_pb";
import { projectPath } from "../../routes/paths";
import { visibilityLabel } from "./visibility";

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

// ProjectRow is one project of the list.
export function ProjectRow({ project }: { project: Project }) {
  const created = project.createTime ? dateFormat.format(timestampDate(project.createTime)) : null;
  return (
    <Paper component="li" withBorder p="md" radius="md" aria-label={`${project.owner}/${project.name}`}>
      <Stack gap={4}>
        <Group justify="space-between" wrap="wrap" gap="xs">
          <Anchor component={Link} to={projectPath(project.owner, project.name)} fw={600} style={{ wordBreak: "break-word" }}>
            <Text span c="dimmed" inherit>
              {project.owner}/
            </Text>
            {project.name}
          </Anchor>
          <Group gap={6}>
            {project.archived && (
              <Badge color="gray" variant="outline">
                Archived
              </Badge>
            )}
            <Badge variant="light">{visibilityLabel[project.visibility]}</Badge>
          </Group>
        </Group>
        {project.description && (
          <Text size="sm" c="dimmed" lineClamp={2}>
            {project.description}
          </Text>
        )}
        {created && (
          <Text size="xs" c="dimmed">
            Created {created}
          </Text>
        )}
      </Stack>
    </Paper>
  );
}
