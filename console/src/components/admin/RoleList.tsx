import { Badge, Group, Paper, SimpleGrid, Stack, Text } from "@mantine/core";
import { EmptyState } from "../EmptyState";
import { ErrorAlert } from "../ErrorAlert";
import { TableSkeleton } from "../tokens/TableSkeleton";
import { useRoles } from "./useRoles";

// RoleList shows every role with its permissions.
export function RoleList() {
  const query = useRoles();
  if (query.isPending) {
    return <TableSkeleton label="Loading roles" />;
  }
  if (query.isError) {
    return <ErrorAlert error={query.error} title="Could not load roles" onRetry={() => void query.refetch()} />;
  }
  if (query.data.length === 0) {
    return <EmptyState title="No roles" />;
  }
  return (
    <SimpleGrid cols={{ base: 1, md: 2 }} component="ul" p={0} m={0} style={{ listStyle: "none" }} aria-label="Roles">
      {query.data.map((r) => (
        <Paper key={r.id} component="li" withBorder p="md" radius="md" aria-label={r.name}>
          <Stack gap={6}>
            <Group gap="xs">
              <Text fw={600}>{r.name}</Text>
              <Badge variant="outline" color={r.system ? "gray" : "blue"} size="sm">
                {r.system ? "System" : "Custom"}
              </Badge>
            </Group>
            {r.description && (
              <Text size="sm" c="dimmed">
                {r.description}
              </Text>
            )}
            <Group gap={4}>
              {r.permissions.map((p) => (
                <Badge key={p} variant="light" tt="none" size="sm">
                  {p}
                </Badge>
              ))}
            </Group>
          </Stack>
        </Paper>
      ))}
    </SimpleGrid>
  );
}
